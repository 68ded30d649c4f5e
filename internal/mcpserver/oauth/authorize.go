package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth/store"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// consentCookie binds a consent id to the browser it was shown to.
const consentCookie = "sfmcp_consent"

var verifierPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// handleAuthorize validates a client's authorization request and shows the
// consent page. Until the client and its redirect URI are known good,
// errors are shown here; after, they go back to the client (RFC 6749 §4.1.2.1).
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.page(w, http.StatusBadRequest, "Invalid request", "The authorization request could not be read.")
		return
	}
	q := r.Form
	var client clientRecord
	if err := getJSON(ctx, s.cfg.Store, "client:"+q.Get("client_id"), &client); err != nil {
		if errors.Is(err, store.ErrUnavailable) {
			s.page(w, http.StatusServiceUnavailable, "Temporarily unavailable", "sfmcp's OAuth state storage is unavailable. Try again shortly.")
			return
		}
		s.page(w, http.StatusBadRequest, "Unknown client", "This application is not registered with sfmcp (invalid client_id).")
		return
	}
	redirect := q.Get("redirect_uri")
	if redirect == "" && len(client.RedirectURIs) == 1 {
		redirect = client.RedirectURIs[0]
	}
	if !slices.Contains(client.RedirectURIs, redirect) {
		s.page(w, http.StatusBadRequest, "Invalid redirect URI", "The redirect_uri is not one this application registered.")
		return
	}
	fail := func(code, desc string) {
		s.redirectError(w, r, redirect, q.Get("state"), code, desc)
	}
	if q.Get("response_type") != "code" {
		fail("unsupported_response_type", "response_type must be code")
		return
	}
	if len(q.Get("state")) > 1024 {
		fail("invalid_request", "state is too long")
		return
	}
	challenge := q.Get("code_challenge")
	switch method := q.Get("code_challenge_method"); {
	case challenge == "":
		fail("invalid_request", "PKCE is required: send code_challenge with code_challenge_method=S256")
		return
	case method != "S256":
		fail("invalid_request", "code_challenge_method must be S256 (plain is not supported)")
		return
	case len(challenge) != 43:
		fail("invalid_request", "code_challenge must be a base64url SHA-256 (43 characters)")
		return
	}
	resource := q.Get("resource")
	if len(q["resource"]) > 1 || (resource != "" && resource != s.resource) {
		fail("invalid_target", "resource must be "+s.resource)
		return
	}
	scope, ok := s.scopeWithin(q.Get("scope"), strings.Fields(client.Scope))
	if !ok {
		fail("invalid_scope", "scope may hold only "+client.Scope)
		return
	}

	consentID := newSecret("")
	browser := newSecret("")
	req := authRequest{ClientID: client.ClientID, RedirectURI: redirect, State: q.Get("state"), Challenge: challenge,
		Resource: s.resource, Scope: scope, BrowserHash: hashOf(browser)}
	if err := s.cfg.Store.Set(ctx, store.Entry{Key: "consent:{" + hashOf(consentID) + "}", Value: mustJSON(req), TTL: flowTTL}); err != nil {
		s.page(w, http.StatusServiceUnavailable, "Temporarily unavailable", "sfmcp could not save this authorization. Try again shortly.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: consentCookie, Value: browser, Path: PathAuthorize, MaxAge: int(flowTTL.Seconds()),
		HttpOnly: true, Secure: strings.HasPrefix(s.base, "https://"), SameSite: http.SameSiteStrictMode})
	ru, _ := url.Parse(redirect)
	name := client.Name
	if name == "" {
		name = "An unnamed application"
	}
	s.securePage(w)
	w.WriteHeader(http.StatusOK)
	_ = consentPage.Execute(w, map[string]any{
		"Client": name, "RedirectHost": ru.Scheme + "://" + ru.Host, "Scopes": strings.Fields(scope),
		"Action": s.base + PathConsent, "ConsentID": consentID, "Login": s.cfg.LoginURL,
	})
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Authorize {{.Client}} — sfmcp</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em;line-height:1.5}
button{font-size:1em;padding:.5em 1.2em;margin-right:1em}code{background:#eee;padding:0 .2em}</style></head>
<body><h1>Authorize access to Salesforce</h1>
<p><strong>{{.Client}}</strong> wants to use your Salesforce org through sfmcp.</p>
<p>After you approve and log in to Salesforce, it will be sent back to <code>{{.RedirectHost}}</code>.
Only approve if you started this from an application you trust.</p>
<p>Salesforce access asked for: {{range .Scopes}}<code>{{.}}</code> {{end}}</p>
<p>You will log in at <code>{{.Login}}</code>.</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="consent_id" value="{{.ConsentID}}">
<button type="submit" name="action" value="approve">Approve</button>
<button type="submit" name="action" value="deny">Deny</button>
</form></body></html>
`))

// securePage sets the headers of every HTML page: not cached, not framed,
// no scripts, no referrer.
func (s *Server) securePage(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
}

var messagePage = template.Must(template.New("msg").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} — sfmcp</title></head>
<body style="font-family:system-ui,sans-serif;max-width:36em;margin:3em auto"><h1>{{.Title}}</h1><p>{{.Message}}</p></body></html>
`))

func (s *Server) page(w http.ResponseWriter, status int, title, msg string) {
	s.securePage(w)
	w.WriteHeader(status)
	_ = messagePage.Execute(w, map[string]string{"Title": title, "Message": msg})
}

// redirectError sends an error back to the client's (validated) redirect URI.
func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, redirect, state, code, desc string) {
	p := url.Values{"error": {code}, "error_description": {desc}}
	s.redirectBack(w, r, redirect, state, p)
}

func (s *Server) redirectBack(w http.ResponseWriter, r *http.Request, redirect, state string, p url.Values) {
	if state != "" {
		p.Set("state", state)
	}
	p.Set("iss", s.base) // RFC 9207
	u, _ := url.Parse(redirect)
	q := u.Query()
	for k, v := range p {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// handleConsent takes the consent page's answer: on approval the user goes
// on to Salesforce, on denial back to the client with access_denied.
func (s *Server) handleConsent(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	// A browser sends Origin on a form POST; a page of another site must not answer for the user.
	if o := r.Header.Get("Origin"); o != "" && o != "null" && !strings.EqualFold(o, originOf(s.base)) {
		s.page(w, http.StatusForbidden, "Forbidden", "This consent was submitted from another site.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.page(w, http.StatusBadRequest, "Invalid request", "The consent form could not be read.")
		return
	}
	id := r.PostForm.Get("consent_id")
	b, fresh, err := s.cfg.Store.Consume(ctx, "consent:{"+hashOf(id)+"}", "consent-used:{"+hashOf(id)+"}", flowTTL)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && !fresh) || id == "":
		s.page(w, http.StatusBadRequest, "Authorization expired", "This consent is unknown, expired or was already answered. Start again from your application.")
		return
	case err != nil:
		s.page(w, http.StatusServiceUnavailable, "Temporarily unavailable", "sfmcp's OAuth state storage is unavailable. Try again shortly.")
		return
	}
	var req authRequest
	if err := json.Unmarshal(b, &req); err != nil {
		s.page(w, http.StatusInternalServerError, "Error", "The saved authorization is corrupt.")
		return
	}
	c, err := r.Cookie(consentCookie)
	if err != nil || hashOf(c.Value) != req.BrowserHash {
		s.page(w, http.StatusForbidden, "Forbidden", "This consent was not shown to this browser. Start again from your application.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: consentCookie, Value: "", Path: PathAuthorize, MaxAge: -1, HttpOnly: true})
	if r.PostForm.Get("action") != "approve" {
		s.log.Info("authorization denied at the consent page", "client_id", req.ClientID)
		s.redirectError(w, r, req.RedirectURI, req.State, "access_denied", "the user denied the authorization")
		return
	}
	upstreamState := newSecret("")
	req.Verifier = newSecret("")
	req.BrowserHash = ""
	if err := s.cfg.Store.Set(ctx, store.Entry{Key: "pending:{" + hashOf(upstreamState) + "}", Value: mustJSON(req), TTL: flowTTL}); err != nil {
		s.redirectError(w, r, req.RedirectURI, req.State, "temporarily_unavailable", "sfmcp's OAuth state storage is unavailable")
		return
	}
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {s.cfg.ClientID},
		"redirect_uri":          {s.base + PathCallback},
		"scope":                 {strings.Join(s.cfg.Scopes, " ")},
		"state":                 {upstreamState},
		"code_challenge":        {s256(req.Verifier)},
		"code_challenge_method": {"S256"},
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, s.cfg.LoginURL+"/services/oauth2/authorize?"+q.Encode(), http.StatusSeeOther)
}

// upstreamErrors are Salesforce's authorize errors passed on to clients as they are.
var upstreamErrors = []string{"access_denied", "invalid_scope", "temporarily_unavailable", "server_error"}

// handleCallback is where Salesforce sends the user back: its code is
// exchanged for Salesforce's tokens, which stay here, and the client gets
// sfmcp's own single-use code.
func (s *Server) handleCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	st := q.Get("state")
	b, fresh, err := s.cfg.Store.Consume(ctx, "pending:{"+hashOf(st)+"}", "pending-used:{"+hashOf(st)+"}", flowTTL)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && !fresh) || st == "":
		s.page(w, http.StatusBadRequest, "Authorization expired", "This answer from Salesforce matches no authorization in progress (unknown, expired or already used state). Start again from your application.")
		return
	case err != nil:
		s.page(w, http.StatusServiceUnavailable, "Temporarily unavailable", "sfmcp's OAuth state storage is unavailable. Try again shortly.")
		return
	}
	var req authRequest
	if err := json.Unmarshal(b, &req); err != nil {
		s.page(w, http.StatusInternalServerError, "Error", "The saved authorization is corrupt.")
		return
	}
	if e := q.Get("error"); e != "" {
		code := e
		if !slices.Contains(upstreamErrors, code) {
			code = "server_error"
		}
		desc := "Salesforce: " + e
		if d := q.Get("error_description"); d != "" && len(d) < 300 {
			desc += ": " + d
		}
		s.log.Info("Salesforce refused the authorization", "client_id", req.ClientID, "error", e)
		s.redirectError(w, r, req.RedirectURI, req.State, code, desc)
		return
	}
	tok, err := s.exchangeUpstream(ctx, q.Get("code"), req.Verifier)
	if err != nil {
		s.log.Warn("Salesforce code exchange failed", "client_id", req.ClientID, "error", err)
		s.redirectError(w, r, req.RedirectURI, req.State, "server_error", "sfmcp could not complete the login with Salesforce")
		return
	}
	now := s.now()
	grant := grantRecord{ClientID: req.ClientID, Resource: req.Resource, Scope: req.Scope, UserID: tok.userID, OrgID: tok.orgID,
		Instance: tok.instance, SFAccess: tok.access, SFRefresh: tok.refresh, Expires: now.Add(s.cfg.GrantTTL)}
	sealed, err := s.cfg.Cipher.Seal(mustJSON(grant))
	if err != nil {
		s.redirectError(w, r, req.RedirectURI, req.State, "server_error", "sfmcp could not encrypt the Salesforce session")
		return
	}
	grantID := newSecret("")
	code := newSecret("sfmcp_code_")
	cr := codeRecord{GrantID: grantID, ClientID: req.ClientID, RedirectURI: req.RedirectURI, Challenge: req.Challenge,
		Resource: req.Resource, Scope: req.Scope, Expires: now.Add(s.cfg.CodeTTL)}
	// Until its code is exchanged the grant lives as long as the code; the
	// exchange writes it again for the login's lifetime.
	if err := s.cfg.Store.Set(ctx,
		store.Entry{Key: "grant:" + grantID, Value: sealed, TTL: s.cfg.CodeTTL + time.Minute},
		store.Entry{Key: "code:{" + hashOf(code) + "}", Value: mustJSON(cr), TTL: s.cfg.CodeTTL + 5*time.Second},
	); err != nil {
		s.redirectError(w, r, req.RedirectURI, req.State, "temporarily_unavailable", "sfmcp's OAuth state storage is unavailable")
		return
	}
	s.log.Info("authorization granted", "client_id", req.ClientID, "user", tok.orgID+"/"+tok.userID)
	s.redirectBack(w, r, req.RedirectURI, req.State, url.Values{"code": {code}})
}

// upstreamToken is what sfmcp keeps of Salesforce's token answer.
type upstreamToken struct {
	access, refresh, instance, userID, orgID string
}

// exchangeUpstream trades Salesforce's code for its tokens.
func (s *Server) exchangeUpstream(ctx context.Context, code, verifier string) (*upstreamToken, error) {
	if code == "" {
		return nil, errors.New("Salesforce sent no code")
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"client_id":     {s.cfg.ClientID},
		"redirect_uri":  {s.base + PathCallback},
		"code_verifier": {verifier},
	}
	if s.cfg.ClientSecret != "" {
		form.Set("client_secret", s.cfg.ClientSecret)
	}
	ctx, cancel := context.WithTimeout(ctx, upstreamTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.LoginURL+"/services/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("token endpoint unreachable: %w", err)
	}
	defer resp.Body.Close()
	body, err := salesforce.ReadBounded(resp.Body, salesforce.MaxTokenResponseBytes, http.MethodPost, s.cfg.LoginURL+"/services/oauth2/token", "fixed for OAuth endpoints")
	if err != nil {
		return nil, fmt.Errorf("token endpoint: %w", err)
	}
	var tr struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		InstanceURL  string `json:"instance_url"`
		ID           string `json:"id"`
		Error        string `json:"error"`
		Description  string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &tr)
	if resp.StatusCode != http.StatusOK || tr.AccessToken == "" {
		return nil, fmt.Errorf("token endpoint answered %d %s %s", resp.StatusCode, tr.Error, tr.Description)
	}
	inst := tr.InstanceURL
	if s.cfg.CheckInstance != nil {
		if inst, err = s.cfg.CheckInstance(inst); err != nil {
			return nil, err
		}
	} else if !strings.HasPrefix(inst, "https://") {
		return nil, fmt.Errorf("instance URL %q is not https", inst)
	}
	orgID, userID, err := identityIDs(tr.ID)
	if err != nil {
		return nil, err
	}
	return &upstreamToken{access: tr.AccessToken, refresh: tr.RefreshToken, instance: inst,
		orgID: orgID, userID: userID}, nil
}

// identityIDs reads the org and user ids from the id of a token answer,
// https://login.salesforce.com/id/<org id>/<user id>: its last three path
// segments.
func identityIDs(id string) (orgID, userID string, err error) {
	parts := strings.Split(strings.TrimRight(id, "/"), "/")
	if len(parts) < 3 || parts[len(parts)-3] != "id" {
		return "", "", fmt.Errorf("token answer without a usable id (%d parts)", len(parts))
	}
	return parts[len(parts)-2], parts[len(parts)-1], nil
}

// revokeUpstream tells Salesforce to forget a token, best effort.
func (s *Server) revokeUpstream(token string) {
	if token == "" {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.LoginURL+"/services/oauth2/revoke",
			strings.NewReader(url.Values{"token": {token}}.Encode()))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := s.cfg.HTTPClient.Do(req)
		if err != nil {
			s.log.Info("could not revoke the Salesforce token", "error", err)
			return
		}
		resp.Body.Close()
		s.log.Debug("Salesforce token revoked", "status", strconv.Itoa(resp.StatusCode))
	}()
}

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
