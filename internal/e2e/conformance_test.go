package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// conformanceDir holds the npm project pinning the official MCP conformance
// suite (@modelcontextprotocol/conformance).
var conformanceDir, _ = filepath.Abs("conformance")

var conformanceNpm npmInstall

// conformanceNotApplicable are the suite's server scenarios that test
// something sfmcp deliberately does not have, with the reason. Every other
// scenario the suite runs must pass; a scenario in neither list (a new suite
// version) fails the test until it is classified.
var conformanceNotApplicable = map[string]string{
	// Fixture tools of the suite's reference ("everything") server. sfmcp
	// serves Salesforce operations only; the features these exercise are
	// covered with sfmcp's own tools by other tests (progress:
	// TestMCPProgress; logging, isError results and elicitation: the
	// mcpserver and TypeScript SDK tests).
	"tools-call-simple-text":        "calls the fixture tool test_simple_text",
	"tools-call-image":              "calls the fixture tool test_image_content; no Salesforce result is an image",
	"tools-call-audio":              "calls the fixture tool test_audio_content; no Salesforce result is audio",
	"tools-call-embedded-resource":  "calls the fixture tool test_embedded_resource",
	"tools-call-mixed-content":      "calls the fixture tool test_multiple_content_types",
	"tools-call-with-logging":       "calls the fixture tool test_tool_with_logging (sfmcp's log notifications: TestMCPLogging* in internal/mcpserver)",
	"tools-call-error":              "calls the fixture tool test_error_handling (sfmcp's isError results: every e2e client test)",
	"tools-call-with-progress":      "calls the fixture tool test_tool_with_progress (sfmcp's progress: TestMCPProgress)",
	"tools-call-sampling":           "calls the fixture tool test_sampling; sfmcp never asks the client's model for anything",
	"tools-call-elicitation":        "calls the fixture tool test_elicitation (sfmcp's confirmations: confirm tests in internal/mcpserver)",
	"elicitation-sep1034-defaults":  "calls the fixture tool test_elicitation_sep1034_defaults",
	"elicitation-sep1330-enums":     "calls the fixture tool test_elicitation_sep1330_enums",
	"json-schema-2020-12":           "looks for the fixture tool json_schema_2020_12_tool",
	"resources-read-text":           "reads the fixture resource test://static-text",
	"resources-read-binary":         "reads the fixture resource test://static-binary",
	"resources-templates-read":      "reads the fixture template test://template/{id}/data",
	"resources-subscribe":           "subscribes to the fixture resource test://watched-resource; sfmcp's resources (describes) have no subscriptions",
	"resources-unsubscribe":         "unsubscribes from the fixture resource test://watched-resource",
	"prompts-get-simple":            "gets the fixture prompt test_simple_prompt",
	"completion-complete":           "completes an argument of the fixture prompt test_prompt_with_arguments (sfmcp's completions: the mcpserver and TypeScript SDK tests of its describe templates and prompts)",
	"prompts-get-with-args":         "gets the fixture prompt test_prompt_with_arguments",
	"prompts-get-embedded-resource": "gets the fixture prompt test_prompt_with_embedded_resource",
	"prompts-get-with-image":        "gets the fixture prompt test_prompt_with_image",
	// Stateless HTTP: no Mcp-Session-Id, so that any replica serves any
	// request; the suite then only warns that it cannot test these.
	"server-sse-polling":          "needs a session (Mcp-Session-Id) and resumable SSE streams; sfmcp's HTTP is stateless by design",
	"server-sse-multiple-streams": "needs a session (Mcp-Session-Id); sfmcp's HTTP is stateless by design",
}

// conformanceIfCapability are scenarios that apply when the server
// advertises the capability: they must pass then, and without it must fail
// only because the method is not there (-32601).
var conformanceIfCapability = map[string]string{
	"resources-list": "resources",
	"prompts-list":   "prompts",
}

// conformanceNode returns Node 22 (the suite uses fs.globSync) with the
// suite's packages installed.
func conformanceNode(t *testing.T) string {
	t.Helper()
	node := nodeFor(t, true)
	conformanceNpm.ensure(t, conformanceDir, "@modelcontextprotocol", "conformance")
	return node
}

// serverCapabilities initializes over plain HTTP and returns the capabilities.
func serverCapabilities(t *testing.T, url string) map[string]any {
	t.Helper()
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}`
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var res struct {
		Result struct {
			Capabilities map[string]any `json:"capabilities"`
		} `json:"result"`
	}
	if err := json.Unmarshal(b, &res); err != nil || res.Result.Capabilities == nil {
		t.Fatalf("initialize: %v %s", err, b)
	}
	return res.Result.Capabilities
}

type conformanceCheck struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	ErrorMessage string `json:"errorMessage"`
}

var (
	conformanceRunning  = regexp.MustCompile(`(?m)^=== Running scenario: (\S+) ===$`)
	conformanceSuite    = regexp.MustCompile(`Running \w+ suite \((\d+) scenarios?\)`)
	conformanceResultAt = regexp.MustCompile(`^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:-\d{3})?Z$`)
)

// TestMCPConformance runs every server scenario of the official MCP
// conformance suite (pinned in conformance/package-lock.json, --suite all)
// against `sfmcp serve --transport http --emulator` (the suite speaks HTTP
// only and sends no token: loopback clients get the emulator's login). The
// scenarios that apply pass, logging-set-level among them; the others are
// listed above with the reason.
func TestMCPConformance(t *testing.T) {
	t.Parallel()
	node := conformanceNode(t)
	base := startServeHTTP(t, baseEnv(t), "--emulator")
	url := base + "/mcp"
	caps := serverCapabilities(t, url)

	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cli := filepath.Join(conformanceDir, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js")
	cmd := exec.CommandContext(ctx, node, cli, "server", "--url", url, "--suite", "all", "--output-dir", out)
	cmd.Env = append(baseEnv(t), "NO_COLOR=1")
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stdout
	_ = cmd.Run() // it exits 1 when any scenario fails; the results decide
	log := stdout.String()

	m := conformanceSuite.FindStringSubmatch(log)
	started := conformanceRunning.FindAllStringSubmatch(log, -1)
	if m == nil || len(started) == 0 || m[1] != fmt.Sprint(len(started)) {
		t.Fatalf("the suite did not report running its scenarios:\n%s", tail(log, 3000))
	}
	if !slices.ContainsFunc(started, func(s []string) bool { return s[1] == "logging-set-level" }) {
		t.Errorf("the suite has no logging-set-level scenario")
	}
	results := map[string][]conformanceCheck{}
	dirs, _ := os.ReadDir(out)
	for _, d := range dirs {
		mm := conformanceResultAt.FindStringSubmatch(d.Name())
		if mm == nil {
			t.Errorf("unexpected result folder %s", d.Name())
			continue
		}
		var checks []conformanceCheck
		b, err := os.ReadFile(filepath.Join(out, d.Name(), "checks.json"))
		if err == nil {
			err = json.Unmarshal(b, &checks)
		}
		if err != nil {
			t.Errorf("%s: %v", d.Name(), err)
		}
		results[mm[1]] = checks
	}
	passed := func(checks []conformanceCheck) bool {
		return len(checks) > 0 && !slices.ContainsFunc(checks, func(c conformanceCheck) bool { return c.Status != "SUCCESS" && c.Status != "INFO" })
	}
	var applied, notApplied []string
	for _, s := range started {
		name := s[1]
		checks, ok := results[name]
		switch capability, conditional := conformanceIfCapability[name]; {
		case !ok:
			t.Errorf("%s: ran but left no result", name)
		case conformanceNotApplicable[name] != "":
			notApplied = append(notApplied, name)
			t.Logf("not applicable: %s: %s", name, conformanceNotApplicable[name])
		case conditional && caps[capability] == nil:
			// Without the capability the method must be missing, not broken.
			if passed(checks) || !slices.ContainsFunc(checks, func(c conformanceCheck) bool { return strings.Contains(c.ErrorMessage, "-32601") }) {
				t.Errorf("%s: the server has no %s capability, yet the scenario did not fail with -32601: %+v", name, capability, checks)
			}
			notApplied = append(notApplied, name)
			t.Logf("not applicable: %s: the server does not advertise %s", name, capability)
		case !passed(checks):
			t.Errorf("%s failed: %+v", name, checks)
		default:
			applied = append(applied, name)
		}
	}
	for name := range conformanceNotApplicable {
		if !slices.ContainsFunc(started, func(s []string) bool { return s[1] == name }) {
			t.Errorf("%s is listed as not applicable but the suite no longer has it", name)
		}
	}
	t.Logf("passed %d scenarios %v; %d do not apply", len(applied), applied, len(notApplied))
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
