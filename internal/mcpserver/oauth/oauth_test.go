package oauth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth/store"
	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth/store/redistest"
)

// clientRedirect is where test clients are sent back; nothing listens there:
// the scripted browser stops before following it.
const clientRedirect = "http://127.0.0.1:9/callback"

type harness struct {
	t    *testing.T
	em   *emulatortest.Server
	st   store.Store
	srv  *Server
	ts   *httptest.Server
	skew atomic.Int64 // added to the server's clock
}

func testKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// newHarness serves a proxy in front of an emulator org on a loopback port.
// st may be nil (a memory store).
func newHarness(t *testing.T, st store.Store, adjust ...func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, em: emulatortest.New(t), st: st}
	if h.st == nil {
		h.st = store.NewMemory(nil)
	}
	cipher, err := store.ParseKeys(testKey())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.ts = httptest.NewServer(mux)
	t.Cleanup(h.ts.Close)
	cfg := Config{BaseURL: h.ts.URL, Store: h.st, Cipher: cipher, LoginURL: h.em.URL, ClientID: emulatortest.ClientID,
		CheckInstance: func(raw string) (string, error) { return raw, nil },
		Now:           func() time.Time { return time.Now().Add(time.Duration(h.skew.Load())) }}
	for _, f := range adjust {
		f(&cfg)
	}
	h.srv, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.srv.Mount(mux)
	return h
}

func (h *harness) post(path string, form url.Values, basicUser, basicPass string) (int, map[string]any) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicUser != "" {
		req.SetBasicAuth(basicUser, basicPass)
	}
	return h.do(req)
}

func (h *harness) do(req *http.Request) (int, map[string]any) {
	h.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

func (h *harness) register(meta map[string]any) (int, map[string]any) {
	h.t.Helper()
	b, _ := json.Marshal(meta)
	req, _ := http.NewRequest(http.MethodPost, h.ts.URL+PathRegister, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	return h.do(req)
}

// client registers a public client with clientRedirect.
func (h *harness) client() string {
	h.t.Helper()
	status, out := h.register(map[string]any{"redirect_uris": []string{clientRedirect}, "token_endpoint_auth_method": "none", "client_name": "Test <b>client</b>"})
	if status != 201 {
		h.t.Fatalf("register: %d %v", status, out)
	}
	return out["client_id"].(string)
}

// pkce returns a verifier and its S256 challenge.
func pkce() (string, string) {
	v := newSecret("")
	return v, s256(v)
}

// browser plays the user: it follows redirects with cookies and stops at
// the client's redirect URI (or any answer that is not a redirect).
type browser struct {
	t  *testing.T
	hc *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, hc: &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), clientRedirect) {
			return http.ErrUseLastResponse
		}
		return nil
	}}}
}

var consentIDPattern = regexp.MustCompile(`name="consent_id" value="([^"]+)"`)

// authorize opens the authorization URL with params, answers the consent
// page with action, and returns the last response (the redirect to the
// client, or an error page) and the page's HTML.
func (b *browser) authorize(base string, params url.Values, action string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.hc.Get(base + PathAuthorize + "?" + params.Encode())
	if err != nil {
		b.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := consentIDPattern.FindSubmatch(page)
	if resp.StatusCode != 200 || m == nil {
		return resp, string(page)
	}
	resp, err = b.hc.PostForm(base+PathConsent, url.Values{"consent_id": {string(m[1])}, "action": {action}})
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(page) + string(body)
}

func authParams(clientID, challenge string) url.Values {
	return url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {clientRedirect},
		"state": {"st-123"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
}

// backAt returns the query of the redirect to the client, or fails.
func backAt(t *testing.T, resp *http.Response, page string) url.Values {
	t.Helper()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, clientRedirect) {
		t.Fatalf("not sent back to the client: %d %s\n%s", resp.StatusCode, loc, page)
	}
	u, _ := url.Parse(loc)
	return u.Query()
}

// code runs a whole approved authorization and returns sfmcp's code.
func (h *harness) code(clientID, challenge string) string {
	h.t.Helper()
	resp, page := newBrowser(h.t).authorize(h.ts.URL, authParams(clientID, challenge), "approve")
	q := backAt(h.t, resp, page)
	if q.Get("code") == "" || q.Get("state") != "st-123" || q.Get("iss") != h.ts.URL {
		h.t.Fatalf("redirect back: %v", q)
	}
	return q.Get("code")
}

func (h *harness) exchange(clientID, code, verifier string) (int, map[string]any) {
	return h.post(PathToken, url.Values{"grant_type": {"authorization_code"}, "client_id": {clientID}, "code": {code},
		"redirect_uri": {clientRedirect}, "code_verifier": {verifier}}, "", "")
}

func (h *harness) refresh(clientID, rt string) (int, map[string]any) {
	return h.post(PathToken, url.Values{"grant_type": {"refresh_token"}, "client_id": {clientID}, "refresh_token": {rt}}, "", "")
}

func (h *harness) resolves(at string) bool {
	h.t.Helper()
	_, err := h.srv.Resolve(context.Background(), at)
	if err != nil && !errors.Is(err, ErrInvalidToken) {
		h.t.Fatalf("resolve: %v", err)
	}
	return err == nil
}

func wantError(t *testing.T, what string, status int, body map[string]any, wantStatus int, code string) {
	t.Helper()
	if status != wantStatus || body["error"] != code {
		t.Errorf("%s: %d %v; want %d %s", what, status, body, wantStatus, code)
	}
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	resp, err := http.Get(h.ts.URL + PathMetadata)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	want := map[string]any{"issuer": h.ts.URL, "authorization_endpoint": h.ts.URL + "/authorize", "token_endpoint": h.ts.URL + "/token",
		"registration_endpoint": h.ts.URL + "/register", "revocation_endpoint": h.ts.URL + "/revoke"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v; want %v", k, m[k], v)
		}
	}
	if fmt.Sprint(m["code_challenge_methods_supported"]) != "[S256]" ||
		fmt.Sprint(m["token_endpoint_auth_methods_supported"]) != "[none client_secret_post client_secret_basic]" ||
		fmt.Sprint(m["scopes_supported"]) != "[api refresh_token]" ||
		fmt.Sprint(m["grant_types_supported"]) != "[authorization_code refresh_token]" {
		t.Errorf("metadata: %v", m)
	}
	if prm := h.srv.ProtectedResourceMetadata(); prm["resource"] != h.ts.URL+"/mcp" || fmt.Sprint(prm["authorization_servers"]) != "["+h.ts.URL+"]" {
		t.Errorf("protected resource metadata: %v", prm)
	}
}

// TestFlow is the happy path, then refresh rotation and reuse.
func TestFlow(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	id := h.client()
	verifier, challenge := pkce()
	code := h.code(id, challenge)
	status, tok := h.exchange(id, code, verifier)
	if status != 200 || tok["token_type"] != "Bearer" || tok["scope"] != "api refresh_token" || tok["expires_in"] != float64(3600) {
		t.Fatalf("token: %d %v", status, tok)
	}
	at, rt := tok["access_token"].(string), tok["refresh_token"].(string)
	sess, err := h.srv.Resolve(context.Background(), at)
	if err != nil {
		t.Fatal(err)
	}
	if sess.InstanceURL != h.em.URL || sess.UserID == "" || !strings.HasPrefix(sess.OrgID, "00D") || sess.AccessToken == "" || sess.RefreshToken == "" {
		t.Fatalf("session: %v", sess)
	}
	if strings.Contains(fmt.Sprint(sess), sess.AccessToken) {
		t.Error("a session prints its Salesforce token")
	}
	// The Salesforce token works at the org.
	req, _ := http.NewRequest("GET", h.em.URL+"/services/oauth2/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+sess.AccessToken)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("userinfo with the stored Salesforce token: %v %v", resp, err)
	}

	// A renewed Salesforce token is written back.
	if err := h.srv.SaveSalesforceToken(context.Background(), sess.GrantID, "00Dnew!access", ""); err != nil {
		t.Fatal(err)
	}
	if s2, _ := h.srv.Resolve(context.Background(), at); s2.AccessToken != "00Dnew!access" || s2.RefreshToken != sess.RefreshToken {
		t.Fatalf("after write-back: %v", s2)
	}

	// Rotation: a new pair each time; both access tokens work.
	status, tok2 := h.refresh(id, rt)
	if status != 200 || tok2["refresh_token"] == rt || tok2["access_token"] == at {
		t.Fatalf("refresh: %d %v", status, tok2)
	}
	if !h.resolves(tok2["access_token"].(string)) {
		t.Fatal("the refreshed access token does not work")
	}
	// The old refresh token again: refused, and the family is revoked.
	status, body := h.refresh(id, rt)
	wantError(t, "reused refresh token", status, body, 400, "invalid_grant")
	if h.resolves(tok2["access_token"].(string)) || h.resolves(at) {
		t.Error("tokens of a family whose refresh token was reused still work")
	}
	status, body = h.refresh(id, tok2["refresh_token"].(string))
	wantError(t, "refresh after the family's revocation", status, body, 400, "invalid_grant")
}

func TestPKCE(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	id := h.client()
	verifier, challenge := pkce()

	t.Run("wrong verifier", func(t *testing.T) {
		code := h.code(id, challenge)
		other, _ := pkce()
		status, body := h.exchange(id, code, other)
		wantError(t, "wrong verifier", status, body, 400, "invalid_grant")
		// The code is spent: the right verifier no longer helps.
		status, body = h.exchange(id, code, verifier)
		wantError(t, "right verifier after a wrong one", status, body, 400, "invalid_grant")
	})
	t.Run("missing verifier", func(t *testing.T) {
		code := h.code(id, challenge)
		status, body := h.exchange(id, code, "")
		wantError(t, "no verifier", status, body, 400, "invalid_grant")
	})
	for name, p := range map[string]url.Values{
		"plain":        {"code_challenge_method": {"plain"}, "code_challenge": {verifier}},
		"no method":    {"code_challenge_method": {""}},
		"no challenge": {"code_challenge": {""}, "code_challenge_method": {""}},
	} {
		t.Run(name, func(t *testing.T) {
			params := authParams(id, challenge)
			for k, v := range p {
				params[k] = v
			}
			resp, page := newBrowser(t).authorize(h.ts.URL, params, "approve")
			q := backAt(t, resp, page)
			if q.Get("error") != "invalid_request" || q.Get("state") != "st-123" || q.Get("code") != "" {
				t.Errorf("%s: %v", name, q)
			}
		})
	}
}

func TestRedirectURI(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	id := h.client()
	verifier, challenge := pkce()
	for _, bad := range []string{"http://127.0.0.1:9/callback/../evil", "http://127.0.0.1:10/callback", "http://evil.example/callback", clientRedirect + "?x=1"} {
		params := authParams(id, challenge)
		params.Set("redirect_uri", bad)
		resp, page := newBrowser(t).authorize(h.ts.URL, params, "approve")
		if resp.StatusCode != 400 || resp.Header.Get("Location") != "" || !strings.Contains(page, "redirect") {
			t.Errorf("redirect_uri %s: %d %s", bad, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	// Unknown client: an error page, never a redirect.
	params := authParams("sfmcp_client_nobody", challenge)
	if resp, _ := newBrowser(t).authorize(h.ts.URL, params, "approve"); resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
		t.Errorf("unknown client: %d", resp.StatusCode)
	}
	// At the token endpoint, another redirect_uri than the authorization's.
	code := h.code(id, challenge)
	status, body := h.post(PathToken, url.Values{"grant_type": {"authorization_code"}, "client_id": {id}, "code": {code},
		"redirect_uri": {"http://127.0.0.1:9/other"}, "code_verifier": {verifier}}, "", "")
	wantError(t, "altered redirect_uri", status, body, 400, "invalid_grant")
}

func TestCodeReplayRevokes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	id := h.client()
	verifier, challenge := pkce()
	code := h.code(id, challenge)
	status, tok := h.exchange(id, code, verifier)
	if status != 200 {
		t.Fatalf("first exchange: %d %v", status, tok)
	}
	status, body := h.exchange(id, code, verifier)
	wantError(t, "replayed code", status, body, 400, "invalid_grant")
	if h.resolves(tok["access_token"].(string)) {
		t.Error("the access token of a replayed code still works")
	}
	status, body = h.refresh(id, tok["refresh_token"].(string))
	wantError(t, "refresh token of a replayed code", status, body, 400, "invalid_grant")
}

func TestCodeExpires(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	id := h.client()
	verifier, challenge := pkce()
	code := h.code(id, challenge)
	h.skew.Store(int64(61 * time.Second))
	status, body := h.exchange(id, code, verifier)
	wantError(t, "expired code", status, body, 400, "invalid_grant")
}

func TestCodeOfAnotherClient(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a, b := h.client(), h.client()
	verifier, challenge := pkce()
	code := h.code(a, challenge)
	status, body := h.exchange(b, code, verifier)
	wantError(t, "code of another client", status, body, 400, "invalid_grant")
}

func TestResourceIndicator(t *testing.T) {
	t.Parallel()
	st := store.NewMemory(nil)
	h := newHarness(t, st)
	id := h.client()
	verifier, challenge := pkce()

	params := authParams(id, challenge)
	params.Set("resource", "https://other.example/mcp")
	resp, page := newBrowser(t).authorize(h.ts.URL, params, "approve")
	if q := backAt(t, resp, page); q.Get("error") != "invalid_target" {
		t.Errorf("authorize for another resource: %v", q)
	}

	params.Set("resource", h.srv.Resource())
	resp, page = newBrowser(t).authorize(h.ts.URL, params, "approve")
	q := backAt(t, resp, page)
	status, body := h.post(PathToken, url.Values{"grant_type": {"authorization_code"}, "client_id": {id}, "code": {q.Get("code")},
		"redirect_uri": {clientRedirect}, "code_verifier": {verifier}, "resource": {"https://other.example/mcp"}}, "", "")
	wantError(t, "token for another resource", status, body, 400, "invalid_target")

	// A token of this server is no good at another (same store, other resource).
	code := h.code(id, challenge)
	status, tok := h.exchange(id, code, verifier)
	if status != 200 {
		t.Fatalf("exchange: %d %v", status, tok)
	}
	other := newHarness(t, st)
	if _, err := other.srv.Resolve(context.Background(), tok["access_token"].(string)); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("a token for %s was accepted by %s: %v", h.srv.Resource(), other.srv.Resource(), err)
	}
	// Naming this server's resource is fine.
	status, tok = h.post(PathToken, url.Values{"grant_type": {"refresh_token"}, "client_id": {id},
		"refresh_token": {tok["refresh_token"].(string)}, "resource": {h.srv.Resource()}}, "", "")
	if status != 200 {
		t.Fatalf("refresh for this resource: %d %v", status, tok)
	}
	status, body = h.post(PathToken, url.Values{"grant_type": {"refresh_token"}, "client_id": {id},
		"refresh_token": {tok["refresh_token"].(string)}, "resource": {other.srv.Resource()}}, "", "")
	wantError(t, "refresh for another resource", status, body, 400, "invalid_target")
}

// TestGrantExpiresOnTheDot: a grant whose end is now issues nothing more.
func TestGrantExpiresOnTheDot(t *testing.T) {
	t.Parallel()
	var clock atomic.Int64 // the server's time, frozen: Unix nanoseconds
	clock.Store(time.Now().UnixNano())
	h := newHarness(t, nil, func(c *Config) {
		c.GrantTTL = time.Hour
		c.Now = func() time.Time { return time.Unix(0, clock.Load()) }
	})
	id := h.client()
	verifier, challenge := pkce()
	status, tok := h.exchange(id, h.code(id, challenge), verifier)
	if status != 200 {
		t.Fatalf("exchange: %d %v", status, tok)
	}
	clock.Add(int64(time.Hour))
	status, body := h.refresh(id, tok["refresh_token"].(string))
	if status != 400 || body["error"] != "invalid_grant" || body["error_description"] != "the authorization has expired" {
		t.Errorf("refresh at the grant's end: %d %v", status, body)
	}
}

func TestDenial(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	id := h.client()
	_, challenge := pkce()

	resp, page := newBrowser(t).authorize(h.ts.URL, authParams(id, challenge), "deny")
	if q := backAt(t, resp, page); q.Get("error") != "access_denied" || q.Get("state") != "st-123" || q.Get("code") != "" {
		t.Errorf("denied at the consent page: %v", q)
	}
	h.em.Admin(t, "POST", "deny-next", nil)
	resp, page = newBrowser(t).authorize(h.ts.URL, authParams(id, challenge), "approve")
	if q := backAt(t, resp, page); q.Get("error") != "access_denied" || q.Get("state") != "st-123" || q.Get("code") != "" {
		t.Errorf("denied at Salesforce: %v", q)
	}
}

func TestConsentPage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	id := h.client()
	_, challenge := pkce()
	b := newBrowser(t)
	resp, err := b.hc.Get(h.ts.URL + PathAuthorize + "?" + authParams(id, challenge).Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "Test &lt;b&gt;client&lt;/b&gt;") || !strings.Contains(string(page), "http://127.0.0.1:9") {
		t.Errorf("consent page does not name the client (escaped) and its redirect host:\n%s", page)
	}
	if resp.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("consent page may be framed: %v", resp.Header)
	}
	consentID := string(consentIDPattern.FindSubmatch(page)[1])

	// Another browser (no cookie) cannot answer for this one; nor can a page of another site.
	post := func(hc *http.Client, origin string) int {
		req, _ := http.NewRequest("POST", h.ts.URL+PathConsent, strings.NewReader(url.Values{"consent_id": {consentID}, "action": {"approve"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := post(b.hc, "https://evil.example"); s != 403 {
		t.Errorf("cross-site consent: %d", s)
	}
	if s := post(newBrowser(t).hc, ""); s != 403 {
		t.Errorf("consent from another browser: %d", s)
	}
	// The id is single use: a forged attempt spends it.
	if s := post(b.hc, ""); s != 400 {
		t.Errorf("consent id used again: %d", s)
	}
}

func TestConfidentialClient(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	status, reg := h.register(map[string]any{"redirect_uris": []string{clientRedirect}, "client_name": "Server app"})
	if status != 201 || reg["token_endpoint_auth_method"] != "client_secret_basic" || reg["client_secret"] == nil {
		t.Fatalf("register: %d %v", status, reg)
	}
	id, secret := reg["client_id"].(string), reg["client_secret"].(string)
	verifier, challenge := pkce()
	code := h.code(id, challenge)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {clientRedirect}, "code_verifier": {verifier}}

	status, body := h.post(PathToken, withClient(form, id, ""), "", "")
	wantError(t, "no secret", status, body, 401, "invalid_client")
	status, body = h.post(PathToken, form, id, "wrong")
	wantError(t, "wrong secret", status, body, 401, "invalid_client")
	// A client refused at the Authorization header is told how to authenticate
	// (RFC 6749 §5.2); a request refused for another reason is not.
	for _, tc := range []struct {
		form   url.Values
		secret string
		want   string
	}{
		{form, "wrong", `Basic realm="sfmcp"`},
		{withClient(form, "sfmcp_client_other", ""), secret, ""},
	} {
		req, _ := http.NewRequest(http.MethodPost, h.ts.URL+PathToken, strings.NewReader(tc.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(id, tc.secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("WWW-Authenticate"); got != tc.want {
			t.Errorf("%d answer: WWW-Authenticate %q; want %q", resp.StatusCode, got, tc.want)
		}
	}
	status, body = h.post(PathToken, withClient(form, "sfmcp_client_other", ""), id, secret)
	wantError(t, "basic auth and another client_id in the form", status, body, 400, "invalid_request")
	status, body = h.post(PathToken, withClient(form, id, ""), id, secret)
	if status != 200 {
		t.Fatalf("basic auth (the form repeating client_id): %d %v", status, body)
	}
	status, body = h.post(PathToken, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {body["refresh_token"].(string)},
		"client_id": {id}, "client_secret": {secret}}, "", "")
	if status != 200 {
		t.Fatalf("refresh with client_secret_post: %d %v", status, body)
	}
	status, body = h.post(PathToken, url.Values{"grant_type": {"password"}, "client_id": {id}, "client_secret": {secret}}, "", "")
	wantError(t, "password grant", status, body, 400, "unsupported_grant_type")
}

func withClient(f url.Values, id, secret string) url.Values {
	g := url.Values{}
	for k, v := range f {
		g[k] = v
	}
	g.Set("client_id", id)
	if secret != "" {
		g.Set("client_secret", secret)
	}
	return g
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	id := h.client()
	verifier, challenge := pkce()
	_, tok := h.exchange(id, h.code(id, challenge), verifier)
	at := tok["access_token"].(string)
	if status, _ := h.post(PathRevoke, url.Values{"client_id": {id}, "token": {"unknown"}}, "", ""); status != 200 {
		t.Errorf("revoke an unknown token: %d", status)
	}
	if status, _ := h.post(PathRevoke, url.Values{"client_id": {id}, "token": {tok["refresh_token"].(string)}}, "", ""); status != 200 {
		t.Errorf("revoke: %d", status)
	}
	if h.resolves(at) {
		t.Error("the access token survived the revocation of its refresh token")
	}

	// An access token alone: only its own client can revoke it.
	_, tok = h.exchange(id, h.code(id, challenge), verifier)
	at = tok["access_token"].(string)
	other := h.client()
	if status, _ := h.post(PathRevoke, url.Values{"client_id": {other}, "token": {at}}, "", ""); status != 200 || !h.resolves(at) {
		t.Errorf("another client revoking the access token: %d, still resolves %t", status, h.resolves(at))
	}
	if status, _ := h.post(PathRevoke, url.Values{"client_id": {id}, "token": {at}}, "", ""); status != 200 || h.resolves(at) {
		t.Errorf("its client revoking the access token: %d, still resolves %t", status, h.resolves(at))
	}
}

func TestRegistration(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, func(c *Config) { c.RegistrationsPerMinute = 1000 })
	ok := []string{"http://localhost:33418/cb", "http://127.0.0.1/cb", "http://[::1]:8080/cb", "https://app.example/cb",
		"vscode://vscode.github-authentication/did-authenticate", "cursor://anysphere.cursor-retrieval/oauth/callback", "claude://callback"}
	for _, u := range ok {
		if status, out := h.register(map[string]any{"redirect_uris": []string{u}, "token_endpoint_auth_method": "none"}); status != 201 {
			t.Errorf("%s: %d %v", u, status, out)
		} else if out["client_secret"] != nil {
			t.Errorf("a public client got a secret")
		}
	}
	for _, u := range []string{"http://evil.example/cb", "javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "https://app.example/cb#frag", "relative/cb", "http://user:pw@localhost/cb"} {
		status, out := h.register(map[string]any{"redirect_uris": []string{u}})
		wantError(t, "redirect "+u, status, out, 400, "invalid_redirect_uri")
	}
	status, out := h.register(map[string]any{})
	wantError(t, "no redirect_uris", status, out, 400, "invalid_redirect_uri")

	many := make([]string, 11)
	for i := range many {
		many[i] = fmt.Sprintf("http://localhost:%d/cb", 1000+i)
	}
	for what, meta := range map[string]map[string]any{
		"too many URIs":   {"redirect_uris": many},
		"long name":       {"redirect_uris": []string{clientRedirect}, "client_name": strings.Repeat("n", 201)},
		"bad auth method": {"redirect_uris": []string{clientRedirect}, "token_endpoint_auth_method": "private_key_jwt"},
		"implicit grant":  {"redirect_uris": []string{clientRedirect}, "grant_types": []string{"implicit"}},
		"token response":  {"redirect_uris": []string{clientRedirect}, "response_types": []string{"token"}},
		"foreign scope":   {"redirect_uris": []string{clientRedirect}, "scope": "api full"},
	} {
		status, out := h.register(meta)
		wantError(t, what, status, out, 400, "invalid_client_metadata")
	}
	status, out = h.register(map[string]any{"redirect_uris": []string{clientRedirect}, "client_name": strings.Repeat("x", 20<<10)})
	wantError(t, "oversized body", status, out, 413, "invalid_client_metadata")
	req, _ := http.NewRequest("POST", h.ts.URL+PathRegister, strings.NewReader("{not json"))
	status, out = h.do(req)
	wantError(t, "not JSON", status, out, 400, "invalid_client_metadata")
}

func TestRegistrationFlood(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, func(c *Config) { c.RegistrationsPerMinute = 5 })
	for i := range 5 {
		if status, out := h.register(map[string]any{"redirect_uris": []string{clientRedirect}}); status != 201 {
			t.Fatalf("registration %d: %d %v", i, status, out)
		}
	}
	req, _ := http.NewRequest("POST", h.ts.URL+PathRegister, strings.NewReader(`{"redirect_uris":["`+clientRedirect+`"]}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("sixth registration in a minute: %d %v", resp.StatusCode, resp.Header)
	}
	// A minute later the address may register again.
	mem := h.st.(*store.Memory)
	_ = mem.Delete(context.Background(), "rl:register:127.0.0.1")
	if status, _ := h.register(map[string]any{"redirect_uris": []string{clientRedirect}}); status != 201 {
		t.Errorf("after the window: %d", status)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	c, _ := store.ParseKeys(testKey())
	good := Config{BaseURL: "http://localhost:8000", Store: store.NewMemory(nil), Cipher: c, ClientID: "id"}
	if _, err := New(good); err != nil {
		t.Fatal(err)
	}
	for what, f := range map[string]func(*Config){
		"no client id": func(c *Config) { c.ClientID = "" },
		"no base":      func(c *Config) { c.BaseURL = "" },
		"ftp base":     func(c *Config) { c.BaseURL = "ftp://x" },
		"no cipher":    func(c *Config) { c.Cipher = nil },
	} {
		cfg := good
		f(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", what)
		}
	}
}

func TestClientWithoutRefreshGrant(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	status, reg := h.register(map[string]any{"redirect_uris": []string{clientRedirect}, "token_endpoint_auth_method": "none",
		"grant_types": []string{"authorization_code"}})
	if status != 201 {
		t.Fatalf("register: %d %v", status, reg)
	}
	id := reg["client_id"].(string)
	verifier, challenge := pkce()
	status, tok := h.exchange(id, h.code(id, challenge), verifier)
	if status != 200 || tok["refresh_token"] != nil {
		t.Fatalf("token: %d %v", status, tok)
	}
	status, body := h.refresh(id, "sfmcp_rt_anything")
	wantError(t, "refresh by a client without the grant", status, body, 400, "unauthorized_client")
}

// TestRedisDown: every endpoint answers 503 temporarily_unavailable, never
// "unknown client" or "invalid token", when Redis is gone.
func TestRedisDown(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	st, err := store.NewRedis(context.Background(), rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := newHarness(t, st)
	id := h.client()
	verifier, challenge := pkce()
	_, tok := h.exchange(id, h.code(id, challenge), verifier)
	rs.Stop()
	time.Sleep(50 * time.Millisecond)

	status, body := h.register(map[string]any{"redirect_uris": []string{clientRedirect}})
	wantError(t, "register", status, body, 503, "temporarily_unavailable")
	status, body = h.refresh(id, tok["refresh_token"].(string))
	wantError(t, "refresh", status, body, 503, "temporarily_unavailable")
	status, body = h.post(PathRevoke, url.Values{"client_id": {id}, "token": {"x"}}, "", "")
	wantError(t, "revoke", status, body, 503, "temporarily_unavailable")
	if _, err := h.srv.Resolve(context.Background(), tok["access_token"].(string)); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("resolve: %v", err)
	}
	resp, page := newBrowser(t).authorize(h.ts.URL, authParams(id, challenge), "approve")
	if resp.StatusCode != 503 || !strings.Contains(page, "unavailable") {
		t.Errorf("authorize: %d %s", resp.StatusCode, page)
	}
}

// TestRedisHangsMidFlowThenRecovers: a client registers, then Redis stops
// answering (frozen, as in a partition); the next step of the flow gets 503
// temporarily_unavailable with Retry-After within the store's timeouts, and
// once Redis answers again the flow goes on to a token that resolves, with
// the state written before the outage intact.
func TestRedisHangsMidFlowThenRecovers(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	st, err := store.NewRedis(context.Background(), rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := newHarness(t, st)
	id := h.client()

	rs.Pause(t)
	resumed := false
	defer func() {
		if !resumed {
			rs.Resume(t)
		}
	}()
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {id}, "refresh_token": {"sfmcp_rt_unknown"}}
	req, _ := http.NewRequest(http.MethodPost, h.ts.URL+PathToken, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("token with Redis frozen: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the 503 took %v: Redis timeouts are not bounding the request", d)
	}
	rs.Resume(t)
	resumed = true

	// Recovery: the client registered before the outage completes a login.
	verifier, challenge := pkce()
	status, tok := h.exchange(id, h.code(id, challenge), verifier)
	if status != 200 {
		t.Fatalf("exchange after recovery: %d %v", status, tok)
	}
	if !h.resolves(tok["access_token"].(string)) {
		t.Error("the token issued after recovery does not resolve")
	}
}

// known reports whether the proxy still knows client id: the token endpoint
// authenticates the client before it looks at the grant type.
func (h *harness) known(id string) bool {
	h.t.Helper()
	status, body := h.post(PathToken, url.Values{"client_id": {id}}, "", "")
	switch {
	case status == 400 && body["error"] == "invalid_request":
		return true
	case status == 401 && body["error"] == "invalid_client":
		return false
	}
	h.t.Fatalf("token endpoint: %d %v", status, body)
	return false
}

// registerRaw registers a public client and returns the status, the
// Retry-After header and the body.
func (h *harness) registerRaw() (int, string, map[string]any) {
	h.t.Helper()
	req, _ := http.NewRequest("POST", h.ts.URL+PathRegister, strings.NewReader(`{"redirect_uris":["`+clientRedirect+`"],"token_endpoint_auth_method":"none"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, resp.Header.Get("Retry-After"), out
}

func (h *harness) use(id string) {
	h.t.Helper()
	verifier, challenge := pkce()
	if status, tok := h.exchange(id, h.code(id, challenge), verifier); status != 200 {
		h.t.Fatalf("token for %s: %d %v", id, status, tok)
	}
}

func wantCapRefusal(t *testing.T, status int, retryAfter string, body map[string]any, maxWait int) {
	t.Helper()
	secs, err := strconv.Atoi(retryAfter)
	if status != http.StatusServiceUnavailable || body["error"] != "temporarily_unavailable" ||
		!strings.Contains(fmt.Sprint(body["error_description"]), "maximum of 3 client registrations") || err != nil || secs <= 0 || secs > maxWait {
		t.Fatalf("registration past the cap: %d, Retry-After %q, %v; want 503 temporarily_unavailable, Retry-After in (0, %d]", status, retryAfter, body, maxWait)
	}
}

// TestRegistrationCapAndLifetimesMemory: a global cap on live registrations
// (whatever the address), a short life for registrations never used and a
// long one after use; the memory store, on a clock the test moves.
func TestRegistrationCapAndLifetimesMemory(t *testing.T) {
	t.Parallel()
	var skew atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	h := newHarness(t, store.NewMemory(now), func(c *Config) {
		c.MaxClients, c.RegistrationsPerMinute, c.Now = 3, 1000, now
	})
	var ids []string
	for range 3 {
		status, _, out := h.registerRaw()
		if status != 201 {
			t.Fatalf("register: %d %v", status, out)
		}
		ids = append(ids, out["client_id"].(string))
	}
	status, ra, out := h.registerRaw()
	wantCapRefusal(t, status, ra, out, 24*3600)
	used, unused := ids[0], ids[1]
	h.use(used)

	skew.Store(int64(25 * time.Hour))
	if h.known(unused) {
		t.Fatal("a registration never used lives past 24 h")
	}
	if !h.known(used) {
		t.Fatal("a used registration expired after 25 h")
	}
	// The two unused ones freed their places; the used one keeps its own.
	for i := range 2 {
		if status, _, out := h.registerRaw(); status != 201 {
			t.Fatalf("registration %d after the unused expired: %d %v", i, status, out)
		}
	}
	status, ra, out = h.registerRaw()
	wantCapRefusal(t, status, ra, out, 24*3600)

	// It was last used at the start: it lives 180 days from then.
	skew.Store(int64(179 * 24 * time.Hour))
	if !h.known(used) {
		t.Fatal("a used registration expired before 180 days after its use")
	}
	skew.Store(int64(181 * 24 * time.Hour))
	if h.known(used) {
		t.Fatal("a used registration outlived 180 days after its last use")
	}
}

// TestRegistrationCapAndLifetimesRedis: the same with two replicas sharing a
// real Redis: the cap is global across them, and the lifetimes are Redis TTLs.
func TestRegistrationCapAndLifetimesRedis(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	open := func() store.Store {
		st, err := store.NewRedis(context.Background(), rs.URL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	cfg := func(c *Config) { c.MaxClients, c.RegistrationsPerMinute = 3, 1000 }
	h1, h2 := newHarness(t, open(), cfg), newHarness(t, open(), cfg)
	rc := redis.NewClient(&redis.Options{Addr: strings.TrimPrefix(rs.URL, "redis://")})
	t.Cleanup(func() { rc.Close() })
	ttl := func(id string) time.Duration {
		t.Helper()
		d, err := rc.PTTL(context.Background(), "sfmcp:oauth:client:"+id).Result()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	var ids []string
	for _, h := range []*harness{h1, h1, h2} {
		status, _, out := h.registerRaw()
		if status != 201 {
			t.Fatalf("register: %d %v", status, out)
		}
		ids = append(ids, out["client_id"].(string))
	}
	for _, h := range []*harness{h1, h2} {
		status, ra, out := h.registerRaw()
		wantCapRefusal(t, status, ra, out, 24*3600)
	}
	for _, id := range ids {
		if d := ttl(id); d <= 23*time.Hour || d > 24*time.Hour {
			t.Fatalf("an unused registration's TTL is %v, want 24 h", d)
		}
	}
	h2.use(ids[0]) // registered at h1, used through h2
	if d := ttl(ids[0]); d <= 179*24*time.Hour || d > 180*24*time.Hour {
		t.Fatalf("a used registration's TTL is %v, want 180 days", d)
	}
	if d := ttl(ids[1]); d > 24*time.Hour {
		t.Fatalf("an unused registration's TTL grew to %v", d)
	}
	// The set of live registrations expires with its last member.
	if d, err := rc.PTTL(context.Background(), "sfmcp:oauth:clients").Result(); err != nil || d <= 179*24*time.Hour {
		t.Fatalf("the registrations set's TTL: %v %v", d, err)
	}
}

// TestRefreshTokenOfAnotherClient: a client that presents another client's
// refresh token is refused, and the token is not spent by it: its own client
// still refreshes with it, and the grant is not revoked as a replay.
func TestRefreshTokenOfAnotherClient(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a, b := h.client(), h.client()
	verifier, challenge := pkce()
	status, tok := h.exchange(a, h.code(a, challenge), verifier)
	if status != 200 {
		t.Fatalf("token: %d %v", status, tok)
	}
	rt := tok["refresh_token"].(string)
	status, body := h.refresh(b, rt)
	wantError(t, "refresh token of another client", status, body, 400, "invalid_grant")
	if !strings.Contains(fmt.Sprint(body["error_description"]), "another client") {
		t.Errorf("refusal: %v", body)
	}
	status, tok2 := h.refresh(a, rt)
	if status != 200 || tok2["access_token"] == nil {
		t.Fatalf("the owner's refresh after another client tried its token: %d %v (the other client spent it)", status, tok2)
	}
	if !h.resolves(tok["access_token"].(string)) || !h.resolves(tok2["access_token"].(string)) {
		t.Fatal("the grant was revoked: the other client's attempt counted as a replay")
	}
}

// TestAuthorizeRequestEdges covers the edges of the authorization request
// that the flow tests do not reach: an omitted redirect_uri, the state's
// length limit, and the consent cookie being cleared once answered.
func TestAuthorizeRequestEdges(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	id := h.client()
	_, challenge := pkce()

	t.Run("redirect_uri omitted, one registered", func(t *testing.T) {
		params := authParams(id, challenge)
		params.Del("redirect_uri")
		resp, page := newBrowser(t).authorize(h.ts.URL, params, "approve")
		if q := backAt(t, resp, page); q.Get("code") == "" || q.Get("state") != "st-123" {
			t.Errorf("sent back without a code: %v", q)
		}
	})
	t.Run("redirect_uri omitted, two registered", func(t *testing.T) {
		status, out := h.register(map[string]any{"redirect_uris": []string{clientRedirect, clientRedirect + "2"}, "token_endpoint_auth_method": "none"})
		if status != 201 {
			t.Fatalf("register: %d %v", status, out)
		}
		params := authParams(out["client_id"].(string), challenge)
		params.Del("redirect_uri")
		resp, page := newBrowser(t).authorize(h.ts.URL, params, "approve")
		if resp.StatusCode != 400 || resp.Header.Get("Location") != "" || !strings.Contains(page, "redirect") {
			t.Errorf("ambiguous redirect_uri: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	for _, tc := range []struct {
		n  int
		ok bool
	}{{1024, true}, {1025, false}} {
		t.Run(fmt.Sprintf("state of %d bytes", tc.n), func(t *testing.T) {
			params := authParams(id, challenge)
			state := strings.Repeat("s", tc.n)
			params.Set("state", state)
			resp, page := newBrowser(t).authorize(h.ts.URL, params, "approve")
			q := backAt(t, resp, page)
			if tc.ok && (q.Get("code") == "" || q.Get("state") != state) {
				t.Errorf("refused: error %q, code %t, state kept %t", q.Get("error"), q.Get("code") != "", q.Get("state") == state)
			}
			if !tc.ok && (q.Get("error") != "invalid_request" || q.Get("code") != "") {
				t.Errorf("accepted: %v", q)
			}
		})
	}
	t.Run("consent cookie cleared", func(t *testing.T) {
		b := newBrowser(t)
		resp, err := b.hc.Get(h.ts.URL + PathAuthorize + "?" + authParams(id, challenge).Encode())
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := consentIDPattern.FindSubmatch(page)
		if m == nil {
			t.Fatalf("no consent page: %d %s", resp.StatusCode, page)
		}
		hc := *b.hc
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		// With the Origin a browser sends from the consent page: its own.
		req, _ := http.NewRequest(http.MethodPost, h.ts.URL+PathConsent, strings.NewReader(url.Values{"consent_id": {string(m[1])}, "action": {"approve"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", h.ts.URL)
		resp, err = hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		cleared := false
		for _, c := range resp.Cookies() {
			cleared = cleared || (c.Name == consentCookie && c.Value == "" && c.MaxAge < 0 && c.Path == PathAuthorize)
		}
		if resp.StatusCode != http.StatusSeeOther || !cleared {
			t.Errorf("consent answer: %d, cookies %v; want a redirect that deletes %s", resp.StatusCode, resp.Header["Set-Cookie"], consentCookie)
		}
	})
}

// toSalesforce runs an authorization up to the approved consent and returns
// the query of the redirect to Salesforce's authorize endpoint (not followed).
func (h *harness) toSalesforce(clientID, challenge string) url.Values {
	h.t.Helper()
	b := newBrowser(h.t)
	resp, err := b.hc.Get(h.ts.URL + PathAuthorize + "?" + authParams(clientID, challenge).Encode())
	if err != nil {
		h.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := consentIDPattern.FindSubmatch(page)
	if m == nil {
		h.t.Fatalf("no consent page: %d %s", resp.StatusCode, page)
	}
	hc := *b.hc
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err = hc.PostForm(h.ts.URL+PathConsent, url.Values{"consent_id": {string(m[1])}, "action": {"approve"}})
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || err != nil || !strings.HasPrefix(loc.String(), h.em.URL+"/services/oauth2/authorize?") {
		h.t.Fatalf("consent answer: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query()
}

// TestCallbackPassesSalesforceRefusal: Salesforce's error reaches the
// client with its description when the description is short (under 300
// bytes), without it otherwise.
func TestCallbackPassesSalesforceRefusal(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	id := h.client()
	_, challenge := pkce()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct{ desc, want string }{
		{"", "Salesforce: access_denied"},
		{"end-user denied authorization", "Salesforce: access_denied: end-user denied authorization"},
		{strings.Repeat("d", 299), "Salesforce: access_denied: " + strings.Repeat("d", 299)},
		{strings.Repeat("d", 300), "Salesforce: access_denied"},
	} {
		st := h.toSalesforce(id, challenge).Get("state")
		q := url.Values{"state": {st}, "error": {"access_denied"}}
		if tc.desc != "" {
			q.Set("error_description", tc.desc)
		}
		resp, err := noFollow.Get(h.ts.URL + PathCallback + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		back := backAt(t, resp, "")
		if back.Get("error") != "access_denied" || back.Get("error_description") != tc.want || back.Get("state") != "st-123" {
			t.Errorf("description of %d bytes: error %q, description %.60q, state %q", len(tc.desc), back.Get("error"), back.Get("error_description"), back.Get("state"))
		}
	}
}

// TestUpstreamClientSecret: a configured consumer secret is sent to
// Salesforce's token endpoint; the emulator's public test app refuses any
// secret, so a login with one fails.
func TestUpstreamClientSecret(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, func(c *Config) { c.ClientSecret = "not-this-apps-secret" })
	id := h.client()
	_, challenge := pkce()
	resp, page := newBrowser(t).authorize(h.ts.URL, authParams(id, challenge), "approve")
	if q := backAt(t, resp, page); q.Get("error") != "server_error" || q.Get("code") != "" {
		t.Errorf("login with a wrong consumer secret: %v", q)
	}
}

// TestCodeExpiresByItsRecord: the stored code outlives its expiry by a few
// seconds, so an exchange just after the expiry finds the record, is told
// the code expired, and revokes its grant.
func TestCodeExpiresByItsRecord(t *testing.T) {
	t.Parallel()
	var skew atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	h := newHarness(t, store.NewMemory(now), func(c *Config) { c.Now = now })
	id := h.client()
	verifier, challenge := pkce()
	code := h.code(id, challenge)
	skew.Store(int64(defaultCodeTTL + 2*time.Second))
	status, body := h.exchange(id, code, verifier)
	if status != 400 || body["error"] != "invalid_grant" || body["error_description"] != "the authorization code has expired" {
		t.Errorf("code 2 s after its expiry: %d %v", status, body)
	}
}

func TestIdentityIDs(t *testing.T) {
	for _, tc := range []struct {
		id, org, user string
	}{
		{"https://login.salesforce.com/id/00Dxx0000001gPL/005xx000001Sv6e", "00Dxx0000001gPL", "005xx000001Sv6e"},
		{"https://test.salesforce.com/id/00Dxx0000001gPL/005xx000001Sv6e/", "00Dxx0000001gPL", "005xx000001Sv6e"},
		{"id/00D/005", "00D", "005"}, // the shortest: exactly the three segments
		{"00D/005", "", ""},
		{"https://login.salesforce.com/00D/005", "", ""},
		{"https://login.salesforce.com/id/00D", "", ""},
		{"", "", ""},
	} {
		org, user, err := identityIDs(tc.id)
		if org != tc.org || user != tc.user || (err == nil) != (tc.org != "") {
			t.Errorf("identityIDs(%q) = %q, %q, %v; want %q, %q", tc.id, org, user, err, tc.org, tc.user)
		}
	}
}

// TestRevokeReachesSalesforce: revoking sfmcp's refresh token revokes the
// Salesforce session behind it (in the background, so the test waits).
func TestRevokeReachesSalesforce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	id := h.client()
	verifier, challenge := pkce()
	_, tok := h.exchange(id, h.code(id, challenge), verifier)
	sess, err := h.srv.Resolve(context.Background(), tok["access_token"].(string))
	if err != nil {
		t.Fatal(err)
	}
	userinfo := func() int {
		req, _ := http.NewRequest(http.MethodGet, h.em.URL+"/services/oauth2/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+sess.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := userinfo(); s != 200 {
		t.Fatalf("the Salesforce session before the revocation: %d", s)
	}
	if status, _ := h.post(PathRevoke, url.Values{"client_id": {id}, "token": {tok["refresh_token"].(string)}}, "", ""); status != 200 {
		t.Fatalf("revoke: %d", status)
	}
	for deadline := time.Now().Add(10 * time.Second); userinfo() == 200; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the Salesforce session still works 10 s after its sfmcp grant was revoked")
		}
	}
}

// logBuffer is a log destination tests read while the server writes to it.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRevokeUpstreamUnreachable: when Salesforce cannot be reached the
// revocation is given up with a log line (it is best effort), nothing else.
func TestRevokeUpstreamUnreachable(t *testing.T) {
	t.Parallel()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	var logs logBuffer
	h := newHarness(t, nil, func(c *Config) {
		c.LoginURL = gone.URL
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	h.srv.revokeUpstream("00Dxx!unreachable-token")
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(logs.String(), "could not revoke the Salesforce token"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no log of the failed revocation; logs:\n%s", logs.String())
		}
	}
	if strings.Contains(logs.String(), "unreachable-token") {
		t.Errorf("the log holds the token:\n%s", logs.String())
	}
}

// TestTokenRedirectURI: the token request may leave redirect_uri out only
// when the client registered a single one (RFC 6749 §4.1.3).
func TestTokenRedirectURI(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	verifier, challenge := pkce()
	exchange := func(id string) (int, map[string]any) {
		return h.post(PathToken, url.Values{"grant_type": {"authorization_code"}, "client_id": {id}, "code": {h.code(id, challenge)},
			"code_verifier": {verifier}}, "", "")
	}
	if status, body := exchange(h.client()); status != 200 {
		t.Errorf("one redirect URI registered, none sent: %d %v", status, body)
	}
	status, reg := h.register(map[string]any{"redirect_uris": []string{clientRedirect, clientRedirect + "2"}, "token_endpoint_auth_method": "none"})
	if status != 201 {
		t.Fatalf("register: %d %v", status, reg)
	}
	status, body := exchange(reg["client_id"].(string))
	wantError(t, "two redirect URIs registered, none sent", status, body, 400, "invalid_request")
}
