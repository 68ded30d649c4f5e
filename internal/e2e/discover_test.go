package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// guardedServeFlags: a read-only server limited to three objects, with the
// lead's phone and every email hidden.
var guardedServeFlags = []string{"--read-only", "--toolsets", "all", "--allow-objects", "Account,Lead,ApexClass", "--deny-fields", "Lead.Phone,Email"}

type discoverStep map[string]any

type discoverResult struct {
	Op     string         `json:"op"`
	Result map[string]any `json:"result"`
	Error  *struct {
		Code    float64 `json:"code"`
		Message string  `json:"message"`
	} `json:"error"`
}

// discoverPlan is the steps discover-client.mjs runs and what each must show.
func discoverPlan() ([]discoverStep, []func(t *testing.T, r discoverResult)) {
	var steps []discoverStep
	var checks []func(t *testing.T, r discoverResult)
	add := func(s discoverStep, check func(t *testing.T, r discoverResult)) {
		steps, checks = append(steps, s), append(checks, check)
	}
	okJSON := func(want ...string) func(t *testing.T, r discoverResult) {
		return func(t *testing.T, r discoverResult) {
			t.Helper()
			b, _ := json.Marshal(r.Result)
			if r.Error != nil {
				t.Errorf("%s: error %+v", r.Op, r.Error)
				return
			}
			for _, w := range want {
				if neg, ok := strings.CutPrefix(w, "!"); ok {
					if strings.Contains(string(b), neg) {
						t.Errorf("%s: shows %s: %.600s", r.Op, neg, b)
					}
				} else if !strings.Contains(string(b), w) {
					t.Errorf("%s: lacks %s: %.600s", r.Op, w, b)
				}
			}
		}
	}
	rpcError := func(code float64, msg string) func(t *testing.T, r discoverResult) {
		return func(t *testing.T, r discoverResult) {
			t.Helper()
			if r.Error == nil || r.Error.Code != code || !strings.Contains(r.Error.Message, msg) {
				t.Errorf("%s: %+v %v; want JSON-RPC error %v saying %q", r.Op, r.Error, r.Result, code, msg)
			}
		}
	}
	toolError := func(code, msg string) func(t *testing.T, r discoverResult) {
		return func(t *testing.T, r discoverResult) {
			t.Helper()
			b, _ := json.Marshal(r.Result)
			if r.Error != nil || r.Result["isError"] != true || !strings.Contains(string(b), code) || !strings.Contains(string(b), msg) {
				t.Errorf("%s: %s %+v; want an isError result %s saying %q", r.Op, b, r.Error, code, msg)
			}
		}
	}
	call := func(name string, args map[string]any) discoverStep {
		return discoverStep{"op": "callTool", "name": name, "arguments": args}
	}
	describe := map[string]any{"type": "ref/resource", "uri": "salesforce://sobjects/{name}/describe"}
	field := map[string]any{"type": "ref/resource", "uri": "salesforce://sobjects/{name}/fields/{field}"}

	// Resources and templates, under the guard.
	add(discoverStep{"op": "listResources"}, okJSON(`"uri":"salesforce://sobjects"`))
	add(discoverStep{"op": "listResourceTemplates"}, okJSON(`"uriTemplate":"salesforce://sobjects/{name}/describe"`, `"uriTemplate":"salesforce://sobjects/{name}/fields/{field}"`))
	add(discoverStep{"op": "readResource", "uri": "salesforce://sobjects"}, okJSON(`\"count\":2`, `\"name\":\"Lead\"`, `!\"name\":\"Opportunity\"`))
	add(discoverStep{"op": "readResource", "uri": "salesforce://sobjects/Lead/describe"},
		okJSON(`"uri":"salesforce://sobjects/Lead/describe"`, `\"name\":\"LastName\"`, `!\"name\":\"Phone\"`, `!\"name\":\"Email\"`))
	add(discoverStep{"op": "readResource", "uri": "salesforce://sobjects/Opportunity/describe"}, rpcError(-32602, "not allowed"))
	add(discoverStep{"op": "readResource", "uri": "salesforce://sobjects/Lead/fields/Phone"}, rpcError(-32602, "hidden"))
	// Completion of the template's arguments.
	add(discoverStep{"op": "complete", "ref": describe, "argument": map[string]any{"name": "name", "value": "Le"}}, okJSON(`"values":["Lead"]`))
	add(discoverStep{"op": "complete", "ref": describe, "argument": map[string]any{"name": "name", "value": "Opp"}}, okJSON(`"values":[]`))
	add(discoverStep{"op": "complete", "ref": field, "argument": map[string]any{"name": "field", "value": "Last"}, "context": map[string]any{"arguments": map[string]any{"name": "Lead"}}},
		okJSON(`"LastName"`))
	add(discoverStep{"op": "complete", "ref": field, "argument": map[string]any{"name": "field", "value": "Phone"}, "context": map[string]any{"arguments": map[string]any{"name": "Lead"}}},
		okJSON(`"values":[]`))
	// Prompts.
	add(discoverStep{"op": "listPrompts"}, okJSON(`"name":"salesforce_soql_query"`, `"name":"salesforce_triage_lead"`))
	add(discoverStep{"op": "getPrompt", "name": "salesforce_soql_query", "arguments": map[string]any{"sobject": "Account", "question": "Which accounts are in Energy?"}},
		okJSON("Which accounts are in Energy?", `"uri":"salesforce://sobjects/Account/describe"`, `\"name\":\"Industry\"`))
	add(discoverStep{"op": "getPrompt", "name": "salesforce_soql_query", "arguments": map[string]any{"sobject": "Account"}}, rpcError(-32602, "question: is required"))
	add(discoverStep{"op": "complete", "ref": map[string]any{"type": "ref/prompt", "name": "salesforce_soql_query"}, "argument": map[string]any{"name": "sobject", "value": "a"}},
		okJSON(`"values":["Account"]`))
	// Completion of what is not there is invalid params (mcp-go alone would say -32603).
	add(discoverStep{"op": "complete", "ref": map[string]any{"type": "ref/prompt", "name": "no_such_prompt"}, "argument": map[string]any{"name": "sobject", "value": "a"}},
		rpcError(-32602, `no prompt "no_such_prompt"`))
	add(discoverStep{"op": "complete", "ref": map[string]any{"type": "ref/prompt", "name": "salesforce_soql_query"}, "argument": map[string]any{"name": "nope", "value": "a"}},
		rpcError(-32602, `has no argument "nope"`))
	add(discoverStep{"op": "complete", "ref": map[string]any{"type": "ref/resource", "uri": "salesforce://nothing/{x}"}, "argument": map[string]any{"name": "x", "value": "a"}},
		rpcError(-32602, `no resource template "salesforce://nothing/{x}"`))
	add(discoverStep{"op": "complete", "ref": describe, "argument": map[string]any{"name": "field", "value": "a"}},
		rpcError(-32602, `has no argument "field"`))
	// salesforce_api and the Tooling API query on a read-only server.
	add(call("salesforce_api", map[string]any{"path": "limits"}), okJSON(`"status":200`, "DailyApiRequests"))
	add(call("salesforce_api", map[string]any{"path": "/services/data/v62.0/../../secur/frontdoor.jsp"}), toolError("INVALID_ARGUMENT", ".. segment"))
	add(call("salesforce_api", map[string]any{"path": "https://evil.example.com/services/data/v62.0/limits"}), toolError("INVALID_ARGUMENT", "absolute URL"))
	add(call("salesforce_api", map[string]any{"method": "POST", "path": "sobjects/Account", "body": map[string]any{"Name": "x"}}), toolError("NOT_ALLOWED", "read-only"))
	add(call("salesforce_tooling_query", map[string]any{"soql": "SELECT Id, Name FROM ApexClass"}), okJSON(`"total_size":0`, `"done":true`))
	// A refused object, and hidden fields the lead tools and bulk query reach.
	add(call("salesforce_query", map[string]any{"soql": "SELECT Id FROM Opportunity"}), toolError("NOT_ALLOWED", "Opportunity"))
	add(call("salesforce_bulk_query", map[string]any{"sobject": "Lead", "soql": "SELECT Id, Owner.Email FROM Lead"}), toolError("NOT_ALLOWED", "hidden"))
	add(call("salesforce_bulk_query", map[string]any{"sobject": "Lead", "soql": "SELECT FIELDS(STANDARD) FROM Lead", "max_records": 3}),
		okJSON(`"LastName"`, `"MobilePhone"`, `!"Phone",`, `!"Email"`))
	add(call("salesforce_list_leads", map[string]any{"limit": 3}), okJSON(`"hidden_fields":["Email","Phone"]`, `"LastName"`, `!"Phone":`, `!"Email":`, `!@`))
	add(call("salesforce_get_lead", map[string]any{"email": "someone@example.com"}), toolError("NOT_ALLOWED", "hidden"))
	return steps, checks
}

func runDiscover(t *testing.T, env []string, args ...string) {
	t.Helper()
	node := nodeFor(t, false)
	steps, checks := discoverPlan()
	in, _ := json.Marshal(steps)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{filepath.Join(mcpClientDir, "discover-client.mjs")}, args...)...)
	cmd.Env, cmd.Stdin = env, bytes.NewReader(in)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("discover-client %v: %v\n%s", args, err, errOut.String())
	}
	var res []discoverResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || len(res) != len(steps) {
		t.Fatalf("discover-client output (%d results for %d steps): %v\n%.2000s", len(res), len(steps), err, out.String())
	}
	for i, r := range res {
		checks[i](t, r)
	}
}

// TestMCPDiscoverStdio: resources, templates, completion, prompts,
// salesforce_api, the Tooling API query and the guard, through the official
// TypeScript SDK client over stdio.
func TestMCPDiscoverStdio(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	runDiscover(t, orgEnv(t, em), append([]string{"stdio", binary, "serve", "--transport", "stdio"}, guardedServeFlags...)...)
}

// TestMCPDiscoverHTTP is TestMCPDiscoverStdio over streamable HTTP (bearer).
func TestMCPDiscoverHTTP(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := append(baseEnv(t), "OAUTH_MODE=bearer", "SALESFORCE_INSTANCE_URL="+em.URL, "SFMCP_ALLOWED_INSTANCE_HOSTS="+emulatorHost(em))
	base := startServeHTTP(t, env, guardedServeFlags...)
	headers, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + em.Token.AccessToken})
	runDiscover(t, append(baseEnv(t), "MCP_HEADERS="+string(headers)), "http", base+"/mcp")
}

// TestMCPInspectorCLIDiscover: the Inspector CLI lists the resource
// templates, reads a describe and gets a prompt (its --strict applies to
// tools/list only, which TestMCPInspectorCLI runs).
func TestMCPInspectorCLIDiscover(t *testing.T) {
	t.Parallel()
	node := nodeFor(t, true)
	em := emulatortest.New(t)
	inspector := filepath.Join(mcpClientDir, "node_modules", "@modelcontextprotocol", "inspector", "clients", "launcher", "build", "index.js")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--method", "resources/templates/list"}, []string{"salesforce://sobjects/{name}/describe"}},
		{[]string{"--method", "resources/read", "--uri", "salesforce://sobjects/Account/describe"}, []string{`\"name\":\"Industry\"`}},
		{[]string{"--method", "prompts/get", "--prompt-name", "salesforce_soql_query", "--prompt-args", "sobject=Lead", "question=Which leads are new?"},
			[]string{"Which leads are new?", "salesforce://sobjects/Lead/describe"}},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		args := append([]string{inspector, "--cli"}, tc.args...)
		args = append(args, "-e", "SALESFORCE_ACCESS_TOKEN="+em.Token.AccessToken, "-e", "SALESFORCE_INSTANCE_URL="+em.URL,
			binary, "serve", "--transport", "stdio")
		args = append(args, guardedServeFlags...)
		cmd := exec.CommandContext(ctx, node, args...)
		cmd.Env = append(baseEnv(t), "MCP_CATALOG_PATH="+filepath.Join(t.TempDir(), "catalog.json"))
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		cancel()
		if err != nil {
			t.Errorf("inspector %v: %v\n%s\n%s", tc.args, err, out.String(), errOut.String())
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("inspector %v: lacks %s: %.800s", tc.args, w, out.String())
			}
		}
		for line := range strings.Lines(errOut.String()) {
			if strings.HasPrefix(line, "Warning:") || strings.HasPrefix(line, "Error:") {
				t.Errorf("inspector %v complains:\n%s", tc.args, errOut.String())
				break
			}
		}
	}
}
