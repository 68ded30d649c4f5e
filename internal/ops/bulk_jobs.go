package ops

// The CLI's streaming forms of Bulk API 2.0 job handling: start and wait for
// a query job, abort, list, and fetch results. The commands in
// internal/cmd/bulk call these instead of the client.

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// StartBulkQuery creates a Bulk API 2.0 query job for soql; all uses
// queryAll (deleted and archived rows too). When ctx ends while the job is
// being made, the job is returned with ctx's error: it runs, and the caller
// can name it or abort it.
func StartBulkQuery(ctx context.Context, c *salesforce.Client, soql string, all bool) (*salesforce.BulkJob, error) {
	return createJob(ctx, func(ctx context.Context) (*salesforce.BulkJob, error) {
		return c.CreateQueryJob(ctx, soql, all)
	})
}

// BulkJobEndedError is a job that ended in a state other than JobComplete.
type BulkJobEndedError struct {
	Job *salesforce.BulkJob
}

func (e *BulkJobEndedError) Error() string {
	msg := fmt.Sprintf("query job %s ended %s", e.Job.ID, e.Job.State)
	if e.Job.ErrorMessage != "" {
		msg += ": " + e.Job.ErrorMessage
	}
	return msg
}

// WaitBulkQuery polls a query job until it ends; onPoll sees every poll. A
// job that ends other than JobComplete is a *BulkJobEndedError.
func WaitBulkQuery(ctx context.Context, c *salesforce.Client, jobID string, poll salesforce.PollPolicy, onPoll func(*salesforce.BulkJob)) (*salesforce.BulkJob, error) {
	j, err := c.WaitBulkJob(ctx, salesforce.BulkQuery, jobID, poll, onPoll)
	if err != nil {
		return j, err
	}
	if j.State != salesforce.JobComplete {
		return j, &BulkJobEndedError{Job: j}
	}
	return j, nil
}

// AbortBulkJobs aborts jobs of kind even though ctx has ended (the user
// pressed Ctrl-C and asked for that); report sees each outcome.
func AbortBulkJobs(ctx context.Context, c *salesforce.Client, kind salesforce.BulkJobKind, ids []string, report func(id string, j *salesforce.BulkJob, err error)) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, id := range ids {
		j, err := c.AbortJob(actx, kind, id)
		report(id, j, err)
	}
}

// AbortBulkJob aborts a job of either kind that has not ended yet.
func AbortBulkJob(ctx context.Context, c *salesforce.Client, jobID string) (*salesforce.BulkJob, error) {
	job, err := c.FindBulkJob(ctx, jobID)
	if err != nil {
		return nil, err
	}
	if job.Ended() {
		return nil, fmt.Errorf("job %s has already ended (%s)", job.ID, job.State)
	}
	return c.AbortJob(ctx, job.Kind(), job.ID)
}

// BulkJobSummary is one job of the org's list.
type BulkJobSummary struct {
	ID        string `json:"id"`
	Type      string `json:"type"` // ingest or query
	Operation string `json:"operation"`
	Object    string `json:"object"`
	State     string `json:"state"`
	Created   string `json:"created"`
}

// ListBulkJobs lists the org's jobs, ingest and query, newest first.
func ListBulkJobs(ctx context.Context, c *salesforce.Client) ([]BulkJobSummary, error) {
	jobs := []BulkJobSummary{}
	for _, kind := range []salesforce.BulkJobKind{salesforce.BulkIngest, salesforce.BulkQuery} {
		list, err := c.ListBulkJobs(ctx, kind)
		if err != nil {
			return nil, err
		}
		for _, j := range list {
			typ := "ingest"
			if j.JobType == "V2Query" || kind == salesforce.BulkQuery {
				typ = "query"
			}
			jobs = append(jobs, BulkJobSummary{ID: j.ID, Type: typ, Operation: j.Operation, Object: j.Object, State: j.State, Created: j.CreatedDate})
		}
	}
	sort.SliceStable(jobs, func(i, k int) bool { return jobs[i].Created > jobs[k].Created })
	return jobs, nil
}

// FindBulkJob returns a job whatever its kind.
func FindBulkJob(ctx context.Context, c *salesforce.Client, jobID string) (*salesforce.BulkJob, error) {
	return c.FindBulkJob(ctx, jobID)
}

// BulkResultsReady says whether a job's results can be read now: a query
// job's only once it is JobComplete (before, Salesforce has none to give);
// an ingest job's at any time (while it runs they hold the rows so far).
func BulkResultsReady(job *salesforce.BulkJob) error {
	if job.Kind() == salesforce.BulkQuery && job.State != salesforce.JobComplete {
		if job.Ended() {
			return fmt.Errorf("query job %s ended %s; it has no results", job.ID, job.State)
		}
		return fmt.Errorf("query job %s is %s; its results are ready once it is JobComplete", job.ID, job.State)
	}
	return nil
}

// IngestJobResults streams one of an ingest job's result sets as CSV
// (salesforce.SuccessfulResults, FailedResults or UnprocessedRecords). Close it.
func IngestJobResults(ctx context.Context, c *salesforce.Client, jobID, which string) (io.ReadCloser, error) {
	return c.IngestResults(ctx, jobID, which)
}

// StreamBulkQueryJSONLines writes a completed query job's results to w as
// one JSON object per row (columns in header order, every value a string,
// an empty cell null) and returns the rows written.
func StreamBulkQueryJSONLines(ctx context.Context, c *salesforce.Client, jobID string, pageRows int, w io.Writer, onPage func(int64)) (int64, error) {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := StreamBulkQuery(ctx, c, jobID, pageRows, pw, onPage)
		pw.CloseWithError(err)
		done <- err
	}()
	rd := csv.NewReader(pr)
	rd.ReuseRecord = true
	header, err := rd.Read()
	if err == io.EOF {
		return 0, <-done
	}
	if err != nil {
		pr.CloseWithError(err)
		<-done
		return 0, err
	}
	keys := append([]string(nil), header...)
	var n int64
	for {
		row, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err == nil {
			err = writeOrdered(w, keys, row)
		}
		if err != nil {
			pr.CloseWithError(err)
			<-done
			return n, err
		}
		n++
	}
	return n, <-done
}

// writeOrdered writes one JSON object with the columns in header order.
func writeOrdered(w io.Writer, keys, row []string) error {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		if i >= len(row) || row[i] == "" {
			b.WriteString("null")
			continue
		}
		vb, _ := json.Marshal(row[i])
		b.Write(vb)
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}
