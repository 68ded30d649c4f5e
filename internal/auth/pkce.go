package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/oauth2"

	"github.com/sfmcp/sfmcp/internal/browser"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// DefaultPort is the loopback port of the login callback. The Connected App's
// callback URL must name it exactly: http://localhost:1717/OAuthRedirect.
const DefaultPort = 1717

// DefaultTimeout bounds a login waiting for the user.
const DefaultTimeout = 5 * time.Minute

// DefaultScopes are the OAuth scopes sfmcp asks for: the REST and Bulk APIs,
// and a refresh token so the login outlives the session.
func DefaultScopes() []string { return []string{"api", "refresh_token"} }

// CallbackPath is the path of the loopback redirect URI.
const CallbackPath = "/OAuthRedirect"

// RedirectURI is the callback URL for port, which the Connected App must list.
func RedirectURI(port int) string { return fmt.Sprintf("http://localhost:%d%s", port, CallbackPath) }

// Tokens is what a successful login yields.
type Tokens struct {
	AccessToken  string
	RefreshToken string // "" when the Connected App grants none
	InstanceURL  string // the org's own URL, from the token response
	ID           string // the identity URL, .../id/<org id>/<user id>
}

// String hides the tokens. Its value receiver covers Tokens printed by
// value as well as by pointer.
func (t Tokens) String() string { return "auth.Tokens{" + t.InstanceURL + ", hidden}" }

// GoString hides the tokens from %#v.
func (t Tokens) GoString() string { return t.String() }

// LogValue hides the tokens from slog.
func (t Tokens) LogValue() slog.Value {
	return slog.GroupValue(slog.String("instance", t.InstanceURL), slog.String("tokens", "hidden"))
}

// BrowserFlow is the OAuth 2.0 authorization code flow with PKCE (S256): the
// user approves in the browser, Salesforce redirects to a one-shot server on
// 127.0.0.1:Port, and the code is exchanged for tokens.
type BrowserFlow struct {
	LoginURL     string        // https://login.salesforce.com, test.salesforce.com or a My Domain
	ClientID     string        // the Connected App's consumer key
	ClientSecret string        // "" for a PKCE-only public client
	Port         int           // callback port; 0 means DefaultPort
	Timeout      time.Duration // how long to wait for the user; 0 means DefaultTimeout
	Scopes       []string      // nil means DefaultScopes
	Browser      browser.Browser
	Stderr       io.Writer    // instructions for the user
	HTTPClient   *http.Client // for the token exchange; nil means http.DefaultClient
}

func (fl *BrowserFlow) config(port int) *oauth2.Config {
	scopes := fl.Scopes
	if scopes == nil {
		scopes = DefaultScopes()
	}
	base := strings.TrimRight(fl.LoginURL, "/")
	return &oauth2.Config{
		ClientID:     fl.ClientID,
		ClientSecret: fl.ClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   base + "/services/oauth2/authorize",
			TokenURL:  base + "/services/oauth2/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: RedirectURI(port),
		Scopes:      scopes,
	}
}

// callbackResult is what the callback handler hands to Run.
type callbackResult struct {
	tokens *Tokens
	err    error
}

// Run performs the login and returns the tokens.
func (fl *BrowserFlow) Run(ctx context.Context) (*Tokens, error) {
	port := fl.Port
	if port == 0 {
		port = DefaultPort
	}
	timeout := fl.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) || strings.Contains(err.Error(), "address already in use") {
			return nil, fmt.Errorf("port %d on 127.0.0.1 is already in use, so the login callback cannot listen there: stop the program using it, or choose another port with --port N (the Connected App's callback URL must then be http://localhost:N%s)", port, CallbackPath)
		}
		return nil, fmt.Errorf("listening for the login callback on 127.0.0.1:%d: %w", port, err)
	}

	stderr := &guardedWriter{w: fl.Stderr}
	defer stderr.close()

	state, err := randomState()
	if err != nil {
		ln.Close()
		return nil, err
	}
	verifier := oauth2.GenerateVerifier()
	conf := fl.config(port)
	authURL := conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))

	hc := salesforce.WithoutRedirects(fl.HTTPClient) // the token endpoint never redirects
	exchangeCtx := context.WithValue(ctx, oauth2.HTTPClient, hc)

	results := make(chan callbackResult, 1)
	var once sync.Once
	deliver := func(r callbackResult) bool {
		sent := false
		once.Do(func() { results <- r; sent = true })
		return sent
	}
	mux := http.NewServeMux()
	mux.HandleFunc(CallbackPath, func(w http.ResponseWriter, r *http.Request) {
		if !stateMatches(r.URL.Query().Get("state"), state) {
			// A stale tab of an earlier login, or a request forged by any page
			// or local process: it must not end this login (anyone can reach
			// the loopback port), so it is answered and ignored, and the login
			// waits on for the real callback. Its code is never exchanged and
			// nothing it carried is repeated.
			fmt.Fprintln(stderr, "sfmcp ignored a login callback whose state does not match this login (a stale browser tab, or a request not started by sfmcp); still waiting.")
			writePage(w, http.StatusBadRequest, "Login callback refused", "This callback's state does not match the login sfmcp is waiting for (a stale browser tab, or a request sfmcp did not start), so it was ignored. If you are logging in, finish in the tab sfmcp opened.")
			return
		}
		res := fl.handleCallback(exchangeCtx, conf, state, verifier, r)
		if !deliver(res) {
			writePage(w, http.StatusConflict, "Already finished", "This login has already finished. You can close this tab.")
			return
		}
		switch {
		case res.err == nil:
			writePage(w, http.StatusOK, "Logged in", "sfmcp is logged in to Salesforce. You can close this tab and go back to the terminal.")
		case errors.Is(res.err, ErrDenied):
			writePage(w, http.StatusForbidden, "Access denied", "Access was denied, so sfmcp is not logged in. You can close this tab.")
		default:
			writePage(w, http.StatusBadRequest, "Login failed", "sfmcp could not log in: "+res.err.Error())
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx) // lets the handler finish its page
	}()

	fmt.Fprintf(stderr, "Opening your browser to log in to Salesforce:\n  %s\n", authURL)
	fmt.Fprintf(stderr, "If no browser opens, open that URL yourself. Waiting up to %s for the login (Ctrl-C to cancel)...\n", timeout)
	browsed := make(chan struct{})
	go func() {
		defer close(browsed)
		if fl.Browser == nil {
			return
		}
		if err := fl.Browser.Browse(authURL); err != nil {
			fmt.Fprintf(stderr, "Could not open a browser (%v); open the URL above yourself.\n", err)
		}
	}()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var res callbackResult
	select {
	case res = <-results:
	case <-timer.C:
		res.err = &Error{Msg: fmt.Sprintf("no login arrived within %s: run `sfmcp login` again (--timeout sets how long to wait; --device logs in without a browser on this machine)", timeout), Err: ErrTimeout}
	case <-ctx.Done():
		res.err = ctx.Err()
	}
	// Give the launcher a moment to finish; one that stays open (a browser
	// run in the foreground) is not waited for.
	select {
	case <-browsed:
	case <-time.After(2 * time.Second):
	}
	return res.tokens, res.err
}

// handleCallback checks one request to the callback and, when it carries a
// code for this login, exchanges it.
func (fl *BrowserFlow) handleCallback(ctx context.Context, conf *oauth2.Config, state, verifier string, r *http.Request) callbackResult {
	q := r.URL.Query()
	if !stateMatches(q.Get("state"), state) {
		// Run's handler ignores these before calling; kept so that no caller
		// can ever exchange a code of another login.
		return callbackResult{err: &Error{Msg: "refused a login callback whose state does not match this login"}}
	}
	if code := q.Get("error"); code != "" {
		oe := &OAuthError{Code: code, Description: q.Get("error_description")}
		if code == "access_denied" {
			return callbackResult{err: &Error{Msg: "access was denied in the browser, so sfmcp is not logged in (" + oe.Error() + ")", Err: ErrDenied}}
		}
		return callbackResult{err: &Error{Msg: "Salesforce refused the login", Err: oe}}
	}
	code := q.Get("code")
	if code == "" {
		return callbackResult{err: &Error{Msg: "the login callback carried neither a code nor an error"}}
	}
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return callbackResult{err: exchangeError(err)}
	}
	t, err := tokensFrom(tok)
	return callbackResult{tokens: t, err: err}
}

// exchangeError turns an oauth2 failure into Salesforce's own words. The
// oauth2 package's message may quote the response body; this one does not.
func exchangeError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		oe := &OAuthError{Code: re.ErrorCode, Description: re.ErrorDescription}
		if re.Response != nil {
			oe.Status = re.Response.StatusCode
		}
		return &Error{Msg: "Salesforce refused the login", Err: oe}
	}
	return fmt.Errorf("exchanging the authorization code: %w", err)
}

func tokensFrom(tok *oauth2.Token) (*Tokens, error) {
	t := &Tokens{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken}
	t.InstanceURL, _ = tok.Extra("instance_url").(string)
	t.ID, _ = tok.Extra("id").(string)
	return checkTokens(t)
}

func checkTokens(t *Tokens) (*Tokens, error) {
	if t.AccessToken == "" {
		return nil, &Error{Msg: "Salesforce's token response had no access token"}
	}
	if t.InstanceURL == "" {
		return nil, &Error{Msg: "Salesforce's token response had no instance_url"}
	}
	inst, err := CheckLoginURL(t.InstanceURL)
	if err != nil {
		return nil, &Error{Msg: "Salesforce's token response named an unusable instance_url", Err: err}
	}
	t.InstanceURL = inst
	return t, nil
}

// stateMatches compares a callback's state with this login's in constant time.
func stateMatches(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func randomState() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func writePage(w http.ResponseWriter, status int, title, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sfmcp: %[1]s</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#222}h1{font-size:1.4em}</style>
</head><body><h1>%[1]s</h1><p>%[2]s</p></body></html>
`, html.EscapeString(title), html.EscapeString(msg))
}

// guardedWriter serialises writes from the flow and the browser goroutine and
// drops those that come after the flow returned.
type guardedWriter struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool
}

func (g *guardedWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed || g.w == nil {
		return len(p), nil
	}
	return g.w.Write(p)
}

func (g *guardedWriter) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}
