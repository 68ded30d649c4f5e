package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Bulk jobs and their data live in two tables of their own: bulk_jobs holds
// one JSON document per job, bulk_blobs the bytes that belong to a job (the
// uploaded CSV, result files) as numbered chunks of a stream, so large files
// are written and read a chunk at a time and never held in memory whole.
const bulkSchemaSQL = `
CREATE TABLE IF NOT EXISTS bulk_jobs (
  seq  INTEGER PRIMARY KEY AUTOINCREMENT,
  id   TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  info TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS bulk_jobs_by_kind ON bulk_jobs(kind, seq);
CREATE TABLE IF NOT EXISTS bulk_blobs (
  job    TEXT NOT NULL,
  stream INTEGER NOT NULL,
  seq    INTEGER NOT NULL,
  rows   INTEGER NOT NULL DEFAULT 0,
  data   BLOB NOT NULL,
  PRIMARY KEY (job, stream, seq)
);
`

// InitBulk creates the bulk tables when they are missing.
func (s *Store) InitBulk(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, bulkSchemaSQL); err != nil {
		return fmt.Errorf("store: create bulk tables: %w", err)
	}
	return nil
}

// PutJob stores a new job document.
func (s *Store) PutJob(ctx context.Context, id, kind, info string) error {
	if _, err := s.q.ExecContext(ctx, `INSERT INTO bulk_jobs(id, kind, info) VALUES (?, ?, ?)`, id, kind, info); err != nil {
		return fmt.Errorf("store: put job %s: %w", id, err)
	}
	return nil
}

// GetJob reads a job document; ErrNotFound when there is none.
func (s *Store) GetJob(ctx context.Context, id string) (kind, info string, err error) {
	return getJob(ctx, s.db, id)
}

// GetJob reads a job document inside the transaction.
func (tx *Tx) GetJob(ctx context.Context, id string) (kind, info string, err error) {
	return getJob(ctx, tx.q, id)
}

func getJob(ctx context.Context, q queryer, id string) (kind, info string, err error) {
	err = q.QueryRowContext(ctx, `SELECT kind, info FROM bulk_jobs WHERE id = ?`, id).Scan(&kind, &info)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", ErrNotFound
	}
	if err != nil {
		return "", "", fmt.Errorf("store: get job %s: %w", id, err)
	}
	return kind, info, nil
}

// SetJob overwrites a job document.
func (tx *Tx) SetJob(ctx context.Context, id, info string) error {
	res, err := tx.q.ExecContext(ctx, `UPDATE bulk_jobs SET info = ? WHERE id = ?`, info, id)
	if err != nil {
		return fmt.Errorf("store: set job %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteJob removes a job and all its chunks.
func (tx *Tx) DeleteJob(ctx context.Context, id string) error {
	if _, err := tx.q.ExecContext(ctx, `DELETE FROM bulk_blobs WHERE job = ?`, id); err != nil {
		return fmt.Errorf("store: delete job %s: %w", id, err)
	}
	if _, err := tx.q.ExecContext(ctx, `DELETE FROM bulk_jobs WHERE id = ?`, id); err != nil {
		return fmt.Errorf("store: delete job %s: %w", id, err)
	}
	return nil
}

// ListJobs returns the documents of the jobs of kind ("" for every kind),
// oldest first, skipping offset and returning at most limit.
func (s *Store) ListJobs(ctx context.Context, kind string, offset, limit int) ([]string, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT info FROM bulk_jobs WHERE (? = '' OR kind = ?) ORDER BY seq LIMIT ? OFFSET ?`,
		kind, kind, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("store: list jobs: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var info string
		if err := rows.Scan(&info); err != nil {
			return nil, fmt.Errorf("store: list jobs: %w", err)
		}
		out = append(out, info)
	}
	return out, rows.Err()
}

// AppendBlob stores one chunk of a job's stream at seq, with the number of
// rows it holds.
func (s *Store) AppendBlob(ctx context.Context, job string, stream int, seq int64, rows int, data []byte) error {
	if err := appendBlob(ctx, s.db, job, stream, seq, rows, data); err != nil {
		return err
	}
	s.ckpt.kick()
	return nil
}

// AppendBlob stores one chunk of a job's stream inside the transaction.
func (tx *Tx) AppendBlob(ctx context.Context, job string, stream int, seq int64, rows int, data []byte) error {
	return appendBlob(ctx, tx.q, job, stream, seq, rows, data)
}

func appendBlob(ctx context.Context, q queryer, job string, stream int, seq int64, rows int, data []byte) error {
	if data == nil {
		data = []byte{}
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO bulk_blobs(job, stream, seq, rows, data) VALUES (?, ?, ?, ?, ?)`,
		job, stream, seq, rows, data); err != nil {
		return fmt.Errorf("store: append to %s/%d: %w", job, stream, err)
	}
	return nil
}

// LastBlobSeq returns the highest seq of a stream (0 when empty).
func (s *Store) LastBlobSeq(ctx context.Context, job string, stream int) (int64, error) {
	return lastBlobSeq(ctx, s.db, job, stream)
}

// LastBlobSeq returns the highest seq of a stream inside the transaction.
func (tx *Tx) LastBlobSeq(ctx context.Context, job string, stream int) (int64, error) {
	return lastBlobSeq(ctx, tx.q, job, stream)
}

func lastBlobSeq(ctx context.Context, q queryer, job string, stream int) (int64, error) {
	var n sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT MAX(seq) FROM bulk_blobs WHERE job = ? AND stream = ?`, job, stream).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: last seq of %s/%d: %w", job, stream, err)
	}
	return n.Int64, nil
}

// NextBlob reads the first chunk of a stream after seq; ok is false at the end.
// Each call is its own short query, so a slow reader never holds the
// database.
func (s *Store) NextBlob(ctx context.Context, job string, stream int, after int64) (seq int64, rows int, data []byte, ok bool, err error) {
	var q queryer = s.q
	if s.blobs != nil {
		q = s.blobs
	}
	err = q.QueryRowContext(ctx, `SELECT seq, rows, data FROM bulk_blobs WHERE job = ? AND stream = ? AND seq > ? ORDER BY seq LIMIT 1`,
		job, stream, after).Scan(&seq, &rows, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil, false, nil
	}
	if err != nil {
		return 0, 0, nil, false, fmt.Errorf("store: read %s/%d: %w", job, stream, err)
	}
	return seq, rows, data, true, nil
}

// BlobMeta is the seq and row count of a chunk.
type BlobMeta struct {
	Seq  int64
	Rows int
}

// BlobIndex lists the chunks of a stream (without their data), in order.
func (s *Store) BlobIndex(ctx context.Context, job string, stream int) ([]BlobMeta, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT seq, rows FROM bulk_blobs WHERE job = ? AND stream = ? ORDER BY seq`, job, stream)
	if err != nil {
		return nil, fmt.Errorf("store: index %s/%d: %w", job, stream, err)
	}
	defer rows.Close()
	var out []BlobMeta
	for rows.Next() {
		var m BlobMeta
		if err := rows.Scan(&m.Seq, &m.Rows); err != nil {
			return nil, fmt.Errorf("store: index %s/%d: %w", job, stream, err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// DeleteBlobs removes the chunks of a stream from seq on.
func (s *Store) DeleteBlobs(ctx context.Context, job string, stream int, from int64) error {
	return deleteBlobs(ctx, s.db, job, stream, from)
}

// DeleteBlobs removes the chunks of a stream from seq on, inside the transaction.
func (tx *Tx) DeleteBlobs(ctx context.Context, job string, stream int, from int64) error {
	return deleteBlobs(ctx, tx.q, job, stream, from)
}

func deleteBlobs(ctx context.Context, q queryer, job string, stream int, from int64) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM bulk_blobs WHERE job = ? AND stream = ? AND seq >= ?`, job, stream, from); err != nil {
		return fmt.Errorf("store: delete %s/%d: %w", job, stream, err)
	}
	return nil
}

// Savepoint runs fn inside a savepoint of the transaction: when fn returns
// an error, what it changed is undone and the transaction goes on.
func (tx *Tx) Savepoint(ctx context.Context, fn func() error) error {
	if _, err := tx.q.ExecContext(ctx, `SAVEPOINT row`); err != nil {
		return fmt.Errorf("store: savepoint: %w", err)
	}
	ferr := fn()
	if ferr != nil {
		tx.heldOK = false // it may be a block the savepoint stored
		if _, err := tx.q.ExecContext(ctx, `ROLLBACK TO row`); err != nil {
			return fmt.Errorf("store: rollback to savepoint: %w", err)
		}
	}
	if _, err := tx.q.ExecContext(ctx, `RELEASE row`); err != nil {
		return fmt.Errorf("store: release savepoint: %w", err)
	}
	return ferr
}
