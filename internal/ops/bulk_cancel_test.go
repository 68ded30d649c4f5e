package ops

import (
	"context"
	"errors"
	"fmt"
	"maps"
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

// TestBulkCancelWhileJobIsMade cancels ctx after Salesforce has made the
// job but before its answer reaches the client (a proxy holds the answer).
// The job must not be left Open and unknown: the ingest job is aborted, and
// the query job is returned by ID. (Whether it is aborted under
// WithAbortOnCancel cannot be seen here: the emulator's query job has ended
// before its answer is let through.)
func TestBulkCancelWhileJobIsMade(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		run  func(ctx context.Context, c *salesforce.Client) (string, error)
		want string
	}{
		{"bulk insert", func(ctx context.Context, c *salesforce.Client) (string, error) {
			_, err := BulkInsert(ctx, c, BulkInsertInput{SObject: "Account", Records: []map[string]any{{"Name": "Made as cancelled"}}})
			return "", err
		}, salesforce.JobAborted},
		{"bulk query, only stop waiting", func(ctx context.Context, c *salesforce.Client) (string, error) {
			out, err := BulkQuery(ctx, c, BulkQueryInput{SObject: "Account", SOQL: "SELECT Id FROM Account"})
			return out.JobID, err
		}, salesforce.JobComplete},
		{"bulk query start", func(ctx context.Context, c *salesforce.Client) (string, error) {
			j, err := StartBulkQuery(ctx, c, "SELECT Id FROM Account", false)
			if j == nil {
				return "", err
			}
			return j.ID, err
		}, salesforce.JobComplete},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			em, _ := newOrg(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c := cancelAfterCreateOrg(t, em, cancel)
			gotID, err := tt.run(ctx, c)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err %v; want context.Canceled", err)
			}
			jobs, err := ListBulkJobs(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			if len(jobs) != 1 {
				t.Fatalf("jobs %+v; want the one made", jobs)
			}
			if gotID != "" && gotID != jobs[0].ID {
				t.Errorf("returned job %s; the org made %s", gotID, jobs[0].ID)
			}
			wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer wcancel()
			kind := salesforce.BulkIngest
			if jobs[0].Type == "query" {
				kind = salesforce.BulkQuery
			}
			j, err := c.WaitBulkJob(wctx, kind, jobs[0].ID, salesforce.PollPolicy{}, nil)
			if err != nil || j.State != tt.want {
				t.Fatalf("job %+v, %v; want %s", j, err, tt.want)
			}
		})
	}
}

// cancelAfterCreateOrg is a client of em through a proxy that, when a Bulk
// job has been made, calls cancel and holds the answer until the client
// gives up on it (or 2 s pass): the cancel lands while the answer is in
// transit.
func cancelAfterCreateOrg(t *testing.T, em *emulatortest.Server, cancel context.CancelFunc) *salesforce.Client {
	t.Helper()
	u, _ := url.Parse(em.URL)
	rp := httputil.NewSingleHostReverseProxy(u)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/jobs/ingest") && !strings.HasSuffix(r.URL.Path, "/jobs/query") {
			rp.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, r.WithContext(context.WithoutCancel(r.Context())))
		cancel()
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
		maps.Copy(w.Header(), rec.Header())
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(ts.Close)
	c, err := salesforce.New(salesforce.Config{
		HTTPClient: http.DefaultClient,
		Tokens:     salesforce.NewTokenSource(salesforce.TokenSourceConfig{Token: salesforce.Token{AccessToken: em.Token.AccessToken, InstanceURL: ts.URL}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
