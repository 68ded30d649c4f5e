package emulator

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/sfid"
)

// TestBulkResultsBeforeCompletion asks for the results of a query job that
// is still running (a job placed in the store by hand, so no runner races
// the test).
func TestBulkResultsBeforeCompletion(t *testing.T) {
	ctx := context.Background()
	e, err := New(ctx, Options{NoSampleData: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	tok, err := e.IssueToken(ctx, "bulk-test")
	if err != nil {
		t.Fatal(err)
	}
	id, err := sfid.New("750", pod, 999999)
	if err != nil {
		t.Fatal(err)
	}
	j := &bulkJob{ID: id, Kind: kindQuery, Operation: "query", Object: "Account", State: stateInProgress,
		APIVersion: "62.0", LineEnding: "LF", ColumnDelimiter: "COMMA", Query: "SELECT Id FROM Account", Columns: []string{"Id"}}
	doc, _ := json.Marshal(j)
	if err := e.org.store.PutJob(ctx, j.ID, j.Kind, string(doc)); err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		w := httptest.NewRecorder()
		e.Handler().ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	code, body := get("/services/data/v62.0/jobs/query/" + j.ID + "/results")
	if code != 400 || !strings.Contains(body, `"errorCode":"INVALIDJOBSTATE"`) {
		t.Fatalf("results of a running query job: %d %s", code, body)
	}
	code, body = get("/services/data/v62.0/jobs/query/" + j.ID)
	if code != 200 || !strings.Contains(body, `"state":"InProgress"`) || !strings.Contains(body, `"numberRecordsProcessed":0`) {
		t.Fatalf("job info: %d %s", code, body)
	}
}

// TestBulkResume checks that a job a previous run left InProgress is taken
// up again when the org reopens, skipping the rows already counted (two of
// them: every one, not only the first).
func TestBulkResume(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "org.db")
	e, err := New(ctx, Options{DataPath: path, NoSampleData: true})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := sfid.New("750", pod, 999998)
	data := "Name\nAlready Loaded\nAlso Loaded\nResumed One\nResumed Two\n"
	j := &bulkJob{ID: id, Kind: kindIngest, Operation: "insert", Object: "Account", State: stateInProgress,
		CreatedByID: e.org.AdminUserID(), APIVersion: "62.0", LineEnding: "LF", ColumnDelimiter: "COMMA",
		Processed: 2, Uploads: 1, UploadBytes: int64(len(data))}
	doc, _ := json.Marshal(j)
	if err := e.org.store.PutJob(ctx, id, kindIngest, string(doc)); err != nil {
		t.Fatal(err)
	}
	if err := e.org.store.AppendBlob(ctx, id, streamUpload, 1, 0, []byte(data)); err != nil {
		t.Fatal(err)
	}
	// A job closed (UploadComplete) but not yet started is started too.
	queued, _ := sfid.New("750", pod, 999997)
	qdata := "Name\nQueued One\n"
	qj := &bulkJob{ID: queued, Kind: kindIngest, Operation: "insert", Object: "Account", State: stateUploadComplete,
		CreatedByID: e.org.AdminUserID(), APIVersion: "62.0", LineEnding: "LF", ColumnDelimiter: "COMMA",
		Uploads: 1, UploadBytes: int64(len(qdata))}
	doc, _ = json.Marshal(qj)
	if err := e.org.store.PutJob(ctx, queued, kindIngest, string(doc)); err != nil {
		t.Fatal(err)
	}
	if err := e.org.store.AppendBlob(ctx, queued, streamUpload, 1, 0, []byte(qdata)); err != nil {
		t.Fatal(err)
	}
	e.Close()

	e, err = New(ctx, Options{DataPath: path, NoSampleData: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	deadline := time.Now().Add(10 * time.Second)
	for _, w := range []struct {
		id        string
		processed int64
	}{{id, 4}, {queued, 1}} {
		for {
			cur, err := e.org.bulk.load(ctx, w.id)
			if err != nil {
				t.Fatal(err)
			}
			if cur.State == stateJobComplete {
				if cur.Processed != w.processed || cur.Failed != 0 {
					t.Fatalf("resumed job: %+v", cur)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job not resumed: %+v", cur)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	var names []string
	err = e.org.store.Scan(ctx, "Account", false, func(r map[string]any) error {
		names = append(names, r["Name"].(string))
		return nil
	})
	slices.Sort(names) // the two jobs run side by side
	if err != nil || strings.Join(names, ",") != "Queued One,Resumed One,Resumed Two" {
		t.Fatalf("accounts: %v %v", names, err)
	}
}

// TestTxRows: transactions take ingestTxRows rows, but stop at the 200-row
// chunk where an injected job failure ends the job.
func TestTxRows(t *testing.T) {
	tests := []struct {
		processed int64
		fault     *Fault
		want      int
	}{
		{0, nil, ingestTxRows},
		{123_456, nil, ingestTxRows},
		{0, &Fault{FailJobAfterRows: 300}, 400},
		{0, &Fault{FailJobAfterRows: 200}, 200},
		{0, &Fault{FailJobAfterRows: 1}, 200},
		{400, &Fault{FailJobAfterRows: 300}, 200},
		{400, &Fault{FailJobAfterRows: 400}, 200}, // exactly at the failure: still a chunk, never 0
		{0, &Fault{FailJobAfterRows: 1_000_000}, ingestTxRows},
	}
	for _, tt := range tests {
		if got := txRows(tt.processed, tt.fault); got != tt.want {
			t.Errorf("txRows(%d, %+v) = %d, want %d", tt.processed, tt.fault, got, tt.want)
		}
	}
}

// TestJobInfoProcessingTime: totalProcessingTime is 0 before a job starts,
// its start to its end once ended, and its start to its last change while
// it runs.
func TestJobInfoProcessingTime(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		job  bulkJob
		want int64
	}{
		{"not started", bulkJob{Kind: kindIngest, State: stateUploadComplete, SystemModstamp: timestamp(t0.Add(time.Second))}, 0},
		{"ended", bulkJob{Kind: kindIngest, State: stateJobComplete, StartedMS: t0.UnixMilli(), EndedMS: t0.UnixMilli() + 2500,
			SystemModstamp: timestamp(t0.Add(9 * time.Second))}, 2500},
		{"running", bulkJob{Kind: kindQuery, State: stateInProgress, StartedMS: t0.UnixMilli(), SystemModstamp: timestamp(t0.Add(700 * time.Millisecond))}, 700},
	} {
		info := tt.job.info(true)
		if info.TotalProcessingTime == nil {
			t.Fatalf("%s: no totalProcessingTime", tt.name)
		}
		if got := *info.TotalProcessingTime; got != tt.want {
			t.Errorf("%s: totalProcessingTime %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestBulkResumePastAThousandJobs: the jobs to resume are listed a thousand
// at a time; one stored after a full first page is still taken up.
func TestBulkResumePastAThousandJobs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "org.db")
	e, err := New(ctx, Options{DataPath: path, NoSampleData: true})
	if err != nil {
		t.Fatal(err)
	}
	put := func(n int, state, data string) string {
		id, _ := sfid.New("750", pod, uint64(900000+n))
		j := &bulkJob{ID: id, Kind: kindIngest, Operation: "insert", Object: "Account", State: state,
			CreatedByID: e.org.AdminUserID(), APIVersion: "62.0", LineEnding: "LF", ColumnDelimiter: "COMMA"}
		if data != "" {
			j.Uploads, j.UploadBytes = 1, int64(len(data))
		}
		doc, _ := json.Marshal(j)
		if err := e.org.store.PutJob(ctx, id, kindIngest, string(doc)); err != nil {
			t.Fatal(err)
		}
		if data != "" {
			if err := e.org.store.AppendBlob(ctx, id, streamUpload, 1, 0, []byte(data)); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	for n := range 1000 {
		put(n, stateJobComplete, "")
	}
	last := put(1000, stateUploadComplete, "Name\nThe 1001st\n")
	e.Close()

	e, err = New(ctx, Options{DataPath: path, NoSampleData: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		cur, err := e.org.bulk.load(ctx, last)
		if err != nil {
			t.Fatal(err)
		}
		if cur.State == stateJobComplete && cur.Processed == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job after the first thousand was not resumed: %+v", cur)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestBulkJobListPages: a list of more jobs than one answer holds (1001)
// gives the first thousand and a nextRecordsUrl, whose page holds the rest.
// The locator of offset 1000 is base64 with padding ("MTAwMA==").
func TestBulkJobListPages(t *testing.T) {
	ctx := context.Background()
	e, err := New(ctx, Options{NoSampleData: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	tok, err := e.IssueToken(ctx, "bulk-test")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for n := range listPage + 1 {
		id, _ := sfid.New("750", pod, uint64(800000+n))
		j := &bulkJob{ID: id, Kind: kindIngest, Operation: "insert", Object: "Account", State: stateJobComplete,
			APIVersion: "62.0", LineEnding: "LF", ColumnDelimiter: "COMMA", CreatedDate: timestamp(e.org.now())}
		doc, _ := json.Marshal(j)
		if err := e.org.store.PutJob(ctx, id, kindIngest, string(doc)); err != nil {
			t.Fatal(err)
		}
		seen[id] = false
	}
	type page struct {
		Done    bool    `json:"done"`
		Next    *string `json:"nextRecordsUrl"`
		Records []struct {
			ID string `json:"id"`
		} `json:"records"`
	}
	get := func(path string) page {
		t.Helper()
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		w := httptest.NewRecorder()
		e.Handler().ServeHTTP(w, r)
		var p page
		if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &p) != nil {
			t.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
		}
		return p
	}
	first := get("/services/data/v62.0/jobs/ingest")
	if first.Done || first.Next == nil || len(first.Records) != listPage {
		t.Fatalf("first page: done %v, next %v, %d jobs; want %d and a next page", first.Done, first.Next, len(first.Records), listPage)
	}
	if want := "/services/data/v62.0/jobs/ingest?queryLocator=MTAwMA=="; *first.Next != want {
		t.Errorf("nextRecordsUrl %q, want %q", *first.Next, want)
	}
	second := get(*first.Next)
	if !second.Done || second.Next != nil || len(second.Records) != 1 {
		t.Fatalf("second page: done %v, next %v, %d jobs; want the last one", second.Done, second.Next, len(second.Records))
	}
	// Offset 0 ("MA==") is the first page again.
	if again := get("/services/data/v62.0/jobs/ingest?queryLocator=MA=="); len(again.Records) != listPage || again.Records[0].ID != first.Records[0].ID {
		t.Errorf("locator of offset 0: %d jobs, want the first page", len(again.Records))
	}
	for _, r := range append(first.Records, second.Records...) {
		if listed, ok := seen[r.ID]; !ok || listed {
			t.Fatalf("job %s listed twice or unknown", r.ID)
		}
		seen[r.ID] = true
	}
}

// TestCSVValue: numbers are written in full in a query job's CSV.
func TestCSVValue(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want string
	}{{3.25, "3.25"}, {-0.125, "-0.125"}, {1e6, "1000000"}, {int64(7), "7"}, {true, "true"}, {nil, ""}} {
		if got := csvValue(tt.v); got != tt.want {
			t.Errorf("csvValue(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}
