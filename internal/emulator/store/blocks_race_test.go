package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// raceBlocks stores nBlocks full blocks of Accounts (ids from seq 1 on).
func raceBlocks(t *testing.T, s *Store, nBlocks int) []string {
	t.Helper()
	ctx := context.Background()
	recs := encodedAccounts(t, 1, nBlocks*blockRecords, "005EMU000000009YBA")
	if err := s.Update(ctx, func(tx *Tx) error { return tx.InsertEncoded(ctx, "Account", recs) }); err != nil {
		t.Fatal(err)
	}
	if got := countBlocks(t, s); got != nBlocks {
		t.Fatalf("%d blocks, want %d", got, nBlocks)
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	return ids
}

// unblockAll updates the first record of every block, one transaction each:
// each update turns its block into rows.
func unblockAll(ctx context.Context, s *Store, ids []string) error {
	for b := 0; b < len(ids); b += blockRecords {
		err := s.Update(ctx, func(tx *Tx) error {
			rec, object, err := tx.Get(ctx, ids[b])
			if err != nil {
				return err
			}
			rec["Name"] = "changed"
			return tx.Replace(ctx, object, rec, nil)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// TestBlocksGetDuringUnblock: a record that exists all along must never
// read as not found. Get reads the row (none: the record is in a block),
// lets go of the connection, then reads the block; a transaction that
// unblocks the block in between (an update of another record of it) leaves
// the record in neither place Get looks.
func TestBlocksGetDuringUnblock(t *testing.T) {
	ctx := context.Background()
	for name, s := range blockStores(t) {
		t.Run(name, func(t *testing.T) {
			s.cache = newRecCache(50) // records mostly not cached, as in a large org
			ids := raceBlocks(t, s, 64)
			var (
				done     atomic.Bool
				notFound atomic.Int64
				first    atomic.Value
				wg       sync.WaitGroup
			)
			for r := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := r; !done.Load(); i = (i + 4*blockRecords + 1) % len(ids) { // a block a read: most not cached
						_, _, err := s.GetShared(ctx, ids[i])
						if errors.Is(err, ErrNotFound) {
							notFound.Add(1)
							first.CompareAndSwap(nil, ids[i])
						} else if err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			err := unblockAll(ctx, s, ids)
			done.Store(true)
			wg.Wait()
			if err != nil {
				t.Fatal(err)
			}
			if n := notFound.Load(); n > 0 {
				t.Errorf("Get said %d times that an existing record does not exist (first %v)", n, first.Load())
			}
		})
	}
}

// TestBlocksScanDuringUnblock: a scan through the object's cached id list
// must see every record. scanIDs reads the rows of a batch (the blocked
// records have none), lets go of the connection, then reads the blocks of
// the rest; a block unblocked in between is in neither, and its records
// are skipped as if purged.
func TestBlocksScanDuringUnblock(t *testing.T) {
	ctx := context.Background()
	for name, s := range blockStores(t) {
		t.Run(name, func(t *testing.T) {
			s.cache = newRecCache(50) // records mostly not cached, as in a large org
			ids := raceBlocks(t, s, 64)
			// The first scan keeps the object's id list.
			if n := len(scanNames(t, s, "Account", false)); n != len(ids) {
				t.Fatalf("scan saw %d records, want %d", n, len(ids))
			}
			if _, ok := s.cache.objectIDs("Account"); !ok {
				t.Fatal("no id list cached")
			}
			var (
				done  atomic.Bool
				short atomic.Int64
				msg   atomic.Value
				wg    sync.WaitGroup
			)
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for !done.Load() {
						n := 0
						if err := s.Scan(ctx, "Account", false, func(Record) error { n++; return nil }); err != nil {
							t.Error(err)
							return
						}
						if n != len(ids) {
							short.Add(1)
							msg.CompareAndSwap(nil, fmt.Sprintf("a scan saw %d of %d records", n, len(ids)))
						}
					}
				}()
			}
			err := unblockAll(ctx, s, ids)
			done.Store(true)
			wg.Wait()
			if err != nil {
				t.Fatal(err)
			}
			if n := short.Load(); n > 0 {
				t.Errorf("%d scans missed records (%v)", n, msg.Load())
			}
		})
	}
}

// TestBlocksPurgedRowsBesideBlocks: purging rows, and scanning an object
// whose cached id list keeps purged ids, while another object has a block
// whose id range lies below theirs: each miss looks for a block holding the
// id, and none does. (Before the lookup checked the range first, each miss
// read that whole block: 5.6 s to purge 990 rows beside one 0.5 MB block.)
func TestBlocksPurgedRowsBesideBlocks(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// One block of big Accounts: about 0.5 MB.
	var e RecordEncoder
	big := string(make([]byte, 2000))
	accts := make([]EncodedRecord, blockRecords)
	for i := range accts {
		id := fmt.Sprintf("001EMU%09dYBA", i+1)
		data, _, err := e.Encode(nil, Record{"Id": id, "Name": big, "IsDeleted": false})
		if err != nil {
			t.Fatal(err)
		}
		accts[i] = EncodedRecord{ID: id, Data: data}
	}
	// 1,000 Contacts as rows, 990 of them then purged.
	const nContacts = 1000
	contacts := make([]Record, nContacts)
	for i := range contacts {
		contacts[i] = Record{"Id": fmt.Sprintf("003EMU%09dYBA", i+1), "LastName": "C", "IsDeleted": false}
	}
	if err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.InsertEncoded(ctx, "Account", accts); err != nil {
			return err
		}
		return tx.InsertMany(ctx, "Contact", contacts, nil)
	}); err != nil {
		t.Fatal(err)
	}
	if n := len(scanNames(t, s, "Account", false)); n != blockRecords {
		t.Fatalf("%d accounts", n)
	}
	count := func() int {
		n := 0
		if err := s.Scan(ctx, "Contact", false, func(Record) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	count() // keeps Contact's id list
	if err := s.Update(ctx, func(tx *Tx) error {
		for i := 10; i < nContacts; i++ {
			if err := tx.Purge(ctx, contacts[i]["Id"].(string)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 10 {
		t.Fatalf("%d contacts", n)
	}
}

// TestBlocksSnapshotDuringUnblock: a snapshot (Emulator.Template) reads
// records, then record_blocks, each with a statement of its own; a block
// unblocked in between is in neither, and every store restored from the
// snapshot lacks its records.
func TestBlocksSnapshotDuringUnblock(t *testing.T) {
	ctx := context.Background()
	for name, s := range blockStores(t) {
		t.Run(name, func(t *testing.T) {
			ids := raceBlocks(t, s, 24)
			var (
				snaps []*Snapshot
				wg    sync.WaitGroup
				done  atomic.Bool
			)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !done.Load() {
					snap, err := s.Snapshot(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					snaps = append(snaps, snap)
				}
			}()
			err := unblockAll(ctx, s, ids)
			done.Store(true)
			wg.Wait()
			if err != nil {
				t.Fatal(err)
			}
			bad := 0
			for _, snap := range snaps {
				// The records a store restored from it would have.
				n := len(snap.tables["records"])
				for _, b := range snap.tables["record_blocks"] {
					n += int(b[4].(int64))
				}
				if n != len(ids) {
					bad++
					if bad == 1 {
						t.Errorf("a snapshot holds %d of %d records", n, len(ids))
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d snapshots lost records", bad, len(snaps))
			}
		})
	}
}

// TestBlocksSeqsInOneTx: rows written in the transaction that stored a
// block, before and after it, and after a savepoint that stored one and
// was rolled back, scan in the order written.
func TestBlocksSeqsInOneTx(t *testing.T) {
	ctx := context.Background()
	for name, s := range blockStores(t) {
		t.Run(name, func(t *testing.T) {
			recs := encodedAccounts(t, 1, 300, "005EMU000000009YBA")
			row := func(tx *Tx, id, name string) error {
				return tx.Insert(ctx, "Account", Record{"Id": id, "Name": name, "IsDeleted": false}, nil)
			}
			err := s.Update(ctx, func(tx *Tx) error {
				if err := row(tx, "001EMU900000001YBA", "A"); err != nil {
					return err
				}
				if err := tx.InsertEncoded(ctx, "Account", recs[:100]); err != nil {
					return err
				}
				if err := row(tx, "001EMU900000002YBA", "B"); err != nil {
					return err
				}
				_ = tx.Savepoint(ctx, func() error {
					if err := tx.InsertEncoded(ctx, "Account", recs[100:200]); err != nil {
						return err
					}
					return errors.New("undo")
				})
				if err := tx.InsertEncoded(ctx, "Account", recs[200:]); err != nil {
					return err
				}
				return row(tx, "001EMU900000003YBA", "C")
			})
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			want = append(want, "A")
			for i := 1; i <= 100; i++ {
				want = append(want, fmt.Sprintf("Row %d ü \"q\"", i))
			}
			want = append(want, "B")
			for i := 201; i <= 300; i++ {
				want = append(want, fmt.Sprintf("Row %d ü \"q\"", i))
			}
			want = append(want, "C")
			got := scanNames(t, s, "Account", false)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("scan: %d names %q…", len(got), got[:min(5, len(got))])
			}
			if _, _, err := s.Get(ctx, recs[150].ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("rolled-back record: %v", err)
			}
		})
	}
}
