package salesforce

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	hc := NewHTTPClient()
	ts := func(instance string) *TokenSource {
		return NewTokenSource(TokenSourceConfig{Token: Token{AccessToken: testAccessToken, InstanceURL: instance}})
	}
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
		want    string // InstanceURL when ok
	}{
		{"https org", Config{HTTPClient: hc, Tokens: ts("https://Acme.my.salesforce.com/")}, false, "https://acme.my.salesforce.com"},
		{"loopback http", Config{HTTPClient: hc, Tokens: ts("http://127.0.0.1:8080")}, false, "http://127.0.0.1:8080"},
		{"localhost http", Config{HTTPClient: hc, Tokens: ts("http://localhost:8080")}, false, "http://localhost:8080"},
		{"remote http refused", Config{HTTPClient: hc, Tokens: ts("http://acme.my.salesforce.com")}, true, ""},
		{"remote http allowed", Config{HTTPClient: hc, Tokens: ts("http://emulator:8080"), AllowInsecureHTTP: true}, false, "http://emulator:8080"},
		{"path in instance", Config{HTTPClient: hc, Tokens: ts("https://acme.my.salesforce.com/services")}, true, ""},
		{"userinfo in instance", Config{HTTPClient: hc, Tokens: ts("https://u:p@acme.my.salesforce.com")}, true, ""},
		{"other scheme", Config{HTTPClient: hc, Tokens: ts("ftp://acme.my.salesforce.com")}, true, ""},
		{"no instance", Config{HTTPClient: hc, Tokens: ts("")}, true, ""},
		{"no http client", Config{Tokens: ts("https://acme.my.salesforce.com")}, true, ""},
		{"no tokens", Config{HTTPClient: hc}, true, ""},
		{"bad version", Config{HTTPClient: hc, Tokens: ts("https://a.my.salesforce.com"), APIVersion: "62.1"}, true, ""},
		{"bad version text", Config{HTTPClient: hc, Tokens: ts("https://a.my.salesforce.com"), APIVersion: "latest"}, true, ""},
		{"negative retry", Config{HTTPClient: hc, Tokens: ts("https://a.my.salesforce.com"), Retry: RetryPolicy{MaxAttempts: -1}}, true, ""},
	}
	for _, tt := range tests {
		c, err := New(tt.cfg)
		if tt.wantErr {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("%s: err = %v, want a ValidationError", tt.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if c.InstanceURL() != tt.want || c.APIVersion() != DefaultAPIVersion {
			t.Errorf("%s: instance %q version %q", tt.name, c.InstanceURL(), c.APIVersion())
		}
	}
	c, err := New(Config{HTTPClient: hc, Tokens: ts("https://a.my.salesforce.com"), APIVersion: "v58.0"})
	if err != nil || c.APIVersion() != "58.0" || c.dataPath("limits") != "/services/data/v58.0/limits" {
		t.Errorf("v58.0: %v %v", c, err)
	}
}

func TestParseAPIError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantCode    string
		wantMsg     string
		wantError   string
	}{
		{"error array", 400, "application/json", `[{"message":"No such column 'foo__c' on entity 'Lead'.","errorCode":"INVALID_FIELD","fields":[]}]`,
			"INVALID_FIELD", "No such column 'foo__c' on entity 'Lead'.", "INVALID_FIELD: No such column 'foo__c' on entity 'Lead'."},
		{"statusCode spelling", 400, "application/json", `[{"statusCode":"DUPLICATE_VALUE","message":"duplicate value found","fields":["Ext__c"]}]`,
			"DUPLICATE_VALUE", "duplicate value found", "DUPLICATE_VALUE: duplicate value found"},
		{"oauth error", 400, "application/json", `{"error":"invalid_grant","error_description":"expired access/refresh token"}`,
			"invalid_grant", "expired access/refresh token", "invalid_grant: expired access/refresh token"},
		{"single object", 404, "application/json", `{"errorCode":"NOT_FOUND","message":"gone"}`, "NOT_FOUND", "gone", "NOT_FOUND: gone"},
		{"bad oauth token text", 403, "text/plain", "Bad_OAuth_Token\n", "Bad_OAuth_Token", "Bad_OAuth_Token", "Bad_OAuth_Token"},
		{"html proxy page", 502, "text/html", "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title><style>body{}</style></head><body><h1>Bad Gateway</h1>" + strings.Repeat("<p>x</p>", 500) + "</body></html>",
			"", "502 Bad Gateway", "HTTP 502: 502 Bad Gateway"},
		{"html without title", 503, "text/html", "<html><body><script>var a=1;</script><h1>Down   for\nmaintenance</h1></body></html>",
			"", "Down for maintenance", "HTTP 503: Down for maintenance"},
		{"long text clipped", 500, "text/plain", strings.Repeat("too long ", 100), "", strings.Repeat("too long ", 100)[:200] + "…", ""},
		{"empty body", 500, "", "", "", "", "HTTP 500 Internal Server Error"},
		{"malformed json", 400, "application/json", `[{"message":`, "", `[{"message":`, `HTTP 400: [{"message":`},
	}
	for _, tt := range tests {
		e := parseAPIError(tt.status, tt.contentType, []byte(tt.body))
		if e.ErrorCode != tt.wantCode || e.Message != tt.wantMsg || e.StatusCode != tt.status {
			t.Errorf("%s: code %q msg %q status %d", tt.name, e.ErrorCode, e.Message, e.StatusCode)
		}
		if tt.wantError != "" && e.Error() != tt.wantError {
			t.Errorf("%s: Error() = %q, want %q", tt.name, e.Error(), tt.wantError)
		}
	}
}

func TestErrorHelpers(t *testing.T) {
	t.Parallel()
	notFound := fmt.Errorf("get: %w", &APIError{StatusCode: 404, ErrorCode: "NOT_FOUND"})
	deleted := &APIError{StatusCode: 404, ErrorCode: "ENTITY_IS_DELETED"}
	auth := fmt.Errorf("query: %w", &AuthError{Message: "log in", Err: &APIError{StatusCode: 401, ErrorCode: "INVALID_SESSION_ID"}})
	plain401 := &APIError{StatusCode: 401}
	other := &APIError{StatusCode: 400, ErrorCode: "MALFORMED_QUERY"}
	if !IsNotFound(notFound) || !IsNotFound(deleted) || IsNotFound(other) || IsNotFound(errors.New("x")) || IsNotFound(nil) {
		t.Error("IsNotFound")
	}
	if !IsAuthError(auth) || !IsAuthError(plain401) || IsAuthError(other) || IsAuthError(notFound) || IsAuthError(nil) {
		t.Error("IsAuthError")
	}
}

func TestLimitInfoHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in        string
		used, max int
		ok        bool
	}{
		{"api-usage=25/15000", 25, 15000, true},
		{"api-usage=18/5000, per-app-api-usage=17/250(appName=sample-app)", 18, 5000, true},
		{"per-app-api-usage=17/250(appName=x), api-usage=3/100", 3, 100, true},
		{" API-Usage = 7/9 ", 7, 9, true},
		{"", 0, 0, false},
		{"api-usage=abc/100", 0, 0, false},
		{"api-usage=5", 0, 0, false},
	}
	for _, tt := range tests {
		used, max, ok := parseLimitInfo(tt.in)
		if used != tt.used || max != tt.max || ok != tt.ok {
			t.Errorf("parseLimitInfo(%q) = %d, %d, %v", tt.in, used, max, ok)
		}
	}

	var calls atomic.Int32
	srv, _ := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1))
		w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/15000", 40+n))
		if n == 2 {
			writeSFError(w, 400, "MALFORMED_QUERY", "bad")
			return
		}
		writeJSON(w, 200, `{"DailyApiRequests":{"Max":15000,"Remaining":14958,"Salesforce CLI":{"Max":0,"Remaining":0}},"DataStorageMB":{"Max":5,"Remaining":5}}`)
	})
	c := newTestClient(t, srv.URL)
	if _, _, ok := c.APIUsage(); ok {
		t.Error("usage known before any call")
	}
	limits, err := c.Limits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if used, max, ok := c.APIUsage(); used != 41 || max != 15000 || !ok {
		t.Errorf("APIUsage = %d/%d %v", used, max, ok)
	}
	d := limits["DailyApiRequests"]
	if d.Max != 15000 || d.Remaining != 14958 || len(d.Sub) != 1 || limits["DataStorageMB"].Max != 5 {
		t.Errorf("limits = %+v", limits)
	}
	// Error answers carry the header too.
	_, _ = c.Limits(context.Background())
	if used, _, _ := c.APIUsage(); used != 42 {
		t.Errorf("usage after an error answer = %d, want 42", used)
	}
}

func TestVersions(t *testing.T) {
	t.Parallel()
	srv, rec := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `[{"label":"Winter '25","url":"/services/data/v62.0","version":"62.0"}]`)
	})
	v, err := newTestClient(t, srv.URL).Versions(context.Background())
	if err != nil || len(v) != 1 || v[0].Version != "62.0" || rec.all()[0].Path != "/services/data" {
		t.Errorf("Versions = %+v, %v", v, err)
	}
}
