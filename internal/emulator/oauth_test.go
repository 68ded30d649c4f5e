package emulator_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorize runs the authorize step and returns the redirect's query.
func authorize(t *testing.T, s *emulatortest.Server, params url.Values) url.Values {
	t.Helper()
	resp, err := noRedirect.Get(s.URL + "/services/oauth2/authorize?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %s", resp.Status)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc.Query()
}

func token(t *testing.T, s *emulatortest.Server, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(s.URL+"/services/oauth2/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

var tokenShape = regexp.MustCompile(`^00D[A-Za-z0-9]{12}![A-Za-z0-9._]+$`)

func TestOAuthPKCE(t *testing.T) {
	s := emulatortest.New(t)
	verifier := "a-long-random-verifier-with-enough-entropy-0123456789"
	redirect := "http://localhost:1717/OAuthRedirect"
	params := url.Values{"response_type": {"code"}, "client_id": {emulatortest.ClientID}, "redirect_uri": {redirect},
		"state": {"st4te"}, "code_challenge": {challenge(verifier)}, "code_challenge_method": {"S256"}, "scope": {"api refresh_token"}}
	back := authorize(t, s, params)
	if back.Get("state") != "st4te" || back.Get("code") == "" {
		t.Fatalf("redirect query %v", back)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {back.Get("code")}, "client_id": {emulatortest.ClientID},
		"redirect_uri": {redirect}, "code_verifier": {"wrong-verifier"}}
	status, out := token(t, s, form)
	if status != 400 || out["error"] != "invalid_grant" {
		t.Fatalf("wrong verifier: %d %v", status, out)
	}
	// No verifier at all, for a code that had a challenge: refused too
	// (the code thief's exchange).
	back = authorize(t, s, params)
	noVerifier := url.Values{"grant_type": {"authorization_code"}, "code": {back.Get("code")}, "client_id": {emulatortest.ClientID},
		"redirect_uri": {redirect}}
	if status, out := token(t, s, noVerifier); status != 400 || out["error"] != "invalid_grant" || out["error_description"] != "invalid code verifier" {
		t.Fatalf("missing verifier: %d %v", status, out)
	}
	// A code is single-use: the failed attempt consumed it.
	form.Set("code_verifier", verifier)
	if status, out := token(t, s, form); status != 400 || out["error"] != "invalid_grant" {
		t.Fatalf("reused code: %d %v", status, out)
	}
	back = authorize(t, s, params)
	form.Set("code", back.Get("code"))
	form.Set("redirect_uri", "http://localhost:9999/other")
	if status, out := token(t, s, form); status != 400 || out["error"] != "redirect_uri_mismatch" {
		t.Fatalf("redirect mismatch: %d %v", status, out)
	}
	back = authorize(t, s, params)
	form.Set("code", back.Get("code"))
	form.Set("redirect_uri", redirect)
	status, out = token(t, s, form)
	if status != 200 {
		t.Fatalf("token: %d %v", status, out)
	}
	access, _ := out["access_token"].(string)
	if !tokenShape.MatchString(access) || out["refresh_token"] == "" || out["instance_url"] != s.URL || out["token_type"] != "Bearer" {
		t.Fatalf("token response %v", out)
	}
	if _, ok := out["issued_at"].(string); !ok {
		t.Errorf("issued_at should be a string: %v", out["issued_at"])
	}
	// The token works on the instance and on userinfo.
	req, _ := http.NewRequest("GET", s.URL+"/services/oauth2/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var info map[string]any
	json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if resp.StatusCode != 200 || info["organization_id"] != s.Org().OrgID() || info["emulator"] != true {
		t.Fatalf("userinfo: %d %v", resp.StatusCode, info)
	}
	// Refresh.
	rt := out["refresh_token"].(string)
	status, out = token(t, s, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {emulatortest.ClientID}})
	if status != 200 || out["access_token"] == access || !tokenShape.MatchString(out["access_token"].(string)) {
		t.Fatalf("refresh: %d %v", status, out)
	}
	if status, out := token(t, s, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"bogus"}, "client_id": {emulatortest.ClientID}}); status != 400 || out["error_description"] != "expired access/refresh token" {
		t.Fatalf("bad refresh: %d %v", status, out)
	}
	// Revoking the refresh token ends the sessions it made.
	resp, err = http.PostForm(s.URL+"/services/oauth2/revoke", url.Values{"token": {rt}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("revoke: %v %v", err, resp.Status)
	}
	resp.Body.Close()
	if status, _ := token(t, s, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {emulatortest.ClientID}}); status != 400 {
		t.Errorf("refresh after revoke: %d", status)
	}
	req, _ = http.NewRequest("GET", s.URL+"/services/data/v62.0/limits", nil)
	req.Header.Set("Authorization", "Bearer "+out["access_token"].(string))
	if resp, err = http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	if resp.StatusCode != 401 {
		t.Errorf("access token still works after its refresh token was revoked: %d", resp.StatusCode)
	}
}

func TestOAuthErrors(t *testing.T) {
	s := emulatortest.New(t)
	redirect := "http://127.0.0.1:1717/OAuthRedirect"
	base := url.Values{"response_type": {"code"}, "client_id": {emulatortest.ClientID}, "redirect_uri": {redirect}, "state": {"s1"}}
	// Denial, switched on through the admin API.
	s.Admin(t, "POST", "deny-next", nil)
	if back := authorize(t, s, base); back.Get("error") != "access_denied" || back.Get("state") != "s1" {
		t.Errorf("denied: %v", back)
	}
	plain := url.Values{}
	for k, v := range base {
		plain[k] = v
	}
	plain.Set("code_challenge", "abc")
	plain.Set("code_challenge_method", "plain")
	if back := authorize(t, s, plain); back.Get("error") != "invalid_request" {
		t.Errorf("plain PKCE: %v", back)
	}
	resp, err := noRedirect.Get(s.URL + "/services/oauth2/authorize?response_type=code&client_id=" + emulatortest.ClientID)
	if err != nil || resp.StatusCode != 400 {
		t.Errorf("no redirect_uri: %v %v", err, resp.Status)
	}
	resp.Body.Close()
	for _, tc := range []struct {
		form url.Values
		err  string
	}{
		{url.Values{"grant_type": {"password"}, "client_id": {emulatortest.ClientID}}, "unsupported_grant_type"},
		{url.Values{"grant_type": {"authorization_code"}, "code": {"nope"}, "client_id": {emulatortest.ClientID}}, "invalid_grant"},
		{url.Values{"grant_type": {"authorization_code"}, "code": {"nope"}}, "invalid_client_id"},
	} {
		if status, out := token(t, s, tc.form); status != 400 || out["error"] != tc.err {
			t.Errorf("%v: %d %v", tc.form, status, out)
		}
	}
	// Bad tokens: the exact 401 body on the API, 403 Bad_OAuth_Token on userinfo.
	req, _ := http.NewRequest("GET", s.URL+"/services/data/v62.0/limits", nil)
	req.Header.Set("Authorization", "Bearer 00DXX0000000000!bogus")
	resp, _ = http.DefaultClient.Do(req)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || strings.TrimSpace(string(body)) != `[{"errorCode":"INVALID_SESSION_ID","fields":[],"message":"Session expired or invalid"}]` &&
		!strings.Contains(string(body), `"errorCode":"INVALID_SESSION_ID"`) {
		t.Errorf("bad token: %d %s", resp.StatusCode, body)
	}
	req, _ = http.NewRequest("GET", s.URL+"/services/oauth2/userinfo", nil)
	req.Header.Set("Authorization", "Bearer bogus")
	resp, _ = http.DefaultClient.Do(req)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || string(body) != "Bad_OAuth_Token" {
		t.Errorf("userinfo bad token: %d %s", resp.StatusCode, body)
	}
	resp, err = http.Get(s.URL + "/.well-known/openid-configuration")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("openid configuration: %v", err)
	}
	var oc map[string]any
	json.NewDecoder(resp.Body).Decode(&oc)
	resp.Body.Close()
	if oc["token_endpoint"] != s.URL+"/services/oauth2/token" {
		t.Errorf("openid configuration %v", oc)
	}
}
