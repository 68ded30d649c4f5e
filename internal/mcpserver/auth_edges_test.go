package mcpserver

import (
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// TestHeadersModeTokenURL: with a token URL configured (SF_TOKEN_URL), a
// headers-mode session is renewed there, not at the caller's instance.
func TestHeadersModeTokenURL(t *testing.T) {
	em := emulatortest.New(t)
	u, _ := url.Parse(em.URL)
	rp := httputil.NewSingleHostReverseProxy(u)
	var refreshes atomic.Int64
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/services/oauth2/token") {
			refreshes.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(tokens.Close)
	srv := startHTTP(t, HTTPOptions{Mode: AuthHeaders, ClientID: emulatortest.ClientID, TokenURL: tokens.URL + "/services/oauth2/token",
		Instances: InstancePolicy{Allowed: []string{hostOf(em.URL)}}})
	h := map[string]string{
		"Authorization":      "Bearer " + em.Token.AccessToken,
		"X-SF-Instance-Url":  em.URL,
		"X-SF-Refresh-Token": em.Token.RefreshToken,
	}
	em.ExpireSessions(t)
	if isErr, sc := srv.post(t, h, toolCall("salesforce_limits", map[string]any{})).result(t); isErr {
		t.Fatalf("after expiry with a refresh token: %v", sc)
	}
	if n := refreshes.Load(); n != 1 {
		t.Errorf("%d refreshes at the configured token URL, want 1", n)
	}
}

// TestClientLRUDefaultSize: a size of 0 (MaxClients not set) keeps the
// default number of clients, so a user's client is reused, not rebuilt.
func TestClientLRUDefaultSize(t *testing.T) {
	em := emulatortest.New(t)
	l := newClientLRU(0)
	builds := 0
	for range 2 {
		if _, err := l.get(lruKey{"a", ""}, hashToken("t"), func() (*salesforce.Client, error) { builds++; return emulatorClient(t, em), nil }); err != nil {
			t.Fatal(err)
		}
	}
	if builds != 1 || l.len() != 1 {
		t.Errorf("%d builds, %d clients kept; want the client built once and kept", builds, l.len())
	}
}

// TestHashTokenFraming: the key of a token is the SHA-256 of its parts, each
// ended by a NUL, whatever their length: replicas sharing validations in
// Redis (and replicas of another version during a rollout) must agree.
func TestHashTokenFraming(t *testing.T) {
	for _, parts := range [][]string{
		{"00Dxx!token"},
		{"00Dxx!token", "https://acme.my.salesforce.com"},
		{strings.Repeat("t", 600), "https://acme.my.salesforce.com"}, // past the stack buffer
		{"", ""},
	} {
		h := sha256.New()
		for _, p := range parts {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
		var want tokenKey
		copy(want[:], h.Sum(nil))
		if got := hashToken(parts...); got != want {
			t.Errorf("hashToken(%.40q) = %x, want %x", parts, got, want)
		}
	}
	if testing.AllocsPerRun(100, func() { _ = hashToken("00Dxx!token", "https://acme.my.salesforce.com") }) != 0 {
		t.Error("hashToken of a token and an instance allocates")
	}
}

// TestCanonicalHeaderKeys: the keys looked up are the canonical forms of
// the names the docs and error messages use.
func TestCanonicalHeaderKeys(t *testing.T) {
	for name, key := range map[string]string{headerInstance: keyInstance, headerSFInstance: keySFInstance, headerSFRefreshToken: keySFRefreshToken} {
		if got := http.CanonicalHeaderKey(name); got != key {
			t.Errorf("CanonicalHeaderKey(%q) = %q, the key used is %q", name, got, key)
		}
	}
}
