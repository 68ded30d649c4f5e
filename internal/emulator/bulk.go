package emulator

// Bulk API 2.0: ingest jobs (/jobs/ingest) load a CSV upload through the
// same record rules as REST, up to ingestTxRows rows per transaction (insert
// jobs write their records in batches, see bulkInserter; a reader goroutine
// prepares each chunk while the chunk before is written, see readChunks),
// in the background; query jobs (/jobs/query) run SOQL in the background and
// serve the result as paged CSV. Jobs, uploads and results are kept in the
// store (see store/blob.go), so a file-backed emulator still serves them
// after a restart and resumes the jobs it was running.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/store"
	"github.com/sfmcp/sfmcp/internal/sfid"
)

// Job states.
const (
	stateOpen           = "Open"
	stateUploadComplete = "UploadComplete"
	stateInProgress     = "InProgress"
	stateJobComplete    = "JobComplete"
	stateFailed         = "Failed"
	stateAborted        = "Aborted"
)

// Job kinds, as stored and as they appear in URLs.
const (
	kindIngest = "ingest"
	kindQuery  = "query"
)

// Streams of chunks a job keeps in the store.
const (
	streamUpload  = 1 // the uploaded CSV, as sent
	streamSuccess = 2 // successfulResults rows (no header)
	streamFailed  = 3 // failedResults rows (no header)
	streamQuery   = 4 // query result rows (no header), bulkQueryChunk rows per chunk
)

// bulkJob is a job as stored.
type bulkJob struct {
	ID                  string   `json:"id"`
	Kind                string   `json:"kind"`
	Operation           string   `json:"operation"`
	Object              string   `json:"object"`
	CreatedByID         string   `json:"createdById"`
	CreatedDate         string   `json:"createdDate"`
	SystemModstamp      string   `json:"systemModstamp"`
	State               string   `json:"state"`
	ExternalIDFieldName string   `json:"externalIdFieldName,omitempty"`
	APIVersion          string   `json:"apiVersion"`
	LineEnding          string   `json:"lineEnding"`
	ColumnDelimiter     string   `json:"columnDelimiter"`
	Query               string   `json:"query,omitempty"`
	ErrorMessage        string   `json:"errorMessage,omitempty"`
	Processed           int64    `json:"processed"`
	Failed              int64    `json:"failed"`
	Uploads             int      `json:"uploads"`
	UploadBytes         int64    `json:"uploadBytes"`
	Header              []string `json:"header,omitempty"`
	Columns             []string `json:"columns,omitempty"`
	StartedMS           int64    `json:"startedMs,omitempty"`
	EndedMS             int64    `json:"endedMs,omitempty"`
}

func (j *bulkJob) ended() bool {
	return j.State == stateJobComplete || j.State == stateFailed || j.State == stateAborted
}

// apiVersionJSON writes "62.0" as the number 62.0, as Salesforce does.
type apiVersionJSON string

func (v apiVersionJSON) MarshalJSON() ([]byte, error) {
	if _, err := strconv.ParseFloat(string(v), 64); err != nil {
		return []byte("null"), nil
	}
	return []byte(v), nil
}

// jobInfo is a JobInfo as Salesforce sends it, keys in its order.
type jobInfo struct {
	ID                      string         `json:"id"`
	Operation               string         `json:"operation"`
	Object                  string         `json:"object"`
	CreatedByID             string         `json:"createdById"`
	CreatedDate             string         `json:"createdDate"`
	SystemModstamp          string         `json:"systemModstamp"`
	State                   string         `json:"state"`
	ExternalIDFieldName     string         `json:"externalIdFieldName,omitempty"`
	ConcurrencyMode         string         `json:"concurrencyMode"`
	ContentType             string         `json:"contentType"`
	APIVersion              apiVersionJSON `json:"apiVersion"`
	JobType                 string         `json:"jobType,omitempty"`
	ContentURL              string         `json:"contentUrl,omitempty"`
	LineEnding              string         `json:"lineEnding"`
	ColumnDelimiter         string         `json:"columnDelimiter"`
	NumberRecordsProcessed  *int64         `json:"numberRecordsProcessed,omitempty"`
	NumberRecordsFailed     *int64         `json:"numberRecordsFailed,omitempty"`
	Retries                 *int           `json:"retries,omitempty"`
	TotalProcessingTime     *int64         `json:"totalProcessingTime,omitempty"`
	APIActiveProcessingTime *int64         `json:"apiActiveProcessingTime,omitempty"`
	ApexProcessingTime      *int64         `json:"apexProcessingTime,omitempty"`
	IsPkChunkingSupported   *bool          `json:"isPkChunkingSupported,omitempty"`
	ErrorMessage            string         `json:"errorMessage,omitempty"`
}

// info renders the job; full adds the counters of a "get job info" answer.
func (j *bulkJob) info(full bool) *jobInfo {
	out := &jobInfo{
		ID: j.ID, Operation: j.Operation, Object: j.Object, CreatedByID: j.CreatedByID,
		CreatedDate: j.CreatedDate, SystemModstamp: j.SystemModstamp, State: j.State,
		ExternalIDFieldName: j.ExternalIDFieldName, ConcurrencyMode: "Parallel", ContentType: "CSV",
		APIVersion: apiVersionJSON(j.APIVersion), LineEnding: j.LineEnding, ColumnDelimiter: j.ColumnDelimiter,
	}
	if j.Kind == kindIngest {
		out.JobType = "V2Ingest"
		out.ContentURL = "services/data/v" + j.APIVersion + "/jobs/ingest/" + j.ID + "/batches"
	} else {
		out.JobType = "V2Query"
	}
	if !full {
		return out
	}
	processed, retries := j.Processed, 0
	var elapsed int64
	if j.StartedMS > 0 {
		end := j.EndedMS
		if end == 0 {
			end = j.modstampMS()
		}
		elapsed = max(end-j.StartedMS, 0)
	}
	zero := int64(0)
	out.NumberRecordsProcessed = &processed
	out.Retries = &retries
	out.TotalProcessingTime = &elapsed
	if j.Kind == kindIngest {
		failed := j.Failed
		out.NumberRecordsFailed = &failed
		out.APIActiveProcessingTime = &elapsed
		out.ApexProcessingTime = &zero
	} else {
		yes := true
		out.IsPkChunkingSupported = &yes
	}
	out.ErrorMessage = j.ErrorMessage
	return out
}

// modstampMS is the job's systemModstamp in unix milliseconds.
func (j *bulkJob) modstampMS() int64 {
	t, err := time.Parse("2006-01-02T15:04:05.000-0700", j.SystemModstamp)
	if err != nil {
		return 0
	}
	return t.UnixMilli()
}

// bulkEngine runs Bulk API 2.0 jobs in the background.
type bulkEngine struct {
	org     *Org
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	initErr error

	mu        sync.Mutex
	closed    bool
	running   map[string]bool
	uploading map[string]bool
}

func newBulkEngine(o *Org) *bulkEngine {
	ctx, cancel := context.WithCancel(context.Background())
	b := &bulkEngine{org: o, ctx: ctx, cancel: cancel, running: map[string]bool{}, uploading: map[string]bool{}}
	if err := o.store.InitBulk(ctx); err != nil {
		b.initErr = err
		return b
	}
	b.resume()
	return b
}

// resume restarts the jobs a previous run left queued or running.
func (b *bulkEngine) resume() {
	for off := 0; ; off += 1000 {
		docs, err := b.org.store.ListJobs(b.ctx, "", off, 1000)
		if err != nil {
			b.org.log.Error("bulk: list jobs to resume", "err", err)
			return
		}
		for _, d := range docs {
			var j bulkJob
			if json.Unmarshal([]byte(d), &j) == nil && (j.State == stateUploadComplete || j.State == stateInProgress) {
				b.start(j.ID)
			}
		}
		if len(docs) < 1000 {
			return
		}
	}
}

// close stops the running jobs (they resume when the org is opened again)
// and waits for them.
func (b *bulkEngine) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.cancel()
	b.wg.Wait()
}

// start runs job id in the background unless it already runs.
func (b *bulkEngine) start(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || b.running[id] {
		return
	}
	b.running[id] = true
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		defer func() {
			b.mu.Lock()
			delete(b.running, id)
			b.mu.Unlock()
		}()
		if err := b.run(id); err != nil && b.ctx.Err() == nil {
			b.org.log.Error("bulk: job failed to run", "job", id, "err", err)
			_ = b.fail(id, "InternalError : "+err.Error())
		}
	}()
}

func (b *bulkEngine) run(id string) error {
	j, err := b.load(b.ctx, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	if j.Kind == kindQuery {
		return b.runQuery(j)
	}
	return b.runIngest(j)
}

// errJobGone stops a runner whose job was aborted or deleted meanwhile.
var errJobGone = errors.New("bulk: job no longer runs")

// load reads a job.
func (b *bulkEngine) load(ctx context.Context, id string) (*bulkJob, error) {
	_, doc, err := b.org.store.GetJob(ctx, id)
	if err != nil {
		return nil, err
	}
	var j bulkJob
	if err := json.Unmarshal([]byte(doc), &j); err != nil {
		return nil, fmt.Errorf("bulk: decode job %s: %w", id, err)
	}
	return &j, nil
}

func loadTx(ctx context.Context, tx *store.Tx, id string) (*bulkJob, error) {
	_, doc, err := tx.GetJob(ctx, id)
	if err != nil {
		return nil, err
	}
	var j bulkJob
	if err := json.Unmarshal([]byte(doc), &j); err != nil {
		return nil, fmt.Errorf("bulk: decode job %s: %w", id, err)
	}
	return &j, nil
}

func saveTx(ctx context.Context, tx *store.Tx, j *bulkJob) error {
	doc, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return tx.SetJob(ctx, j.ID, string(doc))
}

// modify changes job id in a transaction: fn sees the stored job and
// changes it; returning an error leaves it unchanged.
func (b *bulkEngine) modify(ctx context.Context, id string, fn func(j *bulkJob) error) (*bulkJob, error) {
	var out *bulkJob
	err := b.org.store.Update(ctx, func(tx *store.Tx) error {
		j, err := loadTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := fn(j); err != nil {
			return err
		}
		j.SystemModstamp = timestamp(b.org.now())
		out = j
		return saveTx(ctx, tx, j)
	})
	return out, err
}

// fail ends a job in the Failed state with message.
func (b *bulkEngine) fail(id, message string) error {
	_, err := b.modify(context.Background(), id, func(j *bulkJob) error {
		if j.ended() {
			return errJobGone
		}
		j.State = stateFailed
		j.ErrorMessage = message
		j.EndedMS = b.org.now().UnixMilli()
		return nil
	})
	return err
}

// handleJobs serves /jobs/ingest and /jobs/query (Bulk API 2.0).
func (e *Emulator) handleJobs(q *apiRequest) {
	b := e.org.bulk
	if b.initErr != nil {
		writeError(q.w, internalError(b.initErr))
		return
	}
	p := q.parts
	if len(p) < 2 || (p[1] != kindIngest && p[1] != kindQuery) {
		writeError(q.w, notFound())
		return
	}
	kind := p[1]
	m := q.r.Method
	if len(p) == 2 {
		switch m {
		case http.MethodPost:
			if kind == kindIngest {
				e.createIngestJob(q)
			} else {
				e.createQueryJob(q)
			}
		case http.MethodGet:
			e.listJobs(q, kind)
		default:
			writeError(q.w, methodNotAllowed(m))
		}
		return
	}
	j, aerr := e.findJob(q, kind, p[2])
	if aerr != nil {
		writeError(q.w, aerr)
		return
	}
	if len(p) == 3 {
		switch m {
		case http.MethodGet:
			writeJSON(q.w, 200, j.info(true))
		case http.MethodPatch:
			e.patchJob(q, j)
		case http.MethodDelete:
			e.deleteJob(q, j)
		default:
			writeError(q.w, methodNotAllowed(m))
		}
		return
	}
	if len(p) != 4 {
		writeError(q.w, notFound())
		return
	}
	switch {
	case kind == kindIngest && p[3] == "batches":
		if m != http.MethodPut {
			writeError(q.w, methodNotAllowed(m))
			return
		}
		e.uploadJobData(q, j)
	case kind == kindIngest && (p[3] == "successfulResults" || p[3] == "failedResults" || p[3] == "unprocessedrecords"):
		if m != http.MethodGet {
			writeError(q.w, methodNotAllowed(m))
			return
		}
		e.ingestResults(q, j, p[3])
	case kind == kindQuery && p[3] == "results":
		if m != http.MethodGet {
			writeError(q.w, methodNotAllowed(m))
			return
		}
		e.queryResults(q, j)
	default:
		writeError(q.w, notFound())
	}
}

// findJob reads the job of kind with id (15 or 18 characters).
func (e *Emulator) findJob(q *apiRequest, kind, id string) (*bulkJob, *apiError) {
	norm, err := sfid.Normalize(id)
	if err != nil || norm[:3] != "750" {
		return nil, jobNotFound()
	}
	j, err := e.org.bulk.load(q.r.Context(), norm)
	if errors.Is(err, store.ErrNotFound) {
		return nil, jobNotFound()
	}
	if err != nil {
		return nil, internalError(err)
	}
	if j.Kind != kind {
		return nil, jobNotFound()
	}
	if e.org.jobExpired(j) {
		e.org.dropExpiredJob(q.r.Context(), j)
		return nil, jobNotFound()
	}
	return j, nil
}

func jobNotFound() *apiError {
	return errf(404, "NOT_FOUND", nil, "The requested resource does not exist")
}

// jobRequest is the body of a job creation.
type jobRequest struct {
	Object              string `json:"object"`
	Operation           string `json:"operation"`
	ExternalIDFieldName string `json:"externalIdFieldName"`
	ContentType         string `json:"contentType"`
	LineEnding          string `json:"lineEnding"`
	ColumnDelimiter     string `json:"columnDelimiter"`
	Query               string `json:"query"`
}

// delimiters maps columnDelimiter values to their character.
var delimiters = map[string]rune{"COMMA": ',', "TAB": '\t', "PIPE": '|', "SEMICOLON": ';', "CARET": '^', "BACKQUOTE": '`'}

// enumError is how Salesforce answers a value its JSON enums do not know.
func enumError(value, enum string) *apiError {
	return errf(400, "JSON_PARSER_ERROR", nil,
		"Cannot deserialize instance of %s from VALUE_STRING value %s or request may be missing a required field", enum, value)
}

// checkFormat validates and defaults contentType, lineEnding and columnDelimiter.
func checkFormat(r *jobRequest) *apiError {
	if r.ContentType == "" {
		r.ContentType = "CSV"
	}
	if r.ContentType != "CSV" {
		if r.ContentType == "JSON" || r.ContentType == "XML" || r.ContentType == "ZIP_CSV" || r.ContentType == "ZIP_XML" || r.ContentType == "ZIP_JSON" {
			return errf(400, "INVALIDJOB", nil, "Bulk API 2.0 jobs support the content type CSV only, not %s", r.ContentType)
		}
		return enumError(r.ContentType, "ContentType")
	}
	if r.LineEnding == "" {
		r.LineEnding = "LF"
	}
	if r.LineEnding != "LF" && r.LineEnding != "CRLF" {
		return enumError(r.LineEnding, "LineEndingEnum")
	}
	if r.ColumnDelimiter == "" {
		r.ColumnDelimiter = "COMMA"
	}
	if _, ok := delimiters[r.ColumnDelimiter]; !ok {
		return enumError(r.ColumnDelimiter, "ColumnDelimiterEnum")
	}
	return nil
}

// newJob allocates a job id and fills the common fields.
func (e *Emulator) newJob(q *apiRequest, kind string, r *jobRequest) (*bulkJob, *apiError) {
	seq, err := e.org.store.NextSeq(q.r.Context(), "id:750", 1)
	if err != nil {
		return nil, internalError(err)
	}
	id, err := sfid.New("750", pod, uint64(seq))
	if err != nil {
		return nil, internalError(err)
	}
	now := timestamp(e.org.now())
	return &bulkJob{
		ID: id, Kind: kind, Operation: r.Operation, Object: r.Object, CreatedByID: q.sess.UserID,
		CreatedDate: now, SystemModstamp: now, APIVersion: q.version,
		LineEnding: r.LineEnding, ColumnDelimiter: r.ColumnDelimiter,
	}, nil
}

func (e *Emulator) saveNewJob(q *apiRequest, j *bulkJob) *apiError {
	doc, err := json.Marshal(j)
	if err != nil {
		return internalError(err)
	}
	if err := e.org.store.PutJob(q.r.Context(), j.ID, j.Kind, string(doc)); err != nil {
		return internalError(err)
	}
	return nil
}

// listPage is how many jobs one list answer holds.
const listPage = 1000

// listJobs serves GET /jobs/ingest and /jobs/query.
func (e *Emulator) listJobs(q *apiRequest, kind string) {
	off := 0
	if loc := q.r.URL.Query().Get("queryLocator"); loc != "" {
		n, ok := decodeLocator(loc)
		if !ok {
			writeError(q.w, errf(400, "INVALID_QUERY_LOCATOR", nil, "invalid query locator: %s", loc))
			return
		}
		off = n
	}
	wantType := q.r.URL.Query().Get("jobType")
	records := []*jobInfo{}
	scanned := off
	more := false
	for {
		docs, err := e.org.store.ListJobs(q.r.Context(), kind, scanned, listPage)
		if err != nil {
			writeError(q.w, internalError(err))
			return
		}
		for _, d := range docs {
			if len(records) == listPage {
				more = true
				break
			}
			scanned++
			var j bulkJob
			if json.Unmarshal([]byte(d), &j) != nil {
				continue
			}
			if e.org.jobExpired(&j) {
				continue
			}
			info := j.info(false)
			if wantType != "" && !strings.EqualFold(wantType, info.JobType) {
				continue
			}
			records = append(records, info)
		}
		if more || len(docs) < listPage {
			break
		}
	}
	out := map[string]any{"done": !more, "records": records, "nextRecordsUrl": nil}
	if more {
		out["nextRecordsUrl"] = "/services/data/v" + q.version + "/jobs/" + kind + "?queryLocator=" + encodeLocator(scanned)
	}
	writeJSON(q.w, 200, out)
}

// patchJob serves PATCH /jobs/{kind}/{id}: {"state":"UploadComplete"} or
// {"state":"Aborted"}.
func (e *Emulator) patchJob(q *apiRequest, j *bulkJob) {
	var body struct {
		State string `json:"state"`
	}
	if aerr := e.readJSON(q, &body); aerr != nil {
		writeError(q.w, aerr)
		return
	}
	switch body.State {
	case stateUploadComplete, stateAborted:
	case stateOpen, stateInProgress, stateJobComplete, stateFailed:
		writeError(q.w, errf(400, "INVALIDJOBSTATE", nil, "The state %s can not be set on a job: use UploadComplete or Aborted", body.State))
		return
	default:
		writeError(q.w, enumError(body.State, "JobStateEnum"))
		return
	}
	now := e.org.now().UnixMilli()
	var aerr *apiError
	updated, err := e.org.bulk.modify(q.r.Context(), j.ID, func(cur *bulkJob) error {
		switch {
		case body.State == stateUploadComplete && cur.Kind == kindIngest && cur.State == stateOpen:
			if cur.Uploads > 1 {
				// Salesforce's own wording, spelling included.
				aerr = errf(400, "INVALIDJOB", nil, "Found multipe contents for job: <%s>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.", cur.ID[:15])
				return aerr
			}
			cur.State = stateUploadComplete
		case body.State == stateAborted && (cur.State == stateOpen || cur.State == stateUploadComplete || cur.State == stateInProgress):
			cur.State = stateAborted
			if cur.StartedMS > 0 {
				cur.EndedMS = now
			}
		default:
			aerr = errf(400, "INVALIDJOBSTATE", nil, "Invalid state transition from %s to %s for job %s", cur.State, body.State, cur.ID)
			return aerr
		}
		return nil
	})
	if aerr != nil {
		writeError(q.w, aerr)
		return
	}
	if errors.Is(err, store.ErrNotFound) {
		writeError(q.w, jobNotFound())
		return
	}
	if err != nil {
		writeError(q.w, internalError(err))
		return
	}
	if updated.State == stateUploadComplete {
		e.org.bulk.start(updated.ID)
	}
	writeJSON(q.w, 200, updated.info(false))
}

// deleteJob serves DELETE /jobs/{kind}/{id}: the job, its data and results
// go; a job must be UploadComplete or have ended.
func (e *Emulator) deleteJob(q *apiRequest, j *bulkJob) {
	var aerr *apiError
	err := e.org.store.Update(q.r.Context(), func(tx *store.Tx) error {
		cur, err := loadTx(q.r.Context(), tx, j.ID)
		if err != nil {
			return err
		}
		if !cur.ended() && cur.State != stateUploadComplete {
			aerr = errf(400, "INVALIDJOBSTATE", nil, "Job %s is in state %s; only a job in state UploadComplete, JobComplete, Aborted or Failed can be deleted", cur.ID, cur.State)
			return aerr
		}
		return tx.DeleteJob(q.r.Context(), cur.ID)
	})
	if aerr != nil {
		writeError(q.w, aerr)
		return
	}
	if errors.Is(err, store.ErrNotFound) {
		writeError(q.w, jobNotFound())
		return
	}
	if err != nil {
		writeError(q.w, internalError(err))
		return
	}
	q.w.WriteHeader(http.StatusNoContent)
}

// encodeLocator makes the opaque locator of a row offset (base64 of the
// decimal offset, like the locators real orgs hand out).
func encodeLocator(n int) string {
	return base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(n)))
}

func decodeLocator(s string) (int, bool) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(string(raw))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}
