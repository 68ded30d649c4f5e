package mcpserver

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// gate stands between the server and the org: it holds every query request
// until released, and tells when one arrives and when its caller gave up.
type gate struct {
	*httptest.Server
	arrived chan struct{}
	aborted chan struct{}
	release chan struct{}
}

func newGate(t *testing.T, org string) *gate {
	t.Helper()
	u, _ := url.Parse(org)
	g := &gate{arrived: make(chan struct{}, 16), aborted: make(chan struct{}, 16), release: make(chan struct{})}
	proxy := httputil.NewSingleHostReverseProxy(u)
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/query") {
			g.arrived <- struct{}{}
			select {
			case <-g.release:
			case <-r.Context().Done():
				g.aborted <- struct{}{}
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(g.Close)
	return g
}

func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatalf("no %s", what)
	}
}

// TestCancelledOnlyByItsCaller: over stateless HTTP, a notifications/cancelled
// reaches the calls of the caller who sent it and of no one else, whether
// mcp-go or the fast path answers the call. Before, mcp-go's table of calls
// (keyed by session, which stateless requests lack, and id) let any client
// cancel any client's call of the same id, and fast-path calls could not be
// cancelled at all.
func TestCancelledOnlyByItsCaller(t *testing.T) {
	for _, fast := range []bool{false, true} {
		t.Run(map[bool]string{false: "mcp-go", true: "fast path"}[fast], func(t *testing.T) {
			em := emulatortest.New(t)
			g := newGate(t, em.URL)
			var fc *FastCalls
			if fast {
				fc = NewFastCalls()
			}
			base := startHTTPFast(t, fc, nil, HTTPOptions{Mode: AuthHeaders, ClientID: emulatortest.ClientID,
				Instances: InstancePolicy{Allowed: []string{hostOf(g.URL)}}})
			srv := &httpServer{URL: base}
			user := func(token string) map[string]string {
				return map[string]string{"Authorization": "Bearer " + token, "X-SF-Instance-Url": g.URL}
			}
			alice, mallory := user(em.Token.AccessToken), user("00Dmade!up")
			call := func(id string) string {
				return `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"salesforce_query","arguments":{"soql":"SELECT Id FROM Account LIMIT 1"}}}`
			}
			cancel := func(id string) string {
				return `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":` + id + `,"reason":"test"}}`
			}

			// Another caller names Alice's call: nothing happens to it.
			replies := make(chan rpcReply, 1)
			go func() { replies <- srv.post(t, alice, call("7")) }()
			wait(t, g.arrived, "query upstream")
			for _, c := range []string{cancel("7"), cancel("7.0"), strings.Replace(cancel("7"), "cancelled", `cancell\u0065d`, 1)} {
				if r := srv.post(t, mallory, c); r.status != http.StatusAccepted {
					t.Fatalf("cancellation: HTTP %d %s", r.status, r.body)
				}
			}
			close(g.release)
			r := <-replies
			if isErr, sc := r.result(t); isErr || r.status != 200 {
				t.Fatalf("Alice's call after another caller's cancellation: HTTP %d %v", r.status, sc)
			}
			select {
			case <-g.aborted:
				t.Fatal("another caller's cancellation aborted Alice's request to Salesforce")
			default:
			}

			// Alice cancels her own call, naming it as 9.0 (the value of 9):
			// its request to Salesforce is abandoned.
			g.release = make(chan struct{})
			defer close(g.release)
			go func() { replies <- srv.post(t, alice, call("9")) }()
			wait(t, g.arrived, "query upstream")
			if r := srv.post(t, alice, cancel("9.0")); r.status != http.StatusAccepted {
				t.Fatalf("own cancellation: HTTP %d %s", r.status, r.body)
			}
			wait(t, g.aborted, "abandoned request after Alice's own cancellation")
			<-replies
		})
	}
}

func TestIDValue(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{`1`, `1`, true},
		{`1`, `1.0`, true},
		{`1`, `1e0`, true},
		{`0`, `-0`, true},
		{`"x"`, `"\u0078"`, true},
		{`1`, `"1"`, false},
		{`1`, `2`, false},
		{`12345678901234567890`, `12345678901234567891`, false},
		{`"a"`, `"b"`, false},
	} {
		a, okA := idValue([]byte(tc.a))
		b, okB := idValue([]byte(tc.b))
		if !okA || !okB || (a == b) != tc.same {
			t.Errorf("%s vs %s: %q %q (%v %v), want same=%v", tc.a, tc.b, a, b, okA, okB, tc.same)
		}
	}
	for _, bad := range []string{`null`, `{}`, `[1]`, `tru`} {
		if _, ok := idValue([]byte(bad)); ok {
			t.Errorf("idValue(%s) accepted", bad)
		}
	}
}

// TestLogLevelPerCaller: over stateless HTTP, logging/setLevel sets the level
// of the caller who sent it, for that caller's later calls. Before, mcp-go
// kept the level with the request's ephemeral session, so it was forgotten at
// once (no caller ever got the warnings it asked for), and the fast path,
// unable to tell, turned itself off for every caller once any asked.
func TestLogLevelPerCaller(t *testing.T) {
	for _, fast := range []bool{false, true} {
		t.Run(map[bool]string{false: "mcp-go", true: "fast path"}[fast], func(t *testing.T) {
			em := emulatortest.New(t)
			var fc *FastCalls
			if fast {
				fc = NewFastCalls()
			}
			srv := &httpServer{URL: startHTTPFast(t, fc, nil, HTTPOptions{Mode: AuthHeaders, ClientID: emulatortest.ClientID,
				Instances: InstancePolicy{Allowed: []string{hostOf(em.URL)}}})}
			user := func(token string) map[string]string {
				return map[string]string{"Authorization": "Bearer " + token, "X-SF-Instance-Url": em.URL}
			}
			alice, bob := user(em.Token.AccessToken), user("00Dother!token")
			setLevel := func(h map[string]string, level string) rpcReply {
				return srv.post(t, h, `{"jsonrpc":"2.0","id":"lv","method":"logging/setLevel","params":{"level":"`+level+`"}}`)
			}
			failing := toolCall("salesforce_query", map[string]any{"soql": "SELECT Nope FROM Account"})
			logged := func(r rpcReply) bool { return strings.Contains(string(r.body), `"notifications/message"`) }

			if r := setLevel(bob, "debug"); r.status != 200 || r.msg.Error != nil || string(r.msg.Result) != "{}" {
				t.Fatalf("setLevel: HTTP %d %s", r.status, r.body)
			}
			if r := srv.post(t, alice, failing); logged(r) {
				t.Fatalf("Alice got a log message at another caller's level: %s", r.body)
			} else if isErr, _ := r.result(t); !isErr {
				t.Fatalf("the failing call succeeded: %s", r.body)
			}
			if r := srv.post(t, bob, failing); !logged(r) {
				t.Errorf("Bob asked for debug and got no log message: %s", r.body)
			}
			if r := setLevel(alice, "warning"); r.status != 200 || r.msg.Error != nil {
				t.Fatalf("setLevel: HTTP %d %s", r.status, r.body)
			}
			if r := srv.post(t, alice, failing); !logged(r) || !strings.Contains(string(r.body), `"level":"warning"`) {
				t.Errorf("Alice asked for warnings and got none: %s", r.body)
			}
			if r := setLevel(bob, "error"); r.status != 200 || r.msg.Error != nil {
				t.Fatalf("setLevel: HTTP %d %s", r.status, r.body)
			}
			if r := srv.post(t, bob, failing); logged(r) {
				t.Errorf("Bob asked for errors only and got a warning: %s", r.body)
			}
			if r := setLevel(alice, "loud"); r.msg.Error == nil || r.msg.Error.Code != -32602 || r.msg.Error.Message != "invalid logging level 'loud'" {
				t.Errorf("invalid level: HTTP %d %s", r.status, r.body)
			}
		})
	}
}
