package ops

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// TestStartLoadJournal: a journaled load records each part's range, rows
// and job before the job may run; started again with its journal it sends
// nothing and names the same jobs; and a plan whose row count is not the
// input's is reported after the upload.
func TestStartLoadJournal(t *testing.T) {
	t.Parallel()
	_, c := newOrg(t)
	ctx := context.Background()
	var b strings.Builder
	b.WriteString("Name,Description\n")
	for i := range 30 {
		fmt.Fprintf(&b, "Journaled %02d,%s\n", i, strings.Repeat("x", 40))
	}
	in := b.String()
	open := func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(in)), nil }
	spec := LoadSpec{SObject: "Account", Operation: salesforce.BulkInsert, MaxUploadBytes: 600}
	plan, err := PrepareLoad(ctx, c, spec, open)
	if err != nil || plan.Rows != 30 {
		t.Fatalf("plan %+v %v", plan, err)
	}
	path := filepath.Join(t.TempDir(), "load.json")
	jr := NewLoadJournal(path, spec, JournalInput{Name: "test input", SHA256: plan.SHA256, Rows: plan.Rows, Bytes: plan.Bytes})
	jobs, err := StartLoad(ctx, c, spec, plan, open, LoadHooks{Journal: jr})
	if err != nil || len(jobs) < 3 {
		t.Fatalf("load: %d jobs, %v", len(jobs), err)
	}
	saved, err := ReadLoadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if saved.UserID == "" || len(saved.Parts) != len(jobs) {
		t.Fatalf("journal: user %q, %d parts for %d jobs", saved.UserID, len(saved.Parts), len(jobs))
	}
	var rows, start, firstRow int64 = 0, 0, 1
	for i, p := range saved.Parts {
		if p.State != PartClosed || p.JobID != jobs[i].ID || p.Rows != jobs[i].Rows || p.Rows == 0 ||
			p.Start != start || p.End <= p.Start || p.FirstRow != firstRow {
			t.Errorf("part %d: %+v; job %+v, want start %d, first row %d", i, p, jobs[i], start, firstRow)
		}
		rows += p.Rows
		start, firstRow = p.End, firstRow+p.Rows
	}
	if rows != 30 {
		t.Errorf("the journal's parts hold %d rows, want 30", rows)
	}

	// Again with its journal: every part is taken, so nothing is sent.
	opened := 0
	again, err := StartLoad(ctx, c, spec, plan, open, LoadHooks{Journal: saved, JobOpened: func(*salesforce.BulkJob) { opened++ }})
	if err != nil || opened != 0 || fmt.Sprint(again) != fmt.Sprint(jobs) {
		t.Errorf("resumed: %v (%d jobs opened), %v; want %v", again, opened, err, jobs)
	}

	// The input is not the one planned: reported once uploaded.
	stale := *plan
	stale.Rows = 29
	_, err = StartLoad(ctx, c, spec, &stale, open, LoadHooks{})
	if err == nil || !strings.Contains(err.Error(), "uploaded 30 rows but the input had 29") {
		t.Errorf("a plan of 29 rows for 30: %v", err)
	}
}
