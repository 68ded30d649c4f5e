package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
)

// SQLite spends most of a small statement's time parsing it. The store
// prepares each statement once and reuses it: outside transactions on first
// use, and inside transactions through the statements prepared earlier (a
// transaction holds the only connection, so it cannot prepare new shared
// statements itself; an unprepared one just runs as it is).
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache { return &stmtCache{db: db, m: map[string]*sql.Stmt{}} }

// prepare returns the shared statement for query, preparing it if needed.
func (c *stmtCache) prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	st := c.m[query]
	c.mu.Unlock()
	if st != nil {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[query]; old != nil {
		st.Close()
		return old, nil
	}
	c.m[query] = st
	return st, nil
}

// lookup returns the shared statement for query if it was prepared.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[query]
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = map[string]*sql.Stmt{}
}

// dbQueryer runs statements outside transactions, prepared once each.
type dbQueryer struct{ c *stmtCache }

func (q dbQueryer) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := q.c.prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (q dbQueryer) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := q.c.prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (q dbQueryer) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := q.c.prepare(ctx, query)
	if err != nil {
		// Let the plain call report the error through the Row.
		return q.c.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// txQueryer runs statements inside a transaction, reusing shared prepared
// statements where there are some.
type txQueryer struct {
	tx     *sql.Tx
	c      *stmtCache
	missed map[string]bool
}

// stmt returns the transaction's handle on query's shared statement, or nil
// (remembering the query, to prepare it after the transaction).
func (q *txQueryer) stmt(ctx context.Context, query string) *sql.Stmt {
	if st := q.c.lookup(query); st != nil {
		return q.tx.StmtContext(ctx, st)
	}
	if !strings.HasPrefix(query, "SAVEPOINT") && !strings.HasPrefix(query, "ROLLBACK") && !strings.HasPrefix(query, "RELEASE") {
		if q.missed == nil {
			q.missed = map[string]bool{}
		}
		q.missed[query] = true
	}
	return nil
}

func (q *txQueryer) prepareMissed(ctx context.Context) {
	for query := range q.missed {
		_, _ = q.c.prepare(ctx, query) // best effort: unprepared statements still run
	}
}

func (q *txQueryer) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := q.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.tx.ExecContext(ctx, query, args...)
}

func (q *txQueryer) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.tx.QueryContext(ctx, query, args...)
}

func (q *txQueryer) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.tx.QueryRowContext(ctx, query, args...)
}
