package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// redirectTarget is the "internal address" a hostile instance redirects to:
// it records every request it gets, which must be none.
type redirectTarget struct {
	srv  *httptest.Server
	mu   sync.Mutex
	hits []string // method, path, and whether a token or body came along
}

func newRedirectTarget(t *testing.T) *redirectTarget {
	rt := &redirectTarget{}
	rt.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rt.mu.Lock()
		rt.hits = append(rt.hits, r.Method+" "+r.URL.Path+" auth="+r.Header.Get("Authorization")+" body="+string(body))
		rt.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"attributes":{"type":"Account"},"Id":"001000000000001AAA","Name":"INTERNAL-ONLY metadata"}`)
	}))
	t.Cleanup(rt.srv.Close)
	return rt
}

func (rt *redirectTarget) requests() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return append([]string(nil), rt.hits...)
}

// newRedirector is an allowlisted (loopback) instance that answers every
// request with status and a Location on the target.
func newRedirector(t *testing.T, status int, target string) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target+r.URL.Path, status)
	}))
	t.Cleanup(s.Close)
	return s
}

// TestRedirectsNotFollowedCLI: `record get` against an instance that
// redirects fails naming the Location, and nothing reaches the target.
func TestRedirectsNotFollowedCLI(t *testing.T) {
	t.Parallel()
	target := newRedirectTarget(t)
	const token = "00D000000000001AAA!AQ.redirectTESTtoken"
	for _, status := range []int{302, 307} {
		red := newRedirector(t, status, target.srv.URL)
		env := append(baseEnv(t), "SALESFORCE_ACCESS_TOKEN="+token, "SALESFORCE_INSTANCE_URL="+red.URL)
		r := run(t, env, "", "record", "get", "Account", "001000000000001AAA")
		if r.code == 0 || strings.Contains(r.out, "INTERNAL-ONLY") {
			t.Fatalf("%d: record get followed the redirect: exit %d\n%s", status, r.code, r.out)
		}
		if !strings.Contains(r.err, "redirect") || !strings.Contains(r.err, target.srv.URL) {
			t.Errorf("%d: the error should name the redirect and its Location: %s", status, r.err)
		}
		if strings.Contains(r.err+r.out, token) {
			t.Errorf("%d: the token reached the output", status)
		}
		// A 307 would re-POST: a create through the same instance.
		r = run(t, env, "", "record", "create", "Account", "--set", "Name=re-posted")
		if r.code == 0 {
			t.Errorf("%d: record create succeeded through a redirect", status)
		}
	}
	if hits := target.requests(); len(hits) != 0 {
		t.Fatalf("%d request(s) reached the redirect target: %q", len(hits), hits)
	}
}

// TestRedirectsNotFollowedMCP: the salesforce_get_record tool of `serve`
// (headers mode, the redirector allowlisted) refuses the redirect too.
func TestRedirectsNotFollowedMCP(t *testing.T) {
	t.Parallel()
	target := newRedirectTarget(t)
	const token = "00D000000000001AAA!AQ.redirectTESTtoken"
	for _, status := range []int{302, 307} {
		red := newRedirector(t, status, target.srv.URL)
		host := strings.TrimPrefix(red.URL, "http://")
		env := append(baseEnv(t), "OAUTH_MODE=headers", "SFMCP_ALLOWED_INSTANCE_HOSTS="+host)
		base := startServeHTTP(t, env)
		body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call",
			"params": map[string]any{"name": "salesforce_get_record", "arguments": map[string]any{"sobject": "Account", "record_id": "001000000000001AAA"}}})
		req, _ := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("X-SF-Instance-Url", red.URL)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		text := string(got)
		if strings.Contains(text, "INTERNAL-ONLY") || !strings.Contains(text, `"isError":true`) {
			t.Fatalf("%d: the tool followed the redirect or did not fail: %s", status, text)
		}
		if !strings.Contains(text, "redirect") || !strings.Contains(text, strings.TrimPrefix(target.srv.URL, "http://")) {
			t.Errorf("%d: the tool error should name the redirect and its Location: %s", status, text)
		}
		if strings.Contains(text, token) {
			t.Errorf("%d: the token reached the tool result", status)
		}
	}
	if hits := target.requests(); len(hits) != 0 {
		t.Fatalf("%d request(s) reached the redirect target: %q", len(hits), hits)
	}
}
