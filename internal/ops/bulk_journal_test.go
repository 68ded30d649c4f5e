package ops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

func TestLoadJournalSaveIsAtomic(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.load-journal.json")
	j := NewLoadJournal(path, LoadSpec{SObject: "Account", Operation: salesforce.BulkInsert}, JournalInput{Path: "/in.csv", Name: "in.csv", SHA256: "ab"})
	if err := j.intent(1, 1, 0); err != nil {
		t.Fatal(err)
	}
	got, err := ReadLoadJournal(path)
	if err != nil || len(got.Parts) != 1 || got.Parts[0].State != PartIntent {
		t.Fatalf("read back %+v %v", got, err)
	}
	if err := j.intent(3, 10, 100); err == nil {
		t.Error("a part out of order was journaled")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left beside the journal: %v", entries)
	}
	// Only one process runs a load at a time.
	l, err := LockLoad(path)
	if err != nil {
		t.Fatal(err)
	}
	var le *LoadLockedError
	if _, err := LockLoad(path); !errors.As(err, &le) {
		t.Errorf("second lock: %v", err)
	}
	UnlockLoad(path, l, true)
}

// TestReconcileLoad puts the journal in each in-flight state a killed run
// can leave, with the org in each state it can be in, and checks what a
// resume may do: re-send only rows no job can have processed, and stop
// when it cannot tell.
func TestReconcileLoad(t *testing.T) {
	t.Parallel()
	_, c := newOrg(t)
	ctx := context.Background()
	spec := LoadSpec{SObject: "Account", Operation: salesforce.BulkInsert}
	data := "Name\nR1\nR2\n"
	newJob := func(close bool) *salesforce.BulkJob {
		t.Helper()
		j, err := c.CreateIngestJob(ctx, salesforce.IngestJobSpec{Object: "Account", Operation: salesforce.BulkInsert})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.UploadJobData(ctx, j.ID, strings.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		if close {
			if _, err := c.CloseJob(ctx, j.ID); err != nil {
				t.Fatal(err)
			}
		}
		return j
	}
	journal := func(p JournalPart) *LoadJournal {
		j := NewLoadJournal(filepath.Join(t.TempDir(), "j.json"), spec, JournalInput{})
		p.Index, p.FirstRow, p.Intent = 1, 1, time.Now().UTC()
		j.Parts = []JournalPart{p}
		return j
	}

	// Opened, and the job is still Open: aborted, and the part is re-sent.
	open := newJob(false)
	j := journal(JournalPart{JobID: open.ID, State: PartOpened})
	if _, err := ReconcileLoad(ctx, c, j, nil); err != nil {
		t.Fatal(err)
	}
	if p := j.Parts[0]; p.State != PartUnsent || p.JobID != "" || len(p.Abandoned) != 1 {
		t.Errorf("opened+Open: %+v", p)
	}
	if info, _ := c.BulkJobInfo(ctx, salesforce.BulkIngest, open.ID); info.State != salesforce.JobAborted {
		t.Errorf("the Open job was left %s", info.State)
	}

	// Uploaded, and the close reached Salesforce: the job holds the rows.
	ran := newJob(true)
	j = journal(JournalPart{JobID: ran.ID, State: PartUploaded, End: int64(len(data) - 5), Rows: 2})
	if _, err := ReconcileLoad(ctx, c, j, nil); err != nil || j.Parts[0].State != PartClosed {
		t.Errorf("uploaded+closed: %+v %v", j.Parts[0], err)
	}

	// Opened, yet the job runs: sfmcp never does that; do not guess.
	j = journal(JournalPart{JobID: ran.ID, State: PartOpened})
	if _, err := ReconcileLoad(ctx, c, j, nil); err == nil || !strings.Contains(err.Error(), "never ended") {
		t.Errorf("opened+closed: %v", err)
	}

	// Intent, and a job the journal does not name has run since: stop.
	j = journal(JournalPart{State: PartIntent})
	j.Parts[0].Intent = time.Now().UTC().Add(-time.Minute)
	j.Parts = append(j.Parts, JournalPart{Index: 2, JobID: open.ID, State: PartUnsent})
	stranger := newJob(true)
	if _, err := c.WaitBulkJob(ctx, salesforce.BulkIngest, stranger.ID, salesforce.PollPolicy{Initial: 5 * time.Millisecond}, nil); err != nil {
		t.Fatal(err)
	}
	_, err := ReconcileLoad(ctx, c, j, nil)
	var ue *UnknownJobsError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), stranger.ID) || j.Parts[0].State != PartIntent {
		t.Fatalf("intent+unknown job: %v (part %+v)", err, j.Parts[0])
	}
	// Named as not this load's (and the other known ones), it goes on; an
	// unknown Open job is left alone: it was never closed, so never runs.
	leftOpen := newJob(false)
	notes, err := ReconcileLoad(ctx, c, j, []string{stranger.ID, ran.ID})
	if err != nil || j.Parts[0].State != PartUnsent || len(notes) != 1 || !strings.Contains(notes[0], leftOpen.ID) {
		t.Errorf("intent with --ignore-job: %v %q %+v", err, notes, j.Parts[0])
	}
	if info, _ := c.BulkJobInfo(ctx, salesforce.BulkIngest, leftOpen.ID); info.State != salesforce.JobOpen {
		t.Errorf("an Open job no journal names was changed to %s", info.State)
	}
}

// TestWriteUnsentRows writes exactly the rows of parts no job holds.
func TestWriteUnsentRows(t *testing.T) {
	t.Parallel()
	var in bytes.Buffer
	in.WriteString("Name,N\n")
	for i := range 40 {
		fmt.Fprintf(&in, "row %02d,%d\n", i, i)
	}
	open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(in.Bytes())), nil }
	j := NewLoadJournal(filepath.Join(t.TempDir(), "j.json"), LoadSpec{SObject: "Account", Operation: salesforce.BulkInsert, MaxUploadBytes: 100}, JournalInput{})
	// Parts of 100 bytes: rows 0-9, 10-18, 19-27, 28-36, 37-39. Parts 1 and 3
	// were taken, and part 4's job was being closed: it may hold its rows.
	j.Parts = []JournalPart{{Index: 1, State: PartClosed}, {Index: 2, State: PartUnsent}, {Index: 3, State: PartClosed}, {Index: 4, State: PartUploaded}}
	var out bytes.Buffer
	n, err := WriteUnsentRows(open, j, &out, true)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if n != 12 || len(lines) != 1+12 || lines[0] != "Name,N" || lines[1] != "row 10,10" || lines[9] != "row 18,18" || lines[10] != "row 37,37" {
		t.Errorf("%d rows:\n%s", n, out.String())
	}
}

func TestBulkResultsReady(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		job  salesforce.BulkJob
		want string
	}{
		{salesforce.BulkJob{ID: "750q", JobType: "V2Query", State: salesforce.JobComplete}, ""},
		{salesforce.BulkJob{ID: "750q", JobType: "V2Query", State: salesforce.JobInProgress}, "ready once it is JobComplete"},
		{salesforce.BulkJob{ID: "750q", JobType: "V2Query", State: salesforce.JobFailed}, "ended Failed; it has no results"},
		{salesforce.BulkJob{ID: "750i", JobType: "V2Ingest", State: salesforce.JobInProgress}, ""},
		{salesforce.BulkJob{ID: "750i", JobType: "V2Ingest", State: salesforce.JobAborted}, ""},
	} {
		err := BulkResultsReady(&tt.job)
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s %s: %v; want %q", tt.job.JobType, tt.job.State, err, tt.want)
		}
	}
}
