package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestRecordCacheServesCommittedData: reads after a write see the write,
// a rolled back write is never seen, Get hands out copies, Scan and Get
// agree, and the cache stays within its bound.
func TestRecordCacheServesCommittedData(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.cache = newRecCache(50)
	insert := func(id, name string) {
		t.Helper()
		if err := s.Update(ctx, func(tx *Tx) error {
			return tx.Insert(ctx, "Account", Record{"Id": id, "Name": name, "IsDeleted": false}, nil)
		}); err != nil {
			t.Fatal(err)
		}
	}
	name := func(id string) any {
		t.Helper()
		rec, _, err := s.GetShared(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return rec["Name"]
	}
	for i := range 200 {
		insert(fmt.Sprintf("001%03d", i), fmt.Sprintf("N%d", i))
	}
	seen := 0
	if err := s.Scan(ctx, "Account", false, func(r Record) error { seen++; return nil }); err != nil || seen != 200 {
		t.Fatalf("scan: %d records, %v", seen, err)
	}
	if len(s.cache.m) > 50 {
		t.Fatalf("the cache holds %d records; its bound is 50", len(s.cache.m))
	}
	if name("001007") != "N7" || name("001007") != "N7" {
		t.Fatal("cached read")
	}
	// A committed replace is seen at once, through Get and through Scan.
	if err := s.Update(ctx, func(tx *Tx) error {
		return tx.Replace(ctx, "Account", Record{"Id": "001007", "Name": "Renamed", "IsDeleted": false}, nil)
	}); err != nil {
		t.Fatal(err)
	}
	if got := name("001007"); got != "Renamed" {
		t.Fatalf("after replace: %v", got)
	}
	var scanned any
	_ = s.Scan(ctx, "Account", false, func(r Record) error {
		if r["Id"] == "001007" {
			scanned = r["Name"]
		}
		return nil
	})
	if scanned != "Renamed" {
		t.Fatalf("scan after replace: %v", scanned)
	}
	// A rolled back replace is never seen, even when it was read inside.
	boom := errors.New("boom")
	err = s.Update(ctx, func(tx *Tx) error {
		if err := tx.Replace(ctx, "Account", Record{"Id": "001007", "Name": "Never", "IsDeleted": false}, nil); err != nil {
			return err
		}
		if rec, _, err := tx.Get(ctx, "001007"); err != nil || rec["Name"] != "Never" {
			t.Errorf("inside the transaction: %v %v", rec, err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if got := name("001007"); got != "Renamed" {
		t.Fatalf("after rollback: %v", got)
	}
	// Get's record is the caller's: changing it changes nothing stored.
	rec, _, _ := s.Get(ctx, "001007")
	rec["Name"] = "Scribbled"
	if got := name("001007"); got != "Renamed" {
		t.Fatalf("a caller's change leaked into the cache: %v", got)
	}
	// Purge is seen.
	if err := s.Update(ctx, func(tx *Tx) error { return tx.Purge(ctx, "001007") }); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.GetShared(ctx, "001007"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after purge: %v", err)
	}
	// A read that began before a write does not store what it read.
	gen := s.cache.generation()
	s.cache.invalidate("001008")
	s.cache.put(gen, "001008", "Account", Record{"Name": "stale"})
	if _, ok := s.cache.get("001008"); ok {
		t.Fatal("a read from before a write was cached")
	}
}

// TestScanIDListFollowsWrites: once a full scan has kept an object's id
// list, later scans see inserts (committed only, in order), deletes and
// undeletes and purges; the list stays within its bound.
func TestScanIDListFollowsWrites(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	write := func(fn func(tx *Tx) error) error { return s.Update(ctx, fn) }
	rec := func(id string, deleted bool) Record { return Record{"Id": id, "Name": id, "IsDeleted": deleted} }
	scan := func(all bool) string {
		t.Helper()
		var got []string
		if err := s.Scan(ctx, "Account", all, func(r Record) error { got = append(got, r["Id"].(string)); return nil }); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(got)
	}
	for i := range 3 {
		if err := write(func(tx *Tx) error { return tx.Insert(ctx, "Account", rec(fmt.Sprintf("a%d", i), false), nil) }); err != nil {
			t.Fatal(err)
		}
	}
	if got := scan(false); got != "[a0 a1 a2]" {
		t.Fatalf("first scan: %s", got)
	}
	if _, ok := s.cache.objectIDs("Account"); !ok {
		t.Fatal("a full scan kept no id list")
	}
	steps := []struct {
		name string
		fn   func(tx *Tx) error
		live string
		all  string
	}{
		{"insert", func(tx *Tx) error { return tx.Insert(ctx, "Account", rec("a3", false), nil) }, "[a0 a1 a2 a3]", "[a0 a1 a2 a3]"},
		{"rolled back insert", func(tx *Tx) error {
			if err := tx.Insert(ctx, "Account", rec("a4", false), nil); err != nil {
				return err
			}
			return errors.New("roll back")
		}, "[a0 a1 a2 a3]", "[a0 a1 a2 a3]"},
		{"delete", func(tx *Tx) error { return tx.Replace(ctx, "Account", rec("a1", true), nil) }, "[a0 a2 a3]", "[a0 a1 a2 a3]"},
		{"undelete", func(tx *Tx) error { return tx.Replace(ctx, "Account", rec("a1", false), nil) }, "[a0 a1 a2 a3]", "[a0 a1 a2 a3]"},
		{"purge", func(tx *Tx) error { return tx.Purge(ctx, "a2") }, "[a0 a1 a3]", "[a0 a1 a3]"},
		{"other object", func(tx *Tx) error { return tx.Insert(ctx, "Contact", Record{"Id": "c0", "IsDeleted": false}, nil) }, "[a0 a1 a3]", "[a0 a1 a3]"},
	}
	for _, st := range steps {
		_ = write(st.fn)
		if got := scan(false); got != st.live {
			t.Errorf("after %s: live %s, want %s", st.name, got, st.live)
		}
		if got := scan(true); got != st.all {
			t.Errorf("after %s: all %s, want %s", st.name, got, st.all)
		}
	}
	// Bound: a list longer than maxIDs is not kept, and scans stay right.
	s.cache.invalidateObject("Account")
	s.cache.maxIDs = 2
	if got := scan(false); got != "[a0 a1 a3]" {
		t.Errorf("over the bound: %s", got)
	}
	if _, ok := s.cache.objectIDs("Account"); ok || s.cache.nIDs > 2 {
		t.Errorf("kept a list of %d ids over a bound of 2", s.cache.nIDs)
	}
}
