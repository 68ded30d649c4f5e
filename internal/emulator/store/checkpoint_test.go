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
