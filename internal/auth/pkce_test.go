package auth

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/browser"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// freePort finds a loopback port nobody listens on.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// syncBuffer is a bytes.Buffer safe for the flow's concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// pageSeen records what the "browser" was shown at the end of the redirects.
type pageSeen struct {
	mu     sync.Mutex
	status int
	body   string
}

// follow plays a browser: it GETs the URL, follows redirects to the
// callback, and records the final page.
func (p *pageSeen) follow(u string) error {
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	p.mu.Lock()
	p.status, p.body = resp.StatusCode, string(b)
	p.mu.Unlock()
	return nil
}

func (p *pageSeen) get() (int, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status, p.body
}

// TestBrowserFlowEmulator runs the flow against the emulator's OAuth
// endpoints; the subtests share one emulator, which is slow to start under -race.
func TestBrowserFlowEmulator(t *testing.T) {
	em := emulatortest.New(t)
	t.Run("success", func(t *testing.T) { testBrowserFlowSuccess(t, em) })
	t.Run("denied", func(t *testing.T) { testBrowserFlowDenied(t, em) })
	t.Run("wrong state", func(t *testing.T) { testBrowserFlowWrongState(t, em) })
}

func testBrowserFlowSuccess(t *testing.T, em *emulatortest.Server) {
	var page pageSeen
	stub := &browser.Stub{Open: page.follow}
	var stderr syncBuffer
	fl := &BrowserFlow{LoginURL: em.URL, ClientID: emulatortest.ClientID, Port: freePort(t), Timeout: 30 * time.Second, Browser: stub, Stderr: &stderr}
	tok, err := fl.Run(context.Background())
	if err != nil {
		t.Fatalf("login: %v\nstderr: %s", err, stderr.String())
	}
	if tok.InstanceURL != em.URL || tok.AccessToken == "" || tok.RefreshToken == "" || !strings.Contains(tok.ID, "/id/") {
		t.Errorf("tokens: instance %q, id %q, access set %v, refresh set %v", tok.InstanceURL, tok.ID, tok.AccessToken != "", tok.RefreshToken != "")
	}
	u, err := WhoAmI(context.Background(), http.DefaultClient, tok)
	if err != nil || u.PreferredUsername == "" || u.OrganizationID == "" {
		t.Fatalf("userinfo: %+v, %v", u, err)
	}

	// The authorize URL carried PKCE S256, a state and the exact redirect URI.
	urls := stub.URLs()
	if len(urls) != 1 {
		t.Fatalf("browser opened %v", urls)
	}
	au, _ := url.Parse(urls[0])
	q := au.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || len(q.Get("state")) < 32 ||
		q.Get("redirect_uri") != RedirectURI(fl.Port) || q.Get("response_type") != "code" || q.Get("client_id") != emulatortest.ClientID {
		t.Errorf("authorize URL %s", urls[0])
	}
	if st, body := page.get(); st != 200 || !strings.Contains(body, "Logged in") {
		t.Errorf("browser saw %d %q", st, body)
	}
	for _, secret := range []string{tok.AccessToken, tok.RefreshToken} {
		if strings.Contains(stderr.String(), secret) {
			t.Error("stderr contains a token")
		}
		if _, body := page.get(); strings.Contains(body, secret) {
			t.Error("the browser page contains a token")
		}
	}
}

func testBrowserFlowDenied(t *testing.T, em *emulatortest.Server) {
	em.Admin(t, http.MethodPost, "deny-next", nil)
	var page pageSeen
	fl := &BrowserFlow{LoginURL: em.URL, ClientID: emulatortest.ClientID, Port: freePort(t), Timeout: 30 * time.Second, Browser: &browser.Stub{Open: page.follow}, Stderr: io.Discard}
	_, err := fl.Run(context.Background())
	if !errors.Is(err, ErrDenied) || !strings.Contains(err.Error(), "access was denied") {
		t.Fatalf("err = %v, want ErrDenied", err)
	}
	var ae *Error
	if !errors.As(err, &ae) || ae.ExitCode() != 4 {
		t.Errorf("a denied login should exit 4: %T", err)
	}
	if st, body := page.get(); st != http.StatusForbidden || !strings.Contains(body, "Access denied") {
		t.Errorf("browser saw %d %q", st, body)
	}
}

// testBrowserFlowWrongState: a forged (or stale) callback reaches the
// loopback listener before the real one. It is answered with an error page
// and ignored; the login keeps waiting and the real callback completes it.
func testBrowserFlowWrongState(t *testing.T, em *emulatortest.Server) {
	var page, forged pageSeen
	var stderr syncBuffer
	port := freePort(t)
	stub := &browser.Stub{Open: func(u string) error {
		// Someone else's page fires a callback with its own state and code first.
		bad := "http://localhost:" + strconv.Itoa(port) + CallbackPath + "?code=aPrx.attacker-code&state=forged-state"
		if err := forged.follow(bad); err != nil {
			return err
		}
		// A callback with no state at all is ignored the same way.
		if err := forged.follow("http://localhost:" + strconv.Itoa(port) + CallbackPath + "?error=access_denied"); err != nil {
			return err
		}
		return page.follow(u)
	}}
	fl := &BrowserFlow{LoginURL: em.URL, ClientID: emulatortest.ClientID, Port: port, Timeout: 30 * time.Second, Browser: stub, Stderr: &stderr}
	tok, err := fl.Run(context.Background())
	if err != nil {
		t.Fatalf("login after a forged callback: %v\nstderr: %s", err, stderr.String())
	}
	if tok.AccessToken == "" || tok.InstanceURL != em.URL {
		t.Fatalf("tokens %v", tok)
	}
	if st, body := forged.get(); st != http.StatusBadRequest || !strings.Contains(body, "does not match") {
		t.Errorf("forged callback saw %d %q", st, body)
	}
	if st, body := page.get(); st != http.StatusOK || !strings.Contains(body, "Logged in") {
		t.Errorf("real callback saw %d %q", st, body)
	}
	if strings.Contains(stderr.String(), "attacker-code") || strings.Contains(stderr.String(), "forged-state") {
		t.Errorf("stderr repeats the forged request: %s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "ignored a login callback") {
		t.Errorf("stderr does not mention the ignored callback: %s", stderr.String())
	}
}

// TestBrowserFlowForgedStateOnlyTimesOut: forged callbacks alone never end the
// login; it ends at its timeout.
func TestBrowserFlowForgedStateOnlyTimesOut(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	var forged pageSeen
	stub := &browser.Stub{Open: func(string) error {
		return forged.follow("http://127.0.0.1:" + strconv.Itoa(port) + CallbackPath + "?code=x&state=forged")
	}}
	fl := &BrowserFlow{LoginURL: "http://127.0.0.1:1", ClientID: "c", Port: port, Timeout: 1500 * time.Millisecond, Browser: stub, Stderr: io.Discard}
	_, err := fl.Run(context.Background())
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want the login timeout", err)
	}
	if st, _ := forged.get(); st != http.StatusBadRequest {
		t.Errorf("forged callback saw status %d", st)
	}
}

func TestBrowserFlowPortInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	stub := &browser.Stub{}
	fl := &BrowserFlow{LoginURL: "https://login.salesforce.com", ClientID: "x", Port: port, Browser: stub, Stderr: io.Discard}
	_, err = fl.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "already in use") || !strings.Contains(err.Error(), "--port") {
		t.Fatalf("err = %v, want a message naming --port", err)
	}
	if len(stub.URLs()) != 0 {
		t.Error("the browser was opened although the callback could not listen")
	}
}

func TestBrowserFlowTimeout(t *testing.T) {
	t.Parallel()
	fl := &BrowserFlow{LoginURL: "https://login.salesforce.com", ClientID: "x", Port: freePort(t), Timeout: 100 * time.Millisecond, Browser: &browser.Stub{}, Stderr: io.Discard}
	_, err := fl.Run(context.Background())
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "--timeout") {
		t.Fatalf("err = %v, want a timeout naming --timeout", err)
	}
}

func TestBrowserFlowCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	stub := &browser.Stub{Open: func(string) error { cancel(); return nil }}
	fl := &BrowserFlow{LoginURL: "https://login.salesforce.com", ClientID: "x", Port: freePort(t), Browser: stub, Stderr: io.Discard}
	if _, err := fl.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestBrowserFlowTokenEndpointError checks that Salesforce's error_description
// reaches the user, and nothing else of the response does.
func TestBrowserFlowTokenEndpointError(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/services/oauth2/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code=c0de&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	mux.HandleFunc("/services/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		_, _ = io.WriteString(w, `{"error":"invalid_grant","error_description":"authentication failure","leak":"00DSECRETBODY"}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	var page pageSeen
	fl := &BrowserFlow{LoginURL: srv.URL, ClientID: "x", Port: freePort(t), Timeout: 30 * time.Second, Browser: &browser.Stub{Open: page.follow}, Stderr: io.Discard}
	_, err := fl.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "authentication failure (invalid_grant)") {
		t.Fatalf("err = %v, want Salesforce's error_description", err)
	}
	if strings.Contains(err.Error(), "00DSECRETBODY") {
		t.Error("the error quotes the response body")
	}
	if st, body := page.get(); st != 400 || !strings.Contains(body, "authentication failure") {
		t.Errorf("browser saw %d %q", st, body)
	}
}
