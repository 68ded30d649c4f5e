package emulator_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// testClock is a clock a test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestBulkJobsExpireAfterSevenDays: Salesforce deletes bulk jobs and their
// data 7 days after they were created, whatever their state.
func TestBulkJobsExpireAfterSevenDays(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	s := emulatortest.New(t, func(o *emulator.Options) {
		o.NoSampleData = true
		o.Now = clock.Now
		o.TokenTTL = 30 * 24 * time.Hour // the session outlives the jobs
	})
	status, body := s.Do(t, "POST", v+"/jobs/ingest", map[string]any{"object": "Account", "operation": "insert"})
	if status != 200 {
		t.Fatalf("create ingest job: %d %s", status, body)
	}
	ingest := decode[map[string]any](t, body)["id"].(string)
	status, body = s.Do(t, "POST", v+"/jobs/query", map[string]any{"operation": "query", "query": "SELECT Id FROM Account"})
	if status != 200 {
		t.Fatalf("create query job: %d %s", status, body)
	}
	query := decode[map[string]any](t, body)["id"].(string)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body = s.Do(t, "GET", v+"/jobs/query/"+query, nil)
		if strings.Contains(string(body), `"JobComplete"`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	listed := func(kind, id string) bool {
		_, body := s.Do(t, "GET", v+"/jobs/"+kind, nil)
		return strings.Contains(string(body), id)
	}
	clock.Advance(7*24*time.Hour - time.Minute)
	for _, p := range []string{"/jobs/ingest/" + ingest, "/jobs/query/" + query, "/jobs/query/" + query + "/results"} {
		if status, body := s.Do(t, "GET", v+p, nil); status != 200 {
			t.Errorf("%s before 7 days: %d %s", p, status, body)
		}
	}
	if !listed("ingest", ingest) || !listed("query", query) {
		t.Error("jobs not listed before 7 days")
	}
	clock.Advance(2 * time.Minute)
	for _, p := range []string{"/jobs/ingest/" + ingest, "/jobs/query/" + query, "/jobs/query/" + query + "/results"} {
		status, body := s.Do(t, "GET", v+p, nil)
		wantError(t, status, body, 404, "NOT_FOUND")
	}
	if listed("ingest", ingest) || listed("query", query) {
		t.Error("expired jobs still listed")
	}
	// A job created now is unaffected.
	if status, body := s.Do(t, "POST", v+"/jobs/ingest", map[string]any{"object": "Account", "operation": "insert"}); status != 200 {
		t.Errorf("new job: %d %s", status, body)
	}
}
