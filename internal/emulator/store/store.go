// Package store keeps the emulator's records, tokens and counters in SQLite
// (modernc.org/sqlite: pure Go, no cgo). Records are stored as JSON documents
// keyed by id, in insertion order, with a side table for the values of unique
// and external-id fields so upserts and duplicate checks are index lookups.
// A Bulk insert's records are stored 256 to a row (blocks.go); readers
// cannot tell them from the others.
// It knows nothing of Salesforce's rules; the emulator's org layer does.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strings"
	"sync/atomic"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Record is one stored record: canonical field name → value (nil, string,
// float64, bool). It always has "Id" and "IsDeleted".
type Record = map[string]any

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrDuplicate is returned when a unique value is already taken.
var ErrDuplicate = errors.New("store: duplicate value")

const schemaSQL = `
CREATE TABLE IF NOT EXISTS records (
  seq     INTEGER PRIMARY KEY AUTOINCREMENT,
  id      TEXT NOT NULL UNIQUE,
  object  TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  data    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_object ON records(object, seq);
CREATE TABLE IF NOT EXISTS unique_values (
  object TEXT NOT NULL,
  field  TEXT NOT NULL,
  value  TEXT NOT NULL,
  id     TEXT NOT NULL,
  PRIMARY KEY (object, field, value, id)
);
CREATE INDEX IF NOT EXISTS unique_values_by_id ON unique_values(id);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kv (
  bucket  TEXT NOT NULL,
  key     TEXT NOT NULL,
  value   TEXT NOT NULL,
  expires INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket, key)
);
`

// Store is an open database.
type Store struct {
	db    *sql.DB
	stmts *stmtCache
	q     dbQueryer
	cache *recCache
	ckpt  *checkpointer // file-backed stores only
	// blobs reads job data (NextBlob) in file-backed stores, on
	// connections of its own: a Bulk job's reader goroutine reads the
	// upload while the writer holds the main connection in a transaction,
	// and waited for it a quarter of the job. (In-memory stores have one
	// connection only: a second would lock tables in the shared cache.)
	blobs *sql.DB
}

var memSeq atomic.Int64

// Open opens the database at path, creating it when missing; "" opens a
// private in-memory database.
func Open(ctx context.Context, path string) (*Store, error) {
	dsn := path
	if path == "" {
		// A named shared-cache memory database, private to this Store, so
		// every pooled connection sees the same data.
		dsn = fmt.Sprintf("file:sfmcp-emulator-%d?mode=memory&cache=shared", memSeq.Add(1))
	} else {
		dsn = "file:" + path
		// SQLite gives the -wal and -shm files the mode of the database
		// file, so the file exists as 0600 before SQLite first opens it.
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		f.Close()
	}
	// temp_store(MEMORY): a multi-row INSERT inside a transaction keeps a
	// statement journal (to undo just that statement); in a temporary file
	// that was a pwrite per page, about a sixth of a Bulk insert's writer.
	dsn += sep(dsn) + "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)"
	if path == "" {
		// Every page of an in-memory database is an allocation of its
		// own that is never given back while the store is open; 64 KiB
		// pages make a sixteenth of them. A Bulk insert spent a third of
		// its store time allocating 4 KiB pages.
		dsn += "&_pragma=page_size(65536)"
	}
	if path != "" {
		dsn += fmt.Sprintf("&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=wal_autocheckpoint(%d)", walAutoCheckpoint)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// SQLite serializes writers anyway; one connection keeps transactions
	// simple and avoids SQLITE_BUSY between our own goroutines.
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, schemaSQL+blocksSchemaSQL); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: create schema in %s: %w", path, err)
	}
	if err := checkFormat(ctx, db, path); err != nil {
		db.Close()
		return nil, err
	}
	if path != "" {
		// The org's data and its (hashed) sessions are the user's alone.
		// Files left by an older sfmcp may still be 0644.
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
				db.Close()
				return nil, fmt.Errorf("store: %w", err)
			}
		}
	}
	var (
		ckpt  *checkpointer
		blobs *sql.DB
	)
	if path != "" {
		if ckpt, err = newCheckpointer(ctx, path); err != nil {
			db.Close()
			return nil, err
		}
		// WAL readers see every committed transaction and never wait
		// for the writer.
		blobs, err = sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)&_pragma=temp_store(MEMORY)")
		if err != nil {
			ckpt.close()
			db.Close()
			return nil, fmt.Errorf("store: open %s for reading: %w", path, err)
		}
		blobs.SetMaxOpenConns(4)
	}
	stmts := newStmtCache(db)
	return &Store{db: db, stmts: stmts, q: dbQueryer{c: stmts}, cache: newRecCache(DefaultCacheRecords), ckpt: ckpt, blobs: blobs}, nil
}

// storeFormat is the layout of the records this sfmcp writes, kept in the
// data file's user_version: 1 was a row a record, 2 adds blocks. A file an
// older sfmcp opens gains the blocks table and is marked 2; a file of a
// newer format is refused, since this sfmcp would not see all its records.
const storeFormat = 2

func checkFormat(ctx context.Context, db *sql.DB, path string) error {
	var v int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return fmt.Errorf("store: read the format of %s: %w", path, err)
	}
	if v > storeFormat {
		return fmt.Errorf("store: %s was written by a newer sfmcp (data format %d; this one reads up to %d): use that sfmcp, or another --data file", path, v, storeFormat)
	}
	if v < storeFormat {
		if _, err := db.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, storeFormat)); err != nil {
			return fmt.Errorf("store: mark the format of %s: %w", path, err)
		}
	}
	return nil
}

func sep(dsn string) string {
	if strings.Contains(dsn, "?") {
		return "&"
	}
	return "?"
}

// Close closes the database.
func (s *Store) Close() error {
	s.stmts.close()
	// The checkpointer's connection first: the last connection to close
	// checkpoints the whole log and removes it.
	cerr := s.ckpt.close()
	if s.blobs != nil {
		if err := s.blobs.Close(); err != nil && cerr == nil {
			cerr = err
		}
	}
	if err := s.db.Close(); err != nil {
		return err
	}
	return cerr
}

// queryer is what both *sql.DB and *sql.Tx offer.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Tx is a write transaction. Every change to records goes through one so a
// failure never leaves a record without its unique values or the reverse.
type Tx struct {
	q         queryer
	cache     *recCache
	touched   []string        // ids written: forgotten by the cache again when the transaction ends
	unblocked []int64         // blocks made rows: forgotten by the cache again when it ends
	inserted  map[string]bool // objects inserted into: their id lists are dropped again at the end
	// held is the block Get read last (if heldOK): the children of one
	// block's records checked row after row read it once. unblock and a
	// savepoint's rollback forget it.
	held   heldBlock
	heldOK bool
}

// touch forgets id in the cache now and remembers to forget it again once
// the transaction has committed or rolled back.
func (tx *Tx) touch(id string) {
	tx.cache.invalidate(id)
	tx.touched = append(tx.touched, id)
}

// Update runs fn in a transaction, committing when fn returns nil.
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	q := &txQueryer{tx: sqlTx, c: s.stmts}
	// Statements first seen inside this transaction are prepared once it
	// has let go of the connection.
	defer q.prepareMissed(context.WithoutCancel(ctx))
	tx := &Tx{q: q, cache: s.cache}
	defer func() {
		s.cache.invalidate(tx.touched...)
		for _, first := range tx.unblocked {
			s.cache.dropBlock(first)
		}
		for object := range tx.inserted {
			s.cache.invalidateObject(object)
		}
	}()
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	s.ckpt.kick()
	return nil
}

// Insert adds a new record of object. uniques maps field name → normalized
// value for the fields whose values must be unique.
func (tx *Tx) Insert(ctx context.Context, object string, rec Record, index []IndexValue) error {
	id, _ := rec["Id"].(string)
	data, _, err := appendRecord(nil, nil, rec)
	if err != nil {
		return fmt.Errorf("store: encode %s: %w", id, err)
	}
	if err := tx.remember(ctx, id, true, object); err != nil {
		return err
	}
	tx.touch(id)
	if !tx.inserted[object] {
		if tx.inserted == nil {
			tx.inserted = map[string]bool{}
		}
		tx.inserted[object] = true
		tx.cache.invalidateObject(object)
	}
	if err := tx.putIndex(ctx, object, id, index); err != nil {
		return err
	}
	deleted, _ := rec["IsDeleted"].(bool)
	if _, err := tx.q.ExecContext(ctx, `INSERT INTO records(id, object, deleted, data) VALUES (?, ?, ?, ?)`,
		id, object, deleted, string(data)); err != nil {
		return fmt.Errorf("store: insert %s: %w", id, err)
	}
	return nil
}

// insertRows is how many records one INSERT statement of InsertMany
// writes: SQLite runs one multi-row statement far faster than as many
// single-row ones.
const insertRows = 64

// InsertMany adds new records of object, in order, as Insert would one by
// one. index[i] holds the indexed values of recs[i]; they must not be
// unique ones (a taken value would fail the whole call), so callers insert
// records with unique values through Insert.
func (tx *Tx) InsertMany(ctx context.Context, object string, recs []Record, index [][]IndexValue) error {
	if len(recs) == 0 {
		return nil
	}
	if !tx.inserted[object] {
		if tx.inserted == nil {
			tx.inserted = map[string]bool{}
		}
		tx.inserted[object] = true
		tx.cache.invalidateObject(object)
	}
	var (
		buf  []byte
		keys []string
		args = make([]any, 0, 4*insertRows)
		ids  = make([]string, 0, insertRows)
	)
	for start := 0; start < len(recs); start += insertRows {
		part := recs[start:min(start+insertRows, len(recs))]
		args, ids = args[:0], ids[:0]
		for i, rec := range part {
			id, _ := rec["Id"].(string)
			var err error
			buf, keys, err = appendRecord(buf[:0], keys, rec)
			if err != nil {
				return fmt.Errorf("store: encode %s: %w", id, err)
			}
			if err := tx.remember(ctx, id, true, object); err != nil {
				return err
			}
			if len(index) > start+i {
				for _, iv := range index[start+i] {
					if iv.Unique {
						return fmt.Errorf("store: insert %s: unique value %s in a bulk insert", id, iv.Field)
					}
				}
				if err := tx.putIndex(ctx, object, id, index[start+i]); err != nil {
					return err
				}
			}
			deleted, _ := rec["IsDeleted"].(bool)
			args = append(args, id, object, deleted, string(buf))
			ids = append(ids, id)
		}
		q := insertManySQL
		if len(part) < insertRows {
			q = insertSQL(len(part))
		}
		if err := tx.execInsert(ctx, object, q, ids, args); err != nil {
			return err
		}
	}
	return nil
}

var insertManySQL = insertSQL(insertRows)

// touchAll is touch for many ids, under one lock of the cache.
func (tx *Tx) touchAll(ids []string) {
	tx.cache.invalidate(ids...)
	tx.touched = append(tx.touched, ids...)
}

// execInsert runs one multi-row INSERT of records ids of object, after
// dropping them from the cache and marking them touched by the transaction.
func (tx *Tx) execInsert(ctx context.Context, object, q string, ids []string, args []any) error {
	tx.touchAll(ids)
	if _, err := tx.q.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("store: insert %d records of %s: %w", len(ids), object, err)
	}
	return nil
}

// EncodedRecord is a new live record already encoded (RecordEncoder), for
// InsertEncoded: Data is exactly what Insert would store for it.
type EncodedRecord struct {
	ID    string
	Data  []byte
	Index []IndexValue // no unique values: see InsertMany
}

// InsertEncoded adds new live records of object, in order, as InsertMany
// would, from their encoded form. Records without indexed values are
// stored as blocks (see blocks.go); readers cannot tell.
func (tx *Tx) InsertEncoded(ctx context.Context, object string, recs []EncodedRecord) error {
	if len(recs) == 0 {
		return nil
	}
	if !tx.inserted[object] {
		if tx.inserted == nil {
			tx.inserted = map[string]bool{}
		}
		tx.inserted[object] = true
		tx.cache.invalidateObject(object)
	}
	if blockable(recs) {
		return tx.insertBlocks(ctx, object, recs)
	}
	args := make([]any, 0, 4*insertRows)
	ids := make([]string, 0, insertRows)
	objectArg := any(object) // converted once, not once a row
	for start := 0; start < len(recs); start += insertRows {
		part := recs[start:min(start+insertRows, len(recs))]
		args, ids = args[:0], ids[:0]
		for _, r := range part {
			if err := tx.remember(ctx, r.ID, true, object); err != nil {
				return err
			}
			for _, iv := range r.Index {
				if iv.Unique {
					return fmt.Errorf("store: insert %s: unique value %s in a bulk insert", r.ID, iv.Field)
				}
			}
			if err := tx.putIndex(ctx, object, r.ID, r.Index); err != nil {
				return err
			}
			// The bytes as they are: a string conversion was a copy
			// of every record on the writer's goroutine (the driver
			// copies them again when it binds them); the statement
			// stores them as TEXT, exactly as Insert does.
			args = append(args, r.ID, objectArg, false, r.Data)
			ids = append(ids, r.ID)
		}
		q := insertEncodedManySQL
		if len(part) < insertRows {
			q = insertEncodedSQL(len(part))
		}
		if err := tx.execInsert(ctx, object, q, ids, args); err != nil {
			return err
		}
	}
	return nil
}

var insertEncodedManySQL = insertEncodedSQL(insertRows)

// insertEncodedSQL is insertSQL for data bound as bytes (a BLOB), cast to
// TEXT: a cast of a blob to text only changes the value's type in SQLite.
func insertEncodedSQL(n int) string {
	return `INSERT INTO records(id, object, deleted, data) VALUES (?, ?, ?, CAST(? AS TEXT))` + strings.Repeat(`, (?, ?, ?, CAST(? AS TEXT))`, n-1)
}

func insertSQL(n int) string {
	return `INSERT INTO records(id, object, deleted, data) VALUES (?, ?, ?, ?)` + strings.Repeat(`, (?, ?, ?, ?)`, n-1)
}

// Replace overwrites an existing record and its unique values.
func (tx *Tx) Replace(ctx context.Context, object string, rec Record, index []IndexValue) error {
	id, _ := rec["Id"].(string)
	data, _, err := appendRecord(nil, nil, rec)
	if err != nil {
		return fmt.Errorf("store: encode %s: %w", id, err)
	}
	if err := tx.remember(ctx, id, false, object); err != nil {
		return err
	}
	tx.touch(id)
	if _, err := tx.q.ExecContext(ctx, `DELETE FROM unique_values WHERE id = ?`, id); err != nil {
		return fmt.Errorf("store: clear unique values of %s: %w", id, err)
	}
	deleted, _ := rec["IsDeleted"].(bool)
	if !deleted {
		if err := tx.putIndex(ctx, object, id, index); err != nil {
			return err
		}
	}
	update := func() (bool, error) {
		res, err := tx.q.ExecContext(ctx, `UPDATE records SET data = ?, deleted = ? WHERE id = ?`, string(data), deleted, id)
		if err != nil {
			return false, fmt.Errorf("store: update %s: %w", id, err)
		}
		n, _ := res.RowsAffected()
		return n > 0, nil
	}
	done, err := update()
	if err != nil || done {
		return err
	}
	// A record of a block is written as a row.
	if blocked, err := tx.unblock(ctx, id); err != nil || !blocked {
		if err == nil {
			err = ErrNotFound
		}
		return err
	}
	if done, err = update(); err == nil && !done {
		err = ErrNotFound
	}
	return err
}

// Purge removes a record for good (hard delete, or emptying the recycle bin).
func (tx *Tx) Purge(ctx context.Context, id string) error {
	if err := tx.remember(ctx, id, false, ""); err != nil {
		return err
	}
	tx.touch(id)
	if _, err := tx.q.ExecContext(ctx, `DELETE FROM unique_values WHERE id = ?`, id); err != nil {
		return fmt.Errorf("store: purge %s: %w", id, err)
	}
	if _, err := tx.unblock(ctx, id); err != nil {
		return err
	}
	if _, err := tx.q.ExecContext(ctx, `DELETE FROM records WHERE id = ?`, id); err != nil {
		return fmt.Errorf("store: purge %s: %w", id, err)
	}
	return nil
}

// IndexValue is a value of an indexed field (external id or unique) of a
// record. Value is already normalized (lower-cased when the field is not
// case-sensitive). Unique values may belong to one live record only.
type IndexValue struct {
	Field  string
	Value  string
	Unique bool
}

func (tx *Tx) putIndex(ctx context.Context, object, id string, index []IndexValue) error {
	for _, iv := range index {
		if iv.Unique {
			var owner string
			err := tx.q.QueryRowContext(ctx, `SELECT id FROM unique_values WHERE object = ? AND field = ? AND value = ? AND id != ? LIMIT 1`,
				object, iv.Field, iv.Value, id).Scan(&owner)
			switch {
			case err == nil:
				return &DuplicateError{Field: iv.Field, ID: owner}
			case !errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("store: check %s.%s: %w", object, iv.Field, err)
			}
		}
		if _, err := tx.q.ExecContext(ctx, `INSERT OR IGNORE INTO unique_values(object, field, value, id) VALUES (?, ?, ?, ?)`,
			object, iv.Field, iv.Value, id); err != nil {
			return fmt.Errorf("store: index %s.%s: %w", object, iv.Field, err)
		}
	}
	return nil
}

// DuplicateError says which field's value is taken and by which record.
type DuplicateError struct {
	Field string
	ID    string
}

// Error names the duplicated field and the record that holds the value.
func (e *DuplicateError) Error() string {
	return fmt.Sprintf("store: duplicate value on %s (record %s)", e.Field, e.ID)
}

// Is makes errors.Is(err, ErrDuplicate) true.
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }

// Get reads one record by its 18-character id.
func (tx *Tx) Get(ctx context.Context, id string) (Record, string, error) {
	rec, object, err := getRow(ctx, tx.q, id)
	if !errors.Is(err, ErrNotFound) {
		return rec, object, err
	}
	if !tx.heldOK || id < tx.held.lo || id > tx.held.hi {
		h, _, err := blockHolding(ctx, tx.q, id)
		if err != nil {
			return nil, "", err
		}
		tx.held, tx.heldOK = h, true
	}
	i := tx.held.b.find(id)
	if i < 0 {
		return nil, "", ErrNotFound
	}
	rec, err = decodeBytes(tx.held.b.record(i))
	return rec, tx.held.object, err
}

// Get reads one record by its 18-character id, returning it and its object.
// The record is the caller's to change.
func (s *Store) Get(ctx context.Context, id string) (Record, string, error) {
	rec, object, err := s.GetShared(ctx, id)
	if err != nil {
		return nil, "", err
	}
	return cloneRecord(rec), object, nil
}

// GetShared is Get for readers that never modify the record: it may be the
// cache's own copy.
func (s *Store) GetShared(ctx context.Context, id string) (Record, string, error) {
	if e, ok := s.cache.get(id); ok {
		return e.rec, e.object, nil
	}
	gen := s.cache.generation()
	rec, object, err := getRow(ctx, s.db, id)
	if errors.Is(err, ErrNotFound) {
		var h heldBlock
		var i int
		if h, i, err = s.blockHolding(ctx, id); err == nil {
			object = h.object
			rec, err = decodeBytes(h.b.record(i))
		} else if errors.Is(err, ErrNotFound) {
			// Its block may have become rows since the row was looked
			// for; blocks never come back, so the row is there now.
			rec, object, err = getRow(ctx, s.db, id)
		}
	}
	if err != nil {
		return nil, "", err
	}
	s.cache.put(gen, id, object, rec)
	return rec, object, nil
}

// getRow reads record id from its row.
func getRow(ctx context.Context, q queryer, id string) (Record, string, error) {
	var object, data string
	err := q.QueryRowContext(ctx, `SELECT object, data FROM records WHERE id = ?`, id).Scan(&object, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", ErrNotFound
	}
	if err != nil {
		return nil, "", fmt.Errorf("store: get %s: %w", id, err)
	}
	rec, err := decode(data)
	return rec, object, err
}

func decode(data string) (Record, error) { return decodeBytes([]byte(data)) }

func decodeBytes(data []byte) (Record, error) {
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("store: decode record: %w", err)
	}
	return rec, nil
}

// Lookup returns the ids of the live records of object whose indexed field
// has the normalized value, oldest first.
func (tx *Tx) Lookup(ctx context.Context, object, field, value string) ([]string, error) {
	return lookup(ctx, tx.q, object, field, value)
}

// Lookup returns the ids of the live records of object whose indexed field
// has the normalized value, oldest first.
func (s *Store) Lookup(ctx context.Context, object, field, value string) ([]string, error) {
	return lookup(ctx, s.db, object, field, value)
}

func lookup(ctx context.Context, q queryer, object, field, value string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT u.id FROM unique_values u JOIN records r ON r.id = u.id
		WHERE u.object = ? AND u.field = ? AND u.value = ? ORDER BY r.seq LIMIT 100`, object, field, value)
	if err != nil {
		return nil, fmt.Errorf("store: look up %s.%s: %w", object, field, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: look up %s.%s: %w", object, field, err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// scanBatch is how many records Scan reads per round trip. The connection is
// released between batches so fn may call back into the store.
const scanBatch = 500

// Scan calls fn for each record of object in insertion order, skipping
// deleted records unless all is set. fn must not modify the record (it may
// be the cache's copy).
//
// The object's ids come from the cache's id list when it has one, else
// from SQLite in batches (and a complete read becomes the list). Records
// come from the record cache; the ones it lacks are read and decoded with
// one statement per batch.
func (s *Store) Scan(ctx context.Context, object string, all bool, fn func(Record) error) error {
	if ids, ok := s.cache.objectIDs(object); ok {
		for start := 0; start < len(ids); start += scanBatch {
			if err := s.scanIDs(ctx, object, ids[start:min(start+scanBatch, len(ids))], all, fn); err != nil {
				return err
			}
		}
		return nil
	}
	gen := s.cache.generation()
	var (
		after    int64
		list     []string
		complete = true // list holds every id so far
		batch    = make([]string, 0, scanBatch)
		// The object's next block after after, when known: rows are
		// read up to it, then its records.
		blockFirst, blockN  int64
		blockOK, blockKnown bool
	)
	keep := func(ids []string) {
		if complete && len(list)+len(ids) <= s.cache.maxIDs {
			list = append(list, ids...)
		} else {
			complete, list = false, nil
		}
	}
	for {
		if !blockKnown {
			var err error
			if blockFirst, blockN, blockOK, err = s.nextBlock(ctx, object, after); err != nil {
				return err
			}
			blockKnown = true
		}
		upto := int64(math.MaxInt64)
		if blockOK {
			upto = blockFirst
		}
		batch = batch[:0]
		rows, err := s.q.QueryContext(ctx, `SELECT seq, id FROM records WHERE object = ? AND seq > ? AND seq < ? ORDER BY seq LIMIT ?`, object, after, upto, scanBatch)
		if err != nil {
			return fmt.Errorf("store: scan %s: %w", object, err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&after, &id); err != nil {
				rows.Close()
				return fmt.Errorf("store: scan %s: %w", object, err)
			}
			batch = append(batch, id)
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("store: scan %s: %w", object, err)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: scan %s: %w", object, err)
		}
		keep(batch)
		if err := s.scanIDs(ctx, object, batch, all, fn); err != nil {
			return err
		}
		if len(batch) == scanBatch {
			continue
		}
		if !blockOK {
			if complete {
				s.cache.putObjectIDs(gen, object, list)
			}
			return nil
		}
		ids, found, err := s.scanBlock(ctx, object, gen, blockFirst, all, fn)
		if err != nil {
			return err
		}
		blockKnown = false
		if found {
			keep(ids)
			after = blockFirst + blockN - 1
		}
		// else the block became rows since: the next pass reads them.
	}
}

// scanIDs calls fn for the records with these ids (at most scanBatch), in
// order, skipping ids that have no record any more and, unless all is set,
// deleted records.
func (s *Store) scanIDs(ctx context.Context, object string, ids []string, all bool, fn func(Record) error) error {
	var buf [scanBatch]Record
	recs := buf[:len(ids)]
	if found := s.cache.getMany(ids, recs); found < len(ids) {
		gen := s.cache.generation()
		at := make(map[string]int, len(ids)-found)
		for i, id := range ids {
			if recs[i] == nil {
				at[id] = i
			}
		}
		got := func(id string, rec Record) { recs[at[id]] = rec }
		// unfound lists the ids still without a record.
		unfound := func() []string {
			var out []string
			for i, id := range ids {
				if recs[i] == nil {
					out = append(out, id)
				}
			}
			return out
		}
		if err := s.fill(ctx, object, gen, unfound(), got); err != nil {
			return err
		}
		// What no row holds may be in blocks.
		if blocked := unfound(); len(blocked) > 0 {
			if err := s.fillFromBlocks(ctx, object, gen, blocked, got); err != nil {
				return err
			}
			// A block unblocked (a write, so a new generation) between
			// the two reads left its records in neither: read the rows
			// of what is still missing again.
			if s.cache.generation() != gen {
				if missing := unfound(); len(missing) > 0 {
					if err := s.fill(ctx, object, gen, missing, got); err != nil {
						return err
					}
				}
			}
		}
	}
	for _, rec := range recs {
		if rec == nil {
			continue // purged, or never committed
		}
		if !all {
			if del, _ := rec["IsDeleted"].(bool); del {
				continue
			}
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	return nil
}

// fill reads and decodes the records with these ids (at most scanBatch),
// caching them as read at generation gen.
func (s *Store) fill(ctx context.Context, object string, gen uint64, ids []string, got func(id string, rec Record)) error {
	// Pad to a power of two (repeating an id changes nothing) so that only
	// a few statement texts get prepared and cached.
	n := 1
	for n < len(ids) {
		n *= 2
	}
	args := make([]any, n)
	for i := range args {
		args[i] = ids[min(i, len(ids)-1)]
	}
	q := `SELECT id, data FROM records WHERE id IN (?` + strings.Repeat(",?", n-1) + `)`
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: scan %s: %w", object, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var data sql.RawBytes
		if err := rows.Scan(&id, &data); err != nil {
			return fmt.Errorf("store: scan %s: %w", object, err)
		}
		rec, err := decodeBytes(data)
		if err != nil {
			return err
		}
		s.cache.put(gen, id, object, rec)
		got(id, rec)
	}
	return rows.Err()
}

// Count returns how many live records object has.
func (s *Store) Count(ctx context.Context, object string) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM records WHERE object = ?1 AND deleted = 0) +
		(SELECT COALESCE(SUM(n), 0) FROM record_blocks WHERE object = ?1)`, object).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count %s: %w", object, err)
	}
	return n, nil
}

// NextSeq increments and returns the counter called name (1 the first time).
func (tx *Tx) NextSeq(ctx context.Context, name string, n int64) (int64, error) {
	if _, err := tx.q.ExecContext(ctx, `INSERT INTO counters(name, value) VALUES (?, ?)
		ON CONFLICT(name) DO UPDATE SET value = value + excluded.value`, name, n); err != nil {
		return 0, fmt.Errorf("store: counter %s: %w", name, err)
	}
	var v int64
	if err := tx.q.QueryRowContext(ctx, `SELECT value FROM counters WHERE name = ?`, name).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: counter %s: %w", name, err)
	}
	return v, nil
}

// NextSeq increments the counter called name by n in its own transaction and
// returns the new value.
func (s *Store) NextSeq(ctx context.Context, name string, n int64) (int64, error) {
	var v int64
	err := s.Update(ctx, func(tx *Tx) error {
		var err error
		v, err = tx.NextSeq(ctx, name, n)
		return err
	})
	return v, err
}

// Meta reads a metadata value ("" when unset).
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: meta %s: %w", key, err)
	}
	return v, nil
}

// SetMeta writes a metadata value.
func (tx *Tx) SetMeta(ctx context.Context, key, value string) error {
	_, err := tx.q.ExecContext(ctx, `INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)`, key, value)
	if err != nil {
		return fmt.Errorf("store: set meta %s: %w", key, err)
	}
	return nil
}

// PutKV stores value under bucket/key, expiring at the unix time expires (0: never).
func (s *Store) PutKV(ctx context.Context, bucket, key, value string, expires int64) error {
	_, err := s.q.ExecContext(ctx, `INSERT OR REPLACE INTO kv(bucket, key, value, expires) VALUES (?, ?, ?, ?)`,
		bucket, key, value, expires)
	if err != nil {
		return fmt.Errorf("store: put %s: %w", bucket, err)
	}
	return nil
}

// GetKV reads bucket/key; ok is false when missing or expired at now.
func (s *Store) GetKV(ctx context.Context, bucket, key string, now int64) (value string, ok bool, err error) {
	var expires int64
	err = s.q.QueryRowContext(ctx, `SELECT value, expires FROM kv WHERE bucket = ? AND key = ?`, bucket, key).Scan(&value, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: get %s: %w", bucket, err)
	}
	if expires != 0 && expires <= now {
		return "", false, nil
	}
	return value, true, nil
}

// TakeKV reads and deletes bucket/key in one step, so a one-time value (an
// authorization code) can be used once only.
func (s *Store) TakeKV(ctx context.Context, bucket, key string, now int64) (value string, ok bool, err error) {
	err = s.Update(ctx, func(tx *Tx) error {
		var expires int64
		err := tx.q.QueryRowContext(ctx, `SELECT value, expires FROM kv WHERE bucket = ? AND key = ?`, bucket, key).Scan(&value, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM kv WHERE bucket = ? AND key = ?`, bucket, key); err != nil {
			return err
		}
		ok = expires == 0 || expires > now
		return nil
	})
	if err != nil {
		return "", false, fmt.Errorf("store: take %s: %w", bucket, err)
	}
	return value, ok, nil
}

// DeleteKV removes bucket/key.
func (s *Store) DeleteKV(ctx context.Context, bucket, key string) error {
	_, err := s.q.ExecContext(ctx, `DELETE FROM kv WHERE bucket = ? AND key = ?`, bucket, key)
	if err != nil {
		return fmt.Errorf("store: delete %s: %w", bucket, err)
	}
	return nil
}

// ExpireKV makes every entry of bucket expire at the unix time at (when it
// would otherwise live longer).
func (s *Store) ExpireKV(ctx context.Context, bucket string, at int64) error {
	_, err := s.q.ExecContext(ctx, `UPDATE kv SET expires = ? WHERE bucket = ? AND (expires = 0 OR expires > ?)`, at, bucket, at)
	if err != nil {
		return fmt.Errorf("store: expire %s: %w", bucket, err)
	}
	return nil
}

// DeleteKVWhere removes every entry of bucket whose value contains needle;
// revoking a refresh token removes the access tokens issued from it.
func (s *Store) DeleteKVWhere(ctx context.Context, bucket, needle string) error {
	_, err := s.q.ExecContext(ctx, `DELETE FROM kv WHERE bucket = ? AND instr(value, ?) > 0`, bucket, needle)
	if err != nil {
		return fmt.Errorf("store: delete from %s: %w", bucket, err)
	}
	return nil
}
