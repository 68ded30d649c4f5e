package salesforce

// Bulk API 2.0: ingest jobs (insert, update, upsert, delete, hardDelete from
// CSV) and query jobs (query, queryAll to CSV). Uploads stream from an
// io.Reader as a chunked PUT and results stream back as io.ReadClosers, so no
// call here holds a job's data in memory.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// BulkJobKind tells ingest jobs from query jobs; it is part of their URLs.
type BulkJobKind string

// The two kinds of Bulk API 2.0 jobs.
const (
	BulkIngest BulkJobKind = "ingest"
	BulkQuery  BulkJobKind = "query"
)

// Ingest operations.
const (
	BulkInsert     = "insert"
	BulkUpdate     = "update"
	BulkUpsert     = "upsert"
	BulkDelete     = "delete"
	BulkHardDelete = "hardDelete"
)

// Job states.
const (
	JobOpen           = "Open"
	JobUploadComplete = "UploadComplete"
	JobInProgress     = "InProgress"
	JobComplete       = "JobComplete"
	JobFailed         = "Failed"
	JobAborted        = "Aborted"
)

// Ingest result sets.
const (
	SuccessfulResults  = "successfulResults"
	FailedResults      = "failedResults"
	UnprocessedRecords = "unprocessedrecords"
)

// BulkJob is a Bulk API 2.0 JobInfo.
type BulkJob struct {
	ID                     string  `json:"id"`
	Operation              string  `json:"operation"`
	Object                 string  `json:"object"`
	State                  string  `json:"state"`
	ExternalIDFieldName    string  `json:"externalIdFieldName,omitempty"`
	ContentType            string  `json:"contentType,omitempty"`
	LineEnding             string  `json:"lineEnding,omitempty"`
	ColumnDelimiter        string  `json:"columnDelimiter,omitempty"`
	JobType                string  `json:"jobType,omitempty"`
	APIVersion             float64 `json:"apiVersion,omitempty"`
	CreatedDate            string  `json:"createdDate,omitempty"`
	CreatedByID            string  `json:"createdById,omitempty"`
	SystemModstamp         string  `json:"systemModstamp,omitempty"`
	NumberRecordsProcessed int64   `json:"numberRecordsProcessed"`
	NumberRecordsFailed    int64   `json:"numberRecordsFailed"`
	TotalProcessingTime    int64   `json:"totalProcessingTime,omitempty"`
	ErrorMessage           string  `json:"errorMessage,omitempty"`
}

// Kind is the job's kind, from its jobType.
func (j *BulkJob) Kind() BulkJobKind {
	if j.JobType == "V2Query" {
		return BulkQuery
	}
	return BulkIngest
}

// Ended reports a state no job leaves: JobComplete, Failed or Aborted.
func (j *BulkJob) Ended() bool {
	return j.State == JobComplete || j.State == JobFailed || j.State == JobAborted
}

// IngestJobSpec is what creating an ingest job needs.
type IngestJobSpec struct {
	Object    string
	Operation string // BulkInsert, BulkUpdate, ...
	// ExternalIDField is required for upsert and sent for nothing else.
	ExternalIDField string
	// LineEnding is "LF" (default) or "CRLF": the record terminator of the upload.
	LineEnding string
}

// ValidateBulkJobID checks a job id (a 750-prefixed Salesforce id) and
// returns its 18-character form.
func ValidateBulkJobID(id string) (string, error) {
	n, err := normalizeID(id)
	if err != nil {
		return "", &ValidationError{Field: "job id", Message: fmt.Sprintf("%q is not a Bulk job id", clipText(id, 40))}
	}
	if !strings.HasPrefix(n, "750") {
		return "", &ValidationError{Field: "job id", Message: fmt.Sprintf("%q is not a Bulk job id (they start with 750)", clipText(id, 40))}
	}
	return n, nil
}

func (c *Client) jobsPath(kind BulkJobKind, parts ...string) string {
	p := c.dataPath("jobs/" + string(kind))
	for _, s := range parts {
		p += "/" + s
	}
	return p
}

func (c *Client) jobRequest(ctx context.Context, what string, r *request) (*BulkJob, error) {
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var j BulkJob
	if err := json.Unmarshal(resp.body, &j); err != nil {
		return nil, fmt.Errorf("%s: decode response: %w", what, err)
	}
	return &j, nil
}

// CreateIngestJob opens an ingest job. It is not retried: a lost answer may
// still have opened a job.
func (c *Client) CreateIngestJob(ctx context.Context, spec IngestJobSpec) (*BulkJob, error) {
	if err := validateSObject(spec.Object); err != nil {
		return nil, err
	}
	switch spec.Operation {
	case BulkInsert, BulkUpdate, BulkDelete, BulkHardDelete:
	case BulkUpsert:
		if err := validateName("external id field", spec.ExternalIDField); err != nil {
			return nil, err
		}
	default:
		return nil, &ValidationError{Field: "operation", Message: fmt.Sprintf("%q is not insert, update, upsert, delete or hardDelete", spec.Operation)}
	}
	body := map[string]string{"object": spec.Object, "operation": spec.Operation, "contentType": "CSV", "columnDelimiter": "COMMA"}
	if spec.Operation == BulkUpsert {
		body["externalIdFieldName"] = spec.ExternalIDField
	}
	body["lineEnding"] = "LF"
	if spec.LineEnding == "CRLF" {
		body["lineEnding"] = "CRLF"
	}
	b, _ := json.Marshal(body)
	return c.jobRequest(ctx, "create ingest job", newRequest(http.MethodPost, c.jobsPath(BulkIngest)).withJSON(b))
}

// CreateQueryJob starts a query job (queryAll when all is set).
func (c *Client) CreateQueryJob(ctx context.Context, soql string, all bool) (*BulkJob, error) {
	if strings.TrimSpace(soql) == "" {
		return nil, &ValidationError{Field: "soql", Message: "is empty"}
	}
	op := "query"
	if all {
		op = "queryAll"
	}
	b, _ := json.Marshal(map[string]string{"operation": op, "query": soql, "contentType": "CSV", "columnDelimiter": "COMMA", "lineEnding": "LF"})
	return c.jobRequest(ctx, "create query job", newRequest(http.MethodPost, c.jobsPath(BulkQuery)).withJSON(b))
}

// UploadJobData streams data as the CSV of an Open ingest job in one chunked
// PUT; Salesforce takes one upload per job. It is sent once and never
// retried, since the reader cannot be rewound; if the session had expired,
// the token is refreshed for the calls that follow and the error returned.
func (c *Client) UploadJobData(ctx context.Context, jobID string, data io.Reader) error {
	id, err := ValidateBulkJobID(jobID)
	if err != nil {
		return err
	}
	r := newRequest(http.MethodPut, c.jobsPath(BulkIngest, id, "batches"))
	r.idempotent = false
	resp, err := c.streamAttempt(ctx, r, "text/csv", data)
	if err != nil {
		return fmt.Errorf("upload job data: %w", err)
	}
	resp.Body.Close()
	return nil
}

// streamAttempt sends r once with body streamed from data (chunked: the
// length is not known), and returns the open response on 2xx.
func (c *Client) streamAttempt(ctx context.Context, r *request, contentType string, data io.Reader) (*http.Response, error) {
	token := c.tokens.accessToken()
	// Hiding the reader's concrete type keeps net/http from guessing a length.
	req, err := http.NewRequestWithContext(ctx, r.method, c.instanceStr+r.path, struct{ io.Reader }{data})
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Content-Type", contentType)
	if err := c.checkBudget(r); err != nil {
		return nil, err
	}
	start := time.Now()
	octx, obs := c.observe(ctx, r.method, r.path, 1)
	resp, err := c.hc.Do(req.WithContext(octx))
	if err != nil {
		obs.end(RequestResult{Err: err})
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, c.transportError(r, err, 1)
	}
	c.recordUsage(resp.Header)
	c.log.DebugContext(ctx, "salesforce request", "method", r.method, "path", r.path, "status", resp.StatusCode, "elapsed", time.Since(start))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		obs.end(RequestResult{Status: resp.StatusCode})
		return resp, nil
	}
	apiErr := c.readError(resp)
	obs.end(RequestResult{Status: resp.StatusCode, ErrorCode: apiErr.ErrorCode})
	if apiErr.isExpiredSession() && c.tokens.CanRefresh() {
		if rerr := c.refresh(ctx, token); rerr != nil {
			return nil, rerr
		}
	}
	if resp.StatusCode == http.StatusUnauthorized || apiErr.isExpiredSession() {
		return nil, &AuthError{Message: "Salesforce rejected the session during the upload; run the command again", Err: apiErr}
	}
	return nil, apiErr
}

func (c *Client) setJobState(ctx context.Context, kind BulkJobKind, jobID, state string, idempotent bool) (*BulkJob, error) {
	id, err := ValidateBulkJobID(jobID)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(map[string]string{"state": state})
	r := newRequest(http.MethodPatch, c.jobsPath(kind, id)).withJSON(b)
	r.idempotent = idempotent
	return c.jobRequest(ctx, "set job "+id+" to "+state, r)
}

// CloseJob marks an ingest job's upload complete, so Salesforce starts it.
// Not retried: a repeated close of a job that was closed fails.
func (c *Client) CloseJob(ctx context.Context, jobID string) (*BulkJob, error) {
	return c.setJobState(ctx, BulkIngest, jobID, JobUploadComplete, false)
}

// AbortJob aborts a job of kind; records already processed stay processed.
func (c *Client) AbortJob(ctx context.Context, kind BulkJobKind, jobID string) (*BulkJob, error) {
	return c.setJobState(ctx, kind, jobID, JobAborted, true)
}

// BulkJobInfo returns a job's current state and counters.
func (c *Client) BulkJobInfo(ctx context.Context, kind BulkJobKind, jobID string) (*BulkJob, error) {
	id, err := ValidateBulkJobID(jobID)
	if err != nil {
		return nil, err
	}
	return c.jobRequest(ctx, "job "+id, newRequest(http.MethodGet, c.jobsPath(kind, id)))
}

// FindBulkJob returns a job whatever its kind: ingest first, then query.
func (c *Client) FindBulkJob(ctx context.Context, jobID string) (*BulkJob, error) {
	j, err := c.BulkJobInfo(ctx, BulkIngest, jobID)
	if err == nil || !IsNotFound(err) {
		return j, err
	}
	return c.BulkJobInfo(ctx, BulkQuery, jobID)
}

// DeleteBulkJob deletes a job that has ended (or is UploadComplete), with its data and results.
func (c *Client) DeleteBulkJob(ctx context.Context, kind BulkJobKind, jobID string) error {
	id, err := ValidateBulkJobID(jobID)
	if err != nil {
		return err
	}
	if _, err := c.send(ctx, newRequest(http.MethodDelete, c.jobsPath(kind, id))); err != nil {
		return fmt.Errorf("delete job %s: %w", id, err)
	}
	return nil
}

// maxJobListPages bounds how many pages of jobs ListBulkJobs follows.
const maxJobListPages = 100

// ListBulkJobs lists the org's jobs of kind, following the list's pages.
func (c *Client) ListBulkJobs(ctx context.Context, kind BulkJobKind) ([]BulkJob, error) {
	var all []BulkJob
	r := newRequest(http.MethodGet, c.jobsPath(kind))
	for page := 0; page < maxJobListPages; page++ {
		resp, err := c.send(ctx, r)
		if err != nil {
			return all, fmt.Errorf("list %s jobs: %w", kind, err)
		}
		var res struct {
			Done           bool      `json:"done"`
			Records        []BulkJob `json:"records"`
			NextRecordsURL *string   `json:"nextRecordsUrl"`
		}
		if err := json.Unmarshal(resp.body, &res); err != nil {
			return all, fmt.Errorf("list %s jobs: decode response: %w", kind, err)
		}
		all = append(all, res.Records...)
		if res.Done || res.NextRecordsURL == nil || *res.NextRecordsURL == "" {
			return all, nil
		}
		// The next page is the same resource with a queryLocator; only that is taken from the answer.
		u, err := url.Parse(*res.NextRecordsURL)
		if err != nil || u.Query().Get("queryLocator") == "" {
			return all, fmt.Errorf("list %s jobs: unexpected nextRecordsUrl", kind)
		}
		r = newRequest(http.MethodGet, c.jobsPath(kind))
		r.query = url.Values{"queryLocator": {u.Query().Get("queryLocator")}}
	}
	return all, nil
}

// openStream sends a GET and hands back the open body of a 2xx answer.
func (c *Client) openStream(ctx context.Context, r *request) (*http.Response, error) {
	r.header = http.Header{"Accept": {"text/csv"}}
	return c.roundTrip(ctx, r)
}

// IngestResults streams one of a job's result sets as CSV: SuccessfulResults
// ("sf__Id","sf__Created",<columns>), FailedResults ("sf__Id","sf__Error",
// <columns>) or UnprocessedRecords (the upload's columns). Close it.
func (c *Client) IngestResults(ctx context.Context, jobID, which string) (io.ReadCloser, error) {
	id, err := ValidateBulkJobID(jobID)
	if err != nil {
		return nil, err
	}
	switch which {
	case SuccessfulResults, FailedResults, UnprocessedRecords:
	default:
		return nil, &ValidationError{Field: "result set", Message: fmt.Sprintf("%q is not %s, %s or %s", which, SuccessfulResults, FailedResults, UnprocessedRecords)}
	}
	resp, err := c.openStream(ctx, newRequest(http.MethodGet, c.jobsPath(BulkIngest, id, which)))
	if err != nil {
		return nil, fmt.Errorf("%s of job %s: %w", which, id, err)
	}
	return resp.Body, nil
}

// QueryResultsPage is one page of a query job's results.
type QueryResultsPage struct {
	// Body is the page as CSV, header row first. Close it.
	Body io.ReadCloser
	// Records is Sforce-NumberOfRecords (-1 when absent).
	Records int
	// Locator fetches the next page; "" on the last.
	Locator string
}

// QueryJobResults opens the page of a completed query job's results that
// locator names ("" for the first). maxRecords > 0 caps the page's rows.
func (c *Client) QueryJobResults(ctx context.Context, jobID, locator string, maxRecords int) (*QueryResultsPage, error) {
	id, err := ValidateBulkJobID(jobID)
	if err != nil {
		return nil, err
	}
	r := newRequest(http.MethodGet, c.jobsPath(BulkQuery, id, "results"))
	q := url.Values{}
	if locator != "" {
		q.Set("locator", locator)
	}
	if maxRecords > 0 {
		q.Set("maxRecords", strconv.Itoa(maxRecords))
	}
	if len(q) > 0 {
		r.query = q
	}
	resp, err := c.openStream(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("results of query job %s: %w", id, err)
	}
	page := &QueryResultsPage{Body: resp.Body, Records: -1}
	if n, err := strconv.Atoi(resp.Header.Get("Sforce-NumberOfRecords")); err == nil {
		page.Records = n
	}
	if loc := resp.Header.Get("Sforce-Locator"); loc != "" && loc != "null" {
		page.Locator = loc
	}
	return page, nil
}

// PollPolicy paces WaitBulkJob: the first wait is Initial, doubling up to Max.
type PollPolicy struct {
	Initial time.Duration // default 200ms
	Max     time.Duration // default 5s
}

// DefaultPollPolicy waits 200ms, then twice as long each time, up to 5s.
func DefaultPollPolicy() PollPolicy {
	return PollPolicy{Initial: 200 * time.Millisecond, Max: 5 * time.Second}
}

func (p PollPolicy) withDefaults() PollPolicy {
	d := DefaultPollPolicy()
	if p.Initial <= 0 {
		p.Initial = d.Initial
	}
	if p.Max <= 0 {
		p.Max = d.Max
	}
	p.Max = max(p.Max, p.Initial)
	return p
}

// WaitBulkJob polls a job until it ends (JobComplete, Failed or Aborted) or
// ctx is done, calling onPoll (if set) with every answer. The job itself is
// untouched when ctx ends: it keeps running at Salesforce.
func (c *Client) WaitBulkJob(ctx context.Context, kind BulkJobKind, jobID string, p PollPolicy, onPoll func(*BulkJob)) (*BulkJob, error) {
	p = p.withDefaults()
	wait := p.Initial
	for {
		j, err := c.BulkJobInfo(ctx, kind, jobID)
		if err != nil {
			return nil, err
		}
		if onPoll != nil {
			onPoll(j)
		}
		if j.Ended() {
			return j, nil
		}
		if err := sleepCtx(ctx, wait); err != nil {
			return j, err
		}
		wait = min(wait*2, p.Max)
	}
}
