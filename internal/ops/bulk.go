package ops

// Bulk API 2.0 operations for MCP clients: bounded inputs (records as JSON),
// bounded outputs (counts, job ids, the first failed rows, the first query
// rows). The CLI uses the streaming forms in bulk_load.go and below.

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// ToolsetBulk holds the Bulk API 2.0 operations.
const ToolsetBulk Toolset = "bulk"

// Bounds of the bulk tools.
const (
	// MaxBulkToolRecords is the most records one tool call takes; larger
	// loads belong to `sfmcp bulk insert --file`, which streams.
	MaxBulkToolRecords = 10000
	// MaxFailedRecords is how many failed rows a result lists.
	MaxFailedRecords = 50
	// DefaultBulkWait is how long a tool waits for its job by default.
	DefaultBulkWait = 120 * time.Second
	// MaxBulkWaitSeconds bounds wait_seconds.
	MaxBulkWaitSeconds = 600
)

// BulkInsertInput is the input of salesforce_bulk_insert.
type BulkInsertInput struct {
	SObject     string           `json:"sobject" jsonschema:"description=The object's API name; for example Account"`
	Records     []map[string]any `json:"records" jsonschema:"description=The records to create (up to 10000): objects of field name to value; null sets a field to null; a nested object such as {\"Account\":{\"External_Id__c\":\"A1\"}} sets a lookup by external id"`
	WaitSeconds int              `json:"wait_seconds,omitempty" jsonschema:"description=How long to wait for the job to finish (0 to 600; default 120). When it has not finished the result has done=false; ask again with salesforce_bulk_job_status"`
}

// BulkUpdateInput is the input of salesforce_bulk_update.
type BulkUpdateInput struct {
	SObject     string           `json:"sobject" jsonschema:"description=The object's API name; for example Account"`
	Records     []map[string]any `json:"records" jsonschema:"description=The records to update (up to 10000); each needs its Id and the fields to change"`
	WaitSeconds int              `json:"wait_seconds,omitempty" jsonschema:"description=How long to wait for the job to finish (0 to 600; default 120)"`
}

// BulkUpsertInput is the input of salesforce_bulk_upsert.
type BulkUpsertInput struct {
	SObject         string           `json:"sobject" jsonschema:"description=The object's API name; for example Account"`
	ExternalIDField string           `json:"external_id_field" jsonschema:"description=The external id field that matches records; for example External_Id__c (or Id)"`
	Records         []map[string]any `json:"records" jsonschema:"description=The records to create or update (up to 10000); each needs its external id value"`
	WaitSeconds     int              `json:"wait_seconds,omitempty" jsonschema:"description=How long to wait for the job to finish (0 to 600; default 120)"`
}

// BulkDeleteInput is the input of salesforce_bulk_delete.
type BulkDeleteInput struct {
	SObject     string   `json:"sobject" jsonschema:"description=The object's API name; for example Account"`
	RecordIDs   []string `json:"record_ids" jsonschema:"description=The ids of the records to delete (up to 10000); they go to the recycle bin"`
	WaitSeconds int      `json:"wait_seconds,omitempty" jsonschema:"description=How long to wait for the job to finish (0 to 600; default 120)"`
}

func checkRecords(recs []map[string]any) error {
	switch {
	case len(recs) == 0:
		return inputErrorf("records", "is required: give at least one record")
	case len(recs) > MaxBulkToolRecords:
		return inputErrorf("records", "has %d records; one call takes up to %d (load larger sets from a file with `sfmcp bulk insert --file`)", len(recs), MaxBulkToolRecords)
	}
	for i, r := range recs {
		if len(r) == 0 {
			return inputErrorf("records", "record %d has no fields", i+1)
		}
	}
	return nil
}

func checkWait(s int) error {
	if s < 0 || s > MaxBulkWaitSeconds {
		return inputErrorf("wait_seconds", "%d is outside 0..%d", s, MaxBulkWaitSeconds)
	}
	return nil
}

// Validate checks the input.
func (in BulkInsertInput) Validate() error {
	if err := checkName("sobject", in.SObject); err != nil {
		return err
	}
	if err := checkRecords(in.Records); err != nil {
		return err
	}
	return checkWait(in.WaitSeconds)
}

// Validate checks the input.
func (in BulkUpdateInput) Validate() error {
	if err := (BulkInsertInput{SObject: in.SObject, Records: in.Records, WaitSeconds: in.WaitSeconds}).Validate(); err != nil {
		return err
	}
	for i, r := range in.Records {
		if !hasKey(r, "Id") {
			return inputErrorf("records", "record %d has no Id", i+1)
		}
	}
	return nil
}

// Validate checks the input.
func (in BulkUpsertInput) Validate() error {
	if err := checkName("sobject", in.SObject); err != nil {
		return err
	}
	if err := checkName("external_id_field", in.ExternalIDField); err != nil {
		return err
	}
	if err := checkRecords(in.Records); err != nil {
		return err
	}
	for i, r := range in.Records {
		if !hasKey(r, in.ExternalIDField) {
			return inputErrorf("records", "record %d has no %s", i+1, in.ExternalIDField)
		}
	}
	return checkWait(in.WaitSeconds)
}

// Validate checks the input.
func (in BulkDeleteInput) Validate() error {
	if err := checkName("sobject", in.SObject); err != nil {
		return err
	}
	switch {
	case len(in.RecordIDs) == 0:
		return inputErrorf("record_ids", "is required: give at least one id")
	case len(in.RecordIDs) > MaxBulkToolRecords:
		return inputErrorf("record_ids", "has %d ids; one call takes up to %d", len(in.RecordIDs), MaxBulkToolRecords)
	}
	for _, id := range in.RecordIDs {
		if err := checkID("record_ids", id); err != nil {
			return err
		}
	}
	return checkWait(in.WaitSeconds)
}

func hasKey(m map[string]any, key string) bool {
	for k, v := range m {
		if strings.EqualFold(k, key) && v != nil && v != "" {
			return true
		}
	}
	return false
}

// BulkLoadOutput is what a bulk load did.
type BulkLoadOutput struct {
	// JobIDs are the Bulk jobs the load ran as (one unless it was split).
	JobIDs []string `json:"job_ids"`
	// State is JobComplete, Failed or Aborted once done; the last known state otherwise.
	State string `json:"state"`
	// Done is false when wait_seconds passed first; the jobs keep running.
	Done bool `json:"done"`
	// Records is how many rows were sent.
	Records     int64 `json:"records"`
	Processed   int64 `json:"processed"`
	Successful  int64 `json:"successful"`
	Failed      int64 `json:"failed"`
	Unprocessed int64 `json:"unprocessed"`
	// FailedRecords are the first failed rows with their errors.
	FailedRecords []BulkFailedRecord `json:"failed_records,omitempty"`
	// FailedRecordsTruncated says more rows failed than are listed.
	FailedRecordsTruncated bool   `json:"failed_records_truncated,omitempty"`
	ErrorMessage           string `json:"error_message,omitempty"`
}

// BulkFailedRecord is one failed row: the error and the row's values.
type BulkFailedRecord struct {
	ID     string            `json:"id,omitempty"`
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields"`
}

// BulkInsertOp declares salesforce_bulk_insert.
func BulkInsertOp() Operation[BulkInsertInput, BulkLoadOutput] {
	return Operation[BulkInsertInput, BulkLoadOutput]{Meta: Meta{
		Name:  "salesforce_bulk_insert",
		Title: "Create many records (Bulk API 2.0)",
		Description: "Create up to 10000 records of one object with a Bulk API 2.0 job and wait for it (wait_seconds). " +
			"Returns counts, the job id and the first failed rows with their errors.",
		Destructive: false, Idempotent: false, OpenWorld: true, Toolset: ToolsetBulk,
	}, Run: BulkInsert}
}

// BulkUpdateOp declares salesforce_bulk_update.
func BulkUpdateOp() Operation[BulkUpdateInput, BulkLoadOutput] {
	return Operation[BulkUpdateInput, BulkLoadOutput]{Meta: Meta{
		Name:        "salesforce_bulk_update",
		Title:       "Update many records (Bulk API 2.0)",
		Description: "Update up to 10000 records by Id with a Bulk API 2.0 job. Returns counts, the job id and the first failed rows.",
		Destructive: true, Idempotent: true, OpenWorld: true, Toolset: ToolsetBulk,
	}, Run: BulkUpdate}
}

// BulkUpsertOp declares salesforce_bulk_upsert.
func BulkUpsertOp() Operation[BulkUpsertInput, BulkLoadOutput] {
	return Operation[BulkUpsertInput, BulkLoadOutput]{Meta: Meta{
		Name:        "salesforce_bulk_upsert",
		Title:       "Create or update many records by external id (Bulk API 2.0)",
		Description: "Create or update up to 10000 records matched on external_id_field with a Bulk API 2.0 job. Returns counts, the job id and the first failed rows.",
		Destructive: true, Idempotent: true, OpenWorld: true, Toolset: ToolsetBulk,
	}, Run: BulkUpsert}
}

// BulkDeleteOp declares salesforce_bulk_delete.
func BulkDeleteOp() Operation[BulkDeleteInput, BulkLoadOutput] {
	return Operation[BulkDeleteInput, BulkLoadOutput]{Meta: Meta{
		Name:        "salesforce_bulk_delete",
		Title:       "Delete many records (Bulk API 2.0)",
		Description: "Delete up to 10000 records by id (to the recycle bin) with a Bulk API 2.0 job. Returns counts, the job id and the first failed rows.",
		Destructive: true, Idempotent: true, OpenWorld: true, Toolset: ToolsetBulk,
	}, Run: BulkDelete}
}

// BulkInsert creates records with a Bulk job.
func BulkInsert(ctx context.Context, c *salesforce.Client, in BulkInsertInput) (BulkLoadOutput, error) {
	if err := in.Validate(); err != nil {
		return BulkLoadOutput{}, err
	}
	return loadRecords(ctx, c, LoadSpec{SObject: in.SObject, Operation: salesforce.BulkInsert}, recordRows(in.Records), in.WaitSeconds)
}

// BulkUpdate updates records with a Bulk job.
func BulkUpdate(ctx context.Context, c *salesforce.Client, in BulkUpdateInput) (BulkLoadOutput, error) {
	if err := in.Validate(); err != nil {
		return BulkLoadOutput{}, err
	}
	return loadRecords(ctx, c, LoadSpec{SObject: in.SObject, Operation: salesforce.BulkUpdate}, recordRows(in.Records), in.WaitSeconds)
}

// BulkUpsert upserts records with a Bulk job.
func BulkUpsert(ctx context.Context, c *salesforce.Client, in BulkUpsertInput) (BulkLoadOutput, error) {
	if err := in.Validate(); err != nil {
		return BulkLoadOutput{}, err
	}
	return loadRecords(ctx, c, LoadSpec{SObject: in.SObject, Operation: salesforce.BulkUpsert, ExternalIDField: in.ExternalIDField}, recordRows(in.Records), in.WaitSeconds)
}

// BulkDelete deletes records with a Bulk job.
func BulkDelete(ctx context.Context, c *salesforce.Client, in BulkDeleteInput) (BulkLoadOutput, error) {
	if err := in.Validate(); err != nil {
		return BulkLoadOutput{}, err
	}
	recs := make([]map[string]any, len(in.RecordIDs))
	for i, id := range in.RecordIDs {
		recs[i] = map[string]any{"Id": strings.TrimSpace(id)}
	}
	return loadRecords(ctx, c, LoadSpec{SObject: in.SObject, Operation: salesforce.BulkDelete}, recordRows(recs), in.WaitSeconds)
}

// recordRows makes a JSONRows source over records, encoding one at a time.
func recordRows(recs []map[string]any) func() JSONRows {
	return func() JSONRows {
		i := 0
		return func() ([]byte, int, error) {
			if i >= len(recs) {
				return nil, i, io.EOF
			}
			i++
			b, err := json.Marshal(recs[i-1])
			return b, i, err
		}
	}
}

func waitFor(seconds int) time.Duration {
	if seconds == 0 {
		return DefaultBulkWait
	}
	return time.Duration(seconds) * time.Second
}

// loadRecords runs a bounded load: convert, check, upload, wait, collect.
func loadRecords(ctx context.Context, c *salesforce.Client, spec LoadSpec, rows func() JSONRows, waitSeconds int) (BulkLoadOutput, error) {
	header, _, err := ScanJSONRows(rows())
	if err != nil {
		return BulkLoadOutput{}, inputErrorf("records", "%v", err)
	}
	open := func() (io.ReadCloser, error) { return io.NopCloser(JSONToCSV(rows(), header)), nil }
	plan, err := PrepareLoad(ctx, c, spec, open)
	if err != nil {
		var le *LoadInputError
		if errors.As(err, &le) {
			return BulkLoadOutput{}, inputErrorf("records", "%v", le.Err)
		}
		return BulkLoadOutput{}, err
	}
	jobs, err := StartLoad(ctx, c, spec, plan, open, LoadHooks{})
	out := BulkLoadOutput{Records: plan.Rows, JobIDs: make([]string, 0, len(jobs))}
	for _, j := range jobs {
		if j.ID != "" {
			out.JobIDs = append(out.JobIDs, j.ID)
		}
	}
	if err != nil {
		abortIfCancelled(ctx, c, salesforce.BulkIngest, out.JobIDs)
		return BulkLoadOutput{}, err
	}
	wctx, cancel := context.WithTimeout(ctx, waitFor(waitSeconds))
	defer cancel()
	total := float64(plan.Rows)
	reportProgress(ctx, 0, total, fmt.Sprintf("uploaded %d rows as %s; Salesforce is processing them", plan.Rows, jobsNamed(out.JobIDs)))
	processed := make([]int64, len(jobs))
	ended, err := WaitLoad(wctx, c, out.JobIDs, salesforce.PollPolicy{}, func(i int, j *salesforce.BulkJob) {
		processed[i] = j.NumberRecordsProcessed
		var sum int64
		for _, n := range processed {
			sum += n
		}
		reportProgress(ctx, float64(sum), total, fmt.Sprintf("job %s %s: %d of %d rows processed", j.ID, j.State, sum, plan.Rows))
	})
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		err = nil // waited long enough: report where the jobs are
	}
	if err != nil {
		abortIfCancelled(ctx, c, salesforce.BulkIngest, out.JobIDs)
		return out, err
	}
	return summarize(ctx, c, ended, out)
}

type abortOnCancelKey struct{}

// WithAbortOnCancel returns ctx saying that the bulk tools it is passed to
// abort their jobs at Salesforce when ctx is cancelled while they wait: the
// caller's cancel means "stop the work" (an MCP task cancelled with
// tasks/cancel), not only "stop waiting", which is the default because a
// waiting call that times out or loses its client leaves the job running
// where bulk status can still follow it.
func WithAbortOnCancel(ctx context.Context) context.Context {
	return context.WithValue(ctx, abortOnCancelKey{}, true)
}

// abortIfCancelled aborts the jobs when ctx was cancelled and asked for that.
func abortIfCancelled(ctx context.Context, c *salesforce.Client, kind salesforce.BulkJobKind, ids []string) {
	if ctx.Err() == nil || len(ids) == 0 {
		return
	}
	if on, _ := ctx.Value(abortOnCancelKey{}).(bool); !on {
		return
	}
	// Aborting a job that ended meanwhile fails harmlessly; nothing to report to.
	AbortBulkJobs(ctx, c, kind, ids, func(string, *salesforce.BulkJob, error) {})
}

// jobsNamed is "job 750…" or "2 jobs (750…, 750…)".
func jobsNamed(ids []string) string {
	if len(ids) == 1 {
		return "job " + ids[0]
	}
	return fmt.Sprintf("%d jobs (%s)", len(ids), strings.Join(ids, ", "))
}

// summarize fills counts (and, for ended jobs, failed rows) into out.
func summarize(ctx context.Context, c *salesforce.Client, jobs []*salesforce.BulkJob, out BulkLoadOutput) (BulkLoadOutput, error) {
	out.Done = true
	for _, j := range jobs {
		if j == nil {
			out.Done = false
			continue
		}
		out.Processed += j.NumberRecordsProcessed
		out.Failed += j.NumberRecordsFailed
		if out.State == "" || j.State != salesforce.JobComplete {
			out.State = j.State
		}
		if j.ErrorMessage != "" && out.ErrorMessage == "" {
			out.ErrorMessage = j.ErrorMessage
		}
		if !j.Ended() {
			out.Done = false
		}
	}
	out.Successful = out.Processed - out.Failed
	if !out.Done {
		return out, nil
	}
	out.Failed = 0
	for _, j := range jobs {
		res, err := collectBounded(ctx, c, j, &out)
		if err != nil {
			return out, err
		}
		out.Failed += res.Failed
		out.Unprocessed += res.Unprocessed
	}
	out.Successful = out.Processed - out.Failed
	return out, nil
}

// collectBounded counts a job's failed and unprocessed rows and keeps the
// first MaxFailedRecords failed ones in out.
func collectBounded(ctx context.Context, c *salesforce.Client, j *salesforce.BulkJob, out *BulkLoadOutput) (JobResults, error) {
	var res JobResults
	g := GuardFrom(ctx)
	rc, err := c.IngestResults(ctx, j.ID, salesforce.FailedResults)
	if err != nil {
		return res, err
	}
	var header []string
	onHeader := func(rec []byte) {
		header, _ = csv.NewReader(strings.NewReader(string(rec))).Read()
	}
	res.Failed, err = copyRecords(rc, nil, false, onHeader, func(rec []byte) error {
		if len(out.FailedRecords) >= MaxFailedRecords {
			out.FailedRecordsTruncated = true
			return nil
		}
		cells, err := csv.NewReader(strings.NewReader(string(rec))).Read()
		if err != nil || len(cells) < 2 {
			return nil
		}
		fr := BulkFailedRecord{ID: cells[0], Error: cells[1], Fields: map[string]string{}}
		for i, v := range cells[2:] {
			// A job read by status may have been loaded by anyone, with
			// fields this server hides.
			if i+2 < len(header) && !g.ColumnHidden(j.Object, header[i+2]) {
				fr.Fields[header[i+2]] = v
			}
		}
		out.FailedRecords = append(out.FailedRecords, fr)
		return nil
	})
	rc.Close()
	if err != nil {
		return res, err
	}
	rc, err = c.IngestResults(ctx, j.ID, salesforce.UnprocessedRecords)
	if err != nil {
		return res, err
	}
	res.Unprocessed, err = copyRecords(rc, nil, false, nil, nil)
	rc.Close()
	res.Successful = j.NumberRecordsProcessed - res.Failed
	return res, err
}

// BulkJobStatusInput is the input of salesforce_bulk_job_status.
type BulkJobStatusInput struct {
	JobID string `json:"job_id" jsonschema:"description=The Bulk job id (750...) from an earlier bulk tool result"`
}

// Validate checks the input.
func (in BulkJobStatusInput) Validate() error {
	if strings.TrimSpace(in.JobID) == "" {
		return inputErrorf("job_id", "is required")
	}
	if _, err := salesforce.ValidateBulkJobID(strings.TrimSpace(in.JobID)); err != nil {
		return inputErrorf("job_id", "%q is not a Bulk job id (750...)", clip(in.JobID, 40))
	}
	return nil
}

// BulkJobStatusOutput is a job's state and counters; for an ended ingest
// job, also its failed and unprocessed rows.
type BulkJobStatusOutput struct {
	JobID        string `json:"job_id"`
	JobType      string `json:"job_type"` // V2Ingest or V2Query
	Object       string `json:"object"`
	Operation    string `json:"operation"`
	State        string `json:"state"`
	Done         bool   `json:"done"`
	Processed    int64  `json:"processed"`
	Failed       int64  `json:"failed"`
	Successful   int64  `json:"successful"`
	Unprocessed  int64  `json:"unprocessed"`
	ErrorMessage string `json:"error_message,omitempty"`
	CreatedDate  string `json:"created_date,omitempty"`
	// FailedRecords are the first failed rows of an ended ingest job.
	FailedRecords          []BulkFailedRecord `json:"failed_records,omitempty"`
	FailedRecordsTruncated bool               `json:"failed_records_truncated,omitempty"`
}

// BulkJobStatusOp declares salesforce_bulk_job_status.
func BulkJobStatusOp() Operation[BulkJobStatusInput, BulkJobStatusOutput] {
	return Operation[BulkJobStatusInput, BulkJobStatusOutput]{Meta: Meta{
		Name:        "salesforce_bulk_job_status",
		Title:       "Get a Bulk job's status",
		Description: "Get a Bulk API 2.0 job's state and counts; for a finished load also its first failed rows.",
		ReadOnly:    true, Idempotent: true, OpenWorld: true, Toolset: ToolsetBulk,
	}, Run: BulkJobStatus}
}

// BulkJobStatus reports a job of either kind.
func BulkJobStatus(ctx context.Context, c *salesforce.Client, in BulkJobStatusInput) (BulkJobStatusOutput, error) {
	if err := in.Validate(); err != nil {
		return BulkJobStatusOutput{}, err
	}
	j, err := c.FindBulkJob(ctx, strings.TrimSpace(in.JobID))
	if err != nil {
		return BulkJobStatusOutput{}, err
	}
	// The job id names no object for the guard to check before the call:
	// the job's own object decides (its counts and failed rows are that
	// object's data).
	if err := GuardFrom(ctx).CheckObject(j.Object); err != nil {
		return BulkJobStatusOutput{}, err
	}
	out := BulkJobStatusOutput{
		JobID: j.ID, JobType: j.JobType, Object: j.Object, Operation: j.Operation, State: j.State, Done: j.Ended(),
		Processed: j.NumberRecordsProcessed, Failed: j.NumberRecordsFailed, ErrorMessage: j.ErrorMessage, CreatedDate: j.CreatedDate,
	}
	out.Successful = out.Processed - out.Failed
	if j.Kind() == salesforce.BulkIngest && j.Ended() {
		var lo BulkLoadOutput
		res, err := collectBounded(ctx, c, j, &lo)
		if err != nil {
			return out, err
		}
		out.Failed, out.Unprocessed, out.Successful = res.Failed, res.Unprocessed, res.Successful
		out.FailedRecords, out.FailedRecordsTruncated = lo.FailedRecords, lo.FailedRecordsTruncated
	}
	return out, nil
}

// BulkQueryInput is the input of salesforce_bulk_query.
type BulkQueryInput struct {
	SObject        string `json:"sobject" jsonschema:"description=The object the query reads (its FROM); for example Account"`
	SOQL           string `json:"soql" jsonschema:"description=The SOQL query; Bulk query jobs take no aggregates and no child subqueries"`
	IncludeDeleted bool   `json:"include_deleted,omitempty" jsonschema:"description=Also return deleted and archived records (queryAll)"`
	MaxRecords     int    `json:"max_records,omitempty" jsonschema:"description=The most rows to return inline (1 to 2000; default 200). When more match the result says so and names the job whose results hold them all"`
	WaitSeconds    int    `json:"wait_seconds,omitempty" jsonschema:"description=How long to wait for the job to finish (0 to 600; default 120)"`
	RecordFormat   string `json:"record_format,omitempty" enum:"rows,objects" jsonschema:"description=objects: records as objects (default rows)"`
}

// Validate checks the input.
func (in BulkQueryInput) Validate() error {
	if err := checkRecordFormat(in.RecordFormat); err != nil {
		return err
	}
	if err := checkName("sobject", in.SObject); err != nil {
		return err
	}
	if strings.TrimSpace(in.SOQL) == "" {
		return inputErrorf("soql", "is required")
	}
	if err := checkMaxRecords(in.MaxRecords); err != nil {
		return err
	}
	return checkWait(in.WaitSeconds)
}

// BulkQueryOutput is a bulk query's first rows and its size.
type BulkQueryOutput struct {
	JobID string `json:"job_id"`
	State string `json:"state"`
	Done  bool   `json:"done"`
	// TotalRecords is how many rows the query produced.
	TotalRecords int64 `json:"total_records"`
	Returned     int   `json:"returned"`
	// Truncated says more rows exist than Records holds; all are in the job's
	// results (`sfmcp bulk results JOB`) until Salesforce deletes the job.
	Truncated bool `json:"truncated"`
	// Table holds the rows by default: the CSV columns (parent fields as
	// Account.Name) and each row's values as strings, as the Bulk API's CSV
	// gives them (an empty value is null or empty).
	Table
	// Records are the rows as objects, column to value (record_format objects).
	Records      []map[string]string `json:"records,omitzero"`
	ErrorMessage string              `json:"error_message,omitempty"`
}

// RecordTable returns the rows as a table.
func (o BulkQueryOutput) RecordTable() Table {
	if o.Records == nil {
		return o.Table
	}
	t := Table{Columns: o.Columns, Rows: make([][]Cell, 0, len(o.Records))}
	for _, m := range o.Records {
		row := make([]Cell, len(o.Columns))
		for i, c := range o.Columns {
			row[i] = stringCell(m[c])
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// stringCell is s as a JSON string cell.
func stringCell(s string) Cell {
	b, _ := json.Marshal(s)
	return Cell(b)
}

// BulkQueryOp declares salesforce_bulk_query.
func BulkQueryOp() Operation[BulkQueryInput, BulkQueryOutput] {
	return Operation[BulkQueryInput, BulkQueryOutput]{Meta: Meta{
		Name:  "salesforce_bulk_query",
		Title: "Run a SOQL query as a Bulk job",
		Description: "Run a SOQL query as a Bulk API 2.0 query job (for large results) and return up to max_records rows inline " +
			"(default 200) with the total count and the job id.",
		ReadOnly: true, Idempotent: true, OpenWorld: true, Toolset: ToolsetBulk,
	}, Run: BulkQuery}
}

// BulkQuery runs a bulk query and returns its first rows.
func BulkQuery(ctx context.Context, c *salesforce.Client, in BulkQueryInput) (BulkQueryOutput, error) {
	if err := in.Validate(); err != nil {
		return BulkQueryOutput{}, err
	}
	j, err := createJob(ctx, func(ctx context.Context) (*salesforce.BulkJob, error) {
		return c.CreateQueryJob(ctx, in.SOQL, in.IncludeDeleted)
	})
	if j == nil {
		return BulkQueryOutput{}, err
	}
	out := BulkQueryOutput{JobID: j.ID, State: j.State}
	if in.RecordFormat == RecordFormatObjects {
		out.Records = []map[string]string{}
	} else {
		out.Columns, out.Rows = []string{}, [][]Cell{}
	}
	if err != nil { // ctx ended as the job was made: the job is known, as if it ended while waiting
		abortIfCancelled(ctx, c, salesforce.BulkQuery, []string{j.ID})
		return out, err
	}
	wctx, cancel := context.WithTimeout(ctx, waitFor(in.WaitSeconds))
	defer cancel()
	polls := 0
	ended, err := c.WaitBulkJob(wctx, salesforce.BulkQuery, j.ID, salesforce.PollPolicy{}, func(j *salesforce.BulkJob) {
		// A query job's row count is known only at its end: count the polls.
		polls++
		reportProgress(ctx, float64(polls), 0, fmt.Sprintf("query job %s %s", j.ID, j.State))
	})
	if ended != nil {
		out.State, out.TotalRecords, out.ErrorMessage = ended.State, ended.NumberRecordsProcessed, ended.ErrorMessage
	}
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return out, nil
		}
		abortIfCancelled(ctx, c, salesforce.BulkQuery, []string{j.ID})
		return out, err
	}
	out.Done = true
	if ended.State != salesforce.JobComplete {
		return out, nil
	}
	limit := maxRecords(in.MaxRecords)
	page, err := c.QueryJobResults(ctx, j.ID, "", limit)
	if err != nil {
		return out, err
	}
	defer page.Body.Close()
	rd := csv.NewReader(bufio.NewReader(page.Body))
	rd.ReuseRecord = false
	header, err := rd.Read()
	if err == io.EOF {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("results of query job %s: %w", j.ID, err)
	}
	// Hidden fields (--deny-fields) are dropped by column: CSV rows carry
	// no attributes for FilterRecord to read, but the query names its
	// object (sobject says it too, and is not trusted to match).
	g := GuardFrom(ctx)
	from := queryObject(in.SOQL)
	keep := make([]bool, len(header))
	columns := []string{}
	for i, h := range header {
		if keep[i] = !g.ColumnHidden(in.SObject, h) && !g.ColumnHidden(from, h); keep[i] {
			columns = append(columns, h)
		}
	}
	out.Columns = columns // in both forms: objects do not keep the CSV's column order
	for out.Returned < limit {
		row, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, fmt.Errorf("results of query job %s: %w", j.ID, err)
		}
		if in.RecordFormat == RecordFormatObjects {
			m := make(map[string]string, len(columns))
			for i, h := range header {
				if i < len(row) && keep[i] {
					m[h] = row[i]
				}
			}
			out.Records = append(out.Records, m)
		} else {
			cells := make([]Cell, 0, len(columns))
			for i := range header {
				if keep[i] {
					v := ""
					if i < len(row) {
						v = row[i]
					}
					cells = append(cells, stringCell(v))
				}
			}
			out.Rows = append(out.Rows, cells)
		}
		out.Returned++
	}
	out.Truncated = int64(out.Returned) < out.TotalRecords
	return out, nil
}

// StreamBulkQuery writes a completed query job's results to w as one CSV
// (the header once), page by page, as they arrive; it returns the rows
// written. pageRows, when > 0, asks for pages of that many rows.
func StreamBulkQuery(ctx context.Context, c *salesforce.Client, jobID string, pageRows int, w io.Writer, onPage func(rows int64)) (int64, error) {
	var (
		locator string
		total   int64
		buf     = make([]byte, 256<<10)
	)
	for first := true; ; first = false {
		page, err := c.QueryJobResults(ctx, jobID, locator, pageRows)
		if err != nil {
			return total, err
		}
		br := bufio.NewReaderSize(page.Body, 64<<10)
		if !first {
			// Column names hold no newlines: the header is the first line.
			if _, err := br.ReadSlice('\n'); err != nil && err != io.EOF {
				page.Body.Close()
				return total, fmt.Errorf("results of query job %s: %w", jobID, err)
			}
		}
		_, err = io.CopyBuffer(w, br, buf)
		page.Body.Close()
		if err != nil {
			return total, err
		}
		if page.Records > 0 {
			total += int64(page.Records)
		}
		if onPage != nil {
			onPage(total)
		}
		if page.Locator == "" {
			return total, nil
		}
		locator = page.Locator
	}
}
