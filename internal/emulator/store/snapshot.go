package store

import (
	"context"
	"fmt"
)

// Snapshot is the whole content of the record tables, held in memory so
// another store can start from it without redoing the work that made it.
// The emulator takes one after building its sample org and starts every
// further in-memory org of the same shape from it.
type Snapshot struct {
	tables map[string][][]any
}

// snapshotTables are the tables a snapshot covers, with their columns.
var snapshotTables = []struct{ name, cols string }{
	{"records", "seq, id, object, deleted, data"},
	{"record_blocks", "first_seq, object, lo, hi, n, data"},
	{"unique_values", "object, field, value, id"},
	{"counters", "name, value"},
	{"meta", "key, value"},
}

// Snapshot reads every row of the record tables.
func (s *Store) Snapshot(ctx context.Context) (*Snapshot, error) {
	snap := &Snapshot{tables: map[string][][]any{}}
	// One transaction: the tables as of one moment (a block read after
	// the records would miss a block unblocked in between).
	rtx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: snapshot: %w", err)
	}
	defer rtx.Rollback()
	for _, t := range snapshotTables {
		rows, err := rtx.QueryContext(ctx, "SELECT "+t.cols+" FROM "+t.name)
		if err != nil {
			return nil, fmt.Errorf("store: snapshot %s: %w", t.name, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: snapshot %s: %w", t.name, err)
			}
			snap.tables[t.name] = append(snap.tables[t.name], vals)
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("store: snapshot %s: %w", t.name, err)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: snapshot %s: %w", t.name, err)
		}
	}
	return snap, nil
}

// Restore writes a snapshot into this (empty) store in one transaction.
func (s *Store) Restore(ctx context.Context, snap *Snapshot) error {
	s.cache.clear()
	defer s.cache.clear()
	return s.Update(ctx, func(tx *Tx) error {
		for _, t := range snapshotTables {
			rows := snap.tables[t.name]
			if len(rows) == 0 {
				continue
			}
			n := len(rows[0])
			ph := "(?" + repeat(",?", n-1) + ")"
			// Many rows per statement: one parse per few hundred rows.
			const per = 200
			for start := 0; start < len(rows); start += per {
				end := min(start+per, len(rows))
				args := make([]any, 0, (end-start)*n)
				for _, r := range rows[start:end] {
					args = append(args, r...)
				}
				q := "INSERT INTO " + t.name + "(" + t.cols + ") VALUES " + ph + repeat(","+ph, end-start-1)
				if _, err := tx.q.ExecContext(ctx, q, args...); err != nil {
					return fmt.Errorf("store: restore %s: %w", t.name, err)
				}
			}
		}
		return tx.coverBlocks(ctx)
	})
}

func repeat(s string, n int) string {
	out := make([]byte, 0, len(s)*n)
	for i := 0; i < n; i++ {
		out = append(out, s...)
	}
	return string(out)
}
