package ops

// The streaming form of a Bulk load, for the CLI and for the bounded MCP
// tools alike: check the input whole before anything is sent (PrepareLoad),
// upload it as one job per part under the upload limit (StartLoad), wait
// (WaitLoad), and collect what did not succeed (CollectLoadResults), so that
// successful + failed + unprocessed rows add up to the input's rows.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// DefaultMaxUploadBytes is the size of one job's upload when the caller does
// not choose: 100 MB, well under Salesforce's 150 MB per upload, which counts
// the request as Salesforce stores it (base64 encoding of the data on its side
// can add a third).
const DefaultMaxUploadBytes = 100 << 20

// LoadSpec says what a load does.
type LoadSpec struct {
	SObject string `json:"sobject"`
	// Operation is salesforce.BulkInsert, BulkUpdate, BulkUpsert, BulkDelete or BulkHardDelete.
	Operation string `json:"operation"`
	// ExternalIDField names the upsert key column.
	ExternalIDField string `json:"external_id_field,omitempty"`
	// MaxUploadBytes bounds each job's upload; 0 means DefaultMaxUploadBytes.
	MaxUploadBytes int64 `json:"max_upload_bytes,omitempty"`
}

// Validate checks the spec.
func (s LoadSpec) Validate() error {
	if err := checkName("sobject", s.SObject); err != nil {
		return err
	}
	switch s.Operation {
	case salesforce.BulkInsert, salesforce.BulkUpdate, salesforce.BulkDelete, salesforce.BulkHardDelete:
		if s.ExternalIDField != "" {
			return inputErrorf("external_id_field", "is only for upsert")
		}
	case salesforce.BulkUpsert:
		if err := checkName("external_id_field", s.ExternalIDField); err != nil {
			return err
		}
	default:
		return inputErrorf("operation", "%q is not insert, update, upsert, delete or hardDelete", s.Operation)
	}
	if s.MaxUploadBytes < 0 {
		return inputErrorf("max_upload_bytes", "must not be negative")
	}
	return nil
}

func (s LoadSpec) maxBytes() int64 {
	if s.MaxUploadBytes == 0 {
		return DefaultMaxUploadBytes
	}
	return s.MaxUploadBytes
}

// LoadSource opens the load's data as CSV, from the start, each time it is
// called (PrepareLoad reads it once, StartLoad again).
type LoadSource func() (io.ReadCloser, error)

// LoadPlan is what PrepareLoad learned about the input.
type LoadPlan struct {
	Header []string
	Rows   int64
	Bytes  int64
	// SHA256 is the hex SHA-256 of the input as read (CSV), so that a resumed
	// load can tell the same input from a changed one.
	SHA256 string
}

// LoadInputError is input that cannot be loaded, found before any job was opened.
type LoadInputError struct{ Err error }

func (e *LoadInputError) Error() string { return e.Err.Error() }
func (e *LoadInputError) Unwrap() error { return e.Err }

// PrepareLoad reads the whole input once—it must parse, every row must have
// the header's field count—and checks the header against the object's
// describe. Nothing is created at Salesforce.
func PrepareLoad(ctx context.Context, c *salesforce.Client, spec LoadSpec, open LoadSource) (*LoadPlan, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	rc, err := open()
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	sum, err := ScanCSV(io.TeeReader(rc, h))
	rc.Close()
	if err != nil {
		return nil, &LoadInputError{err}
	}
	if err := CheckLoadColumns(ctx, c, spec, sum.Header); err != nil {
		return nil, err
	}
	return &LoadPlan{Header: sum.Header, Rows: sum.Rows, Bytes: sum.Bytes, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// CheckLoadColumns checks a load's header against the object: every column
// a field (or a relationship through a field of the parent), the Id column
// for update and delete, the external id column for upsert.
func CheckLoadColumns(ctx context.Context, c *salesforce.Client, spec LoadSpec, header []string) error {
	d, err := c.DescribeSObject(ctx, spec.SObject)
	if err != nil {
		return err
	}
	has := func(name string) bool {
		for _, h := range header {
			if strings.EqualFold(h, name) {
				return true
			}
		}
		return false
	}
	switch spec.Operation {
	case salesforce.BulkDelete, salesforce.BulkHardDelete:
		if !has("Id") {
			return &LoadInputError{fmt.Errorf("a %s needs an Id column; the header has %s", spec.Operation, strings.Join(header, ", "))}
		}
	case salesforce.BulkUpdate:
		if !has("Id") {
			return &LoadInputError{fmt.Errorf("an update needs an Id column naming each record; the header has %s", strings.Join(header, ", "))}
		}
	case salesforce.BulkUpsert:
		if !has(spec.ExternalIDField) {
			return &LoadInputError{fmt.Errorf("an upsert on %s needs a column named %s; the header has %s", spec.ExternalIDField, spec.ExternalIDField, strings.Join(header, ", "))}
		}
		f := findField(d, spec.ExternalIDField)
		if f == nil {
			return &LoadInputError{fmt.Errorf("%s is not a field of %s", spec.ExternalIDField, d.Name)}
		}
		if !f.ExternalID && !f.IDLookup && f.Type != "id" {
			return &LoadInputError{fmt.Errorf("%s.%s is not an external id field", d.Name, f.Name)}
		}
	}
	var unknown []string
	for _, h := range header {
		if !columnExists(ctx, c, d, h) {
			unknown = append(unknown, h)
		}
	}
	if len(unknown) > 0 {
		return &LoadInputError{fmt.Errorf("%s %s not %s of %s (checked against its describe; nothing was uploaded)",
			quoteList(unknown), pick(len(unknown) == 1, "is", "are"), pick(len(unknown) == 1, "a field", "fields"), d.Name)}
	}
	return nil
}

func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

func findField(d *salesforce.SObjectDescribe, name string) *salesforce.FieldDescribe {
	for i := range d.Fields {
		if strings.EqualFold(d.Fields[i].Name, name) {
			return &d.Fields[i]
		}
	}
	return nil
}

// columnExists resolves a header name: a field, or Relationship.Field (or
// Relationship:Type.Field) through a lookup to a parent's field.
func columnExists(ctx context.Context, c *salesforce.Client, d *salesforce.SObjectDescribe, name string) bool {
	rel, leaf, isRel := strings.Cut(name, ".")
	if !isRel {
		return findField(d, name) != nil
	}
	rel, typ, typed := strings.Cut(rel, ":")
	for _, f := range d.Fields {
		if !strings.EqualFold(f.RelationshipName, rel) {
			continue
		}
		targets := f.ReferenceTo
		if typed {
			targets = []string{typ}
		}
		for _, t := range targets {
			pd, err := c.DescribeSObject(ctx, t)
			if err == nil && findField(pd, leaf) != nil {
				return true
			}
		}
	}
	return false
}

// LoadHooks report a load's progress; every field is optional.
type LoadHooks struct {
	// Uploaded is called as data goes out, with the bytes sent so far in all jobs.
	Uploaded func(total int64)
	// JobOpened is called when a job is created, before its upload.
	JobOpened func(job *salesforce.BulkJob)
	// Journal, when set, is kept up to date before each step (see
	// bulk_journal.go), and parts it shows as taken are not sent again.
	Journal *LoadJournal
	// NoSend sends nothing: parts no job holds are only counted (a resume
	// that finishes without sending them).
	NoSend bool
}

// LoadJob is one job of a load.
type LoadJob struct {
	ID    string `json:"id"`
	Rows  int64  `json:"rows"`  // input rows uploaded to it
	Bytes int64  `json:"bytes"` // bytes uploaded
	State string `json:"state"`
}

// StartLoad uploads the input as one job per part, each under
// spec.MaxUploadBytes, and closes each job so Salesforce starts it. On a
// failure (or ctx ending) during an upload, the job being uploaded is
// aborted; jobs closed before keep running and are returned with the error.
func StartLoad(ctx context.Context, c *salesforce.Client, spec LoadSpec, plan *LoadPlan, open LoadSource, hooks LoadHooks) ([]LoadJob, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	rc, err := open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	split, err := NewCSVSplitter(rc, spec.maxBytes())
	if err != nil {
		return nil, &LoadInputError{err}
	}
	var (
		jobs []LoadJob
		sent int64
		rows int64
	)
	jr := hooks.Journal
	for part := split.Next(); part != nil; part = split.Next() {
		if jp := jr.partOrNil(part.Index); (jp != nil && jp.Taken()) || hooks.NoSend {
			// A job already holds these rows (or nothing is to be sent):
			// read past them, checking they are the rows the journal names.
			n, err := io.Copy(io.Discard, part)
			if serr := split.Err(); serr != nil {
				return jobs, &LoadInputError{serr}
			}
			if err != nil {
				return jobs, err
			}
			if jp == nil || !jp.Taken() {
				continue
			}
			if part.Start != jp.Start || part.End() != jp.End || part.Rows != jp.Rows {
				return jobs, &LoadInputError{fmt.Errorf("part %d is rows %d-%d (bytes %d-%d) now but was rows %d-%d (bytes %d-%d) when job %s took it; the input changed",
					part.Index, part.FirstRow, part.FirstRow+part.Rows-1, part.Start, part.End(), jp.FirstRow, jp.FirstRow+jp.Rows-1, jp.Start, jp.End, jp.JobID)}
			}
			sent += n
			rows += part.Rows
			if hooks.Uploaded != nil {
				hooks.Uploaded(sent)
			}
			jobs = append(jobs, LoadJob{ID: jp.JobID, Rows: jp.Rows, Bytes: n, State: salesforce.JobUploadComplete})
			continue
		}
		if jr != nil {
			if err := jr.intent(part.Index, part.FirstRow, part.Start); err != nil {
				return jobs, err
			}
		}
		job, err := createJob(ctx, func(ctx context.Context) (*salesforce.BulkJob, error) {
			return c.CreateIngestJob(ctx, salesforce.IngestJobSpec{Object: spec.SObject, Operation: spec.Operation, ExternalIDField: spec.ExternalIDField})
		})
		if job != nil && err != nil {
			// Made while ctx ended: it holds nothing and must not stay Open.
			abortQuietly(ctx, c, job.ID)
			return jobs, fmt.Errorf("job %s (part %d, aborted): %w", job.ID, part.Index, err)
		}
		if err != nil {
			return jobs, err
		}
		if jr != nil {
			err := jr.set(part.Index, func(p *JournalPart) { p.JobID, p.State = job.ID, PartOpened })
			if jr.UserID == "" && job.CreatedByID != "" && err == nil {
				jr.UserID = job.CreatedByID
				err = jr.Save()
			}
			if err != nil {
				abortQuietly(ctx, c, job.ID)
				return jobs, err
			}
		}
		if hooks.JobOpened != nil {
			hooks.JobOpened(job)
		}
		base := sent
		body := &countingReader{r: part, onRead: func(n int64) {
			if hooks.Uploaded != nil {
				hooks.Uploaded(base + n)
			}
		}}
		uerr := c.UploadJobData(ctx, job.ID, body)
		if serr := split.Err(); serr != nil {
			uerr = &LoadInputError{serr} // the input's fault, not the upload's
		}
		closing := false
		if uerr == nil && jr != nil {
			// The range is journaled before the job may run.
			uerr = jr.set(part.Index, func(p *JournalPart) { p.End, p.Rows, p.State = part.End(), part.Rows, PartUploaded })
		}
		if uerr == nil {
			closing = true
			_, uerr = c.CloseJob(ctx, job.ID)
		}
		if uerr != nil {
			abortQuietly(ctx, c, job.ID)
			if jr != nil && !closing {
				// Aborted before it was ever closed: it never runs.
				_ = jr.abandon(part.Index)
			}
			if errors.Is(uerr, context.Canceled) && ctx.Err() != nil {
				uerr = ctx.Err()
			}
			return jobs, fmt.Errorf("job %s (part %d, aborted): %w", job.ID, part.Index, uerr)
		}
		if jr != nil {
			if err := jr.set(part.Index, func(p *JournalPart) { p.State = PartClosed }); err != nil {
				return append(jobs, LoadJob{ID: job.ID, Rows: part.Rows, Bytes: body.n, State: salesforce.JobUploadComplete}), err
			}
		}
		sent += body.n
		rows += part.Rows
		jobs = append(jobs, LoadJob{ID: job.ID, Rows: part.Rows, Bytes: body.n, State: salesforce.JobUploadComplete})
	}
	if err := split.Err(); err != nil {
		return jobs, &LoadInputError{err}
	}
	if plan != nil && rows != plan.Rows && !hooks.NoSend {
		return jobs, fmt.Errorf("uploaded %d rows but the input had %d when it was checked; did it change meanwhile?", rows, plan.Rows)
	}
	return jobs, nil
}

// jobCreateTimeout bounds a job's create once it runs detached from its
// caller's ctx (see createJob).
const jobCreateTimeout = time.Minute

// createJob runs create, which makes a Bulk job at Salesforce, without
// letting ctx's cancel cut it short. Once the request is sent Salesforce may
// have made the job, and dropping its answer because ctx ended would leave
// that job unknown to us: an ingest job Open and holding nothing, or a query
// job running, until Salesforce deletes it days later. The create is bounded
// by jobCreateTimeout instead. When ctx ended while it ran, createJob
// returns the new job together with ctx's error, for the caller to abort or
// report.
func createJob(ctx context.Context, create func(context.Context) (*salesforce.BulkJob, error)) (*salesforce.BulkJob, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jobCreateTimeout)
	defer cancel()
	job, err := create(cctx)
	if err != nil {
		return nil, err
	}
	return job, ctx.Err()
}

// abortQuietly aborts a job that must not run, even when ctx has ended.
func abortQuietly(ctx context.Context, c *salesforce.Client, id string) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_, _ = c.AbortJob(actx, salesforce.BulkIngest, id)
}

type countingReader struct {
	r      io.Reader
	n      int64
	onRead func(int64)
}

func (cr *countingReader) Read(p []byte) (int, error) {
	n, err := cr.r.Read(p)
	if n > 0 {
		cr.n += int64(n)
		cr.onRead(cr.n)
	}
	return n, err
}

// WaitLoad waits for every job to end, in order, calling onPoll with each
// answer (i is the job's index). When ctx ends it returns what it knows;
// the jobs keep running.
func WaitLoad(ctx context.Context, c *salesforce.Client, ids []string, poll salesforce.PollPolicy, onPoll func(i int, job *salesforce.BulkJob)) ([]*salesforce.BulkJob, error) {
	out := make([]*salesforce.BulkJob, len(ids))
	for i, id := range ids {
		j, err := c.WaitBulkJob(ctx, salesforce.BulkIngest, id, poll, func(j *salesforce.BulkJob) {
			if onPoll != nil {
				onPoll(i, j)
			}
		})
		out[i] = j
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// JobResults is what one ended ingest job did with its rows.
type JobResults struct {
	Successful  int64
	Failed      int64
	Unprocessed int64
}

// CollectJobResults streams an ended job's failed and unprocessed rows to
// the writers (nil: only count them); header says whether to write each
// set's header line. Successful is what Salesforce counts (processed minus
// failed), not what is left once the failed rows are counted: a failed
// result set that lost rows must leave the sum short, where the caller's
// check sees it, instead of passing the lost rows off as successes.
func CollectJobResults(ctx context.Context, c *salesforce.Client, job *salesforce.BulkJob, failed, unprocessed io.Writer, header bool) (JobResults, error) {
	var res JobResults
	var err error
	if res.Failed, err = copyResultSet(ctx, c, job.ID, salesforce.FailedResults, failed, header); err != nil {
		return res, err
	}
	if res.Unprocessed, err = copyResultSet(ctx, c, job.ID, salesforce.UnprocessedRecords, unprocessed, header); err != nil {
		return res, err
	}
	res.Successful = job.NumberRecordsProcessed - job.NumberRecordsFailed
	return res, nil
}

// copyResultSet copies one result set's rows (and its header line when
// header is set) to w and counts the rows.
func copyResultSet(ctx context.Context, c *salesforce.Client, id, which string, w io.Writer, header bool) (int64, error) {
	rc, err := c.IngestResults(ctx, id, which)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	return copyRecords(rc, w, header, nil, nil)
}

// copyRecords copies CSV records from r to w (w may be nil), the first one
// (the header) only when header is set, and returns the rows after the
// header. onHeader and each, if set, see the header and every row.
func copyRecords(r io.Reader, w io.Writer, header bool, onHeader func(rec []byte), each func(rec []byte) error) (int64, error) {
	rr := newRecordReader(r)
	var rows int64
	for first := true; ; first = false {
		rec, err := rr.next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		if first && onHeader != nil {
			onHeader(rec)
		}
		if !first {
			rows++
			if each != nil {
				if err := each(rec); err != nil {
					return rows, err
				}
			}
		}
		if w != nil && (header || !first) {
			if _, err := w.Write(rec); err != nil {
				return rows, err
			}
		}
	}
}
