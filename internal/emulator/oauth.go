package emulator

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// session is what an access token stands for.
type session struct {
	UserID  string `json:"user"`
	Refresh string `json:"refresh,omitempty"` // hash of the refresh token it came from
	Client  string `json:"client,omitempty"`
}

// Token is a pair of tokens the emulator issued.
type Token struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	InstanceURL  string `json:"instance_url"`
	ID           string `json:"id"`
	IssuedAt     string `json:"issued_at"`
	Signature    string `json:"signature"`
	Scope        string `json:"scope"`
	TokenType    string `json:"token_type"`
}

const (
	bucketDevice  = "device"
	bucketAccess  = "access"
	bucketRefresh = "refresh"
	bucketCode    = "code"
)

func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func randomString(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // cannot happen on supported platforms
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// IssueToken creates a session for the admin user with a refresh token, as
// if that user had just logged in with clientID.
// The emulator's base URL must be set (SetBaseURL or Serve) first.
func (e *Emulator) IssueToken(ctx context.Context, clientID string) (*Token, error) {
	return e.issue(ctx, e.BaseURL(), session{UserID: e.org.adminID, Client: clientID}, true, "api refresh_token")
}

// IssueTokenFor is IssueToken for another user of the org (a User record's
// id): tests of what one user may see of another's work need two.
func (e *Emulator) IssueTokenFor(ctx context.Context, clientID, userID string) (*Token, error) {
	if _, object, err := e.org.store.Get(ctx, userID); err != nil || object != "User" {
		return nil, fmt.Errorf("emulator: %s is not a user of the org (%v)", userID, err)
	}
	return e.issue(ctx, e.BaseURL(), session{UserID: userID, Client: clientID}, true, "api refresh_token")
}

func (e *Emulator) issue(ctx context.Context, base string, s session, withRefresh bool, scope string) (*Token, error) {
	now := e.org.now()
	tok := &Token{TokenType: "Bearer", Scope: scope, IssuedAt: strconv.FormatInt(now.UnixMilli(), 10)}
	if withRefresh {
		tok.RefreshToken = "5Aep861" + randomString(80)
		s.Refresh = hashToken(tok.RefreshToken)
		rv, _ := json.Marshal(session{UserID: s.UserID, Client: s.Client})
		if err := e.org.store.PutKV(ctx, bucketRefresh, s.Refresh, string(rv), 0); err != nil {
			return nil, err
		}
	}
	tok.AccessToken = e.org.orgID[:15] + "!AQ" + randomString(100)
	sv, _ := json.Marshal(s)
	if err := e.org.store.PutKV(ctx, bucketAccess, hashToken(tok.AccessToken), string(sv), now.Add(e.org.opts.TokenTTL).Unix()); err != nil {
		return nil, err
	}
	tok.InstanceURL = base
	tok.ID = base + "/id/" + e.org.orgID + "/" + s.UserID
	mac := hmac.New(sha256.New, []byte(e.org.orgID))
	mac.Write([]byte(tok.ID + tok.IssuedAt))
	tok.Signature = base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return tok, nil
}

// baseFor is the URL the emulator is reached at: the configured base URL or
// the request's own host.
func (e *Emulator) baseFor(r *http.Request) string {
	if b := e.BaseURL(); b != "" {
		return b
	}
	if r == nil {
		return ""
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// authenticate resolves the request's bearer token to a session.
func (e *Emulator) authenticate(r *http.Request) (*session, *apiError) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		tok, ok = strings.CutPrefix(h, "OAuth ")
	}
	if !ok || strings.TrimSpace(tok) == "" {
		return nil, invalidSession()
	}
	return e.sessionFor(r, strings.TrimSpace(tok))
}

func (e *Emulator) sessionFor(r *http.Request, tok string) (*session, *apiError) {
	v, ok, err := e.org.store.GetKV(r.Context(), bucketAccess, hashToken(tok), e.org.now().Unix())
	if err != nil {
		return nil, internalError(err)
	}
	if !ok {
		return nil, invalidSession()
	}
	var s session
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		return nil, internalError(err)
	}
	return &s, nil
}

// ExpireSessions makes every access token issued so far invalid, as when a
// real org's sessions time out; refresh tokens keep working.
func (o *Org) ExpireSessions(r *http.Request) error {
	return o.store.ExpireKV(r.Context(), bucketAccess, o.now().Unix())
}

type authCode struct {
	ClientID    string `json:"client_id"`
	RedirectURI string `json:"redirect_uri"`
	Challenge   string `json:"code_challenge,omitempty"`
	Method      string `json:"method,omitempty"`
	Scope       string `json:"scope"`
	UserID      string `json:"user"`
}

// handleAuthorize approves at once (there is no login page) and redirects
// back with a code, unless the admin switch says the user denies.
func (e *Emulator) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthPage(w, 400, "invalid_request", "malformed request")
		return
	}
	q := r.Form
	redirect := q.Get("redirect_uri")
	ru, err := url.Parse(redirect)
	if redirect == "" || err != nil || !ru.IsAbs() {
		ru = nil
	}
	app := e.apps.get(q.Get("client_id"))
	if app == nil {
		oauthPage(w, 400, "invalid_client_id", "client identifier invalid")
		return
	}
	if ru == nil || !app.allows(redirect) {
		oauthPage(w, 400, "redirect_uri_mismatch", "redirect_uri must match configuration")
		return
	}
	back := func(params url.Values) {
		if st := q.Get("state"); st != "" {
			params.Set("state", st)
		}
		sep := "?"
		if ru.RawQuery != "" {
			sep = "&"
		}
		http.Redirect(w, r, redirect+sep+params.Encode(), http.StatusFound)
	}
	if q.Get("response_type") != "code" {
		back(url.Values{"error": {"unsupported_response_type"}, "error_description": {"response type not supported"}})
		return
	}
	method := q.Get("code_challenge_method")
	challenge := q.Get("code_challenge")
	if challenge != "" && method != "" && method != "S256" {
		back(url.Values{"error": {"invalid_request"}, "error_description": {"invalid code_challenge_method"}})
		return
	}
	if challenge != "" && method == "" {
		method = "S256"
	}
	if e.org.denyNext() {
		back(url.Values{"error": {"access_denied"}, "error_description": {"end-user denied authorization"}})
		return
	}
	scope := q.Get("scope")
	if scope == "" {
		scope = "api refresh_token"
	}
	code := "aPrx" + randomString(60)
	v, _ := json.Marshal(authCode{ClientID: q.Get("client_id"), RedirectURI: redirect, Challenge: challenge, Method: method, Scope: scope, UserID: e.org.adminID})
	if err := e.org.store.PutKV(r.Context(), bucketCode, hashToken(code), string(v), e.org.now().Add(15*time.Minute).Unix()); err != nil {
		oauthPage(w, 500, "server_error", "the emulator could not store the code")
		return
	}
	back(url.Values{"code": {code}})
}

// tokenClient finds the registered app a token request names. An unknown
// client gets invalid_client_id; a client secret, when one is sent, must be
// the app's (Salesforce lets public clients and apps that do not require
// the secret omit it).
func (e *Emulator) tokenClient(w http.ResponseWriter, r *http.Request, f url.Values) (*ConnectedApp, bool) {
	app := e.apps.get(f.Get("client_id"))
	if app == nil {
		oauthError(w, 400, "invalid_client_id", "client identifier invalid")
		return nil, false
	}
	if sec := f.Get("client_secret"); sec != "" && !app.secretMatches(sec) {
		oauthError(w, 400, "invalid_client", "invalid client credentials")
		return nil, false
	}
	return app, true
}

func oauthPage(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "text/html;charset=UTF-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><title>%s</title><h1>%s</h1><p>error=%s: %s</p>",
		html.EscapeString(Label), html.EscapeString(Label), html.EscapeString(code), html.EscapeString(desc))
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (e *Emulator) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		oauthError(w, 405, "invalid_request", "must use HTTP POST")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, 400, "invalid_request", "malformed request body")
		return
	}
	f := r.PostForm
	if f.Get("client_id") == "" && f.Get("grant_type") != "" {
		if user, pass, ok := r.BasicAuth(); ok {
			f.Set("client_id", user)
			if f.Get("client_secret") == "" {
				f.Set("client_secret", pass)
			}
		}
	}
	if f.Get("response_type") == "device_code" {
		e.startDevice(w, r, f)
		return
	}
	switch f.Get("grant_type") {
	case "device":
		e.grantDevice(w, r, f)
	case "authorization_code":
		e.grantCode(w, r, f)
	case "refresh_token":
		e.grantRefresh(w, r, f)
	case grantJWTBearer:
		e.grantJWT(w, r, f)
	case "client_credentials":
		e.grantClientCredentials(w, r, f)
	case "":
		oauthError(w, 400, "invalid_request", "grant type not supported")
	default:
		oauthError(w, 400, "unsupported_grant_type", "grant type not supported")
	}
}

func (e *Emulator) grantCode(w http.ResponseWriter, r *http.Request, f url.Values) {
	if _, ok := e.tokenClient(w, r, f); !ok {
		return
	}
	v, ok, err := e.org.store.TakeKV(r.Context(), bucketCode, hashToken(f.Get("code")), e.org.now().Unix())
	if err != nil {
		oauthError(w, 500, "server_error", "the emulator could not read the code")
		return
	}
	if !ok || f.Get("code") == "" {
		oauthError(w, 400, "invalid_grant", "invalid authorization code")
		return
	}
	var c authCode
	if err := json.Unmarshal([]byte(v), &c); err != nil {
		oauthError(w, 500, "server_error", "corrupt authorization code")
		return
	}
	if c.ClientID != f.Get("client_id") {
		oauthError(w, 400, "invalid_client", "invalid client credentials")
		return
	}
	if c.RedirectURI != f.Get("redirect_uri") {
		oauthError(w, 400, "redirect_uri_mismatch", "redirect_uri must match configuration")
		return
	}
	if c.Challenge != "" {
		verifier := f.Get("code_verifier")
		sum := sha256.Sum256([]byte(verifier))
		want := base64.RawURLEncoding.EncodeToString(sum[:])
		if verifier == "" || subtle.ConstantTimeCompare([]byte(want), []byte(c.Challenge)) != 1 {
			oauthError(w, 400, "invalid_grant", "invalid code verifier")
			return
		}
	}
	tok, err := e.issue(r.Context(), e.baseFor(r), session{UserID: c.UserID, Client: c.ClientID}, strings.Contains(c.Scope, "refresh_token") || strings.Contains(c.Scope, "offline_access"), c.Scope)
	if err != nil {
		oauthError(w, 500, "server_error", "the emulator could not issue a token")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, 200, tok)
}

func (e *Emulator) grantRefresh(w http.ResponseWriter, r *http.Request, f url.Values) {
	if _, ok := e.tokenClient(w, r, f); !ok {
		return
	}
	rt := f.Get("refresh_token")
	v, ok, err := e.org.store.GetKV(r.Context(), bucketRefresh, hashToken(rt), e.org.now().Unix())
	if err != nil {
		oauthError(w, 500, "server_error", "the emulator could not read the token")
		return
	}
	if !ok || rt == "" {
		oauthError(w, 400, "invalid_grant", "expired access/refresh token")
		return
	}
	var s session
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		oauthError(w, 500, "server_error", "corrupt refresh token")
		return
	}
	if s.Client != "" && s.Client != f.Get("client_id") {
		oauthError(w, 400, "invalid_grant", "client id mismatch")
		return
	}
	s.Refresh = hashToken(rt)
	tok, err := e.issue(r.Context(), e.baseFor(r), s, false, "api refresh_token")
	if err != nil {
		oauthError(w, 500, "server_error", "the emulator could not issue a token")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, 200, tok)
}

// handleRevoke revokes an access token, or a refresh token together with
// every access token issued from it. Unknown tokens get 400 invalid_token.
func (e *Emulator) handleRevoke(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, 400, "invalid_request", "malformed request")
		return
	}
	tok := r.Form.Get("token")
	if tok == "" {
		oauthError(w, 400, "unsupported_token_type", "this token type is not supported")
		return
	}
	ctx := r.Context()
	h := hashToken(tok)
	now := e.org.now().Unix()
	if _, ok, _ := e.org.store.GetKV(ctx, bucketRefresh, h, now); ok {
		_ = e.org.store.DeleteKV(ctx, bucketRefresh, h)
		_ = e.org.store.DeleteKVWhere(ctx, bucketAccess, `"refresh":"`+h+`"`)
		w.WriteHeader(200)
		return
	}
	if _, ok, _ := e.org.store.GetKV(ctx, bucketAccess, h, now); ok {
		_ = e.org.store.DeleteKV(ctx, bucketAccess, h)
		w.WriteHeader(200)
		return
	}
	oauthError(w, 400, "invalid_token", "invalid token")
}

func (e *Emulator) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	sess, aerr := e.authenticate(r)
	if aerr != nil {
		w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("Bad_OAuth_Token"))
		return
	}
	user, _, _ := e.org.store.Get(r.Context(), sess.UserID)
	base := e.baseFor(r)
	v := "v" + e.org.latestVersion()
	idURL := base + "/id/" + e.org.orgID + "/" + sess.UserID
	urls := map[string]string{
		"enterprise":    base + "/services/Soap/c/{version}/" + e.org.orgID[:15],
		"metadata":      base + "/services/Soap/m/{version}/" + e.org.orgID[:15],
		"partner":       base + "/services/Soap/u/{version}/" + e.org.orgID[:15],
		"rest":          base + "/services/data/v{version}/",
		"sobjects":      base + "/services/data/v{version}/sobjects/",
		"search":        base + "/services/data/v{version}/search/",
		"query":         base + "/services/data/v{version}/query/",
		"recent":        base + "/services/data/v{version}/recent/",
		"tooling_rest":  base + "/services/data/v{version}/tooling/",
		"profile":       base + "/" + sess.UserID,
		"users":         base + "/services/data/v{version}/chatter/users",
		"custom_domain": base,
		"openid":        base + "/services/oauth2/userinfo",
		"api_version":   v,
	}
	out := map[string]any{
		"sub": idURL, "user_id": sess.UserID, "organization_id": e.org.orgID,
		"preferred_username": str(user["Username"]), "nickname": str(user["Alias"]), "name": str(user["Name"]),
		"email": str(user["Email"]), "email_verified": true, "given_name": str(user["FirstName"]),
		"family_name": str(user["LastName"]), "zoneinfo": "America/Los_Angeles", "urls": urls, "active": true,
		"user_type": "STANDARD", "language": "en_US", "locale": "en_US", "utcOffset": -28800000,
		"updated_at": str(user["LastModifiedDate"]), "is_app_installed": true,
		"emulator": true, "organization_name": Label,
	}
	if strings.HasPrefix(r.URL.Path, "/id/") {
		out["id"] = idURL
		out["username"] = str(user["Username"])
		out["display_name"] = str(user["Name"])
	}
	writeJSON(w, 200, out)
}

func (e *Emulator) handleOpenIDConfig(w http.ResponseWriter, r *http.Request) {
	base := e.baseFor(r)
	writeJSON(w, 200, map[string]any{
		"issuer":                                base,
		"authorization_endpoint":                base + "/services/oauth2/authorize",
		"token_endpoint":                        base + "/services/oauth2/token",
		"revocation_endpoint":                   base + "/services/oauth2/revoke",
		"userinfo_endpoint":                     base + "/services/oauth2/userinfo",
		"jwks_uri":                              base + "/id/keys",
		"scopes_supported":                      []string{"id", "api", "web", "full", "refresh_token", "offline_access", "openid", "profile", "email"},
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token", "device", grantJWTBearer, "client_credentials"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "client_secret_basic", "none"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"display_values_supported":              []string{"page", "popup", "touch"},
		"claims_supported":                      []string{"active", "email", "family_name", "given_name", "name", "preferred_username", "sub", "user_id", "organization_id"},
		"service_documentation":                 Label,
	})
}
