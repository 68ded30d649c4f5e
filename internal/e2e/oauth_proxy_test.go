package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth/store/redistest"
)

// oauthRun is what oauth-flow.mjs prints.
type oauthRun struct {
	OK     bool   `json:"ok"`
	Error  string `json:"error"`
	Steps  []map[string]any
	Tokens []struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	} `json:"tokens"`
}

func (r oauthRun) step(t *testing.T, name string) map[string]any {
	t.Helper()
	for _, s := range r.Steps {
		if s["name"] == name {
			return s
		}
	}
	t.Fatalf("no step %q in %v", name, r.Steps)
	return nil
}

// get reads a dotted path ("query.isError") of a step.
func get(m map[string]any, path string) any {
	var v any = m
	for p := range strings.SplitSeq(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

func runOAuthFlow(t *testing.T, mcpURL string, env ...string) oauthRun {
	t.Helper()
	node := nodeFor(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(mcpClientDir, "oauth-flow.mjs"), mcpURL)
	cmd.Env = append(baseEnv(t), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("oauth-flow.mjs: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	var run oauthRun
	if err := json.Unmarshal(out.Bytes(), &run); err != nil {
		t.Fatalf("oauth-flow.mjs output: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	if !run.OK {
		t.Fatalf("oauth-flow.mjs failed: %s\nsteps: %v\nstderr: %s", run.Error, run.Steps, errOut.String())
	}
	return run
}

// checkOAuthFlow checks every step of a run against a proxy whose public URL is base.
func checkOAuthFlow(t *testing.T, run oauthRun, base, authMethod string, reuseToo bool) {
	t.Helper()
	r := run.step(t, "redirected")
	if r["authorize"] != base+"/authorize" || r["pkce"] != "S256" || r["resource"] != base+"/mcp" ||
		r["auth_method"] != authMethod || r["has_secret"] != (authMethod != "none") {
		t.Errorf("discovery and registration: %v", r)
	}
	b := run.step(t, "browser")
	if b["stateOK"] != true || b["iss"] != base || b["consentNamesClient"] != true {
		t.Errorf("browser: %v", b)
	}
	trail := fmt.Sprint(b["trail"])
	for _, want := range []string{"/authorize", "/authorize/consent", "/services/oauth2/authorize", "/auth/callback"} {
		if !strings.Contains(trail, want) {
			t.Errorf("the browser never went through %s: %s", want, trail)
		}
	}
	tok := run.step(t, "token")
	if tok["token_type"] != "Bearer" || tok["has_refresh"] != true || tok["scope"] != "api refresh_token" {
		t.Errorf("token: %v", tok)
	}
	tools := run.step(t, "tools")
	if n, _ := tools["count"].(float64); n < 10 || get(tools, "query.isError") != false || get(tools, "query.rows") != float64(2) {
		t.Errorf("tools with sfmcp's token: %v", tools)
	}
	exp := run.step(t, "after-salesforce-expiry")
	if get(exp, "query.isError") != false || get(exp, "query2.isError") != false {
		t.Errorf("after Salesforce's sessions expired: %v", exp)
	}
	rv := run.step(t, "after-revoke")
	if rv["revokeStatus"] != float64(200) || get(rv, "query.isError") != false || rv["rotated"] != true {
		t.Errorf("after revoking the access token (the SDK refreshes): %v", rv)
	}
	if !reuseToo {
		return
	}
	reuse := run.step(t, "refresh-reuse")
	if reuse["status"] != float64(400) || reuse["error"] != "invalid_grant" ||
		get(reuse, "afterReuse.connected") != false || get(reuse, "afterReuse.reauthorize") != true {
		t.Errorf("reuse of a rotated refresh token: %v", reuse)
	}
	if len(run.Tokens) < 2 {
		t.Errorf("tokens saved: %d", len(run.Tokens))
	}
}

func proxyEnv(em *emulatortest.Server, base string) []string {
	return []string{"OAUTH_MODE=proxy", "BASE_URL=" + base, "SALESFORCE_LOGIN_URL=" + em.URL,
		"SALESFORCE_CLIENT_ID=" + emulatortest.ClientID, "SFMCP_ALLOWED_INSTANCE_HOSTS=" + emulatorHost(em), "LOG_LEVEL=debug"}
}

// TestOAuthProxySDKClient: one replica, memory storage, a public client, a
// PKCE-only upstream (no client secret).
func TestOAuthProxySDKClient(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	env := append(baseEnv(t), proxyEnv(em, base)...)
	startServeHTTPOnPort(t, env, port)

	// Unauthenticated /mcp: 401 pointing at the resource metadata, which names this server.
	resp, err := http.Post(base+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), base+"/.well-known/oauth-protected-resource") {
		t.Fatalf("no token: %d %v", resp.StatusCode, resp.Header)
	}
	var prm map[string]any
	getJSONURL(t, base+"/.well-known/oauth-protected-resource/mcp", &prm)
	if prm["resource"] != base+"/mcp" || fmt.Sprint(prm["authorization_servers"]) != "["+base+"]" {
		t.Errorf("protected resource metadata: %v", prm)
	}

	run := runOAuthFlow(t, base+"/mcp", "EMULATOR_URL="+em.URL)
	checkOAuthFlow(t, run, base, "none", true)
}

// TestOAuthProxyReplicasRedis: two replicas share a real redis-server behind
// one address; the browser's part of the flow lands on one and the token
// exchange and tool calls on the other. A confidential client, and a
// confidential upstream (client secret).
func TestOAuthProxyReplicasRedis(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	// A confidential upstream client: the emulator checks its secret.
	em := emulatortest.New(t, func(o *emulator.Options) {
		app := emulatortest.TestApp()
		app.ClientSecret = "the-connected-app-secret"
		o.Apps = append(o.Apps, app)
	})
	key := make([]byte, 32)
	_, _ = rand.Read(key)

	lbPort := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", lbPort)
	env := append(baseEnv(t), proxyEnv(em, base)...)
	env = append(env, "OAUTH_STORAGE_TYPE=redis", "REDIS_URL="+rs.URL,
		"STORAGE_ENCRYPTION_KEY="+base64.StdEncoding.EncodeToString(key), "SALESFORCE_CLIENT_SECRET=the-connected-app-secret")
	a := startServeHTTPOnPort(t, env, freePort(t))
	b := startServeHTTPOnPort(t, env, freePort(t))

	// The "load balancer": the browser's steps go to a, the rest to b.
	lb := newSplitBalancer(t, a, b, lbPort)
	run := runOAuthFlow(t, base+"/mcp", "EMULATOR_URL="+em.URL, "AUTH_METHOD=client_secret_basic")
	checkOAuthFlow(t, run, base, "client_secret_basic", true)
	for _, p := range []string{"/authorize", "/auth/callback"} {
		if lb.count(a, p) == 0 || lb.count(b, p) != 0 {
			t.Errorf("%s: replica a %d, b %d", p, lb.count(a, p), lb.count(b, p))
		}
	}
	for _, p := range []string{"/token", "/mcp", "/register"} {
		if lb.count(b, p) == 0 || lb.count(a, p) != 0 {
			t.Errorf("%s: replica a %d, b %d", p, lb.count(a, p), lb.count(b, p))
		}
	}

	// The other way round: the browser on b, tokens and tools on a. This
	// login is left alive for the look at Redis below.
	lb.swap()
	run2 := runOAuthFlow(t, base+"/mcp", "EMULATOR_URL="+em.URL, "SKIP_REUSE=1")
	checkOAuthFlow(t, run2, base, "none", false)

	// Nothing in Redis is a token in clear: neither Salesforce's nor sfmcp's.
	rc := redis.NewClient(&redis.Options{Addr: rs.Addr})
	defer rc.Close()
	ctx := context.Background()
	keys, err := rc.Keys(ctx, "*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("redis keys: %v %v", keys, err)
	}
	var secrets []string
	for _, r := range append(run.Tokens, run2.Tokens...) {
		secrets = append(secrets, r.AccessToken, r.RefreshToken)
	}
	grants := 0
	for _, k := range keys {
		v, err := rc.Get(ctx, k).Result()
		if err != nil {
			continue // a counter or a key that just expired
		}
		for _, s := range secrets {
			if s != "" && (strings.Contains(k, s) || strings.Contains(v, s)) {
				t.Errorf("an sfmcp token in clear at %s", k)
			}
		}
		// Salesforce's tokens: access "00D...!AQ...", refresh "5Aep861...".
		if strings.Contains(v, "!AQ") || strings.Contains(v, "5Aep861") || strings.Contains(v, "access_token") {
			t.Errorf("a Salesforce token in clear at %s: %.80s", k, v)
		}
		if strings.HasPrefix(k, "sfmcp:oauth:grant:") {
			grants++
			if !strings.HasPrefix(v, "s1.") {
				t.Errorf("grant %s is not sealed: %.20s", k, v)
			}
		}
		if ttl := rc.PTTL(ctx, k).Val(); ttl < 0 {
			t.Errorf("%s has no time to live", k)
		}
	}
	if grants == 0 {
		t.Errorf("no grant in redis: %v", keys)
	}

	// Redis goes away: 503 with a clear message, from every endpoint that needs it.
	rs.Stop()
	time.Sleep(100 * time.Millisecond)
	for _, c := range []struct{ method, path, body, ctype string }{
		{"POST", "/mcp", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, "application/json"},
		{"POST", "/register", `{"redirect_uris":["http://127.0.0.1:1/cb"]}`, "application/json"},
		{"POST", "/token", "grant_type=refresh_token&refresh_token=x&client_id=y", "application/x-www-form-urlencoded"},
	} {
		req, _ := http.NewRequest(c.method, a+c.path, strings.NewReader(c.body))
		req.Header.Set("Content-Type", c.ctype)
		req.Header.Set("Authorization", "Bearer sfmcp_at_whatever")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 503 || body["error"] != "temporarily_unavailable" || !strings.Contains(fmt.Sprint(body["error_description"]), "unavailable") {
			t.Errorf("%s with redis down: %d %v", c.path, resp.StatusCode, body)
		}
	}
}

// TestOAuthProxyRefusesToStart: redis without a key, or an unreachable redis.
func TestOAuthProxyRefusesToStart(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	for name, c := range map[string]struct {
		env  []string
		want string
	}{
		"no key":    {[]string{"OAUTH_STORAGE_TYPE=redis", "REDIS_URL=redis://127.0.0.1:1"}, "needs STORAGE_ENCRYPTION_KEY"},
		"bad key":   {[]string{"OAUTH_STORAGE_TYPE=memory", "STORAGE_ENCRYPTION_KEY=short"}, "STORAGE_ENCRYPTION_KEY"},
		"no redis":  {[]string{"OAUTH_STORAGE_TYPE=redis", "REDIS_URL=redis://127.0.0.1:1", "STORAGE_ENCRYPTION_KEY=cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="}, "unavailable"},
		"no client": {[]string{"SALESFORCE_CLIENT_ID="}, "SALESFORCE_CLIENT_ID"},
		"bad store": {[]string{"OAUTH_STORAGE_TYPE=disk"}, "want memory or redis"},
	} {
		env := append(append(baseEnv(t), proxyEnv(em, "http://127.0.0.1:1")...), c.env...)
		res := run(t, env, "", "serve", "--transport", "http", "--port", "0")
		if res.code == 0 || !strings.Contains(res.err, c.want) {
			t.Errorf("%s: exit %d, stderr %s", name, res.code, res.err)
		}
	}
}

func getJSONURL(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", u, err)
	}
}

// startServeHTTPOnPort runs `sfmcp serve --transport http` on a chosen port
// (the proxy's BASE_URL must be known before it starts), waits for /healthz,
// and when the test ends stops it and checks no token reached its log.
func startServeHTTPOnPort(t *testing.T, env []string, port int, args ...string) string {
	t.Helper()
	return startServeProc(t, env, port, args...).base
}

// serveProc is a running `sfmcp serve --transport http`.
type serveProc struct {
	base   string
	cmd    *exec.Cmd
	killed atomic.Bool
}

// kill ends the server with SIGKILL, as a crash or an OOM kill would, and
// waits for it to be gone.
func (p *serveProc) kill(t *testing.T) {
	t.Helper()
	p.killed.Store(true)
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
}

// startServeProc runs serve on port and waits for /healthz; at the end of
// the test it is stopped with SIGINT and must exit cleanly, log no token,
// unless it was killed.
func startServeProc(t *testing.T, env []string, port int, args ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--transport", "http", "--port", fmt.Sprint(port)}, args...)...)
	cmd.Env = env
	var errOut syncBuffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProc{base: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		if !p.killed.Load() {
			_ = cmd.Process.Signal(os.Interrupt)
		}
		select {
		case err := <-done:
			if err != nil && !p.killed.Load() {
				t.Errorf("serve did not shut down cleanly: %v\n%s", err, errOut.String())
			}
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("serve ignored SIGINT")
		}
		if strings.Contains(errOut.String(), "sfmcp_at_") || strings.Contains(errOut.String(), "sfmcp_rt_") || strings.Contains(errOut.String(), "!AQ") {
			t.Errorf("a token reached the server's log:\n%s", errOut.String())
		}
	})
	for i := 0; ; i++ {
		resp, err := http.Get(p.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if i > 400 {
			t.Fatalf("serve never answered /healthz: %v\n%s", err, errOut.String())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer a process writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
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

// splitBalancer stands at one address in front of two replicas: the
// browser's endpoints go to one, everything else to the other.
type splitBalancer struct {
	mu             sync.Mutex
	browser, other string
	counts         map[string]int // replica + path → requests
}

func newSplitBalancer(t *testing.T, browser, other string, port int) *splitBalancer {
	t.Helper()
	lb := &splitBalancer{browser: browser, other: other, counts: map[string]int{}}
	proxies := map[string]*httputil.ReverseProxy{}
	for _, r := range []string{browser, other} {
		u, _ := url.Parse(r)
		proxies[r] = httputil.NewSingleHostReverseProxy(u)
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lb.mu.Lock()
		target := lb.other
		if strings.HasPrefix(r.URL.Path, "/authorize") || r.URL.Path == "/auth/callback" {
			target = lb.browser
		}
		lb.counts[target+r.URL.Path]++
		lb.mu.Unlock()
		proxies[target].ServeHTTP(w, r)
	})}}
	srv.Start()
	t.Cleanup(srv.Close)
	return lb
}

func (lb *splitBalancer) count(replica, path string) int {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	return lb.counts[replica+path]
}

func (lb *splitBalancer) swap() {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.browser, lb.other = lb.other, lb.browser
}
