package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// A Bulk insert's records are stored as blocks: up to blockRecords new
// records of one object, with consecutive seqs and ids, in one row of
// record_blocks instead of one row each in records. A row costs SQLite a
// table cell, an id index entry and an object index entry, and those were
// most of a Bulk insert's writer (about 3.4 of its 5.2 µs a row); a block
// costs one of each per blockRecords records.
//
// Every reader sees a block's records as if they were rows: Get and the
// journal find an id in the block whose id range holds it, Scan merges
// blocks with rows by seq, Count and Referencing look in both. A block is
// never changed in place: writing one of its records (an update, a delete,
// a purge) first turns the whole block into rows ("unblocks" it), in the
// same transaction, so every write path stays the row path it was.
//
// Only records without indexed values are stored as blocks: a lookup by an
// external id joins unique_values with the record rows.

// blockRecords is the most records a block holds: a block is read whole to
// get one of its records, and unblocked whole to change one.
const blockRecords = 256

// blockIDLen is the length of every id in a block: the 18-character form.
const blockIDLen = 18

// blockEntry is the size of one record's entry in a block's header: its id
// and the end of its JSON in the block's body (uint32, little-endian).
const blockEntry = blockIDLen + 4

const blocksSchemaSQL = `
CREATE TABLE IF NOT EXISTS record_blocks (
  first_seq INTEGER PRIMARY KEY, -- its records have seqs first_seq … first_seq+n-1
  object    TEXT NOT NULL,
  lo        TEXT NOT NULL,       -- its smallest id
  hi        TEXT NOT NULL,       -- its largest id
  n         INTEGER NOT NULL,
  data      BLOB NOT NULL        -- appendBlock
);
CREATE INDEX IF NOT EXISTS record_blocks_by_object ON record_blocks(object, first_seq);
CREATE INDEX IF NOT EXISTS record_blocks_by_id ON record_blocks(lo);
`

// blockable reports whether recs may be stored as blocks: none has indexed
// values and every id has 18 characters.
func blockable(recs []EncodedRecord) bool {
	for _, r := range recs {
		if len(r.Index) > 0 || len(r.ID) != blockIDLen {
			return false
		}
	}
	return true
}

// appendBlock appends recs encoded as a block: a header with an entry a
// record (its id and where its JSON ends in the body), then the records'
// JSON one after another.
func appendBlock(dst []byte, recs []EncodedRecord) []byte {
	end := uint32(0)
	for _, r := range recs {
		end += uint32(len(r.Data))
		dst = append(dst, r.ID...)
		dst = binary.LittleEndian.AppendUint32(dst, end)
	}
	for _, r := range recs {
		dst = append(dst, r.Data...)
	}
	return dst
}

// block is a decoded block's header and body.
type block struct {
	hdr, body []byte
	n         int
}

// parseBlock checks a stored block of n records and splits it.
func parseBlock(data []byte, n int) (block, error) {
	if n <= 0 || len(data) < n*blockEntry {
		return block{}, fmt.Errorf("store: a block of %d records has %d bytes", n, len(data))
	}
	b := block{hdr: data[:n*blockEntry], body: data[n*blockEntry:], n: n}
	prev := uint32(0)
	for i := range n {
		end := b.end(i)
		if end < prev || int(end) > len(b.body) {
			return block{}, fmt.Errorf("store: a block's record %d ends at %d of %d bytes", i, end, len(b.body))
		}
		prev = end
	}
	return b, nil
}

func (b block) end(i int) uint32 {
	return binary.LittleEndian.Uint32(b.hdr[i*blockEntry+blockIDLen:])
}

// id is the id of record i.
func (b block) id(i int) []byte { return b.hdr[i*blockEntry : i*blockEntry+blockIDLen] }

// record is the JSON of record i.
func (b block) record(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = b.end(i - 1)
	}
	return b.body[start:b.end(i)]
}

// find returns the index of id in the block, or -1.
func (b block) find(id string) int {
	if len(id) != blockIDLen {
		return -1
	}
	for i := range b.n {
		if string(b.id(i)) == id {
			return i
		}
	}
	return -1
}

// heldBlock is the block whose id range holds an id.
type heldBlock struct {
	first  int64
	object string
	lo, hi string
	b      block
}

// blockHolding reads the block whose id range holds id. Blocks' id ranges
// never overlap (a block's ids are taken from its object's counter in one
// step), so it is the block with the largest lo not above id. It returns
// ErrNotFound when no block holds id, even if one's range does.
func blockHolding(ctx context.Context, q queryer, id string) (heldBlock, int, error) {
	var (
		h    heldBlock
		n    int
		data []byte
	)
	// The block is read only when its range holds id: a miss (a row's
	// id, a purged one) must not read the whole block below it.
	err := q.QueryRowContext(ctx, `SELECT first_seq, object, lo, hi, n, data FROM record_blocks
		WHERE first_seq = (SELECT first_seq FROM record_blocks WHERE lo <= ?1 ORDER BY lo DESC LIMIT 1) AND hi >= ?1`, id).
		Scan(&h.first, &h.object, &h.lo, &h.hi, &n, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return heldBlock{}, -1, ErrNotFound
	}
	if err != nil {
		return heldBlock{}, -1, fmt.Errorf("store: find the block of %s: %w", id, err)
	}
	if id > h.hi {
		return heldBlock{}, -1, ErrNotFound
	}
	if h.b, err = parseBlock(data, n); err != nil {
		return heldBlock{}, -1, err
	}
	i := h.b.find(id)
	if i < 0 {
		return heldBlock{}, -1, ErrNotFound
	}
	return h, i, nil
}

// blockHolding is blockHolding through the cache's recent blocks: the
// records of a block are mostly read together.
func (s *Store) blockHolding(ctx context.Context, id string) (heldBlock, int, error) {
	if h, ok := s.cache.blockFor(id); ok {
		i := h.b.find(id)
		if i < 0 {
			return heldBlock{}, -1, ErrNotFound
		}
		return h, i, nil
	}
	gen := s.cache.generation()
	h, i, err := blockHolding(ctx, s.q, id)
	if err == nil {
		s.cache.putBlock(gen, h)
	}
	return h, i, err
}

// insertBlocks stores recs (blockable) as blocks of object, in order, as
// InsertEncoded would store them as rows.
func (tx *Tx) insertBlocks(ctx context.Context, object string, recs []EncodedRecord) error {
	last, err := tx.reserveSeqs(ctx, int64(len(recs)))
	if err != nil {
		return err
	}
	seq := last - int64(len(recs)) + 1
	var (
		buf []byte
		ids = make([]string, 0, blockRecords)
	)
	for start := 0; start < len(recs); start += blockRecords {
		part := recs[start:min(start+blockRecords, len(recs))]
		ids = ids[:0]
		lo, hi := part[0].ID, part[0].ID
		for _, r := range part {
			if err := tx.remember(ctx, r.ID, true, object); err != nil {
				return err
			}
			ids = append(ids, r.ID)
			lo, hi = min(lo, r.ID), max(hi, r.ID)
		}
		tx.touchAll(ids)
		buf = appendBlock(buf[:0], part)
		if _, err := tx.q.ExecContext(ctx, `INSERT INTO record_blocks(first_seq, object, lo, hi, n, data) VALUES (?, ?, ?, ?, ?, ?)`,
			seq, object, lo, hi, len(part), buf); err != nil {
			return fmt.Errorf("store: insert a block of %d records of %s: %w", len(part), object, err)
		}
		seq += int64(len(part))
	}
	return nil
}

// reserveSeqs takes the next n seqs of records for a block's records and
// returns the last. AUTOINCREMENT gives a new row a seq above both the
// table's largest and sqlite_sequence's, so no row ever takes one of them.
func (tx *Tx) reserveSeqs(ctx context.Context, n int64) (int64, error) {
	var last int64
	err := tx.q.QueryRowContext(ctx, `UPDATE sqlite_sequence SET seq = seq + ? WHERE name = 'records' RETURNING seq`, n).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		// No row was ever stored: the sequence starts with this block.
		if err = tx.q.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + ? FROM records`, n).Scan(&last); err == nil {
			_, err = tx.q.ExecContext(ctx, `INSERT INTO sqlite_sequence(name, seq) VALUES ('records', ?)`, last)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("store: reserve %d record seqs: %w", n, err)
	}
	return last, nil
}

// coverBlocks makes the records' sequence pass every block's seqs: after a
// restore, which writes rows with their seqs (AUTOINCREMENT then only knows
// the rows) and blocks with theirs.
func (tx *Tx) coverBlocks(ctx context.Context) error {
	var top int64
	if err := tx.q.QueryRowContext(ctx, `SELECT COALESCE(MAX(first_seq + n - 1), 0) FROM record_blocks`).Scan(&top); err != nil {
		return fmt.Errorf("store: the blocks' last seq: %w", err)
	}
	if top == 0 {
		return nil
	}
	res, err := tx.q.ExecContext(ctx, `UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'records'`, top)
	if err == nil {
		if n, _ := res.RowsAffected(); n == 0 {
			_, err = tx.q.ExecContext(ctx, `INSERT INTO sqlite_sequence(name, seq) VALUES ('records', ?)`, top)
		}
	}
	if err != nil {
		return fmt.Errorf("store: move the record sequence past the blocks: %w", err)
	}
	return nil
}

// unblock turns the block holding id, if any, into rows with the same seqs,
// ids and data, so that the record can be written as a row. It reports
// whether there was such a block.
func (tx *Tx) unblock(ctx context.Context, id string) (bool, error) {
	h, _, err := blockHolding(ctx, tx.q, id)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	objectArg := any(h.object)
	args := make([]any, 0, 4*insertRows)
	for start := 0; start < h.b.n; start += insertRows {
		end := min(start+insertRows, h.b.n)
		args = args[:0]
		for i := start; i < end; i++ {
			args = append(args, h.first+int64(i), string(h.b.id(i)), objectArg, h.b.record(i))
		}
		q := `INSERT INTO records(seq, id, object, deleted, data) VALUES (?, ?, ?, 0, CAST(? AS TEXT))` +
			strings.Repeat(`, (?, ?, ?, 0, CAST(? AS TEXT))`, end-start-1)
		if _, err := tx.q.ExecContext(ctx, q, args...); err != nil {
			return false, fmt.Errorf("store: unblock the records of %s from %s: %w", h.object, h.lo, err)
		}
	}
	if _, err := tx.q.ExecContext(ctx, `DELETE FROM record_blocks WHERE first_seq = ?`, h.first); err != nil {
		return false, fmt.Errorf("store: unblock the records of %s from %s: %w", h.object, h.lo, err)
	}
	tx.cache.dropBlock(h.first)
	tx.unblocked = append(tx.unblocked, h.first)
	tx.heldOK = false
	return true, nil
}

// nextBlock finds object's first block after seq: its first seq and size.
func (s *Store) nextBlock(ctx context.Context, object string, after int64) (first, n int64, ok bool, err error) {
	err = s.q.QueryRowContext(ctx, `SELECT first_seq, n FROM record_blocks WHERE object = ? AND first_seq > ? ORDER BY first_seq LIMIT 1`, object, after).Scan(&first, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, fmt.Errorf("store: scan %s: %w", object, err)
	}
	return first, n, true, nil
}

// scanBlock calls fn for the records of object's block at first, as
// scanIDs does for rows, and returns their ids; found is false when the
// block is gone (unblocked since nextBlock: its records are rows now).
func (s *Store) scanBlock(ctx context.Context, object string, gen uint64, first int64, all bool, fn func(Record) error) (ids []string, found bool, err error) {
	var (
		n    int
		data []byte
	)
	err = s.q.QueryRowContext(ctx, `SELECT n, data FROM record_blocks WHERE first_seq = ?`, first).Scan(&n, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: scan %s: %w", object, err)
	}
	b, err := parseBlock(data, n)
	if err != nil {
		return nil, false, err
	}
	ids = make([]string, n)
	for i := range n {
		ids[i] = string(b.id(i))
	}
	recs := make([]Record, n)
	if found := s.cache.getMany(ids, recs); found < n {
		for i, rec := range recs {
			if rec != nil {
				continue
			}
			if recs[i], err = decodeBytes(b.record(i)); err != nil {
				return nil, false, err
			}
			s.cache.put(gen, ids[i], object, recs[i])
		}
	}
	for _, rec := range recs {
		if !all {
			if del, _ := rec["IsDeleted"].(bool); del {
				continue
			}
		}
		if err := fn(rec); err != nil {
			return nil, false, err
		}
	}
	return ids, true, nil
}

// fillFromBlocks reads the records with these ids (in id order, as a
// scan's batch is) from their blocks, caching them as read at generation
// gen; ids in no block are skipped.
func (s *Store) fillFromBlocks(ctx context.Context, object string, gen uint64, ids []string, got func(id string, rec Record)) error {
	var (
		cur  heldBlock
		have bool
	)
	for _, id := range ids {
		var i int // where id is in cur
		if have && id >= cur.lo && id <= cur.hi {
			i = cur.b.find(id)
		} else {
			var err error
			cur, i, err = s.blockHolding(ctx, id)
			if errors.Is(err, ErrNotFound) {
				have = false
				continue
			}
			if err != nil {
				return err
			}
			have = true
		}
		if i < 0 {
			continue
		}
		rec, err := decodeBytes(cur.b.record(i))
		if err != nil {
			return err
		}
		s.cache.put(gen, id, object, rec)
		got(id, rec)
	}
	return nil
}

// referencingInBlocks returns the ids of object's blocked records whose
// field holds id. Blocks whose bytes do not hold id at all are skipped
// without decoding a record.
func (tx *Tx) referencingInBlocks(ctx context.Context, object, field, id string) ([]string, error) {
	rows, err := tx.q.QueryContext(ctx, `SELECT n, data FROM record_blocks WHERE object = ? AND instr(data, CAST(? AS BLOB)) > 0 ORDER BY first_seq`, object, id)
	if err != nil {
		return nil, fmt.Errorf("store: blocked records of %s referencing %s: %w", object, id, err)
	}
	defer rows.Close()
	var out []string
	needle := []byte(id)
	for rows.Next() {
		var (
			n    int
			data sql.RawBytes
		)
		if err := rows.Scan(&n, &data); err != nil {
			return nil, fmt.Errorf("store: blocked records of %s referencing %s: %w", object, id, err)
		}
		b, err := parseBlock(data, n)
		if err != nil {
			return nil, err
		}
		for i := range n {
			raw := b.record(i)
			if !bytes.Contains(raw, needle) {
				continue
			}
			rec, err := decodeBytes(raw)
			if err != nil {
				return nil, err
			}
			if v, _ := rec[field].(string); v == id {
				if del, _ := rec["IsDeleted"].(bool); !del {
					out = append(out, string(b.id(i)))
				}
			}
		}
	}
	return out, rows.Err()
}
