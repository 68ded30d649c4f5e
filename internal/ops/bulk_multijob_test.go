package ops

import (
	"context"
	"fmt"
	"testing"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// TestBoundedLoadSumsAcrossJobs runs the MCP tools' load path split into
// several jobs, with failed rows in each: the counts are sums over the jobs
// (not the last job's), and more failed rows than are listed set the
// truncation flag.
func TestBoundedLoadSumsAcrossJobs(t *testing.T) {
	t.Parallel()
	_, c := newOrg(t)
	var recs []map[string]any
	for i := range 300 {
		r := map[string]any{"Name": fmt.Sprintf("Multi %03d", i), "NumberOfEmployees": i}
		if i%4 == 0 {
			r["NumberOfEmployees"] = "lots" // fails
		}
		recs = append(recs, r)
	}
	spec := LoadSpec{SObject: "Account", Operation: salesforce.BulkInsert, MaxUploadBytes: 2048}
	out, err := loadRecords(context.Background(), c, spec, recordRows(recs), 60)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.JobIDs) < 3 {
		t.Fatalf("%d jobs; the test needs the load split", len(out.JobIDs))
	}
	if !out.Done || out.Records != 300 || out.Failed != 75 || out.Successful != 225 || out.Unprocessed != 0 || out.Processed != 300 {
		t.Errorf("counts over %d jobs: records %d processed %d successful %d failed %d unprocessed %d done %v; want 300 300 225 75 0 true",
			len(out.JobIDs), out.Records, out.Processed, out.Successful, out.Failed, out.Unprocessed, out.Done)
	}
	if out.Successful+out.Failed+out.Unprocessed != out.Records {
		t.Errorf("the counts do not add up: %d + %d + %d != %d", out.Successful, out.Failed, out.Unprocessed, out.Records)
	}
	if len(out.FailedRecords) != MaxFailedRecords || !out.FailedRecordsTruncated {
		t.Errorf("%d failed rows listed, truncated %v; want %d and true", len(out.FailedRecords), out.FailedRecordsTruncated, MaxFailedRecords)
	}
}
