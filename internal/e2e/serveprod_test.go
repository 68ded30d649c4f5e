package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// callTool posts one tools/call to a stateless sfmcp and returns the HTTP
// status, the result's text and whether it is an isError result.
func callTool(t *testing.T, base, token, name string, args map[string]any) (status int, text string, isError bool, h http.Header) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": map[string]any{"name": name, "arguments": args}})
	req, _ := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return resp.StatusCode, string(raw), false, resp.Header
	}
	var rpc struct {
		Result struct {
			Content []struct{ Text string } `json:"content"`
			IsError bool                    `json:"isError"`
		} `json:"result"`
	}
	if err := json.Unmarshal(raw, &rpc); err != nil || len(rpc.Result.Content) == 0 {
		t.Fatalf("tools/call %s: %v\n%s", name, err, raw)
	}
	return resp.StatusCode, rpc.Result.Content[0].Text, rpc.Result.IsError, resp.Header
}

// scrape returns the metrics page.
func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d\n%s", url, resp.StatusCode, b)
	}
	return string(b)
}

// TestServeMetricsAndAuditLog calls tools over HTTP and reads what an
// operator sees: Prometheus counters of the calls and of the Salesforce
// requests behind them, the org's usage, and one audit line per call with
// argument names and sizes but no values and no token.
func TestServeMetricsAndAuditLog(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	env := append(baseEnv(t), "OAUTH_MODE=bearer", "SALESFORCE_INSTANCE_URL="+em.URL, "SFMCP_ALLOWED_INSTANCE_HOSTS="+emulatorHost(em))
	base := startServeHTTP(t, env, "--metrics-addr", metricsAddr, "--audit-log", audit)

	soql := "SELECT Id, Name FROM Account WHERE Name = 'secret-value-xyz' LIMIT 1"
	if st, text, isErr, _ := callTool(t, base, em.Token.AccessToken, "salesforce_query", map[string]any{"soql": soql}); st != 200 || isErr {
		t.Fatalf("query: %d %s", st, text)
	}
	if _, text, isErr, _ := callTool(t, base, em.Token.AccessToken, "salesforce_query", map[string]any{"soql": "SELECT Nope FROM Account"}); !isErr {
		t.Fatalf("bad query succeeded: %s", text)
	}
	callTool(t, base, em.Token.AccessToken, "salesforce_list_objects", nil)

	m := scrape(t, "http://"+metricsAddr+"/metrics")
	for _, want := range []string{
		`sfmcp_tool_calls_total{outcome="ok",tool="salesforce_query"} 1`,
		`sfmcp_tool_calls_total{outcome="INVALID_FIELD",tool="salesforce_query"} 1`,
		`sfmcp_tool_calls_total{outcome="ok",tool="salesforce_list_objects"} 1`,
		`sfmcp_tool_call_duration_seconds_count{tool="salesforce_query"} 2`,
		`sfmcp_tool_calls_in_flight 0`,
		`sfmcp_salesforce_requests_total{error_code="",method="GET",status="200"}`,
		`sfmcp_salesforce_requests_total{error_code="INVALID_FIELD",method="GET",status="400"} 1`,
		`sfmcp_token_validations_total{result="ok"} 1`,
		`sfmcp_token_validations_total{result="cache_hit"} 2`,
		`sfmcp_salesforce_api_limit{instance="` + em.URL + `"} 15000`,
		`sfmcp_salesforce_api_usage{instance="` + em.URL + `"}`,
		`process_cpu_seconds_total`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// serve paces its collector, as the environment set no GOGC
	// (baseEnv): above Go's default while its live heap is small.
	if g := regexp.MustCompile(`(?m)^go_gc_gogc_percent (\d+)$`).FindStringSubmatch(m); g == nil {
		t.Error("metrics lack go_gc_gogc_percent")
	} else if pct, _ := strconv.Atoi(g[1]); pct <= 100 || pct > 400 {
		t.Errorf("go_gc_gogc_percent %d: want serve's pacing, above 100 and at most 400", pct)
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", grepLines(m, "sfmcp_"))
	}

	b, err := os.ReadFile(audit)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 {
		t.Fatalf("audit log has %d lines, want 3:\n%s", len(lines), b)
	}
	if strings.Contains(string(b), "secret-value-xyz") || strings.Contains(string(b), em.Token.AccessToken) {
		t.Errorf("the audit log holds an argument value or the token:\n%s", b)
	}
	var rec jsonAudit
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	argJSON, _ := json.Marshal(soql)
	if rec.Tool != "salesforce_query" || rec.Outcome != "ok" || rec.CorrelationID == "" || rec.Time == "" ||
		rec.OrgID == "" || rec.UserID == "" || rec.SalesforceRequests != 1 || rec.DurationMS <= 0 ||
		len(rec.Arguments) != 1 || rec.Arguments[0].Name != "soql" || rec.Arguments[0].Bytes != len(argJSON) {
		t.Errorf("first audit line: %+v\n%s", rec, lines[0])
	}
	if !strings.Contains(lines[1], `"outcome":"error","error_code":"INVALID_FIELD"`) {
		t.Errorf("second audit line: %s", lines[1])
	}
}

// jsonAudit maps the audit line's snake_case keys.
type jsonAudit struct {
	Time          string `json:"time"`
	CorrelationID string `json:"correlation_id"`
	UserID        string `json:"user_id"`
	OrgID         string `json:"org_id"`
	Tool          string `json:"tool"`
	Outcome       string `json:"outcome"`
	ErrorCode     string `json:"error_code"`
	Arguments     []struct {
		Name  string `json:"name"`
		Bytes int    `json:"bytes"`
	} `json:"arguments"`
	DurationMS         float64 `json:"duration_ms"`
	SalesforceRequests int     `json:"salesforce_requests"`
}

func grepLines(s, prefix string) string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), prefix) {
			out = append(out, sc.Text())
		}
	}
	return strings.Join(out, "\n")
}

// TestServeRefusesBadTelemetrySettings: a metrics address in use, or an
// audit log that cannot be written, stops serve at start with a clear
// error and a non-zero exit, before it serves anything.
func TestServeRefusesBadTelemetrySettings(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	env := append(orgEnv(t, em), "SFMCP_ALLOWED_INSTANCE_HOSTS="+emulatorHost(em))
	port := fmt.Sprint(freePort(t))
	fails(t, env, 1, "--metrics-addr "+busy.Addr().String()+": listen tcp "+busy.Addr().String()+": bind: address already in use",
		"serve", "--transport", "http", "--port", port, "--metrics-addr", busy.Addr().String())

	// A path below a regular file cannot be opened by anyone, root included.
	plain := filepath.Join(t.TempDir(), "plain")
	if err := os.WriteFile(plain, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	unwritable := filepath.Join(plain, "audit.jsonl")
	fails(t, env, 1, "--audit-log "+unwritable+": cannot open it for appending: open "+unwritable+": not a directory",
		"serve", "--transport", "http", "--port", port, "--audit-log", unwritable)
	fails(t, env, 1, "--audit-log "+unwritable,
		"serve", "--transport", "stdio", "--audit-log", unwritable)
}

// TestAPIBudget runs an emulator org whose daily limit is 40 requests with
// a budget of 50%: calls work until Sforce-Limit-Info reports 20 used, then
// are refused with API_BUDGET_EXCEEDED naming usage and limit (CLI and MCP
// alike), while limits still answers. Past the limit itself the emulator
// answers REQUEST_LIMIT_EXCEEDED.
func TestAPIBudget(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t, func(o *emulator.Options) { o.APILimit = 40; o.PageSize = 10 })
	env := orgEnv(t, em)
	// 250 accounts in pages of 10: one request per page. The 20th page
	// reports api-usage=20/40, 50%, so the 21st page is refused.
	r := fails(t, env, 1, "API_BUDGET_EXCEEDED", "--api-budget", "50", "query", "--csv", "SELECT Id FROM Account")
	if !strings.Contains(r.err, "used 20 of its 40 daily API requests") {
		t.Errorf("the refusal does not name usage and limit: %s", r.err)
	}
	if rows := strings.Count(r.out, "\n"); rows != 201 { // header + 20 pages
		t.Errorf("printed %d lines before the refusal, want 201", rows)
	}
	out := ok(t, append(env, "SFMCP_API_BUDGET=50"), "limits", "--json")
	if !strings.Contains(out, "DailyApiRequests") {
		t.Errorf("limits: %s", out)
	}

	// Over MCP: the server's process shares one tracker; after the first
	// call reports usage past the budget, the next is refused.
	srvEnv := append(baseEnv(t), "OAUTH_MODE=bearer", "SALESFORCE_INSTANCE_URL="+em.URL, "SFMCP_ALLOWED_INSTANCE_HOSTS="+emulatorHost(em))
	base := startServeHTTP(t, srvEnv, "--api-budget", "50")
	if _, text, isErr, _ := callTool(t, base, em.Token.AccessToken, "salesforce_query", map[string]any{"soql": "SELECT Id FROM Account LIMIT 1"}); isErr {
		t.Fatalf("first call (usage not known yet): %s", text)
	}
	_, text, isErr, _ := callTool(t, base, em.Token.AccessToken, "salesforce_query", map[string]any{"soql": "SELECT Id FROM Account LIMIT 1"})
	if !isErr || !strings.Contains(text, "API_BUDGET_EXCEEDED") || !strings.Contains(text, "of its 40 daily API requests") {
		t.Errorf("past the budget: %v %s", isErr, text)
	}
	if _, text, isErr, _ := callTool(t, base, em.Token.AccessToken, "salesforce_limits", nil); isErr {
		t.Errorf("limits past the budget: %s", text)
	}

	// Without a budget, the emulator itself refuses past its limit.
	noBudget := orgEnv(t, em)
	for i := 0; i < 40; i++ {
		r := run(t, noBudget, "", "query", "--json", "SELECT Id FROM Account LIMIT 1")
		if r.code != 0 {
			if !strings.Contains(r.err, "REQUEST_LIMIT_EXCEEDED") {
				t.Fatalf("past the limit: %s", r.err)
			}
			return
		}
	}
	t.Fatal("the emulator never refused past --api-limit")
}

// TestCLIWritesAreAudited: a CLI write leaves one audit line (command,
// flag and argument names with sizes, outcome, Salesforce requests); a read
// leaves none, and no value reaches the file.
func TestCLIWritesAreAudited(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	env := append(orgEnv(t, em), "SFMCP_AUDIT_LOG="+audit)
	ok(t, env, "query", "--json", "SELECT Id FROM Account LIMIT 1")
	ok(t, env, "record", "create", "Account", "Name=Secret Name Zyx", "--json")
	fails(t, env, 1, "INVALID_FIELD", "record", "create", "Account", "Nope__c=1", "--json")
	b, err := os.ReadFile(audit)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || strings.Contains(string(b), "Secret Name") || strings.Contains(string(b), em.Token.AccessToken) {
		t.Fatalf("audit log, want 2 lines without values:\n%s", b)
	}
	var ok1, bad jsonAudit
	_ = json.Unmarshal([]byte(lines[0]), &ok1)
	_ = json.Unmarshal([]byte(lines[1]), &bad)
	var cmd struct {
		Command string `json:"command"`
	}
	_ = json.Unmarshal([]byte(lines[0]), &cmd)
	if cmd.Command != "sfmcp record create" || ok1.Outcome != "ok" || ok1.SalesforceRequests < 1 || ok1.CorrelationID == "" ||
		len(ok1.Arguments) != 3 || ok1.Arguments[2].Name != "arg2" || ok1.Arguments[2].Bytes != len("Name=Secret Name Zyx") {
		t.Errorf("write's audit line: %s", lines[0])
	}
	if bad.Outcome != "error" || bad.ErrorCode != "INVALID_FIELD" {
		t.Errorf("failed write's audit line: %s", lines[1])
	}
}
