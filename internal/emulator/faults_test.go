package emulator_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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

// TestFaultsServedCounts checks the admin count of what faults did: a test
// that injects a fault can then prove the fault happened.
func TestFaultsServedCounts(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	limits := v + "/limits"
	if got := s.FaultsServed(t); len(got) != 0 {
		t.Fatalf("a new emulator counts %v", got)
	}
	s.AddFault(t, emulator.Fault{Status: 429, Times: 2, PathPrefix: v + "/query"})
	s.AddFault(t, emulator.Fault{Status: 503, Times: 1, PathPrefix: limits})
	// The 429 fault does not match /limits: only the 503 one acts, once.
	if status, _ := s.Do(t, "GET", limits, nil); status != 503 {
		t.Errorf("first limits call: %d", status)
	}
	if status, _ := s.Do(t, "GET", limits, nil); status != 200 {
		t.Errorf("second limits call: %d", status)
	}
	for i := 0; i < 3; i++ {
		s.Do(t, "GET", q("SELECT Id FROM Account LIMIT 1"), nil)
	}
	got := s.FaultsServed(t)
	if got["429"] != 2 || got["503"] != 1 || len(got) != 2 {
		t.Errorf("served %v, want 2×429 and 1×503", got)
	}
}

// TestFaultsOnBulkJobs: a job that fails partway leaves unprocessed rows,
// and a truncated result set loses rows, as the counts say.
func TestFaultsOnBulkJobs(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	c := newBulk(t, s)
	var b strings.Builder
	b.WriteString("Name,NumberOfEmployees\n")
	for i := range 1000 {
		n := strconv.Itoa(i)
		if i%100 == 7 {
			n = "many" // fails
		}
		fmt.Fprintf(&b, "Fault %d,%s\n", i, n)
	}
	s.AddFault(t, emulator.Fault{FailJobAfterRows: 300, Times: 1, Message: "InternalServerError : injected"})
	id, info := c.ingest(map[string]any{"object": "Account", "operation": "insert"}, b.String())
	// Processing goes 200 rows at a time: the job fails after 400.
	if info["state"] != "Failed" || info["errorMessage"] != "InternalServerError : injected" ||
		num(info["numberRecordsProcessed"]) != 400 || num(info["numberRecordsFailed"]) != 4 {
		t.Fatalf("failed job: %v", info)
	}
	if rows := c.results(id, "unprocessedrecords"); len(rows) != 601 || rows[1][0] != "Fault 400" {
		t.Errorf("unprocessed: %d rows, first %q", len(rows)-1, rows[1])
	}
	// Times: 1: the next job runs to the end.
	if _, info := c.ingest(map[string]any{"object": "Account", "operation": "insert"}, "Name\nAfter\n"); info["state"] != "JobComplete" {
		t.Errorf("next job: %v", info)
	}
	if rows := c.results(id, "failedResults"); len(rows) != 5 {
		t.Errorf("failedResults before truncation: %d rows", len(rows)-1)
	}
	s.AddFault(t, emulator.Fault{PathSuffix: "/failedResults", Truncate: true, KeepLines: 1, Times: 1})
	if rows := c.results(id, "failedResults"); len(rows) != 2 || rows[0][0] != "sf__Id" || rows[1][3] != "many" {
		t.Errorf("truncated failedResults: %q", rows)
	}
	if rows := c.results(id, "successfulResults"); len(rows) != 397 {
		t.Errorf("successfulResults were truncated too: %d rows", len(rows)-1)
	}
	if got := s.FaultsServed(t); got["job-failed"] != 1 || got["truncate"] != 1 {
		t.Errorf("served %v", got)
	}
}

// TestAdminRefusesBrowserRequests sends the admin levers what a web page in
// the emulator user's browser could: cross-origin and "simple" POSTs, and a
// DNS-rebinding Host. None may take effect; the emulator's own requests do.
func TestAdminRefusesBrowserRequests(t *testing.T) {
	s := emulatortest.New(t)
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(u.Host)
	fault := `{"status":503}`
	send := func(host, origin, contentType string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", s.URL+"/__emulator/faults", strings.NewReader(fault))
		if host != "" {
			req.Host = host
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, c := range []struct {
		name, host, origin, contentType string
		status                          int
		code                            string
	}{
		{"text/plain form post", "", "", "text/plain", 415, "INVALID_CONTENT_TYPE"},
		{"urlencoded form post", "", "", "application/x-www-form-urlencoded", 415, "INVALID_CONTENT_TYPE"},
		{"no content type", "", "", "", 415, "INVALID_CONTENT_TYPE"},
		{"cross-origin", "", "http://evil.example", "application/json", 403, "CROSS_ORIGIN_REFUSED"},
		{"null origin", "", "null", "application/json", 403, "CROSS_ORIGIN_REFUSED"},
		{"other loopback port as origin", "", "http://127.0.0.1:1", "application/json", 403, "CROSS_ORIGIN_REFUSED"},
		{"dns rebinding host", "evil.example:" + port, "", "application/json", 403, "INVALID_HOST"},
		{"rebinding host with its own origin", "evil.example:" + port, "http://evil.example:" + port, "application/json", 403, "INVALID_HOST"},
		{"loopback name, other port", "localhost:1", "", "application/json", 403, "INVALID_HOST"},
	} {
		status, body := send(c.host, c.origin, c.contentType)
		if status != c.status || !strings.Contains(body, `"errorCode":"`+c.code+`"`) {
			t.Errorf("%s: %d %s, want %d %s", c.name, status, body, c.status, c.code)
		}
		if st, b := s.Do(t, "GET", v+"/limits", nil); st != 200 {
			t.Fatalf("%s: the refused fault took effect: %d %s", c.name, st, b)
		}
	}
	// What the emulator's own tools send still works: no Origin, or its own.
	for _, c := range []struct{ host, origin string }{
		{"", ""},
		{"localhost:" + port, "http://localhost:" + port},
		{"", "http://" + u.Host},
	} {
		if status, body := send(c.host, c.origin, "application/json; charset=utf-8"); status != 204 {
			t.Fatalf("own request %+v: %d %s", c, status, body)
		}
		if st, _ := s.Do(t, "GET", v+"/limits", nil); st != 503 {
			t.Fatalf("own request %+v: fault not added (%d)", c, st)
		}
		s.Admin(t, "DELETE", "faults", nil)
	}
}
