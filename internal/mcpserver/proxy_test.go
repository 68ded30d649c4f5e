package mcpserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth/store/redistest"
)

func TestNewProxyConfig(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	good := ProxyConfig{ClientID: "id", LoginURL: "https://test.salesforce.com"}
	p, closeStore, err := NewProxy(ctx, "127.0.0.1:8000", good)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	if p.Resource() != "http://127.0.0.1:8000/mcp" || strings.Join(p.Scopes(), " ") != "api refresh_token" {
		t.Errorf("defaults: %s %v", p.Resource(), p.Scopes())
	}
	if p.UpstreamTokenURL() != "https://test.salesforce.com/services/oauth2/token" {
		t.Errorf("sandbox token URL: %s", p.UpstreamTokenURL())
	}
	for what, c := range map[string]struct {
		cfg  ProxyConfig
		want string
	}{
		"redis without a key": {ProxyConfig{ClientID: "id", StorageType: "redis"}, "needs STORAGE_ENCRYPTION_KEY"},
		"unknown storage":     {ProxyConfig{ClientID: "id", StorageType: "disk"}, "want memory or redis"},
		"bad key":             {ProxyConfig{ClientID: "id", EncryptionKey: "c2hvcnQ="}, "32 bytes"},
		"no client id":        {ProxyConfig{}, "SALESFORCE_CLIENT_ID"},
		"redis unreachable":   {ProxyConfig{ClientID: "id", StorageType: "redis", RedisURL: "redis://127.0.0.1:1", EncryptionKey: "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="}, "unavailable"},
	} {
		if _, _, err := NewProxy(ctx, "127.0.0.1:8000", c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", what, err)
		}
	}
	rs := redistest.Start(t)
	_, closeRedis, err := NewProxy(ctx, "127.0.0.1:8000", ProxyConfig{ClientID: "id", StorageType: "redis", RedisURL: rs.URL,
		EncryptionKey: "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=", Scopes: "api, refresh_token offline_access", RedirectSchemes: "vscode://, jetbrains"})
	if err != nil {
		t.Fatal(err)
	}
	closeRedis()
}

// TestProxyBehindPublicURL: on a non-loopback address behind BASE_URL, the
// consent form (posted by the browser from BASE_URL's origin) passes the
// Origin guard, and other sites' posts do not.
func TestProxyBehindPublicURL(t *testing.T) {
	t.Parallel()
	p, closeStore, err := NewProxy(context.Background(), "10.0.0.5:8000", ProxyConfig{ClientID: "id", BaseURL: "https://mcp.example.com/"})
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	h, err := HTTPHandler(NewServer(Options{}), "10.0.0.5:8000", HTTPOptions{Mode: AuthProxy, BaseURL: "https://mcp.example.com", Proxy: p})
	if err != nil {
		t.Fatal(err)
	}
	post := func(origin string) int {
		req := httptest.NewRequest("POST", "https://mcp.example.com/authorize/consent", strings.NewReader("consent_id=x&action=approve"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if c := post("https://mcp.example.com"); c != http.StatusBadRequest { // through the guard; the consent id is unknown
		t.Errorf("same-origin consent post: %d", c)
	}
	if c := post("https://evil.example"); c != http.StatusForbidden {
		t.Errorf("cross-site consent post: %d", c)
	}
	req := httptest.NewRequest("GET", "https://mcp.example.com/.well-known/oauth-protected-resource", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if !strings.Contains(rec.Body.String(), `"authorization_servers":["https://mcp.example.com"]`) {
		t.Errorf("protected resource metadata: %s", rec.Body.String())
	}
	req = httptest.NewRequest("POST", "https://mcp.example.com/mcp", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer sfmcp_at_unknown")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 401 || !strings.Contains(rec.Header().Get("WWW-Authenticate"), `resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource"`) ||
		!strings.Contains(rec.Header().Get("WWW-Authenticate"), "invalid_token") {
		t.Errorf("unknown token: %d %v", rec.Code, rec.Header())
	}
}
