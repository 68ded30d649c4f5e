package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestRecordsIndexAndSnapshot(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	idx := []IndexValue{{Field: "Ext__c", Value: "k1", Unique: true}}
	err = s.Update(ctx, func(tx *Tx) error {
		if _, err := tx.NextSeq(ctx, "id:001", 1); err != nil {
			return err
		}
		return tx.Insert(ctx, "Account", Record{"Id": "001A", "Name": "A", "IsDeleted": false}, idx)
	})
	if err != nil {
		t.Fatal(err)
	}
	// A second record may not take a unique value.
	err = s.Update(ctx, func(tx *Tx) error {
		return tx.Insert(ctx, "Account", Record{"Id": "001B", "Name": "B", "IsDeleted": false}, idx)
	})
	var dup *DuplicateError
	if !errors.As(err, &dup) || dup.ID != "001A" || !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate insert: %v", err)
	}
	// The failed transaction left nothing behind.
	if _, _, err := s.Get(ctx, "001B"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("001B after a rolled back insert: %v", err)
	}
	snap, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	c, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("data file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if err := c.Restore(ctx, snap); err != nil {
		t.Fatal(err)
	}
	// The write-ahead log and its index hold the same data.
	for _, p := range []string{path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
		} else if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v; want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
	rec, obj, err := c.Get(ctx, "001A")
	if err != nil || obj != "Account" || rec["Name"] != "A" {
		t.Fatalf("restored record: %v %v %v", rec, obj, err)
	}
	if ids, err := c.Lookup(ctx, "Account", "Ext__c", "k1"); err != nil || len(ids) != 1 || ids[0] != "001A" {
		t.Fatalf("restored index: %v %v", ids, err)
	}
	if n, err := c.NextSeq(ctx, "id:001", 1); err != nil || n != 2 {
		t.Fatalf("restored counter: %d %v", n, err)
	}
	var seen []string
	if err := c.Scan(ctx, "Account", false, func(r Record) error { seen = append(seen, r["Id"].(string)); return nil }); err != nil || len(seen) != 1 {
		t.Fatalf("scan: %v %v", seen, err)
	}
}
