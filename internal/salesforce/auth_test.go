package salesforce

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// sessionOrg is a fake org whose data API accepts only freshAccessToken and
// whose token endpoint hands it out for testRefreshToken.
type sessionOrg struct {
	refreshes atomic.Int32
	// refreshDelay slows the token endpoint so concurrent callers pile up.
	refreshDelay time.Duration
	// refreshError, when set, is the token endpoint's answer.
	refreshError string
	// staleBarrier, when set, holds each stale-token answer until that many
	// stale requests have arrived, so they are all in flight together.
	staleBarrier *barrier
}

type barrier struct {
	n       int
	mu      sync.Mutex
	arrived int
	open    chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: n, open: make(chan struct{})} }

func (b *barrier) wait() {
	b.mu.Lock()
	b.arrived++
	if b.arrived == b.n {
		close(b.open)
	}
	b.mu.Unlock()
	select {
	case <-b.open:
	case <-time.After(5 * time.Second):
	}
}

func (o *sessionOrg) handler(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/services/oauth2/token" {
		o.refreshes.Add(1)
		time.Sleep(o.refreshDelay)
		if o.refreshError != "" {
			writeJSON(w, http.StatusBadRequest, o.refreshError)
			return
		}
		_ = r.ParseForm()
		if r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("refresh_token") != testRefreshToken ||
			r.PostForm.Get("client_id") != testClientID || r.PostForm.Get("client_secret") != testClientSecret {
			writeJSON(w, http.StatusBadRequest, `{"error":"invalid_client","error_description":"bad form"}`)
			return
		}
		writeJSON(w, 200, fmt.Sprintf(`{"access_token":%q,"signature":"x","scope":"api refresh_token","instance_url":"http://%s","id":"https://login.salesforce.com/id/00D000000000001AAA/005000000000001AAA","token_type":"Bearer","issued_at":"1700000000000"}`, freshAccessToken, r.Host))
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+freshAccessToken {
		if o.staleBarrier != nil {
			o.staleBarrier.wait()
		}
		writeInvalidSession(w)
		return
	}
	writeJSON(w, 200, pageBody(1, 0, 1, ""))
}

func TestRefreshOnInvalidSessionThenRetry(t *testing.T) {
	t.Parallel()
	org := &sessionOrg{}
	srv, rec := newFakeOrg(t, org.handler)
	var saved []Token
	c := newTestClient(t, srv.URL, withRefresh(srv.URL+"/services/oauth2/token", func(tok Token) { saved = append(saved, tok) }))

	if _, err := c.QueryPage(context.Background(), "SELECT Id FROM Account", false); err != nil {
		t.Fatal(err)
	}
	if n := org.refreshes.Load(); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	reqs := rec.all()
	if len(reqs) != 3 || reqs[0].Path != "/services/data/v62.0/query" || reqs[1].Path != "/services/oauth2/token" || reqs[2].Header.Get("Authorization") != "Bearer "+freshAccessToken {
		t.Errorf("unexpected request sequence: %+v", reqs)
	}
	if ct := reqs[1].Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("token request Content-Type %q", ct)
	}
	if len(saved) != 1 || saved[0].AccessToken != freshAccessToken || saved[0].RefreshToken != testRefreshToken || saved[0].IssuedAt.UnixMilli() != 1700000000000 {
		t.Errorf("OnRefresh got %#v", saved)
	}
	if got := c.tokens.Token().AccessToken; got != freshAccessToken {
		t.Error("the token source kept the stale token")
	}
	// The next call uses the new token straight away.
	if _, err := c.QueryPage(context.Background(), "SELECT Id FROM Account", false); err != nil {
		t.Fatal(err)
	}
	if n := org.refreshes.Load(); n != 1 || rec.count("") != 4 {
		t.Errorf("second call: %d refreshes, %d requests", n, rec.count(""))
	}
}

func TestConcurrentCallersShareOneRefresh(t *testing.T) {
	t.Parallel()
	const callers = 20
	org := &sessionOrg{refreshDelay: 20 * time.Millisecond, staleBarrier: newBarrier(callers)}
	srv, _ := newFakeOrg(t, org.handler)
	var onRefresh atomic.Int32
	c := newTestClient(t, srv.URL, withRefresh(srv.URL+"/services/oauth2/token", func(Token) { onRefresh.Add(1) }))

	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			_, err := c.QueryPage(context.Background(), "SELECT Id FROM Account", false)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := org.refreshes.Load(); n != 1 {
		t.Errorf("%d refreshes for %d concurrent callers, want 1", n, callers)
	}
	if n := onRefresh.Load(); n != 1 {
		t.Errorf("OnRefresh called %d times, want 1", n)
	}
}

func TestRefreshRefusedIsAuthError(t *testing.T) {
	t.Parallel()
	org := &sessionOrg{refreshError: `{"error":"invalid_grant","error_description":"expired access/refresh token"}`}
	srv, rec := newFakeOrg(t, org.handler)
	c := newTestClient(t, srv.URL, withRefresh(srv.URL+"/services/oauth2/token", nil))

	_, err := c.QueryPage(context.Background(), "SELECT Id FROM Account", false)
	if !IsAuthError(err) {
		t.Fatalf("err = %v, want an auth error", err)
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode != "invalid_grant" || apiErr.Message != "expired access/refresh token" {
		t.Errorf("cause = %#v", apiErr)
	}
	if !strings.Contains(err.Error(), "log in again") {
		t.Errorf("Error() = %q should tell the user to log in again", err)
	}
	assertNoSecrets(t, "refresh error", err.Error())

	// A refused refresh token is not tried again.
	_, err = c.QueryPage(context.Background(), "SELECT Id FROM Account", false)
	if !IsAuthError(err) || org.refreshes.Load() != 1 {
		t.Errorf("second call: err %v, %d refreshes", err, org.refreshes.Load())
	}
	if n := rec.count("/services/data/v62.0/query"); n != 2 {
		t.Errorf("%d query requests, want 2 (no retry after a refused refresh)", n)
	}
}

func TestExpiredSessionWithoutRefreshToken(t *testing.T) {
	t.Parallel()
	srv, rec := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) { writeInvalidSession(w) })
	_, err := newTestClient(t, srv.URL).QueryPage(context.Background(), "SELECT Id FROM Account", false)
	var ae *AuthError
	if !errors.As(err, &ae) || !IsAuthError(err) {
		t.Fatalf("err = %v, want *AuthError", err)
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.ErrorCode != "INVALID_SESSION_ID" {
		t.Errorf("cause = %#v", apiErr)
	}
	if rec.count("") != 1 {
		t.Errorf("%d requests, want 1", rec.count(""))
	}
}

func TestUserInfoBadOAuthTokenRefreshes(t *testing.T) {
	t.Parallel()
	var refreshed atomic.Bool
	srv, _ := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/services/oauth2/token":
			refreshed.Store(true)
			writeJSON(w, 200, fmt.Sprintf(`{"access_token":%q,"token_type":"Bearer"}`, freshAccessToken))
		case r.Header.Get("Authorization") != "Bearer "+freshAccessToken:
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte("Bad_OAuth_Token"))
		default:
			writeJSON(w, 200, `{"sub":"https://login.salesforce.com/id/00D000000000001AAA/005000000000001AAA","user_id":"005000000000001AAA","organization_id":"00D000000000001AAA","preferred_username":"ada@example.com","name":"Ada Lovelace","email":"ada@example.com","urls":{"rest":"https://x/services/data/v{version}/"}}`)
		}
	})
	c := newTestClient(t, srv.URL, withRefresh(srv.URL+"/services/oauth2/token", nil))
	u, err := c.UserInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !refreshed.Load() || u.UserID != "005000000000001AAA" || u.PreferredUsername != "ada@example.com" || u.URLs["rest"] == "" {
		t.Errorf("refreshed %v, userinfo %+v", refreshed.Load(), u)
	}
}

// TestSecretsNeverInErrorsOrLogs drives every failure path and checks that
// neither the error text nor the debug log carries a token.
func TestSecretsNeverInErrorsOrLogs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		refresh bool
	}{
		{"401 without refresh", func(w http.ResponseWriter, r *http.Request) { writeInvalidSession(w) }, false},
		{"refresh refused", (&sessionOrg{refreshError: `{"error":"invalid_grant","error_description":"expired access/refresh token"}`}).handler, true},
		{"500 echoing the Authorization header", func(w http.ResponseWriter, r *http.Request) {
			writeSFError(w, 500, "UNKNOWN_EXCEPTION", "bad request with header "+r.Header.Get("Authorization"))
		}, false},
		{"proxy page echoing the header", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			fmt.Fprintf(w, "<html><head><title>Bad gateway for %s</title></head></html>", r.Header.Get("Authorization"))
		}, false},
		{"token endpoint echoing the form", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/services/oauth2/token" {
				_ = r.ParseForm()
				writeJSON(w, 400, fmt.Sprintf(`{"error":"invalid_request","error_description":"bad %s %s"}`, r.PostForm.Get("refresh_token"), r.PostForm.Get("client_secret")))
				return
			}
			writeInvalidSession(w)
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := newFakeOrg(t, tt.handler)
			var logs bytes.Buffer
			var mu sync.Mutex
			logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
			opts := []clientOption{withLogger(logger)}
			if tt.refresh {
				opts = append(opts, withRefresh(srv.URL+"/services/oauth2/token", nil))
			}
			c := newTestClient(t, srv.URL, opts...)
			_, err := c.GetRecord(context.Background(), "Account", "001000000000001AAA", nil)
			if err == nil {
				t.Fatal("expected an error")
			}
			assertNoSecrets(t, "error", err.Error())
			assertNoSecrets(t, "error %+v", fmt.Sprintf("%+v %#v", err, err))
			mu.Lock()
			assertNoSecrets(t, "log", logs.String())
			mu.Unlock()
		})
	}

	t.Run("network error", func(t *testing.T) {
		t.Parallel()
		srv, _ := newFakeOrg(t, func(http.ResponseWriter, *http.Request) {})
		srv.Close()
		c := newTestClient(t, srv.URL, withRefresh(srv.URL+"/services/oauth2/token", nil))
		_, err := c.QueryPage(context.Background(), "SELECT Id FROM Account WHERE Name = 'x'", false)
		if err == nil {
			t.Fatal("expected an error")
		}
		assertNoSecrets(t, "error", fmt.Sprintf("%v %+v", err, err))
	})

	t.Run("token value formatting", func(t *testing.T) {
		t.Parallel()
		tok := Token{AccessToken: testAccessToken, RefreshToken: testRefreshToken, InstanceURL: "https://x.my.salesforce.com"}
		var logs bytes.Buffer
		slog.New(slog.NewJSONHandler(&logs, nil)).Info("t", "token", tok)
		assertNoSecrets(t, "formatted token", fmt.Sprintf("%v %+v %#v %s", tok, tok, tok, tok)+logs.String())
		// Hidden, not dropped: the text still says which secrets are set.
		if got := tok.String(); !strings.Contains(got, "access: set, refresh: set") {
			t.Errorf("String() = %q, want both tokens reported as set", got)
		}
		if got := (Token{InstanceURL: tok.InstanceURL}).String(); !strings.Contains(got, "access: none, refresh: none") {
			t.Errorf("String() of an empty token = %q, want both reported as none", got)
		}
	})
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestTokenURLDefaultsToInstance(t *testing.T) {
	t.Parallel()
	org := &sessionOrg{}
	srv, _ := newFakeOrg(t, org.handler)
	c := newTestClient(t, srv.URL, withRefresh("", nil))
	if _, err := c.QueryPage(context.Background(), "SELECT Id FROM Account", false); err != nil {
		t.Fatal(err)
	}
	if org.refreshes.Load() != 1 {
		t.Error("the instance's token endpoint was not used")
	}
	if u, _ := url.Parse(c.tokens.tokenURL); u.Path != "/services/oauth2/token" {
		t.Errorf("token URL %s", c.tokens.tokenURL)
	}
}

// TestRefreshKeepsInstanceAndRetiresRotatedToken pins what a refresh keeps
// from the token endpoint's answer: without instance_url the login's instance
// stays, and a rotated refresh token replaces the old one, which (like the
// old access token) is still redacted from text that arrives late.
func TestRefreshKeepsInstanceAndRetiresRotatedToken(t *testing.T) {
	t.Parallel()
	const rotated = "5Aep861ROTATEDsecretK4pw"
	srv, _ := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/services/oauth2/token":
			writeJSON(w, 200, fmt.Sprintf(`{"access_token":%q,"refresh_token":%q,"token_type":"Bearer"}`, freshAccessToken, rotated))
		case r.Header.Get("Authorization") != "Bearer "+freshAccessToken:
			writeInvalidSession(w)
		default:
			writeJSON(w, 200, pageBody(1, 0, 1, ""))
		}
	})
	c := newTestClient(t, srv.URL, withRefresh(srv.URL+"/services/oauth2/token", nil))
	if _, err := c.QueryPage(context.Background(), "SELECT Id FROM Account", false); err != nil {
		t.Fatal(err)
	}
	tok := c.tokens.Token()
	if tok.AccessToken != freshAccessToken || tok.RefreshToken != rotated {
		t.Error("the refresh did not take the new access and refresh tokens")
	}
	if tok.InstanceURL != srv.URL {
		t.Errorf("instance URL %q after a refresh that named none, want %q", tok.InstanceURL, srv.URL)
	}
	late := "echo " + testAccessToken + " " + testRefreshToken + " " + rotated + " " + testClientSecret
	if got, want := c.tokens.redact(late), "echo [REDACTED] [REDACTED] [REDACTED] [REDACTED]"; got != want {
		t.Errorf("redact = %q, want %q", got, want)
	}
}

// TestRefreshServerErrorIsNotFatal: a 5xx from the token endpoint says
// nothing about the refresh token, so it must not end the login the way a
// refused refresh token does; once the endpoint recovers, calls work again.
func TestRefreshServerErrorIsNotFatal(t *testing.T) {
	t.Parallel()
	org := &sessionOrg{}
	var failed atomic.Bool
	srv, _ := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/services/oauth2/token" && !failed.Swap(true) {
			writeJSON(w, http.StatusInternalServerError, `{"error":"server_error","error_description":"try later"}`)
			return
		}
		org.handler(w, r)
	})
	c := newTestClient(t, srv.URL, withRefresh(srv.URL+"/services/oauth2/token", nil))
	if _, err := c.QueryPage(context.Background(), "SELECT Id FROM Account", false); IsAuthError(err) {
		t.Fatalf("a 500 from the token endpoint gave an auth error: %v", err)
	}
	if _, err := c.QueryPage(context.Background(), "SELECT Id FROM Account", false); err != nil {
		t.Fatalf("after the token endpoint recovered: %v", err)
	}
	if !failed.Load() || org.refreshes.Load() != 1 {
		t.Errorf("failed refresh served %v, successful refreshes %d, want true and 1", failed.Load(), org.refreshes.Load())
	}
}

// TestRefreshRefusalMessages: the user is told whether the saved login itself
// is gone (invalid_grant) or the refresh failed for another reason.
func TestRefreshRefusalMessages(t *testing.T) {
	t.Parallel()
	tests := []struct{ answer, want, notWant string }{
		{`{"error":"invalid_grant","error_description":"expired access/refresh token"}`, "has expired or was revoked", "refreshing the Salesforce session failed"},
		{`{"error":"invalid_client","error_description":"client identifier invalid"}`, "refreshing the Salesforce session failed", "has expired or was revoked"},
	}
	for _, tt := range tests {
		org := &sessionOrg{refreshError: tt.answer}
		srv, _ := newFakeOrg(t, org.handler)
		c := newTestClient(t, srv.URL, withRefresh(srv.URL+"/services/oauth2/token", nil))
		_, err := c.QueryPage(context.Background(), "SELECT Id FROM Account", false)
		if !IsAuthError(err) || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), tt.notWant) {
			t.Errorf("refresh answered %s: err = %v, want an auth error saying %q", tt.answer, err, tt.want)
		}
	}
}

// TestRedactLeavesTooShortValues: secrets of four characters or more are
// redacted; shorter values (never real secrets) are left, since replacing
// them everywhere would mangle the text.
func TestRedactLeavesTooShortValues(t *testing.T) {
	t.Parallel()
	ts := NewTokenSource(TokenSourceConfig{Token: Token{AccessToken: "abcd", RefreshToken: "xyz", InstanceURL: "https://x.my.salesforce.com"}})
	if got, want := ts.redact("abcd xyz abcde"), "[REDACTED] xyz [REDACTED]e"; got != want {
		t.Errorf("redact = %q, want %q", got, want)
	}
}
