package emulator_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

func TestFaults(t *testing.T) {
	s := emulatortest.New(t)
	limits := v + "/limits"
	for _, tc := range []struct {
		fault  emulator.Fault
		status int
		code   string
	}{
		{emulator.Fault{Status: 500, Times: 1}, 500, "UNKNOWN_EXCEPTION"},
		{emulator.Fault{Status: 503, Times: 1}, 503, "SERVER_UNAVAILABLE"},
		{emulator.Fault{Status: 429, Times: 1, RetryAfter: 2}, 429, "REQUEST_LIMIT_EXCEEDED"},
		{emulator.Fault{Status: 403, Times: 1}, 403, "REQUEST_LIMIT_EXCEEDED"},
	} {
		s.AddFault(t, tc.fault)
		req, _ := http.NewRequest("GET", s.URL+limits, nil)
		req.Header.Set("Authorization", "Bearer "+s.Token.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("fault %+v: status %d", tc.fault, resp.StatusCode)
		}
		if tc.fault.RetryAfter > 0 && resp.Header.Get("Retry-After") != "2" {
			t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
		}
		// Times: 1 means the next call is served normally.
		if status, body := s.Do(t, "GET", limits, nil); status != 200 {
			t.Errorf("after fault %+v: %d %s", tc.fault, status, body)
		}
	}
	// A path-limited fault that lasts until cleared.
	s.AddFault(t, emulator.Fault{Status: 500, PathPrefix: v + "/query"})
	for i := 0; i < 3; i++ {
		if status, _ := s.Do(t, "GET", q("SELECT Id FROM Account LIMIT 1"), nil); status != 500 {
			t.Errorf("persistent fault #%d: %d", i, status)
		}
	}
	if status, _ := s.Do(t, "GET", limits, nil); status != 200 {
		t.Errorf("other paths should be served: %d", status)
	}
	s.Admin(t, "DELETE", "faults", nil)
	if status, _ := s.Do(t, "GET", q("SELECT Id FROM Account LIMIT 1"), nil); status != 200 {
		t.Errorf("after clearing: %d", status)
	}
	// Latency.
	s.AddFault(t, emulator.Fault{LatencyMS: 150, Times: 1})
	start := time.Now()
	if status, _ := s.Do(t, "GET", limits, nil); status != 200 {
		t.Errorf("latency fault: %d", status)
	}
	if time.Since(start) < 150*time.Millisecond {
		t.Errorf("latency fault did not delay the answer")
	}
	// A dropped connection.
	// (Go's transport retries an idempotent request once on a dropped
	// connection, so the fault must outlast that retry.)
	s.AddFault(t, emulator.Fault{Drop: true, Times: 3})
	req, _ := http.NewRequest("GET", s.URL+limits, nil)
	req.Header.Set("Authorization", "Bearer "+s.Token.AccessToken)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("dropped connection answered %d", resp.StatusCode)
	}
	// Expired sessions answer 401 INVALID_SESSION_ID; refresh still works.
	s.ExpireSessions(t)
	status, body := s.Do(t, "GET", limits, nil)
	wantError(t, status, body, 401, "INVALID_SESSION_ID")
}
