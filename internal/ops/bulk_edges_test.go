package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// TestBulkInputValidate: every check of the bulk tools' inputs refuses its
// case and names its field, and each check runs after the ones before it
// passed (a passing check does not end the validation).
func TestBulkInputValidate(t *testing.T) {
	const id = "001000000000001AAA"
	recs := []map[string]any{{"Name": "a"}}
	withIDs := []map[string]any{{"Id": id, "Name": "a"}, {"Id": id, "Name": "b"}}
	withExt := []map[string]any{{"Ext__c": "1", "Name": "a"}}
	for _, tt := range []struct {
		name  string
		in    Input
		field string // "" = valid
		msg   string // in the error, when set
	}{
		{"insert", BulkInsertInput{SObject: "Account", Records: recs}, "", ""},
		{"insert wait 0 and 600", BulkInsertInput{SObject: "Account", Records: recs, WaitSeconds: MaxBulkWaitSeconds}, "", ""},
		{"insert wait -1", BulkInsertInput{SObject: "Account", Records: recs, WaitSeconds: -1}, "wait_seconds", ""},
		{"insert wait 601", BulkInsertInput{SObject: "Account", Records: recs, WaitSeconds: MaxBulkWaitSeconds + 1}, "wait_seconds", ""},
		{"insert no object", BulkInsertInput{Records: recs}, "sobject", ""},
		{"insert no records", BulkInsertInput{SObject: "Account"}, "records", ""},
		{"insert empty record", BulkInsertInput{SObject: "Account", Records: []map[string]any{{"Name": "a"}, {}}}, "records", "record 2 has no fields"},
		{"update", BulkUpdateInput{SObject: "Account", Records: withIDs}, "", ""},
		{"update no records", BulkUpdateInput{SObject: "Account"}, "records", ""},
		{"update bad wait", BulkUpdateInput{SObject: "Account", Records: withIDs, WaitSeconds: -1}, "wait_seconds", ""},
		{"update second without Id", BulkUpdateInput{SObject: "Account", Records: []map[string]any{{"Id": id}, {"Name": "b"}}}, "records", "record 2 has no Id"},
		{"upsert", BulkUpsertInput{SObject: "Account", ExternalIDField: "Ext__c", Records: withExt}, "", ""},
		{"upsert no object", BulkUpsertInput{ExternalIDField: "Ext__c", Records: withExt}, "sobject", ""},
		{"upsert no key field", BulkUpsertInput{SObject: "Account", Records: withExt}, "external_id_field", ""},
		{"upsert no records", BulkUpsertInput{SObject: "Account", ExternalIDField: "Ext__c"}, "records", ""},
		{"upsert record without key", BulkUpsertInput{SObject: "Account", ExternalIDField: "Ext__c", Records: []map[string]any{{"Ext__c": "1"}, {"Ext__c": ""}}}, "records", "record 2 has no Ext__c"},
		{"upsert bad wait", BulkUpsertInput{SObject: "Account", ExternalIDField: "Ext__c", Records: withExt, WaitSeconds: 601}, "wait_seconds", ""},
		{"delete", BulkDeleteInput{SObject: "Account", RecordIDs: []string{id, id[:15]}}, "", ""},
		{"delete no object", BulkDeleteInput{RecordIDs: []string{id}}, "sobject", ""},
		{"delete no ids", BulkDeleteInput{SObject: "Account"}, "record_ids", ""},
		{"delete second id bad", BulkDeleteInput{SObject: "Account", RecordIDs: []string{id, "001x"}}, "record_ids", ""},
		{"delete bad wait", BulkDeleteInput{SObject: "Account", RecordIDs: []string{id}, WaitSeconds: -1}, "wait_seconds", ""},
		{"query", BulkQueryInput{SObject: "Account", SOQL: "SELECT Id FROM Account", RecordFormat: RecordFormatObjects}, "", ""},
		{"query bad format", BulkQueryInput{SObject: "Account", SOQL: "SELECT Id FROM Account", RecordFormat: "csv"}, "record_format", ""},
		{"query no object", BulkQueryInput{SOQL: "SELECT Id FROM Account"}, "sobject", ""},
		{"query no soql", BulkQueryInput{SObject: "Account", SOQL: " "}, "soql", ""},
		{"query max too big", BulkQueryInput{SObject: "Account", SOQL: "SELECT Id FROM Account", MaxRecords: MaxMaxRecords + 1}, "max_records", ""},
		{"query bad wait", BulkQueryInput{SObject: "Account", SOQL: "SELECT Id FROM Account", WaitSeconds: -1}, "wait_seconds", ""},
	} {
		err := tt.in.Validate()
		var ie *InputError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s: unexpected %v", tt.name, err)
		case tt.field != "" && (!errors.As(err, &ie) || ie.Field != tt.field):
			t.Errorf("%s: got %v, want an error about %s", tt.name, err, tt.field)
		case tt.msg != "" && !strings.Contains(err.Error(), tt.msg):
			t.Errorf("%s: %q does not say %q", tt.name, err, tt.msg)
		}
	}
	if err := (BulkInsertInput{SObject: "Account", Records: recs, WaitSeconds: 0}).Validate(); err != nil {
		t.Errorf("wait_seconds 0 (the default) refused: %v", err)
	}
}

// TestSummarizeUnfinishedJobs: while some jobs of a load have not ended,
// the summary adds up their counters, takes the state of a job that is not
// complete (JobComplete only when every job is) and the first error message.
func TestSummarizeUnfinishedJobs(t *testing.T) {
	job := func(state string, processed, failed int64, msg string) *salesforce.BulkJob {
		return &salesforce.BulkJob{ID: "750000000000001AAA", State: state, NumberRecordsProcessed: processed, NumberRecordsFailed: failed, ErrorMessage: msg}
	}
	for _, tt := range []struct {
		name                         string
		jobs                         []*salesforce.BulkJob
		state, msg                   string
		processed, failed, succeeded int64
	}{
		{"complete and not yet seen", []*salesforce.BulkJob{job(salesforce.JobComplete, 5, 1, ""), nil}, salesforce.JobComplete, "", 5, 1, 4},
		{"mixed", []*salesforce.BulkJob{
			job(salesforce.JobComplete, 5, 1, ""), job(salesforce.JobFailed, 2, 2, "boom"), job(salesforce.JobComplete, 3, 0, ""), job(salesforce.JobInProgress, 1, 0, "later"),
		}, salesforce.JobInProgress, "boom", 11, 3, 8},
	} {
		// Unfinished jobs return before any request: no client is needed.
		out, err := summarize(context.Background(), nil, tt.jobs, BulkLoadOutput{})
		if err != nil || out.Done || out.State != tt.state || out.ErrorMessage != tt.msg ||
			out.Processed != tt.processed || out.Failed != tt.failed || out.Successful != tt.succeeded {
			t.Errorf("%s: %+v %v; want state %s, message %q, %d processed, %d failed, %d successful",
				tt.name, out, err, tt.state, tt.msg, tt.processed, tt.failed, tt.succeeded)
		}
	}
}

// TestBulkWaitRunsOut: when wait_seconds runs out before the job ends, the
// tool answers where the job is (not done, its id) instead of an error. The
// org's answers to status polls are held back past the wait.
func TestBulkWaitRunsOut(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	u, _ := url.Parse(em.URL)
	rp := httputil.NewSingleHostReverseProxy(u)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/jobs/ingest/750") && !strings.Contains(r.URL.Path, "Results") {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Second):
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	c, err := salesforce.New(salesforce.Config{
		HTTPClient: http.DefaultClient,
		Tokens:     salesforce.NewTokenSource(salesforce.TokenSourceConfig{Token: salesforce.Token{AccessToken: em.Token.AccessToken, InstanceURL: ts.URL}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := BulkInsert(context.Background(), c, BulkInsertInput{SObject: "Account", Records: []map[string]any{{"Name": "Slow"}}, WaitSeconds: 1})
	if err != nil || out.Done || len(out.JobIDs) != 1 || out.Records != 1 {
		t.Fatalf("BulkInsert past its wait: %+v, %v; want the job, not done, no error", out, err)
	}
}

// TestBulkToolsReport: a one-job load names its job in its progress, an
// update changes the records, a query job's progress counts its polls, and a
// query whose rows all fit is not truncated.
func TestBulkToolsReport(t *testing.T) {
	t.Parallel()
	_, c := newOrg(t)
	var msgs []string
	var done []float64
	ctx := WithProgress(context.Background(), func(d, _ float64, msg string) { msgs = append(msgs, msg); done = append(done, d) })
	ins, err := BulkInsert(ctx, c, BulkInsertInput{SObject: "Account", Records: []map[string]any{{"Name": "Report A"}, {"Name": "Report B"}}})
	if err != nil || !ins.Done || ins.Successful != 2 || len(ins.JobIDs) != 1 {
		t.Fatalf("insert: %+v %v", ins, err)
	}
	if len(msgs) == 0 || !strings.Contains(msgs[0], "uploaded 2 rows as job "+ins.JobIDs[0]+";") {
		t.Errorf("progress %q; want the upload as job %s first", msgs, ins.JobIDs[0])
	}

	q, err := BulkQuery(ctx, c, BulkQueryInput{SObject: "Account", SOQL: "SELECT Id FROM Account WHERE Name LIKE 'Report%'"})
	if err != nil || q.TotalRecords != 2 || q.Returned != 2 || q.Truncated {
		t.Fatalf("query of every row: %+v %v; want 2 rows, not truncated", q, err)
	}
	var polls []float64
	for i, m := range msgs {
		if strings.HasPrefix(m, "query job ") {
			polls = append(polls, done[i])
		}
	}
	for i, p := range polls {
		if p != float64(i+1) {
			t.Errorf("query job progress %v; want the polls counted 1, 2, …", polls)
			break
		}
	}
	if len(polls) == 0 {
		t.Error("no progress from the query job")
	}

	var recs []map[string]any
	for i, r := range q.Rows {
		var id string
		_ = json.Unmarshal(r[0], &id)
		recs = append(recs, map[string]any{"Id": id, "Name": fmt.Sprintf("Updated %d", i)})
	}
	up, err := BulkUpdate(context.Background(), c, BulkUpdateInput{SObject: "Account", Records: recs})
	if err != nil || !up.Done || up.Successful != 2 || len(up.JobIDs) != 1 {
		t.Fatalf("update: %+v %v", up, err)
	}
	after, err := Query(context.Background(), c, QueryInput{SOQL: "SELECT Id FROM Account WHERE Name LIKE 'Updated %'"})
	if err != nil || after.Returned != 2 {
		t.Errorf("after the update %d records say so (%v); want 2", after.Returned, err)
	}
}

// TestBulkJobStatusUnfinished: a job that has not ended is reported with
// Salesforce's own counters: successful is processed minus failed.
func TestBulkJobStatusUnfinished(t *testing.T) {
	t.Parallel()
	const id = "750000000000001AAA"
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/jobs/ingest/"+id) {
			http.Error(w, `[{"errorCode":"NOT_FOUND","message":"no"}]`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q,"object":"Account","operation":"insert","state":"InProgress","jobType":"V2Ingest","numberRecordsProcessed":7,"numberRecordsFailed":2}`, id)
	}))
	t.Cleanup(ts.Close)
	c, err := salesforce.New(salesforce.Config{
		HTTPClient: http.DefaultClient,
		Tokens:     salesforce.NewTokenSource(salesforce.TokenSourceConfig{Token: salesforce.Token{AccessToken: "00D!x", InstanceURL: ts.URL}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := BulkJobStatus(context.Background(), c, BulkJobStatusInput{JobID: id})
	if err != nil || st.Done || st.State != "InProgress" || st.Processed != 7 || st.Failed != 2 || st.Successful != 5 {
		t.Fatalf("status %+v %v; want InProgress, 7 processed, 2 failed, 5 successful", st, err)
	}
}
