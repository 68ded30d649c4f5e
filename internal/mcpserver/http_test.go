package mcpserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth/store"
	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth/store/redistest"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// countingProxy stands in front of an emulator and counts requests by path.
type countingProxy struct {
	URL   string
	mu    sync.Mutex
	paths map[string]int
	total atomic.Int64
}

func newCountingProxy(t *testing.T, target string) *countingProxy {
	t.Helper()
	u, _ := url.Parse(target)
	p := &countingProxy{paths: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.total.Add(1)
		p.mu.Lock()
		p.paths[r.URL.Path]++
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	p.URL = ts.URL
	return p
}

func (p *countingProxy) count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paths[path]
}

type httpServer struct {
	URL string
}

// startHTTP serves all tools over HTTP on a loopback port.
func startHTTP(t *testing.T, o HTTPOptions) *httpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(Options{Version: "test", Tools: allTools(t), Client: ClientFromContext})
	h, err := HTTPHandler(s, ln.Addr().String(), o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeHTTP(ctx, ln, h, 5*time.Second, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return &httpServer{URL: "http://" + ln.Addr().String()}
}

type rpcReply struct {
	status int
	header http.Header
	body   []byte
	msg    struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
}

func (s *httpServer) post(t *testing.T, headers map[string]string, body string) rpcReply {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/mcp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := rpcReply{status: resp.StatusCode, header: resp.Header}
	r.body, _ = io.ReadAll(resp.Body)
	data := r.body
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		sc := bufio.NewScanner(bytes.NewReader(r.body))
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				data = []byte(d)
			}
		}
	}
	_ = json.Unmarshal(data, &r.msg)
	return r
}

func toolCall(name string, args any) string {
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call",
		"params": map[string]any{"name": name, "arguments": args}})
	return string(b)
}

const toolsList = `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`

// result decodes a tools/call result, failing on protocol errors.
func (r rpcReply) result(t *testing.T) (isError bool, sc map[string]any) {
	t.Helper()
	if r.status != 200 || r.msg.Error != nil {
		t.Fatalf("HTTP %d %s", r.status, r.body)
	}
	var res struct {
		IsError           bool           `json:"isError"`
		StructuredContent map[string]any `json:"structuredContent"`
		Content           []struct {
			Text string `json:"text"`
		} `json:"content"`
	}
	if err := json.Unmarshal(r.msg.Result, &res); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	if res.IsError && len(res.Content) > 0 {
		txt := res.Content[0].Text
		_ = json.Unmarshal([]byte(txt[strings.LastIndexByte(txt, '\n')+1:]), &res.StructuredContent)
	}
	if res.StructuredContent["correlation_id"] == nil {
		t.Errorf("no correlation_id: %s", r.body)
	}
	return res.IsError, res.StructuredContent
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

func hostOf(u string) string { p, _ := url.Parse(u); return p.Host }

func TestBearerAuth(t *testing.T) {
	em := emulatortest.New(t)
	proxy := newCountingProxy(t, em.URL)
	// Tokens are validated through the proxy; the org's own URL (from
	// userinfo) is the emulator's, so both are allowed.
	srv := startHTTP(t, HTTPOptions{Mode: AuthBearer, LoginURL: proxy.URL,
		Instances: InstancePolicy{Allowed: []string{hostOf(proxy.URL), hostOf(em.URL)}}})

	// No token: 401 pointing at the resource metadata, which is served.
	r := srv.post(t, nil, toolsList)
	wa := r.header.Get("WWW-Authenticate")
	if r.status != 401 || !strings.Contains(wa, `resource_metadata="`+srv.URL+`/.well-known/oauth-protected-resource"`) {
		t.Fatalf("no token: %d %q %s", r.status, wa, r.body)
	}
	resp, err := http.Get(srv.URL + "/.well-known/oauth-protected-resource")
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&meta)
	resp.Body.Close()
	if meta["resource"] != srv.URL+"/mcp" || meta["authorization_servers"] == nil {
		t.Errorf("metadata: %v", meta)
	}
	// A bad token: 401, and nothing served.
	r = srv.post(t, bearer("00Dbogus!token"), toolsList)
	if r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("bad token: %d %v %s", r.status, r.header, r.body)
	}
	if strings.Contains(string(r.body), "00Dbogus") {
		t.Error("the token was echoed")
	}
	// A good token: validated once at userinfo, then cached.
	before := proxy.count("/services/oauth2/userinfo")
	for range 3 {
		isErr, sc := srv.post(t, bearer(em.Token.AccessToken), toolCall("salesforce_query", map[string]any{"soql": "SELECT Id FROM Account", "max_records": 2})).result(t)
		if isErr || sc["returned"] != 2.0 {
			t.Fatalf("query: %v", sc)
		}
	}
	if n := proxy.count("/services/oauth2/userinfo") - before; n != 1 {
		t.Errorf("userinfo asked %d times for one token; want 1 (cached)", n)
	}
	// An expired session: the cached validation lets the call through, and
	// Salesforce's refusal comes back as a tool error.
	em.ExpireSessions(t)
	isErr, sc := srv.post(t, bearer(em.Token.AccessToken), toolCall("salesforce_limits", map[string]any{})).result(t)
	if !isErr || sc["error_code"] != "AUTHENTICATION_REQUIRED" {
		t.Errorf("expired session: %v", sc)
	}
}

func TestBearerExpiredTokenIs401(t *testing.T) {
	em := emulatortest.New(t)
	srv := startHTTP(t, HTTPOptions{Mode: AuthBearer, LoginURL: em.URL, ValidationTTL: time.Nanosecond,
		Instances: InstancePolicy{Allowed: []string{hostOf(em.URL)}}})
	if r := srv.post(t, bearer(em.Token.AccessToken), toolsList); r.status != 200 {
		t.Fatalf("fresh token: %d %s", r.status, r.body)
	}
	em.ExpireSessions(t)
	if r := srv.post(t, bearer(em.Token.AccessToken), toolsList); r.status != 401 {
		t.Errorf("expired token: %d %s", r.status, r.body)
	}
}

// TestInstanceOutsideAllowlist: an instance URL the policy refuses is never fetched.
func TestInstanceOutsideAllowlist(t *testing.T) {
	em := emulatortest.New(t)
	outsider := newCountingProxy(t, em.URL) // a working org, but not allowed
	srv := startHTTP(t, HTTPOptions{Mode: AuthBearer, LoginURL: em.URL, Instances: InstancePolicy{Allowed: []string{hostOf(em.URL)}}})
	for _, inst := range []string{outsider.URL, "https://evil.example.com", "http://acme.my.salesforce.com", "https://acme.my.salesforce.com.evil.com", "https://user@acme.my.salesforce.com"} {
		h := bearer(em.Token.AccessToken)
		h["X-Salesforce-Instance-URL"] = inst
		if r := srv.post(t, h, toolsList); r.status != 400 {
			t.Errorf("bearer %s: %d %s", inst, r.status, r.body)
		}
	}
	hsrv := startHTTP(t, HTTPOptions{Mode: AuthHeaders, Instances: InstancePolicy{Allowed: []string{hostOf(em.URL)}}})
	h := bearer(em.Token.AccessToken)
	h["X-SF-Instance-Url"] = outsider.URL
	if r := hsrv.post(t, h, toolCall("salesforce_limits", map[string]any{})); r.status != 400 || !strings.Contains(string(r.body), "INVALID_INSTANCE_URL") {
		t.Errorf("headers: %d %s", r.status, r.body)
	}
	if n := outsider.total.Load(); n != 0 {
		t.Errorf("the refused instance got %d requests", n)
	}
}

func TestHeadersMode(t *testing.T) {
	em := emulatortest.New(t)
	srv := startHTTP(t, HTTPOptions{Mode: AuthHeaders, ClientID: emulatortest.ClientID,
		Instances: InstancePolicy{Allowed: []string{hostOf(em.URL)}}})

	r := srv.post(t, bearer(em.Token.AccessToken), toolsList) // no instance header
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Details struct {
				Reqs []map[string]any `json:"authentication_requirements"`
			} `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil || r.status != 401 || body.Error.Code != "AUTHENTICATION_REQUIRED" ||
		body.Error.Message != "Authentication required to access this resource" || len(body.Error.Details.Reqs) != 1 ||
		body.Error.Details.Reqs[0]["header_format"] != "Bearer {access_token}" {
		t.Fatalf("missing headers: %d %s", r.status, r.body)
	}
	h := map[string]string{
		"Authorization":      "Bearer " + em.Token.AccessToken,
		"X-SF-Instance-Url":  em.URL,
		"X-SF-Refresh-Token": "Bearer " + em.Token.RefreshToken,
	}
	if isErr, sc := srv.post(t, h, toolCall("salesforce_limits", map[string]any{})).result(t); isErr {
		t.Fatalf("limits: %v", sc)
	}
	// The session expires; the refresh token renews it and the call succeeds,
	// this time and the next (the caller still sends its old access token).
	em.ExpireSessions(t)
	for range 2 {
		if isErr, sc := srv.post(t, h, toolCall("salesforce_query", map[string]any{"soql": "SELECT Id FROM Lead", "max_records": 1})).result(t); isErr {
			t.Fatalf("after expiry with a refresh token: %v", sc)
		}
	}
}

// TestTwoUsers: two users of two orgs at once; each sees only their org.
func TestTwoUsers(t *testing.T) {
	a, b := emulatortest.New(t), emulatortest.New(t)
	srv := startHTTP(t, HTTPOptions{Mode: AuthBearer, LoginURL: a.URL,
		Instances: InstancePolicy{Allowed: []string{hostOf(a.URL), hostOf(b.URL)}}})
	hdr := func(em *emulatortest.Server) map[string]string {
		h := bearer(em.Token.AccessToken)
		h["X-Salesforce-Instance-URL"] = em.URL
		return h
	}
	for name, em := range map[string]*emulatortest.Server{"Only In A": a, "Only In B": b} {
		if isErr, sc := srv.post(t, hdr(em), toolCall("salesforce_create_record", map[string]any{"sobject": "Account", "data": map[string]any{"Name": name}})).result(t); isErr {
			t.Fatal(sc)
		}
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			em, mine, theirs := a, "Only In A", "Only In B"
			if i%2 == 1 {
				em, mine, theirs = b, theirs, mine
			}
			r := srv.post(t, hdr(em), toolCall("salesforce_query", map[string]any{"soql": "SELECT Name FROM Account WHERE Name LIKE 'Only In%'"}))
			if r.status != 200 {
				t.Errorf("HTTP %d", r.status)
				return
			}
			s := string(r.body)
			if !strings.Contains(s, mine) || strings.Contains(s, theirs) {
				t.Errorf("user of %s saw %s", mine, s)
			}
		})
	}
	wg.Wait()
}

func TestBadRequestsKeepServing(t *testing.T) {
	em := emulatortest.New(t)
	srv := startHTTP(t, HTTPOptions{Mode: AuthBearer, LoginURL: em.URL, Instances: InstancePolicy{Allowed: []string{hostOf(em.URL)}}})
	h := bearer(em.Token.AccessToken)

	if r := srv.post(t, h, `{"jsonrpc":"2.0","id":1,"method":`); r.msg.Error == nil || r.msg.Error.Code != -32700 {
		t.Errorf("malformed JSON: %d %s", r.status, r.body)
	}
	if r := srv.post(t, h, toolCall("salesforce_nope", map[string]any{})); r.msg.Error == nil || !strings.Contains(r.msg.Error.Message, "salesforce_nope") {
		t.Errorf("unknown tool: %d %s", r.status, r.body)
	}
	if isErr, sc := srv.post(t, h, toolCall("salesforce_query", map[string]any{"soql": 42})).result(t); !isErr || sc["fields"].([]any)[0] != "soql" {
		t.Errorf("wrong type: %v", sc)
	}
	big := toolCall("salesforce_query", map[string]any{"soql": "SELECT Id FROM Account WHERE Name = '" + strings.Repeat("x", 2<<20) + "'"})
	if r := srv.post(t, h, big); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized: %d %.200s", r.status, r.body)
	}
	// DNS rebinding and foreign pages are refused.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/mcp", strings.NewReader(toolsList))
	req.Host = "evil.example.com"
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 403 {
		t.Errorf("foreign Host: %v %v", resp, err)
	}
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/mcp", strings.NewReader(toolsList))
	req.Header.Set("Origin", "https://evil.example.com")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 403 {
		t.Errorf("foreign Origin: %v %v", resp, err)
	}
	// Still serving.
	if isErr, sc := srv.post(t, h, toolCall("salesforce_limits", map[string]any{})).result(t); isErr {
		t.Errorf("after bad requests: %v", sc)
	}
	if resp, err := http.Get(srv.URL + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("healthz: %v %v", resp, err)
	}
}

func TestInstancePolicy(t *testing.T) {
	p := InstancePolicy{Allowed: []string{"127.0.0.1:8443", "sf.internal.example"}}
	for raw, want := range map[string]string{
		"https://acme.my.salesforce.com/":           "https://acme.my.salesforce.com",
		"https://ACME.lightning.force.com":          "https://acme.lightning.force.com",
		"https://x.sandbox.my.salesforce-setup.com": "https://x.sandbox.my.salesforce-setup.com",
		"https://acme.my.sfcrmproducts.cn":          "https://acme.my.sfcrmproducts.cn",
		"http://127.0.0.1:8443":                     "http://127.0.0.1:8443",
		"https://sf.internal.example:9443":          "https://sf.internal.example:9443",
		"http://acme.my.salesforce.com":             "",
		"https://acme.my.salesforce.com:8443":       "",
		"https://salesforce.com.evil.com":           "",
		"https://evilsalesforce.com":                "",
		"http://127.0.0.1:9999":                     "",
		"http://sf.internal.example":                "",
		"https://acme.my.salesforce.com/path":       "",
		"javascript:alert(1)":                       "",
	} {
		got, err := p.Check(raw)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("Check(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
	if m, err := ParseAuthMode("proxy"); m != AuthProxy || err != nil {
		t.Errorf("proxy: %v", err)
	}
	if m, err := ParseAuthMode(""); m != AuthBearer || err != nil {
		t.Errorf("default mode: %v %v", m, err)
	}
}

func TestClientLRU(t *testing.T) {
	em := emulatortest.New(t)
	l := newClientLRU(2)
	builds := 0
	get := func(user, tok string) *salesforce.Client {
		c, err := l.get(lruKey{user, ""}, hashToken(tok), func() (*salesforce.Client, error) { builds++; return emulatorClient(t, em), nil })
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a1 := get("a", "t1")
	if get("a", "t1") != a1 || builds != 1 {
		t.Error("same user and token: rebuilt")
	}
	if get("a", "t2") == a1 || builds != 2 {
		t.Error("a changed token kept the old client")
	}
	get("b", "t")
	get("c", "t") // evicts a
	if l.len() != 2 {
		t.Errorf("%d clients kept; max 2", l.len())
	}
	get("a", "t2")
	if builds != 5 {
		t.Errorf("%d builds; the evicted user should have been rebuilt", builds)
	}
}

// TestCursorOfAnotherOrg: a user of org B who replays org A's query cursor
// gets an INVALID_ARGUMENT result naming next_records_url, and org B sees no
// request for it (both orgs number their query locators alike).
func TestCursorOfAnotherOrg(t *testing.T) {
	a, b := emulatortest.New(t), emulatortest.New(t)
	pb := newCountingProxy(t, b.URL)
	srv := startHTTP(t, HTTPOptions{Mode: AuthBearer, LoginURL: a.URL,
		Instances: InstancePolicy{Allowed: []string{hostOf(a.URL), hostOf(pb.URL)}}})
	ha, hb := bearer(a.Token.AccessToken), bearer(b.Token.AccessToken)
	ha["X-Salesforce-Instance-URL"], hb["X-Salesforce-Instance-URL"] = a.URL, pb.URL

	isErr, sc := srv.post(t, ha, toolCall("salesforce_query", map[string]any{"soql": "SELECT Id FROM Contact ORDER BY Id", "max_records": 5})).result(t)
	cursor, _ := sc["next_records_url"].(string)
	if isErr || cursor == "" {
		t.Fatalf("query on A: %v", sc)
	}
	if isErr, sc := srv.post(t, hb, toolCall("salesforce_limits", map[string]any{})).result(t); isErr { // B's token is validated now
		t.Fatalf("limits on B: %v", sc)
	}
	before := pb.total.Load()
	isErr, sc = srv.post(t, hb, toolCall("salesforce_query_more", map[string]any{"next_records_url": cursor})).result(t)
	fields, _ := sc["fields"].([]any)
	if !isErr || sc["error_code"] != "INVALID_ARGUMENT" || len(fields) != 1 || fields[0] != "next_records_url" ||
		!strings.Contains(sc["message"].(string), "another Salesforce org") {
		t.Errorf("A's cursor on B: %v", sc)
	}
	if n := pb.total.Load() - before; n != 0 {
		t.Errorf("org B got %d requests for A's cursor", n)
	}
	// On A it continues.
	if isErr, sc := srv.post(t, ha, toolCall("salesforce_query_more", map[string]any{"next_records_url": cursor, "max_records": 5})).result(t); isErr || sc["returned"] != 5.0 {
		t.Errorf("A's cursor on A: %v", sc)
	}
}

// syncBuf is a log sink for tests.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestBearerRefusalsCachedAndLimited: one bad token sent many times costs
// one userinfo call; many random bad tokens from one address cost at most
// the per-address allowance, then 429 with Retry-After; and the refusals
// are logged as a summary, not a line each.
func TestBearerRefusalsCachedAndLimited(t *testing.T) {
	em := emulatortest.New(t)
	proxy := newCountingProxy(t, em.URL)
	var logs syncBuf
	srv := startHTTP(t, HTTPOptions{Mode: AuthBearer, LoginURL: proxy.URL, ValidationsPerMinute: 10,
		Logger:    slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Instances: InstancePolicy{Allowed: []string{hostOf(proxy.URL), hostOf(em.URL)}}})
	const userinfo = "/services/oauth2/userinfo"

	for i := range 40 {
		if r := srv.post(t, bearer("00Dbogus!sameBadToken"), toolsList); r.status != 401 {
			t.Fatalf("bad token, try %d: %d %s", i, r.status, r.body)
		}
	}
	if n := proxy.count(userinfo); n != 1 {
		t.Errorf("one bad token sent 40 times made %d userinfo calls; want 1 (refusal cached)", n)
	}

	limited := 0
	for i := range 30 {
		r := srv.post(t, bearer(fmt.Sprintf("00Dbogus!random%d", i)), toolsList)
		switch r.status {
		case 401:
		case 429:
			limited++
			if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
				t.Errorf("429 without a usable Retry-After: %q", r.header.Get("Retry-After"))
			}
		default:
			t.Fatalf("random bad token: %d %s", r.status, r.body)
		}
	}
	// The first bad token used one of the address's 10 validations.
	if n := proxy.count(userinfo); n != 10 {
		t.Errorf("30 random bad tokens from one address made %d userinfo calls in all; want 10 (the allowance)", n)
	}
	if limited != 21 {
		t.Errorf("%d of 30 random bad tokens were answered 429; want 21", limited)
	}
	if lines := strings.Count(logs.String(), "requests refused"); lines != 1 {
		t.Errorf("70 refusals logged %d summary lines at INFO; want 1:\n%s", lines, logs.String())
	}
	if strings.Contains(logs.String(), "bogus") {
		t.Errorf("a token reached the log:\n%s", logs.String())
	}
}

// TestBearerUserinfoInstanceIsChecked: in bearer mode, the instance userinfo
// reports for the token's org must pass the allowlist; a token whose org is
// "at" an address outside it is refused before anything is sent there.
func TestBearerUserinfoInstanceIsChecked(t *testing.T) {
	var elsewhere atomic.Int64
	outside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		http.Error(w, "not here", 500)
	}))
	t.Cleanup(outside.Close)
	login := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/services/oauth2/userinfo" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"sub":"s","user_id":"005000000000001AAA","organization_id":"00D000000000001AAA","preferred_username":"u@example.com","urls":{"rest":"%s/services/data/v{version}/","custom_domain":"%s"}}`, outside.URL, outside.URL)
	}))
	t.Cleanup(login.Close)
	srv := startHTTP(t, HTTPOptions{Mode: AuthBearer, LoginURL: login.URL,
		Instances: InstancePolicy{Allowed: []string{hostOf(login.URL)}}})
	r := srv.post(t, bearer("00D000000000001AAA!AQ.someToken"), toolCall("salesforce_limits", map[string]any{}))
	if r.status != 401 || !strings.Contains(string(r.body), "refused address") {
		t.Fatalf("a token whose org userinfo places outside the allowlist: %d %s", r.status, r.body)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("%d request(s) went to the refused instance", n)
	}
}

// TestBearerGuidance: a client without a token is told what to send (and
// that this server registers no OAuth clients), in WWW-Authenticate and in
// the resource metadata, instead of only being pointed at Salesforce.
func TestBearerGuidance(t *testing.T) {
	em := emulatortest.New(t)
	srv := startHTTP(t, HTTPOptions{Mode: AuthBearer, LoginURL: em.URL, Instances: InstancePolicy{Allowed: []string{hostOf(em.URL)}}})
	r := srv.post(t, nil, toolsList)
	wa := r.header.Get("WWW-Authenticate")
	if r.status != 401 || strings.Contains(wa, "error=") || !strings.Contains(wa, `error_description="send a Salesforce access token as Authorization: Bearer`) ||
		!strings.Contains(wa, "OAUTH_MODE=proxy") {
		t.Errorf("no token: %d %q", r.status, wa)
	}
	resp, err := http.Get(srv.URL + "/.well-known/oauth-protected-resource")
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&meta)
	resp.Body.Close()
	if s, _ := meta["authorization_instructions"].(string); !strings.Contains(s, "Authorization: Bearer") || !strings.Contains(s, "OAUTH_MODE=proxy") {
		t.Errorf("metadata: %v", meta)
	}
}

// TestLocalClient: on loopback, requests without a token use LocalClient
// (serve --emulator); a token, when sent, is still validated.
func TestLocalClient(t *testing.T) {
	em := emulatortest.New(t)
	srv := startHTTP(t, HTTPOptions{Mode: AuthBearer, LoginURL: em.URL, Instances: InstancePolicy{Allowed: []string{hostOf(em.URL)}},
		LocalClient: emulatorClient(t, em)})
	for _, h := range []map[string]string{nil, {"Authorization": "Bearer "}} {
		isErr, sc := srv.post(t, h, toolCall("salesforce_query", map[string]any{"soql": "SELECT Id FROM Account", "max_records": 2})).result(t)
		if isErr || sc["returned"] != 2.0 {
			t.Errorf("%v: %v %v", h, isErr, sc)
		}
	}
	if r := srv.post(t, bearer("00Dbogus!token"), toolsList); r.status != 401 {
		t.Errorf("bad token: %d %s", r.status, r.body)
	}
	s := NewServer(Options{Version: "test", Tools: allTools(t), Client: ClientFromContext})
	if _, err := HTTPHandler(s, "0.0.0.0:8000", HTTPOptions{Mode: AuthBearer, LocalClient: emulatorClient(t, em)}); err == nil {
		t.Error("a local login was lent on a public address")
	}
}

// TestBearerValidationsShared runs two replicas in front of one org that
// share a store (a real redis-server, or memory standing in for it): a token
// validated by one is not validated again by the other, nor is a refused one
// asked about twice; the store holds neither token, only hashes, with
// bounded lives. When the store goes away the replicas validate on their own.
func TestBearerValidationsShared(t *testing.T) {
	rs := redistest.Start(t)
	for _, tt := range []struct {
		name  string
		store func(t *testing.T) store.Store
	}{
		{"memory", func(*testing.T) store.Store { return store.NewMemory(nil) }},
		{"redis", func(t *testing.T) store.Store {
			st, err := OpenSharedValidations(context.Background(), rs.URL)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			em := emulatortest.New(t)
			proxy := newCountingProxy(t, em.URL)
			st := tt.store(t)
			const ttl = 90 * time.Second
			o := HTTPOptions{Mode: AuthBearer, LoginURL: proxy.URL, SharedValidations: st, ValidationTTL: ttl,
				Instances: InstancePolicy{Allowed: []string{hostOf(proxy.URL), hostOf(em.URL)}}}
			replicas := []*httpServer{startHTTP(t, o), startHTTP(t, o)}
			const userinfo = "/services/oauth2/userinfo"
			for i := range 6 {
				isErr, sc := replicas[i%2].post(t, bearer(em.Token.AccessToken), toolCall("salesforce_query", map[string]any{"soql": "SELECT Id FROM Account", "max_records": 1})).result(t)
				if isErr || sc["returned"] != 1.0 {
					t.Fatalf("call %d: %v", i, sc)
				}
			}
			if n := proxy.count(userinfo); n != 1 {
				t.Errorf("6 calls over two replicas made %d userinfo calls; want 1 (shared)", n)
			}
			for i := range 4 {
				if r := replicas[i%2].post(t, bearer("00Dbogus!sharedBad"), toolsList); r.status != 401 {
					t.Fatalf("bad token on replica %d: %d %s", i%2, r.status, r.body)
				}
			}
			if n := proxy.count(userinfo); n != 2 {
				t.Errorf("a bad token on both replicas made %d userinfo calls in all; want 2 (one for each token)", n)
			}
			if tt.name != "redis" {
				return
			}
			rc := redis.NewClient(&redis.Options{Addr: rs.Addr})
			defer rc.Close()
			ctx := context.Background()
			keys, err := rc.Keys(ctx, "sfmcp:bearer:*").Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 2 {
				t.Errorf("shared keys %v; want 2 (one validation, one refusal)", keys)
			}
			for _, k := range keys {
				v, _ := rc.Get(ctx, k).Result()
				life, _ := rc.PTTL(ctx, k).Result()
				if strings.Contains(k+v, em.Token.AccessToken) || strings.Contains(k+v, "sharedBad") {
					t.Errorf("a token is in the store: %s = %s", k, v)
				}
				if life <= 0 || life > ttl {
					t.Errorf("%s lives %v; want (0, %v]", k, life, ttl)
				}
			}

			// Without the store, a new token is still validated: by each
			// replica that sees it.
			rs.Pause(t)
			t.Cleanup(func() { rs.Resume(t) })
			other, err := em.IssueToken(ctx, emulatortest.ClientID)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				if r := replicas[i].post(t, bearer(other.AccessToken), toolsList); r.status != 200 {
					t.Fatalf("with the store paused, replica %d: %d %s", i, r.status, r.body)
				}
			}
			if n := proxy.count(userinfo); n != 4 {
				t.Errorf("with the store paused, a new token on both replicas made %d userinfo calls in all; want 4", n)
			}
		})
	}
}
