package ops

// The journal of a file load: what each job took, written before it is
// needed, so that a load killed at any point (kill -9 included) can be
// finished by `sfmcp bulk resume` without sending any row twice.
//
// The rule that makes it safe: a job is only closed (UploadComplete, the
// request that makes Salesforce process it) after the journal durably names
// it and the byte range of the input it holds. A job the journal does not
// know therefore never ran and never will: it was left Open. A job the
// journal knows is re-sent only when Salesforce says it did not run (Open,
// or ended with nothing processed), and is aborted first if it is Open.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sfmcp/sfmcp/internal/filelock"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// JournalVersion is the journal format this build writes and reads.
const JournalVersion = 1

// Part states in a load journal.
const (
	// PartIntent: a job is about to be created for the part; it may exist
	// (the process died before the journal named it) but was never closed.
	PartIntent = "intent"
	// PartOpened: the part's job exists and is being uploaded; not closed.
	PartOpened = "opened"
	// PartUploaded: the upload ended and the range is known; the job is
	// being closed (or was: Salesforce's state decides).
	PartUploaded = "uploaded"
	// PartClosed: the job was closed and runs; its rows are taken.
	PartClosed = "closed"
	// PartUnsent: no job holds the part's rows (its job, if any, was
	// aborted before it ran); they are to be sent again.
	PartUnsent = "unsent"
)

// JournalInput describes the input a journal belongs to.
type JournalInput struct {
	// Path is the file read (absolute); for standard input, the copy kept
	// beside the journal.
	Path string `json:"path"`
	// Name is how messages call it ("standard input" or the path given).
	Name  string `json:"name"`
	JSONL bool   `json:"jsonl,omitempty"`
	// Header is the column list of a JSON lines input.
	Header []string `json:"header,omitempty"`
	// SHA256 is the hash of the input as CSV (LoadPlan.SHA256).
	SHA256 string `json:"sha256"`
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
}

// JournalPart is one part of the input and the job that holds it.
type JournalPart struct {
	Index int `json:"index"`
	// FirstRow, Start and End: the part's first row (from 1) and its byte
	// range among the input's records, header not counted (End once uploaded).
	FirstRow int64  `json:"first_row"`
	Start    int64  `json:"start"`
	End      int64  `json:"end,omitempty"`
	Rows     int64  `json:"rows,omitempty"`
	JobID    string `json:"job_id,omitempty"`
	State    string `json:"state"`
	// Intent is when the journal said a job was about to be created.
	Intent time.Time `json:"intent"`
	// Abandoned are jobs that held the part once but never ran.
	Abandoned []string `json:"abandoned_jobs,omitempty"`
}

// LoadJournal is the durable record of one file load.
type LoadJournal struct {
	Version int          `json:"version"`
	Spec    LoadSpec     `json:"spec"`
	Input   JournalInput `json:"input"`
	Started time.Time    `json:"started"`
	// UserID is the Salesforce user whose jobs these are (from the first job).
	UserID string        `json:"user_id,omitempty"`
	Parts  []JournalPart `json:"parts"`

	path string
}

// NewLoadJournal starts a journal at path; nothing is written until Save.
func NewLoadJournal(path string, spec LoadSpec, in JournalInput) *LoadJournal {
	return &LoadJournal{Version: JournalVersion, Spec: spec, Input: in, Started: time.Now().UTC(), path: path}
}

// Path is where the journal lives.
func (j *LoadJournal) Path() string { return j.path }

// ReadLoadJournal reads the journal at path; an absent journal is an error
// satisfying errors.Is(err, fs.ErrNotExist).
func ReadLoadJournal(path string) (*LoadJournal, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var j LoadJournal
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("load journal %s is damaged: %w", path, err)
	}
	if j.Version != JournalVersion {
		return nil, fmt.Errorf("load journal %s is version %d; this sfmcp reads version %d", path, j.Version, JournalVersion)
	}
	if err := j.Spec.Validate(); err != nil {
		return nil, fmt.Errorf("load journal %s: %w", path, err)
	}
	j.path = path
	return &j, nil
}

// Save writes the journal durably and atomically: a temporary file beside
// it, synced, renamed over it, and the directory synced, so that a crash
// leaves the old journal or the new one, never half of one.
func (j *LoadJournal) Save() error {
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(j.path, append(b, '\n')); err != nil {
		return fmt.Errorf("write the load journal: %w", err)
	}
	return nil
}

// Remove deletes the journal once the load is finished.
func (j *LoadJournal) Remove() error {
	err := os.Remove(j.path)
	if errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	if err == nil {
		syncDir(filepath.Dir(j.path))
	}
	return err
}

// WriteFileAtomic replaces path with data durably: temp file, fsync, rename, fsync of the directory.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable (not possible everywhere; best effort).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// LoadLockedError is a load another process is running now.
type LoadLockedError struct{ Journal string }

func (e *LoadLockedError) Error() string {
	return fmt.Sprintf("another sfmcp process is running this load now (its journal is %s); wait for it to end", e.Journal)
}

// LockLoad takes the lock that one process at a time holds while it runs or
// resumes the load journaled at path; it is released when the process ends,
// however it ends.
func LockLoad(path string) (*filelock.Lock, error) {
	l, err := filelock.TryLock(path + ".lock")
	if errors.Is(err, filelock.ErrLocked) {
		return nil, &LoadLockedError{Journal: path}
	}
	return l, err
}

// UnlockLoad releases the lock and removes its file when the load is over.
func UnlockLoad(path string, l *filelock.Lock, over bool) {
	if over {
		os.Remove(path + ".lock")
	}
	l.Unlock()
}

// partOrNil is part on a journal that may be nil.
func (j *LoadJournal) partOrNil(index int) *JournalPart {
	if j == nil {
		return nil
	}
	return j.part(index)
}

func (j *LoadJournal) part(index int) *JournalPart {
	if index >= 1 && index <= len(j.Parts) {
		return &j.Parts[index-1]
	}
	return nil
}

// Taken reports whether a job holds the part's rows.
func (p *JournalPart) Taken() bool { return p.State == PartClosed }

// JobIDs are the jobs that hold rows, in part order.
func (j *LoadJournal) JobIDs() []string {
	var ids []string
	for _, p := range j.Parts {
		if p.Taken() {
			ids = append(ids, p.JobID)
		}
	}
	return ids
}

// Unfinished reports whether any part is not yet held by a closed job.
func (j *LoadJournal) Unfinished() bool {
	for _, p := range j.Parts {
		if !p.Taken() {
			return true
		}
	}
	return false
}

// NothingSent reports that no job holds or may hold any row: every part's
// job (if it had one) was aborted before it was closed. Such a load can be
// run again from the start.
func (j *LoadJournal) NothingSent() bool {
	for _, p := range j.Parts {
		if p.State != PartUnsent {
			return false
		}
	}
	return true
}

func (j *LoadJournal) knows(id string) bool {
	for _, p := range j.Parts {
		if p.JobID == id || slices.Contains(p.Abandoned, id) {
			return true
		}
	}
	return false
}

// intent records that a job is about to be created for the part.
func (j *LoadJournal) intent(index int, firstRow, start int64) error {
	p := JournalPart{Index: index, FirstRow: firstRow, Start: start, State: PartIntent, Intent: time.Now().UTC()}
	if old := j.part(index); old != nil {
		p.Abandoned = old.Abandoned
		*old = p
	} else {
		if index != len(j.Parts)+1 {
			return fmt.Errorf("load journal: part %d follows part %d", index, len(j.Parts))
		}
		j.Parts = append(j.Parts, p)
	}
	return j.Save()
}

func (j *LoadJournal) set(index int, fn func(p *JournalPart)) error {
	p := j.part(index)
	if p == nil {
		return fmt.Errorf("load journal: no part %d", index)
	}
	fn(p)
	return j.Save()
}

// abandon records that the part's job was aborted before it was closed.
func (j *LoadJournal) abandon(index int) error {
	return j.set(index, func(p *JournalPart) {
		if p.JobID != "" {
			p.Abandoned = append(p.Abandoned, p.JobID)
		}
		p.JobID, p.State, p.End, p.Rows = "", PartUnsent, 0, 0
	})
}

// UnknownJobsError is what ReconcileLoad found and cannot explain: jobs
// that may hold this load's rows but that the journal does not name.
type UnknownJobsError struct {
	Journal string
	Jobs    []*salesforce.BulkJob
}

func (e *UnknownJobsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the load journal %s does not name %s that may hold this load's rows, so nothing was sent:", e.Journal, pick(len(e.Jobs) == 1, "a job", "jobs"))
	for _, jb := range e.Jobs {
		fmt.Fprintf(&b, "\n  %s %s %s, %s, created %s", jb.ID, jb.Operation, jb.Object, jb.State, jb.CreatedDate)
	}
	b.WriteString("\nCheck them (`sfmcp bulk status ID`); if none is this load's, resume again naming each with --ignore-job ID")
	return b.String()
}

// IntentSkew is how far before a journaled intent a job may look created,
// for clocks that disagree.
const IntentSkew = 10 * time.Minute

// parseJobTime reads a job's createdDate ("2026-12-04T16:45:13.000+0000").
func parseJobTime(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02T15:04:05.000-0700", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// ReconcileLoad settles every part the journal left in flight by asking
// Salesforce, before a resume sends anything: a job left Open is aborted
// and its part re-sent; a job that was closed keeps its rows. For a part
// whose job may have been created but never named, the org's ingest jobs
// are searched; any such job that is not Open, or ended with rows
// processed, and is not in ignore, stops the resume (*UnknownJobsError).
// notes says what was done.
func ReconcileLoad(ctx context.Context, c *salesforce.Client, j *LoadJournal, ignore []string) (notes []string, err error) {
	var intents []*JournalPart
	for i := range j.Parts {
		p := &j.Parts[i]
		switch p.State {
		case PartClosed, PartUnsent:
		case PartIntent:
			intents = append(intents, p)
		case PartOpened, PartUploaded:
			note, err := settlePart(ctx, c, j, p)
			if err != nil {
				return notes, err
			}
			if note != "" {
				notes = append(notes, note)
			}
		default:
			return notes, fmt.Errorf("load journal %s: part %d has an unknown state %q", j.path, p.Index, p.State)
		}
	}
	if len(intents) == 0 {
		return notes, nil
	}
	jobs, err := c.ListBulkJobs(ctx, salesforce.BulkIngest)
	if err != nil {
		return notes, fmt.Errorf("look for jobs the journal does not name: %w", err)
	}
	earliest := intents[0].Intent
	for _, p := range intents {
		if p.Intent.Before(earliest) {
			earliest = p.Intent
		}
	}
	var unsure []*salesforce.BulkJob
	var leftOpen []string
	for i := range jobs {
		jb := &jobs[i]
		if j.knows(jb.ID) || slices.Contains(ignore, jb.ID) ||
			!strings.EqualFold(jb.Object, j.Spec.SObject) || jb.Operation != j.Spec.Operation ||
			(j.UserID != "" && jb.CreatedByID != "" && jb.CreatedByID != j.UserID) {
			continue
		}
		created, ok := parseJobTime(jb.CreatedDate)
		if ok && created.Before(earliest.Add(-IntentSkew)) {
			continue
		}
		switch {
		case jb.State == salesforce.JobOpen:
			// Never closed: it cannot run. It may be this load's, left by the
			// process that died; it may be someone else's upload: leave it.
			leftOpen = append(leftOpen, jb.ID)
		case (jb.State == salesforce.JobAborted || jb.State == salesforce.JobFailed) && jb.NumberRecordsProcessed == 0:
			// Ended without writing anything.
		default:
			unsure = append(unsure, jb)
		}
	}
	if len(unsure) > 0 {
		return notes, &UnknownJobsError{Journal: j.path, Jobs: unsure}
	}
	for _, id := range leftOpen {
		notes = append(notes, fmt.Sprintf("job %s is Open and not in the journal; it was never closed, so it will not run (abort it with `sfmcp bulk abort %s` if it was this load's)", id, id))
	}
	for _, p := range intents {
		p.State = PartUnsent
	}
	return notes, j.Save()
}

// settlePart decides a part whose job the journal names but left in flight.
func settlePart(ctx context.Context, c *salesforce.Client, j *LoadJournal, p *JournalPart) (string, error) {
	job, err := c.BulkJobInfo(ctx, salesforce.BulkIngest, p.JobID)
	if err != nil {
		if salesforce.IsNotFound(err) && p.State == PartOpened {
			// Never closed (the journal would say uploaded), and gone.
			return fmt.Sprintf("job %s of part %d is gone; it was never closed, so its rows are sent again", p.JobID, p.Index), j.abandon(p.Index)
		}
		return "", fmt.Errorf("job %s of part %d: %w", p.JobID, p.Index, err)
	}
	switch {
	case job.State == salesforce.JobOpen:
		if _, err := c.AbortJob(ctx, salesforce.BulkIngest, job.ID); err != nil {
			return "", fmt.Errorf("abort job %s, left Open by the interrupted upload: %w", job.ID, err)
		}
		return fmt.Sprintf("aborted job %s, left Open by the interrupted upload of part %d; its rows are sent again", job.ID, p.Index), j.abandon(p.Index)
	case (job.State == salesforce.JobAborted || job.State == salesforce.JobFailed) && job.NumberRecordsProcessed == 0:
		return fmt.Sprintf("job %s of part %d ended %s without processing a row; its rows are sent again", job.ID, p.Index, job.State), j.abandon(p.Index)
	case p.State == PartOpened:
		// Closed, though the journal never said the upload ended: not
		// something sfmcp does. Do not guess.
		return "", fmt.Errorf("job %s of part %d is %s, but the load journal %s says its upload never ended; check it with `sfmcp bulk status %s`; nothing was sent", job.ID, p.Index, job.State, j.path, job.ID)
	default:
		// Closed after the upload: its rows are taken.
		return "", j.set(p.Index, func(p *JournalPart) { p.State = PartClosed })
	}
}

// WriteUnsentRows writes the input's rows that no job holds or may hold—the
// parts the journal shows neither as taken nor as being closed—to w as CSV,
// the header first when header is set. It returns the rows written.
func WriteUnsentRows(open LoadSource, j *LoadJournal, w io.Writer, header bool) (int64, error) {
	rc, err := open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	split, err := NewCSVSplitter(rc, j.Spec.maxBytes())
	if err != nil {
		return 0, err
	}
	var rows int64
	for part := split.Next(); part != nil; part = split.Next() {
		if p := j.part(part.Index); p != nil && (p.Taken() || p.State == PartUploaded) {
			if _, err := io.Copy(io.Discard, part); err != nil {
				return rows, err
			}
			continue
		}
		dst := io.Writer(&skipWriter{w: w, skip: int64(len(split.header))})
		if header {
			dst, header = w, false
		}
		if _, err := io.Copy(dst, part); err != nil {
			return rows, err
		}
		rows += part.Rows
	}
	return rows, split.Err()
}

// skipWriter drops the first skip bytes written to it.
type skipWriter struct {
	w    io.Writer
	skip int64
}

func (s *skipWriter) Write(b []byte) (int, error) {
	n := len(b)
	if s.skip > 0 {
		k := min(s.skip, int64(len(b)))
		b, s.skip = b[k:], s.skip-k
	}
	if len(b) == 0 {
		return n, nil
	}
	if _, err := s.w.Write(b); err != nil {
		return 0, err
	}
	return n, nil
}
