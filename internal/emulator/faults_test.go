package emulator_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
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
