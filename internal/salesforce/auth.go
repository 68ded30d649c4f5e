package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// refreshTimeout bounds one refresh. The refresh runs detached from the
// context of the caller that started it, because other callers wait on it too.
const refreshTimeout = 30 * time.Second

// Token is an OAuth session with Salesforce. Its String and LogValue methods
// hide the secrets, so printing or logging a Token is safe.
type Token struct {
	// AccessToken is sent as the bearer token; it looks like "00D...!...".
	AccessToken string
	// RefreshToken, when known, lets the session be renewed without a login.
	RefreshToken string
	// InstanceURL is the org's base URL, like "https://acme.my.salesforce.com".
	InstanceURL string
	// IssuedAt is when Salesforce issued AccessToken, when known.
	IssuedAt time.Time
}

// String describes the token without revealing it.
func (t Token) String() string {
	return fmt.Sprintf("Token{instance: %s, access: %s, refresh: %s}", t.InstanceURL, present(t.AccessToken), present(t.RefreshToken))
}

// GoString keeps %#v from printing the secrets.
func (t Token) GoString() string { return t.String() }

// LogValue keeps slog from printing the secrets.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.String("instance", t.InstanceURL), slog.String("access", present(t.AccessToken)), slog.String("refresh", present(t.RefreshToken)))
}

func present(s string) string {
	if s == "" {
		return "none"
	}
	return "set"
}

// TokenSourceConfig describes a session and, when known, how to renew it.
type TokenSourceConfig struct {
	// Token is the current session; AccessToken and InstanceURL are required.
	Token Token
	// ClientID of the connected app; needed to refresh.
	ClientID string
	// ClientSecret of the connected app, for confidential clients only.
	ClientSecret string
	// TokenURL is the OAuth token endpoint, like "https://login.salesforce.com/services/oauth2/token".
	// Empty means the instance's own endpoint, which My Domain orgs serve.
	TokenURL string
	// OnRefresh receives each renewed token so a token store can persist it.
	// An error is logged and otherwise ignored: the new token is already in use.
	OnRefresh func(ctx context.Context, t Token) error
	// Coordinate, when set, wraps each refresh so that processes sharing one
	// stored login refresh it once: it takes a lock shared with them, re-reads
	// the stored token, and returns that if another process has already
	// replaced stale; otherwise it calls refresh, saves the result under the
	// same lock and returns it. It owns saving: OnRefresh is not called.
	Coordinate func(ctx context.Context, stale Token, refresh func(context.Context) (Token, error)) (Token, error)
	// Renew, when set, gets a new session for a login without a refresh
	// token: a JWT bearer or client-credentials login runs its grant again
	// (with the key or secret it keeps). It is used when Token has no
	// refresh token.
	Renew func(ctx context.Context) (Token, error)
	// Relogin says how to get a new login when this one cannot be renewed,
	// e.g. "run `sfmcp login --alias prod` again"; default "log in again".
	Relogin string
}

// TokenSource holds the current token of one login and renews it when
// Salesforce reports the session expired. Concurrent callers that all see the
// expiry share one refresh. It is safe for concurrent use.
//
// A Client keeps the instance URL it was built with, even if a refresh answers
// with another one: requests, cursors and the describe cache are tied to it.
type TokenSource struct {
	clientID     string
	clientSecret string
	tokenURL     string
	onRefresh    func(context.Context, Token) error
	coordinate   func(context.Context, Token, func(context.Context) (Token, error)) (Token, error)
	renew        func(context.Context) (Token, error)
	relogin      string

	mu  sync.Mutex
	tok Token
	// retired remembers earlier access tokens so they can still be redacted
	// from text that arrives late (an error from a request sent before a refresh).
	retired []string
	// inflight is the refresh in progress, shared by every caller that needs it.
	inflight *refreshCall
	// dead is set once the refresh token is refused: asking again with the
	// same refresh token cannot succeed and would only add load.
	dead error
	// auth is the Authorization header's value for authFor, the access
	// token it was made from: every request sends it, and building it
	// anew (a concatenation and a slice) costs two allocations a request.
	auth    []string
	authFor string
}

type refreshCall struct {
	done chan struct{}
	tok  string
	err  error
}

// NewTokenSource returns a TokenSource for cfg.
func NewTokenSource(cfg TokenSourceConfig) *TokenSource {
	tokenURL := cfg.TokenURL
	if tokenURL == "" && cfg.Token.InstanceURL != "" {
		tokenURL = strings.TrimRight(cfg.Token.InstanceURL, "/") + "/services/oauth2/token"
	}
	relogin := cfg.Relogin
	if relogin == "" {
		relogin = "log in again"
	}
	return &TokenSource{
		relogin:      relogin,
		clientID:     cfg.ClientID,
		clientSecret: cfg.ClientSecret,
		tokenURL:     tokenURL,
		onRefresh:    cfg.OnRefresh,
		coordinate:   cfg.Coordinate,
		renew:        cfg.Renew,
		tok:          cfg.Token,
	}
}

// Token returns the current token.
func (ts *TokenSource) Token() Token {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.tok
}

// CanRefresh reports whether the source has what a refresh needs.
func (ts *TokenSource) CanRefresh() bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.tok.RefreshToken == "" && ts.renew != nil {
		return true
	}
	return ts.tok.RefreshToken != "" && ts.clientID != "" && ts.tokenURL != ""
}

func (ts *TokenSource) accessToken() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.tok.AccessToken
}

// authorization returns the current access token and the Authorization
// header's value for it ("Bearer " and the token), made once per token.
// The slice is shared by every request that sends this token: its length
// and capacity are 1, so an append copies it, and nobody writes into a
// request's header values.
func (ts *TokenSource) authorization() (token string, auth []string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.auth == nil || ts.authFor != ts.tok.AccessToken {
		ts.auth = []string{"Bearer " + ts.tok.AccessToken}
		ts.authFor = ts.tok.AccessToken
	}
	return ts.tok.AccessToken, ts.auth
}

// refresh renews the session after stale was refused. If another caller has
// already replaced stale, the current token is returned without a request; if
// a refresh is under way, the caller waits for it instead of starting another.
func (ts *TokenSource) refresh(ctx context.Context, hc *http.Client, log *slog.Logger, stale string) (string, error) {
	ts.mu.Lock()
	if ts.tok.AccessToken != stale {
		cur := ts.tok.AccessToken
		ts.mu.Unlock()
		return cur, nil
	}
	if ts.dead != nil {
		err := ts.dead
		ts.mu.Unlock()
		return "", err
	}
	call := ts.inflight
	if call == nil {
		call = &refreshCall{done: make(chan struct{})}
		ts.inflight = call
		// Detached from ctx: the callers waiting on this refresh must not
		// fail because the one that happened to start it was cancelled.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
		go func() {
			defer cancel()
			ts.runRefresh(rctx, hc, log, call)
		}()
	}
	ts.mu.Unlock()

	select {
	case <-call.done:
		return call.tok, call.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (ts *TokenSource) runRefresh(ctx context.Context, hc *http.Client, log *slog.Logger, call *refreshCall) {
	ts.mu.Lock()
	refreshToken, old := ts.tok.RefreshToken, ts.tok
	ts.mu.Unlock()

	get := func(ctx context.Context) (Token, error) { return ts.requestRefresh(ctx, hc, refreshToken) }
	if refreshToken == "" && ts.renew != nil {
		get = ts.renewSession
	}
	var newTok Token
	var err error
	if ts.coordinate != nil {
		newTok, err = ts.coordinate(ctx, old, get)
	} else {
		newTok, err = get(ctx)
	}

	ts.mu.Lock()
	if err == nil {
		if newTok.RefreshToken == "" { // no rotation: keep the one we have
			newTok.RefreshToken = refreshToken
		}
		if newTok.InstanceURL == "" {
			newTok.InstanceURL = old.InstanceURL
		}
		ts.retired = append(ts.retired, old.AccessToken)
		if newTok.RefreshToken != old.RefreshToken {
			ts.retired = append(ts.retired, old.RefreshToken)
		}
		if len(ts.retired) > 8 {
			ts.retired = ts.retired[len(ts.retired)-8:]
		}
		ts.tok = newTok
		call.tok = newTok.AccessToken
	} else {
		if IsAuthError(err) {
			ts.dead = err
		}
		call.err = err
	}
	ts.inflight = nil
	ts.mu.Unlock()

	if err == nil {
		log.DebugContext(ctx, "salesforce session refreshed", "token", newTok)
		if ts.onRefresh != nil && ts.coordinate == nil {
			// Persist before waking the waiters, so a store never ends up
			// older than a token already in use.
			if perr := ts.onRefresh(ctx, newTok); perr != nil {
				log.WarnContext(ctx, "could not save the refreshed Salesforce token", "error", ts.redact(perr.Error()))
			}
		}
	} else {
		log.DebugContext(ctx, "salesforce session refresh failed", "error", ts.redact(err.Error()))
	}
	close(call.done)
}

// renewSession runs the login's own grant again. A refusal is an
// *AuthError that says how to log in again, without the grant's secrets.
func (ts *TokenSource) renewSession(ctx context.Context) (Token, error) {
	t, err := ts.renew(ctx)
	if err != nil {
		if IsAuthError(err) {
			return Token{}, err
		}
		var ne *NetworkError
		if errors.As(err, &ne) {
			return Token{}, err
		}
		return Token{}, &AuthError{Message: "renewing the Salesforce session failed; " + ts.relogin, Err: err}
	}
	if t.AccessToken == "" {
		return Token{}, &AuthError{Message: "renewing the Salesforce session gave no access token; " + ts.relogin}
	}
	return t, nil
}

// tokenResponse is the JSON Salesforce returns from the token endpoint.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	InstanceURL  string `json:"instance_url"`
	IssuedAt     string `json:"issued_at"`
}

func (ts *TokenSource) requestRefresh(ctx context.Context, hc *http.Client, refreshToken string) (Token, error) {
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken},
		"client_id":     {ts.clientID},
	}
	if ts.clientSecret != "" {
		form.Set("client_secret", ts.clientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, fmt.Errorf("refresh session: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		if re, ok := AsRedirect(err); ok {
			return Token{}, fmt.Errorf("refresh session: %w", re)
		}
		// Not an auth error: the refresh token may be fine and the network not.
		return Token{}, &NetworkError{Message: "refresh session: cannot reach the token endpoint " + hostOf(ts.tokenURL), Err: unwrapURLError(err)}
	}
	defer resp.Body.Close()
	body, err := readLimited(resp.Body, maxTokenResponse)
	if errors.Is(err, errBodyTooLarge) {
		return Token{}, fmt.Errorf("refresh session: %w", &ResponseTooLargeError{Method: http.MethodPost, Endpoint: endpointOf(ts.tokenURL), Limit: maxTokenResponse, Setting: "fixed for token endpoints"})
	}
	if err != nil {
		return Token{}, &NetworkError{Message: "refresh session: reading the token response", Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		apiErr := parseAPIError(resp.StatusCode, resp.Header.Get("Content-Type"), body)
		apiErr.Message = ts.redact(apiErr.Message)
		if resp.StatusCode >= 400 && resp.StatusCode < 500 {
			msg := "refreshing the Salesforce session failed; " + ts.relogin
			if apiErr.ErrorCode == "invalid_grant" {
				msg = "the saved Salesforce login has expired or was revoked; " + ts.relogin
			}
			return Token{}, &AuthError{Message: msg, Err: apiErr}
		}
		return Token{}, fmt.Errorf("refresh session: %w", apiErr)
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return Token{}, fmt.Errorf("refresh session: the token endpoint answered without an access token")
	}
	t := Token{AccessToken: tr.AccessToken, RefreshToken: tr.RefreshToken, InstanceURL: tr.InstanceURL}
	if ms, err := strconv.ParseInt(tr.IssuedAt, 10, 64); err == nil {
		t.IssuedAt = time.UnixMilli(ms)
	}
	return t, nil
}

// redact replaces every token this source knows with a placeholder.
func (ts *TokenSource) redact(s string) string {
	ts.mu.Lock()
	secrets := append([]string{ts.tok.AccessToken, ts.tok.RefreshToken, ts.clientSecret}, ts.retired...)
	ts.mu.Unlock()
	for _, sec := range secrets {
		if len(sec) >= 4 { // too short to be a real secret, and replacing it would mangle text
			s = strings.ReplaceAll(s, sec, "[REDACTED]")
		}
	}
	return s
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Scheme + "://" + u.Host
}

// endpointOf is raw's scheme, host and path: never its query.
func endpointOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
