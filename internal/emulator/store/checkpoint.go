package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// A file-backed store keeps its writes in SQLite's write-ahead log (WAL)
// and copies them into the database file in checkpoints. SQLite runs a
// checkpoint inside the commit that finds the log past wal_autocheckpoint
// pages, on the writer's goroutine: for a Bulk insert that was a fifth of
// the store's time (reading the log back, writing the pages, two fsyncs).
// The checkpointer runs them on a connection and a goroutine of its own, a
// passive checkpoint after commits, so the writer goes on with the next
// transaction meanwhile. Commits are as durable as before: a transaction is
// in the log when it commits (synchronous=NORMAL: safe against a killed
// process), whether or not a checkpoint has copied it yet.

// walAutoCheckpoint is the log size (pages) at which the writer still
// checkpoints itself: only when the checkpointer has fallen that far behind,
// so the log cannot grow without bound. SQLite's default is 1,000.
const walAutoCheckpoint = 8_000

// checkpointEvery is the shortest time between two checkpoints: each one
// ends with fsyncs, which a run of small REST writes should not pay each.
const checkpointEvery = 50 * time.Millisecond

type checkpointer struct {
	db    *sql.DB
	kicks chan struct{}
	done  sync.WaitGroup
}

// newCheckpointer opens the second connection to the database at path and
// starts the checkpointing goroutine.
func newCheckpointer(ctx context.Context, path string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("store: open checkpointer for %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open checkpointer for %s: %w", path, err)
	}
	c := &checkpointer{db: db, kicks: make(chan struct{}, 1)}
	c.done.Add(1)
	go c.run()
	return c, nil
}

// kick asks for a checkpoint soon; it never blocks.
func (c *checkpointer) kick() {
	if c == nil {
		return
	}
	select {
	case c.kicks <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer c.done.Done()
	for range c.kicks {
		// PASSIVE: copy what no reader still needs, never wait for
		// the writer. What it cannot copy now, the next kick does.
		_, _ = c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
		time.Sleep(checkpointEvery)
	}
}

// close stops the goroutine and closes the connection.
func (c *checkpointer) close() error {
	if c == nil {
		return nil
	}
	close(c.kicks)
	c.done.Wait()
	return c.db.Close()
}
