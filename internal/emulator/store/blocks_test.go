package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// blockStores opens an in-memory and a file-backed store.
func blockStores(t *testing.T) map[string]*Store {
	t.Helper()
	ctx := context.Background()
	out := map[string]*Store{}
	for name, path := range map[string]string{"memory": "", "file": filepath.Join(t.TempDir(), "org.db")} {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		out[name] = s
	}
	return out
}

// encodedAccounts encodes n Accounts with ids from seq on; every third one
// is owned by owner.
func encodedAccounts(t *testing.T, seq, n int, owner string) []EncodedRecord {
	t.Helper()
	var e RecordEncoder
	recs := make([]EncodedRecord, n)
	for i := range n {
		id := fmt.Sprintf("001EMU%09dYBA", seq+i)
		rec := Record{"Id": id, "Name": fmt.Sprintf("Row %d ü \"q\"", seq+i), "IsDeleted": false, "OwnerId": "005EMU000000001YBA"}
		if i%3 == 0 {
			rec["OwnerId"] = owner
		}
		data, _, err := e.Encode(nil, rec)
		if err != nil {
			t.Fatal(err)
		}
		recs[i] = EncodedRecord{ID: id, Data: data}
	}
	return recs
}

// scanNames returns the Names of object's records in scan order.
func scanNames(t *testing.T, s *Store, object string, all bool) []string {
	t.Helper()
	var names []string
	if err := s.Scan(context.Background(), object, all, func(r Record) error {
		names = append(names, r["Name"].(string))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return names
}

// storedRow is a record row as SQLite holds it.
type storedRow struct{ id, typ, data string }

// storedRows reads the record rows matching where, in seq order.
func storedRows(t *testing.T, s *Store, where string, args ...any) []storedRow {
	t.Helper()
	rows, err := s.db.Query(`SELECT id, typeof(data), data FROM records `+where+` ORDER BY seq`, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []storedRow
	for rows.Next() {
		var r storedRow
		if err := rows.Scan(&r.id, &r.typ, &r.data); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// restoredStore is a new in-memory store restored from snap.
func restoredStore(t *testing.T, snap *Snapshot) *Store {
	t.Helper()
	r, err := Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if err := r.Restore(context.Background(), snap); err != nil {
		t.Fatal(err)
	}
	return r
}

func countBlocks(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM record_blocks`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBlocksReadAsRows: records InsertEncoded stores as blocks read back
// as rows would, through every read path, in insertion order among rows
// written before and after; writing one turns its block into rows with
// the same bytes; snapshots carry blocks.
func TestBlocksReadAsRows(t *testing.T) {
	ctx := context.Background()
	const owner = "005EMU000000009YBA"
	for name, s := range blockStores(t) {
		t.Run(name, func(t *testing.T) {
			recs := encodedAccounts(t, 0, 2*blockRecords+88, owner)
			want := []string{"First"}
			for i := range recs {
				want = append(want, fmt.Sprintf("Row %d ü \"q\"", i))
			}
			want = append(want, "Last")
			err := s.Update(ctx, func(tx *Tx) error {
				return tx.Insert(ctx, "Account", Record{"Id": "001EMU900000001YBA", "Name": "First", "IsDeleted": false}, nil)
			})
			if err == nil {
				err = s.Update(ctx, func(tx *Tx) error { return tx.InsertEncoded(ctx, "Account", recs) })
			}
			if err == nil {
				err = s.Update(ctx, func(tx *Tx) error {
					return tx.Insert(ctx, "Account", Record{"Id": "001EMU900000002YBA", "Name": "Last", "IsDeleted": false}, nil)
				})
			}
			if err != nil {
				t.Fatal(err)
			}
			if n := countBlocks(t, s); n != 3 {
				t.Fatalf("%d blocks, want 3", n)
			}
			// A row written after the blocks scans after them: the blocks'
			// seqs were taken from the records' sequence.
			if got := scanNames(t, s, "Account", false); !slices.Equal(got, want) {
				t.Fatalf("scan: %d names, first %q, last %q", len(got), got[0], got[len(got)-1])
			}
			// Again from the cached id list, with the record cache empty:
			// the records come from their blocks by id.
			s.cache.mu.Lock()
			clear(s.cache.m)
			s.cache.mu.Unlock()
			if _, ok := s.cache.objectIDs("Account"); !ok {
				t.Fatal("the scan kept no id list")
			}
			if got := scanNames(t, s, "Account", false); !slices.Equal(got, want) {
				t.Fatalf("scan from the id list: %d names", len(got))
			}
			if n, err := s.Count(ctx, "Account"); err != nil || n != len(want) {
				t.Fatalf("count %d, %v; want %d", n, err, len(want))
			}
			// Get: every block, the first and last record of one, misses.
			s.cache = newRecCache(DefaultCacheRecords)
			for _, i := range []int{0, blockRecords - 1, blockRecords, len(recs) - 1} {
				rec, object, err := s.Get(ctx, recs[i].ID)
				if err != nil || object != "Account" || rec["Name"] != fmt.Sprintf("Row %d ü \"q\"", i) {
					t.Fatalf("Get %s: %v %s %v", recs[i].ID, rec, object, err)
				}
			}
			// Again from the blocks the first reads cached, records first
			// and last in their block included.
			s.cache.mu.Lock()
			clear(s.cache.m)
			s.cache.mu.Unlock()
			if len(s.cache.blocks) == 0 {
				t.Fatal("no block cached")
			}
			for _, i := range []int{0, 1, blockRecords - 1, blockRecords} {
				if rec, _, err := s.Get(ctx, recs[i].ID); err != nil || rec["Id"] != recs[i].ID {
					t.Fatalf("Get %s from a cached block: %v %v", recs[i].ID, rec, err)
				}
			}
			for _, id := range []string{"001EMU000000999YBA", "000000000000000AAA", "zzzzzzzzzzzzzzzzzz", "001EMU000000001"} {
				if _, _, err := s.Get(ctx, id); !errors.Is(err, ErrNotFound) {
					t.Errorf("Get %s: %v, want not found", id, err)
				}
			}
			// Referencing finds blocked and row records alike.
			err = s.Update(ctx, func(tx *Tx) error {
				ids, err := tx.Referencing(ctx, "Account", "OwnerId", owner)
				if err != nil {
					return err
				}
				if want := (len(recs) + 2) / 3; len(ids) != want || ids[0] != recs[0].ID || ids[1] != recs[3].ID {
					return fmt.Errorf("%d referencing ids (want %d), first %v", len(ids), want, ids[:min(2, len(ids))])
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			snap, err := s.Snapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}

			// An update of a record of the second block makes that block
			// rows, with the bytes the block held, and the record's new data.
			err = s.Update(ctx, func(tx *Tx) error {
				rec, _, err := tx.Get(ctx, recs[blockRecords+1].ID)
				if err != nil {
					return err
				}
				rec["Name"] = "Changed"
				return tx.Replace(ctx, "Account", rec, nil)
			})
			if err != nil {
				t.Fatal(err)
			}
			if n := countBlocks(t, s); n != 2 {
				t.Fatalf("%d blocks after an update, want 2", n)
			}
			stored := storedRows(t, s, `WHERE id >= ? AND id <= ?`, recs[blockRecords].ID, recs[2*blockRecords-1].ID)
			for n, row := range stored {
				r := recs[blockRecords+n]
				if row.id != r.ID || row.typ != "text" || (n != 1 && row.data != string(r.Data)) {
					t.Errorf("row %d: %s %s %s, want %s text %s", n, row.id, row.typ, row.data, r.ID, r.Data)
				}
			}
			n := len(stored)
			if n != blockRecords {
				t.Fatalf("%d rows from the block, want %d", n, blockRecords)
			}
			want[1+blockRecords+1] = "Changed"
			if got := scanNames(t, s, "Account", false); !slices.Equal(got, want) {
				t.Fatalf("scan after the update: %d names", len(got))
			}
			// A purge of a record of the first block.
			if err := s.Update(ctx, func(tx *Tx) error { return tx.Purge(ctx, recs[5].ID) }); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.Get(ctx, recs[5].ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get after purge: %v", err)
			}
			want = slices.Delete(want, 1+5, 1+6)
			if got := scanNames(t, s, "Account", false); !slices.Equal(got, want) {
				t.Fatalf("scan after the purge: %d names", len(got))
			}
			if n := countBlocks(t, s); n != 1 {
				t.Fatalf("%d blocks after a purge, want 1", n)
			}
			// Replacing a record that exists nowhere is still not found.
			err = s.Update(ctx, func(tx *Tx) error {
				return tx.Replace(ctx, "Account", Record{"Id": "001EMU000000999YBA", "IsDeleted": false}, nil)
			})
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("replace of a missing record: %v", err)
			}

			// The snapshot, taken with three blocks, restores them; a row
			// written after the restore still scans last.
			r := restoredStore(t, snap)
			err = r.Update(ctx, func(tx *Tx) error {
				return tx.Insert(ctx, "Account", Record{"Id": "001EMU900000003YBA", "Name": "After restore", "IsDeleted": false}, nil)
			})
			if err != nil {
				t.Fatal(err)
			}
			restored := scanNames(t, r, "Account", false)
			if len(restored) != len(recs)+3 || restored[len(restored)-1] != "After restore" || restored[len(restored)-2] != "Last" || countBlocks(t, r) != 3 {
				t.Fatalf("restored: %d names, last %q, %d blocks", len(restored), restored[len(restored)-1], countBlocks(t, r))
			}
		})
	}
}

// TestBlocksOnlyWithoutIndexedValues: records with indexed values (looked
// up by joining unique_values with rows) or ids not of 18 characters are
// stored as rows; a rolled back transaction leaves no block.
func TestBlocksOnlyWithoutIndexedValues(t *testing.T) {
	ctx := context.Background()
	s := blockStores(t)["file"]
	recs := encodedAccounts(t, 0, 10, "")
	recs[4].Index = []IndexValue{{Field: "Ext__c", Value: "k4"}}
	if err := s.Update(ctx, func(tx *Tx) error { return tx.InsertEncoded(ctx, "Account", recs) }); err != nil {
		t.Fatal(err)
	}
	if n := countBlocks(t, s); n != 0 {
		t.Fatalf("%d blocks, want rows", n)
	}
	if ids, err := s.Lookup(ctx, "Account", "Ext__c", "k4"); err != nil || !reflect.DeepEqual(ids, []string{recs[4].ID}) {
		t.Fatalf("lookup: %v %v", ids, err)
	}
	more := encodedAccounts(t, 100, 10, "")
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.InsertEncoded(ctx, "Account", more); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || countBlocks(t, s) != 0 {
		t.Fatalf("rolled back: %v, %d blocks", err, countBlocks(t, s))
	}
	if _, _, err := s.Get(ctx, more[0].ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a rolled back record: %v", err)
	}
	if err := s.Update(ctx, func(tx *Tx) error { return tx.InsertEncoded(ctx, "Account", more) }); err != nil {
		t.Fatal(err)
	}
	if got := scanNames(t, s, "Account", false); len(got) != 20 || got[10] != "Row 100 ü \"q\"" {
		t.Fatalf("scan: %v", got)
	}
}

// TestParseBlock refuses blocks whose header does not fit their bytes.
func TestParseBlock(t *testing.T) {
	good := appendBlock(nil, []EncodedRecord{{ID: "001EMU000000001YBA", Data: []byte(`{"a":1}`)}, {ID: "001EMU000000002YBA", Data: []byte(`{}`)}})
	b, err := parseBlock(good, 2)
	if err != nil || string(b.record(0)) != `{"a":1}` || string(b.record(1)) != `{}` || b.find("001EMU000000002YBA") != 1 || b.find("001EMU000000003YBA") != -1 {
		t.Fatalf("good block: %v", err)
	}
	// Records of no bytes fit (a block's body may be empty).
	empty := appendBlock(nil, []EncodedRecord{{ID: "001EMU000000001YBA"}, {ID: "001EMU000000002YBA"}})
	if b, err := parseBlock(empty, 2); err != nil || len(b.record(1)) != 0 {
		t.Fatalf("a block of empty records: %v", err)
	}
	shrunk := append([]byte(nil), good[:len(good)-1]...)
	backwards := append([]byte(nil), good...)
	backwards[blockEntry+blockIDLen] = 0 // the second record ends before the first
	for name, c := range map[string]struct {
		data []byte
		n    int
	}{
		"no records":       {good, 0},
		"short header":     {good[:blockEntry], 2},
		"body cut":         {shrunk, 2},
		"ends go backward": {backwards, 2},
	} {
		if _, err := parseBlock(c.data, c.n); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestBlocksFirstThenRestored: a store whose first records are blocks (no
// row ever stored) gives a later row a seq after them, and so does a store
// restored from its snapshot.
func TestBlocksFirstThenRestored(t *testing.T) {
	ctx := context.Background()
	s := blockStores(t)["memory"]
	recs := encodedAccounts(t, 0, 300, "")
	if err := s.Update(ctx, func(tx *Tx) error { return tx.InsertEncoded(ctx, "Account", recs) }); err != nil {
		t.Fatal(err)
	}
	snap, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := restoredStore(t, snap)
	for name, st := range map[string]*Store{"original": s, "restored": r} {
		err := st.Update(ctx, func(tx *Tx) error {
			return tx.Insert(ctx, "Account", Record{"Id": "001EMU900000001YBA", "Name": "Row", "IsDeleted": false}, nil)
		})
		if err != nil {
			t.Fatal(err)
		}
		got := scanNames(t, st, "Account", false)
		if len(got) != len(recs)+1 || got[0] != "Row 0 ü \"q\"" || got[len(got)-1] != "Row" {
			t.Errorf("%s: %d names, first %q, last %q", name, len(got), got[0], got[len(got)-1])
		}
	}
}

// TestInsertEncodedStoresText: records with indexed values stored by
// InsertEncoded (data bound as bytes; records without are blocks) are rows
// like Insert's: TEXT data, the same bytes, read back as the same record,
// in a full 64-row statement and a shorter one.
func TestInsertEncodedStoresText(t *testing.T) {
	ctx := context.Background()
	for _, file := range []bool{false, true} {
		path := ""
		if file {
			path = filepath.Join(t.TempDir(), "org.db")
		}
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		var e RecordEncoder
		var recs []EncodedRecord
		for i := range insertRows + 1 {
			id := fmt.Sprintf("001EMU%09dYBA", i)
			data, _, err := e.Encode(nil, Record{"Id": id, "Name": fmt.Sprintf("Row %d ü \"q\"", i), "IsDeleted": false})
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, EncodedRecord{ID: id, Data: data, Index: []IndexValue{{Field: "Ext__c", Value: id}}})
		}
		if err := s.Update(ctx, func(tx *Tx) error { return tx.InsertEncoded(ctx, "Account", recs) }); err != nil {
			t.Fatal(err)
		}
		if err := s.Update(ctx, func(tx *Tx) error {
			return tx.Insert(ctx, "Account", Record{"Id": "001EMU999999999YBA", "Name": "Row 0 ü \"q\"", "IsDeleted": false}, nil)
		}); err != nil {
			t.Fatal(err)
		}
		stored := storedRows(t, s, ``)
		for n, row := range stored {
			if row.typ != "text" {
				t.Errorf("file %v: %s stored as %s", file, row.id, row.typ)
			}
			if n < len(recs) && row.data != string(recs[n].Data) {
				t.Errorf("file %v: %s stored as %s, want %s", file, row.id, row.data, recs[n].Data)
			}
		}
		n := len(stored)
		if n != len(recs)+1 {
			t.Fatalf("file %v: %d rows", file, n)
		}
		s.cache = newRecCache(DefaultCacheRecords) // read from SQLite, not the cache
		rec, _, err := s.Get(ctx, recs[0].ID)
		if err != nil || rec["Name"] != "Row 0 ü \"q\"" || rec["Id"] != recs[0].ID {
			t.Errorf("file %v: Get %v, %v", file, rec, err)
		}
		s.Close()
	}
}

// TestFormat: a data file is marked with the format this sfmcp writes, and
// one marked by a newer sfmcp is refused rather than read in part.
func TestFormat(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "org.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var v int
	if err := s.db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil || v != storeFormat {
		t.Fatalf("user_version %d, %v; want %d", v, err, storeFormat)
	}
	if _, err := s.db.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, storeFormat+1)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(ctx, path); err == nil || !strings.Contains(err.Error(), "newer sfmcp") {
		if s != nil {
			s.Close()
		}
		t.Fatalf("opening a newer file: %v", err)
	}
}
