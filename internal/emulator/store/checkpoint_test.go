package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheckpointsOffTheWriter: committed writes reach the database file
// while the store stays open, though the log is far below the size at which
// the writer would checkpoint itself: the checkpointer copied them. They
// are all there after the store is opened again.
func TestCheckpointsOffTheWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "org.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	const rows = 4_000 // ~4 MB: a few hundred pages of the log, walAutoCheckpoint is 8,000
	pad := strings.Repeat("x", 1000)
	for n := 0; n < rows; n += 1000 {
		recs := make([]EncodedRecord, 1000)
		for k := range recs {
			id := fmt.Sprintf("001EMU%09dYBA", n+k)
			recs[k] = EncodedRecord{ID: id, Data: []byte(`{"Id":"` + id + `","IsDeleted":false,"Name":"` + pad + `"}`)}
		}
		if err := s.Update(ctx, func(tx *Tx) error { return tx.InsertEncoded(ctx, "Account", recs) }); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for size() < before+3<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("the database file has %d bytes (%d before the writes): nothing was checkpointed", size(), before)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.Count(ctx, "Account"); err != nil || n != rows {
		t.Fatalf("reopened: %d records, %v", n, err)
	}
}

// TestBlobReadsDoNotWaitForTheWriter: in a file-backed store, a job's data
// can be read while another goroutine holds the writer's transaction open,
// and the reader sees what was committed, not what the transaction wrote.
func TestBlobReadsDoNotWaitForTheWriter(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "org.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.InitBulk(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendBlob(ctx, "750A", 1, 1, 0, []byte("committed")); err != nil {
		t.Fatal(err)
	}
	inTx, release := make(chan struct{}), make(chan struct{})
	txDone := make(chan error, 1)
	go func() {
		txDone <- s.Update(ctx, func(tx *Tx) error {
			if err := tx.AppendBlob(ctx, "750A", 1, 2, 0, []byte("uncommitted")); err != nil {
				return err
			}
			close(inTx)
			<-release
			return nil
		})
	}()
	<-inTx
	read := make(chan string, 1)
	go func() {
		var got []string
		var after int64
		for {
			seq, _, data, ok, err := s.NextBlob(ctx, "750A", 1, after)
			if err != nil || !ok {
				read <- strings.Join(got, ",") + fmt.Sprint(err)
				return
			}
			got, after = append(got, string(data)), seq
		}
	}()
	select {
	case got := <-read:
		if got != "committed<nil>" {
			t.Errorf("read %q during the transaction, want the committed chunk only", got)
		}
	case <-time.After(10 * time.Second):
		t.Error("NextBlob waited for the writer's transaction")
	}
	close(release)
	if err := <-txDone; err != nil {
		t.Fatal(err)
	}
}
