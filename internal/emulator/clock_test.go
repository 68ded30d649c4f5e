package emulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// clockLever calls /__emulator/clock over HTTP, as a test of a running
// `sfmcp emulator` would.
func clockLever(t *testing.T, s *emulatortest.Server, method string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+"/__emulator/clock", rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	if out == nil {
		out = map[string]any{"raw": string(raw)}
	}
	return resp.StatusCode, out
}

// TestClockLeverExpiresBulkJobs: with the real clock (no Options.Now), a
// test moves the org's clock over HTTP and sees Bulk jobs reach their 7-day
// retention; the session expires on the way, as a real one would, and a
// refresh token gets a new one.
func TestClockLeverExpiresBulkJobs(t *testing.T) {
	s := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	status, body := s.Do(t, "POST", v+"/jobs/ingest", map[string]any{"object": "Account", "operation": "insert"})
	if status != 200 {
		t.Fatalf("create ingest job: %d %s", status, body)
	}
	job := decode[map[string]any](t, body)["id"].(string)

	status, before := clockLever(t, s, "GET", nil)
	if status != 200 || before["offset"] != "0s" {
		t.Fatalf("GET clock: %d %v", status, before)
	}
	refresh := func() {
		t.Helper()
		status, out := token(t, s, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {s.Token.RefreshToken}, "client_id": {emulatortest.ClientID}})
		if status != 200 {
			t.Fatalf("refresh after moving the clock: %d %v", status, out)
		}
		s.Token.AccessToken = out["access_token"].(string)
	}

	status, moved := clockLever(t, s, "POST", map[string]string{"advance": "167h"})
	if status != 200 || moved["offset"] != "167h0m0s" {
		t.Fatalf("advance: %d %v", status, moved)
	}
	now, err := time.Parse(time.RFC3339Nano, moved["now"].(string))
	if err != nil || now.Sub(time.Now()) < 166*time.Hour {
		t.Fatalf("clock after advancing 167h: %v (%v)", moved["now"], err)
	}
	// The 2-hour session is long gone: Salesforce's answer, then a refresh.
	status, body = s.Do(t, "GET", v+"/jobs/ingest/"+job, nil)
	wantError(t, status, body, 401, "INVALID_SESSION_ID")
	refresh()
	if status, body := s.Do(t, "GET", v+"/jobs/ingest/"+job, nil); status != 200 {
		t.Fatalf("job after 167 hours: %d %s", status, body)
	}

	set := now.Add(time.Hour + time.Minute).UTC().Format(time.RFC3339)
	if status, out := clockLever(t, s, "POST", map[string]string{"set": set}); status != 200 {
		t.Fatalf("set %s: %d %v", set, status, out)
	}
	refresh()
	status, body = s.Do(t, "GET", v+"/jobs/ingest/"+job, nil)
	wantError(t, status, body, 404, "NOT_FOUND")
	if _, body := s.Do(t, "GET", v+"/jobs/ingest", nil); strings.Contains(string(body), job) {
		t.Error("the expired job is still listed")
	}
	// A record created now carries the moved clock.
	status, body = s.Do(t, "POST", v+"/sobjects/Account", map[string]any{"Name": "Later"})
	if status != 201 {
		t.Fatalf("create: %d %s", status, body)
	}
	id := decode[map[string]any](t, body)["id"].(string)
	_, body = s.Do(t, "GET", v+"/sobjects/Account/"+id+"?fields=CreatedDate", nil)
	created, _ := time.Parse("2006-01-02T15:04:05.000-0700", decode[map[string]any](t, body)["CreatedDate"].(string))
	if created.Sub(time.Now()) < 167*time.Hour {
		t.Errorf("CreatedDate %v is not on the moved clock", created)
	}

	// Refused: moving back, both fields, neither, junk, other methods.
	for _, bad := range []any{
		map[string]string{"advance": "-1h"},
		map[string]string{"set": "2001-01-01T00:00:00Z"},
		map[string]string{"advance": "1h", "set": set},
		map[string]string{},
		map[string]string{"advance": "a week"},
		map[string]any{"advance": "1h", "speed": 2},
	} {
		if status, out := clockLever(t, s, "POST", bad); status != 400 {
			t.Errorf("POST %v: %d %v, want 400", bad, status, out)
		}
	}
	if status, _ := clockLever(t, s, "PUT", nil); status != 405 {
		t.Errorf("PUT clock: %d, want 405", status)
	}
	if status, out := clockLever(t, s, "DELETE", nil); status != 200 || out["offset"] != "0s" {
		t.Errorf("DELETE clock: %d %v", status, out)
	}
}
