package e2e

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// TestLeadUpdateData: lead update takes --data like record update — inline
// JSON, @file and - (stdin) — arguments win over it, and bad JSON is a usage
// error that writes nothing.
func TestLeadUpdateData(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := orgEnv(t, em)
	email := "data@update.example"
	id, _ := syncPiped(t, env, "--email", email, "--last-name", "Data")

	if out := ok(t, env, "lead", "update", email, "--data", `{"Title": "CTO", "NumberOfEmployees": 12}`); !strings.Contains(out, id) {
		t.Errorf("update --data printed %q", out)
	}
	soql := "SELECT Title, NumberOfEmployees, Industry, Phone FROM Lead WHERE Id = '" + id + "'"
	lead := jsonObject(t, ok(t, env, "query", soql, "--jq", ".[0]"))
	if lead["Title"] != "CTO" || lead["NumberOfEmployees"] != 12.0 {
		t.Errorf("after --data: Title %v NumberOfEmployees %v", lead["Title"], lead["NumberOfEmployees"])
	}
	// @file, with an argument that wins over the file's value.
	file := writeFile(t, "changes.json", `{"Title": "CEO", "Industry": "Energy"}`)
	ok(t, env, "lead", "update", id, "-d", "@"+file, "Title=Chair")
	lead = jsonObject(t, ok(t, env, "query", soql, "--jq", ".[0]"))
	if lead["Title"] != "Chair" || lead["Industry"] != "Energy" {
		t.Errorf("after @file + argument: Title %v Industry %v", lead["Title"], lead["Industry"])
	}
	// - reads standard input.
	if r := run(t, env, `{"Phone": "+1 555 0199"}`, "lead", "update", email, "--data", "-"); r.code != 0 {
		t.Fatalf("--data -: exit %d %q", r.code, r.err)
	}
	if got := jsonObject(t, ok(t, env, "query", soql, "--jq", ".[0]"))["Phone"]; got != "+1 555 0199" {
		t.Errorf("after --data -: Phone %v", got)
	}

	// Bad inputs: a usage error naming --data, nothing on stdout, nothing written.
	for _, c := range []struct {
		want string
		args []string
	}{
		{"--data: want a JSON object", []string{"lead", "update", email, "--data", `{"Title": "Broken"`}},
		{"--data: want a JSON object", []string{"lead", "update", email, "--data", `["Title"]`}},
		{"--data: want one JSON object", []string{"lead", "update", email, "--data", `{"Title": "A"} {"Title": "B"}`}},
		{"--data: want a JSON object of field values, not null", []string{"lead", "update", email, "--data", `null`}},
		{"--data", []string{"lead", "update", email, "--data", "@" + filepath.Join(t.TempDir(), "missing.json")}},
		{"Field=value arguments or --data", []string{"lead", "update", email}},
		{"field values: IsConverted cannot be set", []string{"lead", "update", email, "--data", `{"IsConverted": true}`}},
		{"field values: \"Title; DROP\" is not an API name", []string{"lead", "update", email, "--data", `{"Title; DROP": "x"}`}},
	} {
		if r := fails(t, env, 2, c.want, c.args...); r.out != "" {
			t.Errorf("sfmcp %s printed %q", strings.Join(c.args, " "), r.out)
		}
	}
	if got := jsonObject(t, ok(t, env, "query", soql, "--jq", ".[0]"))["Title"]; got != "Chair" {
		t.Errorf("a refused update wrote: Title %v", got)
	}
}

// TestHelpEnvironment: `sfmcp help environment` is a help topic that lists
// the variables, and the root help points to it.
func TestHelpEnvironment(t *testing.T) {
	t.Parallel()
	env := baseEnv(t)
	out := ok(t, env, "help", "environment")
	for _, want := range []string{"SFMCP_ORG\n", "SALESFORCE_ACCESS_TOKEN", "REDIS_URL", "NO_COLOR\n", "XDG_CONFIG_HOME\n", "BROWSER\n", "OTEL_EXPORTER_OTLP_ENDPOINT\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("help environment lacks %q", want)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if len(line) > 80 {
			t.Errorf("line wider than 80 columns: %q", line)
		}
	}
	if root := ok(t, env, "--help"); !strings.Contains(root, "sfmcp help environment") || !strings.Contains(root, "environment") {
		t.Errorf("root help does not point to the topic:\n%s", root)
	}
}

// versionsRequest matches the -v log line of the versions discovery.
var versionsRequest = regexp.MustCompile(`(?m)^HTTP GET 127\.0\.0\.1:\d+/services/data 200 `)

// TestAPIVersionFromTheOrg: by default sfmcp uses the org's newest API
// version, found once (GET /services/data) and cached per login; a version
// the org does not serve is refused naming the ones it does.
func TestAPIVersionFromTheOrg(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t, func(o *emulator.Options) { o.MaxAPIVersion = 60 }) // an org behind the default 66.0
	env := orgEnv(t, em)

	r := run(t, env, "", "query", "-v", "SELECT Id FROM Account LIMIT 1")
	if r.code != 0 || len(readCSV(t, r.out)) != 2 {
		t.Fatalf("query on a v60 org: exit %d %q %q", r.code, r.out, r.err)
	}
	if !versionsRequest.MatchString(r.err) || !strings.Contains(r.err, "/services/data/v60.0/query?") {
		t.Errorf("first run: want the versions asked and v60.0 used:\n%s", r.err)
	}
	// Cached: the next run does not ask again.
	r = run(t, env, "", "limits", "-v")
	if r.code != 0 || versionsRequest.MatchString(r.err) || !strings.Contains(r.err, "/services/data/v60.0/limits") {
		t.Errorf("second run: exit %d, want v60.0 from the cache without asking:\n%s", r.code, r.err)
	}
	// An explicit version the org serves is used.
	r = run(t, env, "", "query", "-v", "--api-version", "55", "SELECT Id FROM Account LIMIT 1")
	if r.code != 0 || !strings.Contains(r.err, "/services/data/v55.0/query?") {
		t.Errorf("--api-version 55: exit %d\n%s", r.code, r.err)
	}
	// One it does not serve is refused, naming the range, with nothing on stdout.
	for _, c := range []struct {
		env  []string
		args []string
	}{
		{env, []string{"query", "--api-version", "99", "SELECT Id FROM Account"}},
		{env, []string{"query", "--api-version", "61.0", "SELECT Id FROM Account"}},
		{env, []string{"describe", "Account", "--api-version", "v30"}},
		{append(slices.Clone(env), "SF_API_VERSION=64.0"), []string{"limits"}},
	} {
		r := run(t, c.env, "", c.args...)
		if r.code != 2 || r.out != "" || !strings.Contains(r.err, "is not served by this org, which serves 31.0 to 60.0") ||
			!strings.Contains(r.err, "--api-version") || strings.Contains(r.err, "NOT_FOUND") {
			t.Errorf("sfmcp %s: exit %d %q %q", strings.Join(c.args, " "), r.code, r.out, r.err)
		}
	}
	fails(t, env, 2, "want a version like 66.0", "query", "--api-version", "latest", "SELECT Id FROM Account")

	// A stored login: the same, cached with that login.
	rig := newLoginRig(t, func(o *emulator.Options) { o.MaxAPIVersion = 58 })
	auth := "force://" + emulatortest.ClientID + "::" + rig.em.Token.RefreshToken + "@" + rig.em.URL
	rig.ok("login", "--sfdx-url-file", writeSecretFile(t, rig.home, "auth.url", auth), "--alias", "old")
	res := rig.ok("query", "-v", "-o", "old", "SELECT Id FROM Account LIMIT 1")
	if !strings.Contains(res.err, "/services/data/v58.0/query?") {
		t.Errorf("stored login on a v58 org:\n%s", res.err)
	}
	rig.fails(rig.env(), 2, "which serves 31.0 to 58.0", "limits", "-o", "old", "--api-version", "60")

	// The login's cache file goes when the login goes.
	cache := t.TempDir()
	cached := func() int {
		files, _ := filepath.Glob(filepath.Join(cache, "sfmcp", "orgs", "*.json"))
		return len(files)
	}
	if res := rig.run(rig.env("XDG_CACHE_HOME="+cache), "", "limits", "-o", "old"); res.code != 0 || cached() != 1 {
		t.Fatalf("limits with a cache dir: exit %d, %d cache files", res.code, cached())
	}
	if res := rig.run(rig.env("XDG_CACHE_HOME="+cache), "", "logout", "--alias", "old"); res.code != 0 || cached() != 0 {
		t.Errorf("logout: exit %d, %d cache files left", res.code, cached())
	}
}

// TestUnknownObjectSuggestsNames: an object the org does not have gets
// Salesforce's answer and the org's nearest names (from describeGlobal), on
// the command line and, in its own words, over MCP.
func TestUnknownObjectSuggestsNames(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := orgEnv(t, em)
	acc := strings.TrimSpace(ok(t, env, "record", "create", "Account", "Name=Typo Ltd"))
	for _, c := range []struct {
		want string
		args []string
	}{
		{`this org has no object "Acount"; did you mean Account?`, []string{"record", "get", "Acount", acc}},
		{`this org has no object "Acount"; did you mean Account?`, []string{"record", "get", "Acount", acc, "--fields", "Name,Owner.Name"}},
		{`this org has no object "Contac"; did you mean Contact?`, []string{"describe", "Contac"}},
		{`this org has no object "Oppurtunity"; did you mean Opportunity?`, []string{"record", "create", "Oppurtunity", "Name=X"}},
		{`this org has no object "Acount"`, []string{"record", "update", "Acount", acc, "Name=Y"}},
		{`this org has no object "Acount"`, []string{"record", "delete", "Acount", acc}},
		{`this org has no object "Zzzebra"` + ")\n", []string{"describe", "Zzzebra"}},
	} {
		r := fails(t, env, 1, c.want, c.args...)
		if r.out != "" || !strings.Contains(r.err, "NOT_FOUND") && !strings.Contains(r.err, "INVALID_TYPE") {
			t.Errorf("sfmcp %s: stdout %q, stderr %q", strings.Join(c.args, " "), r.out, r.err)
		}
	}
	// A missing record of a real object is only that: no suggestion.
	r := fails(t, env, 1, "NOT_FOUND", "record", "get", "Account", "001000000000000AAA")
	if strings.Contains(r.err, "did you mean") || strings.Contains(r.err, "no object") {
		t.Errorf("a missing record was taken for a missing object: %q", r.err)
	}
	// The record survived the refused update and delete.
	if got := strings.TrimSpace(ok(t, env, "record", "get", "Account", acc, "--fields", "Name")); !strings.HasSuffix(got, "Typo Ltd") {
		t.Errorf("record after refused writes: %q", got)
	}

	// MCP over stdio: the tool's own words, Salesforce's errorCode.
	mc, err := client.NewStdioMCPClient(binary, env, "serve", "--transport", "stdio")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mc.Close() })
	ctx := context.Background()
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "sfmcp-e2e", Version: "1"}
	if _, err := mc.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = "salesforce_get_record"
	req.Params.Arguments = map[string]any{"sobject": "Acount", "record_id": acc}
	res, err := mc.CallTool(ctx, req)
	if err != nil || !res.IsError || len(res.Content) == 0 {
		t.Fatalf("salesforce_get_record Acount: %v %+v", err, res)
	}
	text := res.Content[0].(mcp.TextContent).Text
	if !strings.HasPrefix(text, "NOT_FOUND: sobject \"Acount\" is not an object of this org; did you mean \"Account\"?") ||
		!strings.Contains(text, `"fields":["sobject"]`) || strings.Contains(text, "--") {
		t.Errorf("MCP error: %s", text)
	}
}

// complete runs cobra's hidden __complete command and returns the
// candidates (without descriptions) and the directive line.
func complete(t *testing.T, env []string, args ...string) (cands []string, directive string, stderr string) {
	t.Helper()
	r := run(t, env, "", append([]string{"__complete"}, args...)...)
	if r.code != 0 {
		t.Fatalf("__complete %s: exit %d %q", strings.Join(args, " "), r.code, r.err)
	}
	lines := strings.Split(strings.TrimRight(r.out, "\n"), "\n")
	directive = lines[len(lines)-1]
	for _, l := range lines[:len(lines)-1] {
		name, _, _ := strings.Cut(l, "\t")
		cands = append(cands, name)
	}
	return cands, directive, r.err
}

// TestDynamicCompletion drives the shells' completion entry point against
// the emulator: org aliases, object names (cached per login), comma-aware
// field lists, and serve's fixed values; failures offer nothing and print
// no error.
func TestDynamicCompletion(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := orgEnv(t, em)
	var home string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "HOME="); ok {
			home = v
		}
	}
	// Two stored logins (completion reads only their aliases).
	writeConfig := filepath.Join(home, "config", "sfmcp")
	if err := os.MkdirAll(writeConfig, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := "logins:\n  prod:\n    username: p@acme.example\n    instance_url: https://acme.my.salesforce.com\n    login_url: https://login.salesforce.com\n    storage: keyring\n" +
		"  dev:\n    username: d@acme.example\n    instance_url: https://acme--dev.sandbox.my.salesforce.com\n    login_url: https://test.salesforce.com\n    storage: keyring\n"
	if err := os.WriteFile(filepath.Join(writeConfig, "config.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"query", "-o", ""}, []string{"dev", "prod"}},
		{[]string{"query", "--target-org", "p"}, []string{"prod"}},
		{[]string{"limits", "--org", "d"}, []string{"dev"}},
		{[]string{"serve", "--transport", ""}, []string{"stdio", "http"}},
		{[]string{"serve", "--toolsets", "query,le"}, []string{"query,leads"}},
		{[]string{"describe", "Oppor"}, []string{"Opportunity", "OpportunityContactRole", "OpportunityFieldHistory"}},
	} {
		got, dir, _ := complete(t, env, c.args...)
		for _, w := range c.want {
			if !slices.Contains(got, w) {
				t.Errorf("__complete %q: %v lacks %q", c.args, got, w)
			}
		}
		if c.args[0] == "query" || c.args[0] == "limits" {
			if !slices.Equal(got, c.want) {
				t.Errorf("__complete %q: %v, want %v", c.args, got, c.want)
			}
		}
		if dir == ":0" {
			t.Errorf("__complete %q offers file names (directive %s)", c.args, dir)
		}
	}
	// Object names for every command that takes one, any case.
	for _, args := range [][]string{{"record", "get", "acc"}, {"record", "create", "Acc"}, {"bulk", "insert", "Acc"}, {"describe", "ACC"}} {
		if got, _, _ := complete(t, env, args...); !slices.Contains(got, "Account") || slices.Contains(got, "Contact") {
			t.Errorf("__complete %q: %v", args, got)
		}
	}
	// --fields: the object's fields, after the ones already listed, no space.
	acc := strings.TrimSpace(ok(t, env, "record", "create", "Account", "Name=Completion Ltd"))
	got, dir, _ := complete(t, env, "record", "get", "Contact", acc, "--fields", "Name,Acc")
	if !slices.Contains(got, "Name,AccountId") || !slices.Contains(got, "Name,Account.") || dir != ":6" {
		t.Errorf("--fields Name,Acc: %v %s", got, dir)
	}
	if got, _, _ := complete(t, env, "record", "get", "Contact", acc, "-f", "Name,na"); slices.Contains(got, "Name,Name") {
		t.Errorf("-f Name,na offers Name again: %v", got)
	}

	// Cached per login: with the session ended (and no way to renew it) the
	// names still come, from the cache.
	em.ExpireSessions(t)
	if got, _, stderr := complete(t, env, "describe", "Acc"); !slices.Contains(got, "Account") || strings.Contains(stderr, "Error") {
		t.Errorf("from the cache: %v %q", got, stderr)
	}
	// Nothing to offer: no candidates, exit 0, no error on either stream.
	for _, c := range []struct {
		env  []string
		args []string
	}{
		{orgEnv(t, em), []string{"describe", "Acc"}},                 // expired, no cache
		{baseEnv(t), []string{"describe", "Acc"}},                    // no login
		{baseEnv(t), []string{"-o", "nope", "record", "get", "Acc"}}, // unknown alias
		{append(baseEnv(t), "SALESFORCE_ACCESS_TOKEN=x", "SALESFORCE_INSTANCE_URL=http://127.0.0.1:1"), []string{"describe", "Acc"}}, // no org there
	} {
		got, dir, stderr := complete(t, c.env, c.args...)
		if len(got) != 0 || dir != ":4" || strings.TrimSpace(stderr) != "Completion ended with directive: ShellCompDirectiveNoFileComp" {
			t.Errorf("__complete %q: %v %s %q", c.args, got, dir, stderr)
		}
	}
}
