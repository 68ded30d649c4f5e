// Package emulatortest starts an in-memory emulator on a loopback port for a
// test, with a token ready to use, and stops it when the test ends.
package emulatortest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator"
)

// ClientID is the client id the test token is issued to: a connected app
// that every test emulator registers (see TestApp).
const ClientID = "sfmcp-test-client"

// TestApp is the connected app of ClientID: a public client whose loopback
// callbacks take any port, for the login flows (/OAuthRedirect) and the
// OAuth proxy (/auth/callback) that tests start on free ports.
func TestApp() emulator.ConnectedApp {
	return emulator.ConnectedApp{ClientID: ClientID, Callbacks: []string{
		"http://localhost:*/OAuthRedirect", "http://127.0.0.1:*/OAuthRedirect",
		"http://localhost:*/auth/callback", "http://127.0.0.1:*/auth/callback",
	}}
}

// templates caches, per schema config and sample setting, a fresh org to
// copy: building the sample org under the race detector takes seconds.
var templates sync.Map // templateKey → *emulator.Template

type templateKey struct {
	schema   string
	noSample bool
}

// Server is a running emulator.
type Server struct {
	*emulator.Emulator
	// URL is both the instance URL and the login URL.
	URL string
	// Token is a fresh admin session with a refresh token.
	Token *emulator.Token
}

// New starts an emulator; opts adjust its options before it opens.
func New(t testing.TB, opts ...func(*emulator.Options)) *Server {
	t.Helper()
	o := emulator.Options{Apps: []emulator.ConnectedApp{TestApp()}}
	for _, fn := range opts {
		fn(&o)
	}
	ctx := context.Background()
	// Every org with the same schema starts identical, so build each kind
	// once per test binary and start the others as copies of it.
	key := templateKey{string(o.SchemaConfig), o.NoSampleData}
	if tpl, ok := templates.Load(key); ok && o.DataPath == "" {
		o.Template = tpl.(*emulator.Template)
	}
	em, err := emulator.New(ctx, o)
	if err != nil {
		t.Fatalf("emulator: %v", err)
	}
	if o.Template == nil && o.DataPath == "" {
		if tpl, err := em.Template(ctx); err == nil {
			templates.LoadOrStore(key, tpl)
		}
	}
	ts := httptest.NewServer(em.Handler())
	em.SetBaseURL(ts.URL)
	t.Cleanup(func() {
		ts.Close()
		em.Close()
	})
	tok, err := em.IssueToken(ctx, ClientID)
	if err != nil {
		t.Fatalf("emulator token: %v", err)
	}
	return &Server{Emulator: em, URL: ts.URL, Token: tok}
}

// Admin calls one of the emulator's admin levers (see emulator.handleAdmin).
func (s *Server) Admin(t testing.TB, method, lever string, body any) {
	t.Helper()
	var buf bytes.Buffer
	if body != nil {
		if err := json.NewEncoder(&buf).Encode(body); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, s.URL+"/__emulator/"+lever, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json") // the levers refuse other POSTs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("emulator admin %s: %v", lever, err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("emulator admin %s: %s", lever, resp.Status)
	}
}

// AddFault injects a fault through the admin API.
func (s *Server) AddFault(t testing.TB, f emulator.Fault) { s.Admin(t, http.MethodPost, "faults", f) }

// FaultsServed asks the emulator, through the admin API, what injected
// faults have done so far (counts by kind: "429", "drop", "truncate", ...).
func (s *Server) FaultsServed(t testing.TB) emulator.FaultsServed {
	t.Helper()
	resp, err := http.Get(s.URL + "/__emulator/faults")
	if err != nil {
		t.Fatalf("emulator admin faults: %v", err)
	}
	defer resp.Body.Close()
	var out emulator.FaultsServed
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("emulator admin faults: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("emulator admin faults: %v", err)
	}
	return out
}

// ExpireSessions expires every access token issued so far.
func (s *Server) ExpireSessions(t testing.TB) { s.Admin(t, http.MethodPost, "expire-sessions", nil) }

// Do sends an authenticated request to path on the emulator and returns the
// status and body.
func (s *Server) Do(t testing.TB, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd bytes.Buffer
	switch b := body.(type) {
	case nil:
	case string:
		rd.WriteString(b)
	case []byte:
		rd.Write(b)
	default:
		if err := json.NewEncoder(&rd).Encode(b); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, s.URL+path, &rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Token.AccessToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	if _, err := out.ReadFrom(resp.Body); err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, out.Bytes()
}

// String makes a Server print as its URL.
func (s *Server) String() string { return fmt.Sprintf("emulator at %s", s.URL) }
