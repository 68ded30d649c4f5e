package salesforce

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tokens shaped like real ones ("00D...!..."), long and distinctive so a leak
// into an error or a log is easy to spot.
const (
	testAccessToken  = "00D000000000001AAA!AQ.staleACCESSsecret7x9"
	freshAccessToken = "00D000000000001AAA!AQ.freshACCESSsecret3k2"
	testRefreshToken = "5Aep861REFRESHsecretQ8zv"
	testClientSecret = "CLIENTsecretW2n5"
	testClientID     = "3MVG9sfmcpTestClient"
)

// fastRetry keeps retry tests quick; the shape (4 attempts) is the default's.
var fastRetry = RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond, MaxRetryAfter: 20 * time.Millisecond}

// clientOption adjusts the client a test builds.
type clientOption func(*Config, *TokenSourceConfig)

func withRefresh(tokenURL string, onRefresh func(Token)) clientOption {
	return func(_ *Config, ts *TokenSourceConfig) {
		ts.Token.RefreshToken = testRefreshToken
		ts.ClientID = testClientID
		ts.ClientSecret = testClientSecret
		ts.TokenURL = tokenURL
		if onRefresh != nil {
			ts.OnRefresh = func(_ context.Context, t Token) error { onRefresh(t); return nil }
		}
	}
}

func withRetry(p RetryPolicy) clientOption {
	return func(c *Config, _ *TokenSourceConfig) { c.Retry = p }
}

func withLogger(l *slog.Logger) clientOption {
	return func(c *Config, _ *TokenSourceConfig) { c.Logger = l }
}

// newTestClient builds a client for the org at baseURL: an httptest server in
// these tests, the emulator later. It uses a fresh HTTP client per test so
// closed servers cannot leave pooled connections behind.
func newTestClient(t testing.TB, baseURL string, opts ...clientOption) *Client {
	t.Helper()
	cfg := Config{HTTPClient: NewHTTPClient(), Retry: fastRetry, UserAgent: "sfmcp/test"}
	tsc := TokenSourceConfig{Token: Token{AccessToken: testAccessToken, InstanceURL: baseURL}}
	for _, o := range opts {
		o(&cfg, &tsc)
	}
	cfg.Tokens = NewTokenSource(tsc)
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(cfg.HTTPClient.CloseIdleConnections)
	return c
}

// recordedRequest is what a fake org saw.
type recordedRequest struct {
	Method, Path, RawPath, RawQuery string
	Header                          http.Header
	Body                            []byte
}

// recorder wraps a fake org's handler and keeps every request it receives.
type recorder struct {
	mu   sync.Mutex
	reqs []recordedRequest
}

func (rec *recorder) wrap(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, recordedRequest{Method: r.Method, Path: r.URL.Path, RawPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
		rec.mu.Unlock()
		h(w, r)
	}
}

func (rec *recorder) all() []recordedRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]recordedRequest(nil), rec.reqs...)
}

// count returns how many requests had this path (all paths when path is "").
func (rec *recorder) count(path string) int {
	n := 0
	for _, r := range rec.all() {
		if path == "" || r.Path == path {
			n++
		}
	}
	return n
}

// newFakeOrg starts an httptest server running h and records its requests.
func newFakeOrg(t testing.TB, h http.HandlerFunc) (*httptest.Server, *recorder) {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(rec.wrap(h))
	t.Cleanup(srv.Close)
	return srv, rec
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// writeSFError answers like Salesforce does: an array with one error.
func writeSFError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal([]map[string]any{{"message": msg, "errorCode": code}})
	writeJSON(w, status, string(b))
}

func writeInvalidSession(w http.ResponseWriter) {
	writeSFError(w, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid")
}

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// assertNoSecrets fails if s contains any of the test secrets.
func assertNoSecrets(t testing.TB, what, s string) {
	t.Helper()
	for _, sec := range []string{testAccessToken, freshAccessToken, testRefreshToken, testClientSecret} {
		if strings.Contains(s, sec) {
			t.Errorf("%s leaks a secret %q:\n%s", what, sec[:8]+"…", s)
		}
	}
}

// pageBody renders one query page with n Account rows starting at first.
func pageBody(total, first, n int, next string) string {
	var recs []string
	for i := first; i < first+n; i++ {
		id := fmt.Sprintf("001%012d", i)
		recs = append(recs, fmt.Sprintf(`{"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/%s"},"Name":"Account %d","Id":"%s"}`, id, i, id))
	}
	done := next == ""
	nextField := ""
	if !done {
		nextField = fmt.Sprintf(`"nextRecordsUrl":%q,`, next)
	}
	return fmt.Sprintf(`{"totalSize":%d,"done":%t,%s"records":[%s]}`, total, done, nextField, strings.Join(recs, ","))
}
