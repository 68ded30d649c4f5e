package ops

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// TestBulkCancelAborts cancels a bulk insert as soon as its job is uploaded
// (the first progress report): with WithAbortOnCancel the job ends Aborted at
// Salesforce; without, it keeps running to JobComplete, as a waiting call
// that lost its client always did.
func TestBulkCancelAborts(t *testing.T) {
	t.Parallel()
	recs := make([]map[string]any, 10000)
	for i := range recs {
		recs[i] = map[string]any{"Name": fmt.Sprintf("Cancel %05d", i)}
	}
	for _, tt := range []struct {
		name  string
		abort bool
		want  string
	}{
		{"abort on cancel", true, salesforce.JobAborted},
		{"only stop waiting", false, salesforce.JobComplete},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, c := newOrg(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ctx = WithProgress(ctx, func(done, _ float64, _ string) {
				if done == 0 { // uploaded: the job runs now
					cancel()
				}
			})
			if tt.abort {
				ctx = WithAbortOnCancel(ctx)
			}
			out, err := BulkInsert(ctx, c, BulkInsertInput{SObject: "Account", Records: recs})
			if !errors.Is(err, context.Canceled) || len(out.JobIDs) != 1 {
				t.Fatalf("BulkInsert: %+v, %v; want the job and context.Canceled", out, err)
			}
			wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
			defer wcancel()
			j, err := c.WaitBulkJob(wctx, salesforce.BulkIngest, out.JobIDs[0], salesforce.PollPolicy{}, nil)
			if err != nil || j.State != tt.want {
				t.Fatalf("job %+v, %v; want %s", j, err, tt.want)
			}
		})
	}
}
