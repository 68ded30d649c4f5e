package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/config"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/mcpserver"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// blankConfig is a configuration with no file and no environment.
func blankConfig() (*config.Config, error) {
	return config.Load(config.Options{NoFile: true, NoEnv: true})
}

func parse(t *testing.T, args ...string) (*Options, error) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	var got *Options
	cmd := NewCmdServe(&cmdutil.Factory{IOStreams: ios, Config: blankConfig}, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return got, cmd.Execute()
}

func TestParseFlags(t *testing.T) {
	t.Setenv(envAllowedHosts, "")
	t.Setenv(envCORSOrigins, "")
	o, err := parse(t)
	if err != nil || o.Transport != "stdio" || o.Addr != "" || o.Port != 0 || o.ReadOnly || o.ListTools || o.JSON {
		t.Fatalf("defaults: %+v %v", o, err)
	}
	o, err = parse(t, "--transport", "http", "--addr", "0.0.0.0", "--port", "9000", "--read-only",
		"--toolsets", "query,metadata", "--tools", "salesforce_query", "--allowed-instance-hosts", "127.0.0.1:8443,sf.example",
		"--cors-origins", "https://app.example")
	if err != nil {
		t.Fatal(err)
	}
	if o.Transport != "http" || o.Addr != "0.0.0.0" || o.Port != 9000 || !o.ReadOnly ||
		strings.Join(o.Toolsets, "|") != "query|metadata" || strings.Join(o.Tools, "|") != "salesforce_query" ||
		strings.Join(o.AllowedHosts, "|") != "127.0.0.1:8443|sf.example" || strings.Join(o.CORSOrigins, "|") != "https://app.example" {
		t.Errorf("options = %+v", o)
	}
	if o, err := parse(t, "--list-tools", "--json"); err != nil || !o.ListTools || !o.JSON {
		t.Errorf("--list-tools --json: %+v %v", o, err)
	}
	for _, bad := range [][]string{{"--transport", "sse"}, {"extra"}, {"--port", "x"}} {
		if _, err := parse(t, bad...); err == nil || cmdutil.ExitCodeOf(cmdutil.FlagErrorWrap(err)) != cmdutil.ExitUsage {
			t.Errorf("%q: %v, want a usage error", bad, err)
		}
	}
	// The environment gives the HTTP allowlists their defaults.
	t.Setenv(envAllowedHosts, "a.example, b.example:444")
	if o, err := parse(t); err != nil || strings.Join(o.AllowedHosts, "|") != "a.example|b.example:444" {
		t.Errorf("%s: %+v %v", envAllowedHosts, o, err)
	}
}

func TestListenAddr(t *testing.T) {
	t.Setenv("PORT", "")
	cfg, _ := blankConfig()
	for _, tt := range []struct {
		opts Options
		want string
	}{
		{Options{}, "127.0.0.1:8000"},
		{Options{Port: 9000}, "127.0.0.1:9000"},
		{Options{Addr: "0.0.0.0", Port: 1}, "0.0.0.0:1"},
		{Options{Addr: "[::1]", Port: 2}, "[::1]:2"},
		{Options{Addr: "localhost:7000", Port: 2}, "localhost:7000"},
	} {
		if got, err := listenAddr(&tt.opts, cfg); err != nil || got != tt.want {
			t.Errorf("%+v: %q %v, want %q", tt.opts, got, err, tt.want)
		}
	}
	if err := cfg.Set(config.KeyPort, "nope"); err != nil {
		t.Fatal(err)
	}
	if _, err := listenAddr(&Options{}, cfg); err == nil {
		t.Error("a port that is not a number was accepted")
	}
}

func TestClientConfig(t *testing.T) {
	const exe = "/opt/sf mcp/sfmcp"
	const url = "http://127.0.0.1:8123/mcp"
	stdioJSON := func(args ...string) string {
		b, _ := json.MarshalIndent(map[string]any{"mcpServers": map[string]any{"salesforce": map[string]any{"command": exe, "args": args}}}, "", "  ")
		return string(b) + "\n"
	}
	js := func(v any) string { b, _ := json.MarshalIndent(v, "", "  "); return string(b) + "\n" }
	type srv = map[string]any
	base := []string{"serve", "--transport", "stdio"}
	for _, tt := range []struct {
		name string
		opts configOptions
		want string
	}{
		{"claude-desktop stdio", configOptions{Client: "claude-desktop", Transport: "stdio"}, stdioJSON(base...)},
		{"cursor stdio", configOptions{Client: "cursor", Transport: "stdio"}, stdioJSON(base...)},
		{"gemini stdio", configOptions{Client: "gemini", Transport: "stdio"}, stdioJSON(base...)},
		{"claude-code stdio", configOptions{Client: "claude-code", Transport: "stdio"}, "claude mcp add --transport stdio salesforce -- '/opt/sf mcp/sfmcp' serve --transport stdio\n"},
		{"codex stdio", configOptions{Client: "codex", Transport: "stdio"}, "codex mcp add salesforce -- '/opt/sf mcp/sfmcp' serve --transport stdio\n"},
		{"vscode stdio", configOptions{Client: "vscode", Transport: "stdio"}, js(srv{"servers": srv{"salesforce": srv{"type": "stdio", "command": exe, "args": base}}})},
		// --org, --emulator, --read-only and --toolsets reach the command line.
		{"claude-code flags", configOptions{Client: "claude-code", Transport: "stdio", Org: "my prod", ReadOnly: true, Toolsets: []string{"query", "metadata"}},
			"claude mcp add --transport stdio salesforce -- '/opt/sf mcp/sfmcp' serve --transport stdio --org 'my prod' --read-only --toolsets query,metadata\n"},
		{"cursor flags", configOptions{Client: "cursor", Transport: "stdio", Org: "prod", emulator: true, Toolsets: []string{"query"}},
			stdioJSON("serve", "--transport", "stdio", "--org", "prod", "--emulator", "--toolsets", "query")},
		{"codex flags", configOptions{Client: "codex", Transport: "stdio", Org: "dev", ReadOnly: true},
			"codex mcp add salesforce -- '/opt/sf mcp/sfmcp' serve --transport stdio --org dev --read-only\n"},
		// HTTP, bearer mode: the token in each client's own form.
		{"claude-code http", configOptions{Client: "claude-code", Transport: "http"},
			"claude mcp add --transport http salesforce " + url + ` --header "Authorization: Bearer ${SALESFORCE_ACCESS_TOKEN}"` + "\n"},
		{"codex http", configOptions{Client: "codex", Transport: "http"}, "codex mcp add salesforce --url " + url + " --bearer-token-env-var SALESFORCE_ACCESS_TOKEN\n"},
		{"gemini http", configOptions{Client: "gemini", Transport: "http"},
			js(srv{"mcpServers": srv{"salesforce": srv{"httpUrl": url, "headers": srv{"Authorization": "Bearer ${SALESFORCE_ACCESS_TOKEN}"}}}})},
		{"cursor http", configOptions{Client: "cursor", Transport: "http"},
			js(srv{"mcpServers": srv{"salesforce": srv{"url": url, "headers": srv{"Authorization": "Bearer ${env:SALESFORCE_ACCESS_TOKEN}"}}}})},
		{"vscode http", configOptions{Client: "vscode", Transport: "http"}, js(srv{
			"inputs":  []any{srv{"type": "promptString", "id": "salesforce-access-token", "description": "Salesforce access token (sfmcp org display --show-token)", "password": true}},
			"servers": srv{"salesforce": srv{"type": "http", "url": url, "headers": srv{"Authorization": "Bearer ${input:salesforce-access-token}"}}}})},
		{"claude-desktop http", configOptions{Client: "claude-desktop", Transport: "http"},
			js(srv{"mcpServers": srv{"salesforce": srv{"command": "npx", "args": []string{"-y", "mcp-remote@" + MCPRemoteVersion, url, "--header", "Authorization:Bearer ${SALESFORCE_ACCESS_TOKEN}"}}}})},
		// Proxy mode and the emulator: no header.
		{"claude-code proxy", configOptions{Client: "claude-code", Transport: "http", Auth: "proxy"}, "claude mcp add --transport http salesforce " + url + "\n"},
		{"codex emulator", configOptions{Client: "codex", Transport: "http", emulator: true}, "codex mcp add salesforce --url " + url + "\n"},
		{"vscode proxy", configOptions{Client: "vscode", Transport: "http", Auth: "PROXY"}, js(srv{"servers": srv{"salesforce": srv{"type": "http", "url": url}}})},
		{"gemini emulator", configOptions{Client: "gemini", Transport: "http", emulator: true}, js(srv{"mcpServers": srv{"salesforce": srv{"httpUrl": url}}})},
		{"claude-desktop proxy", configOptions{Client: "claude-desktop", Transport: "http", Auth: "proxy"},
			js(srv{"mcpServers": srv{"salesforce": srv{"command": "npx", "args": []string{"-y", "mcp-remote@" + MCPRemoteVersion, url}}}})},
	} {
		o := tt.opts
		emu := o.emulator
		o.Executable, o.Emulator, o.Addr, o.Port = exe, func() bool { return emu }, "127.0.0.1", 8123
		got, err := clientConfig(&o)
		if err != nil || got != tt.want {
			t.Errorf("%s:\n%s%v\nwant:\n%s", tt.name, got, err, tt.want)
		}
	}
	for _, bad := range []configOptions{{Client: "vim", Transport: "stdio"}, {Client: "cursor", Transport: "sse"},
		{Client: "cursor", Transport: "http", Auth: "headers"}, {Client: "cursor", Transport: "http", Auth: "basic"}} {
		if _, err := clientConfig(&bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	// Through the command, with the factory's executable, the root's --org
	// and OAUTH_MODE from the configuration.
	run := func(cfg func() (*config.Config, error), args ...string) string {
		t.Helper()
		ios, _, out, _ := iostreams.Test()
		f := &cmdutil.Factory{IOStreams: ios, Executable: exe, Config: cfg}
		cmd := NewCmdServe(f, nil)
		cmd.PersistentFlags().String("org", "", "")
		cmd.SetArgs(args)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		return out.String()
	}
	if got := run(blankConfig, "config", "gemini", "--transport", "http", "--port", "8123"); !strings.Contains(got, `"httpUrl": "`+url+`"`) || !strings.Contains(got, "Bearer ${SALESFORCE_ACCESS_TOKEN}") {
		t.Errorf("serve config gemini --transport http: %s", got)
	}
	if got := run(blankConfig, "--org", "prod", "config", "claude-code", "--read-only"); !strings.HasSuffix(got, " serve --transport stdio --org prod --read-only\n") {
		t.Errorf("serve --org prod config claude-code --read-only: %s", got)
	}
	proxyCfg := func() (*config.Config, error) {
		c, err := blankConfig()
		if err == nil {
			err = c.Set(config.KeyOAuthMode, "proxy")
		}
		return c, err
	}
	if got := run(proxyCfg, "config", "codex", "--transport", "http"); got != "codex mcp add salesforce --url http://127.0.0.1:8000/mcp\n" {
		t.Errorf("OAUTH_MODE=proxy serve config codex: %s", got)
	}
}

func TestListToolsJSON(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	if err := serveRun(context.Background(), &Options{IO: ios, Transport: "stdio", ListTools: true, JSON: true}); err != nil {
		t.Fatal(err)
	}
	var defs []struct {
		Name         string          `json:"name"`
		InputSchema  json.RawMessage `json:"inputSchema"`
		OutputSchema json.RawMessage `json:"outputSchema"`
		Annotations  map[string]any  `json:"annotations"`
	}
	if err := json.Unmarshal(out.Bytes(), &defs); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(defs) != len(ops.Catalogue()) {
		t.Errorf("%d tools; the catalogue has %d", len(defs), len(ops.Catalogue()))
	}
	for i, d := range defs {
		if d.Name != ops.Catalogue()[i].Meta.Name || len(d.InputSchema) == 0 || len(d.OutputSchema) == 0 || d.Annotations["readOnlyHint"] == nil {
			t.Errorf("tool %d: %s %s", i, d.Name, d.InputSchema)
		}
	}
	// --read-only lists only tools that change nothing; the table names them.
	ios, _, out, _ = iostreams.Test()
	if err := serveRun(context.Background(), &Options{IO: ios, Transport: "stdio", ListTools: true, ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "salesforce_query") || strings.Contains(out.String(), "salesforce_delete_record") {
		t.Errorf("--list-tools --read-only:\n%s", out.String())
	}
	if err := serveRun(context.Background(), &Options{IO: ios, ListTools: true, Toolsets: []string{"nope"}}); err == nil {
		t.Error("an unknown toolset was accepted")
	}
}

// TestServeStdioEmulator serves the emulator org over stdio, as
// `sfmcp serve --emulator` does: initialize, tools/list and a query, and
// nothing but JSON-RPC on stdout.
func TestServeStdioEmulator(t *testing.T) {
	em := emulatortest.New(t)
	ios, _, _, errOut := iostreams.Test()
	// The client keeps stdin open until it has its answers (at the end of
	// stdin the server stops, cancelling calls in flight).
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ios.In, ios.Out = inR, outW
	sf := func(context.Context) (*salesforce.Client, error) {
		return salesforce.New(salesforce.Config{HTTPClient: http.DefaultClient,
			Tokens: salesforce.NewTokenSource(salesforce.TokenSourceConfig{Token: salesforce.Token{AccessToken: em.Token.AccessToken, InstanceURL: em.URL}})})
	}
	done := make(chan error, 1)
	go func() {
		done <- serveRun(context.Background(), &Options{IO: ios, Config: blankConfig, Salesforce: sf, Version: "test", Transport: "stdio"})
		outW.Close()
	}()
	go func() {
		for _, m := range []string{
			`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}`,
			`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
			`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`,
			`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"salesforce_query","arguments":{"soql":"SELECT Id, Name FROM Account ORDER BY Name","max_records":3}}}`,
		} {
			_, _ = io.WriteString(inW, m+"\n")
		}
	}()
	replies := map[float64]json.RawMessage{}
	sc := bufio.NewScanner(outR)
	sc.Buffer(nil, 8<<20)
	for len(replies) < 3 && sc.Scan() {
		var msg struct {
			ID     float64         `json:"id"`
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal(sc.Bytes(), &msg); err != nil || msg.Result == nil {
			t.Fatalf("stdout holds something other than a JSON-RPC result: %.300s", sc.Text())
		}
		replies[msg.ID] = msg.Result
	}
	inW.Close()
	go func() { _, _ = io.Copy(io.Discard, outR) }()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var list struct{ Tools []struct{ Name string } }
	// The default listing: the query, records, metadata and limits toolsets
	// and the discovery tool; bulk and leads are found through it.
	listedWant := 1
	for _, e := range ops.Catalogue() {
		if slices.Contains(mcpserver.DefaultListedToolsets(), string(e.Meta.Toolset)) {
			listedWant++
		}
	}
	if err := json.Unmarshal(replies[2], &list); err != nil || len(list.Tools) != listedWant {
		t.Errorf("tools/list: %d tools, %v", len(list.Tools), err)
	}
	var call struct {
		IsError           bool `json:"isError"`
		StructuredContent struct {
			Returned      int    `json:"returned"`
			CorrelationID string `json:"correlation_id"`
		} `json:"structuredContent"`
	}
	if err := json.Unmarshal(replies[3], &call); err != nil || call.IsError || call.StructuredContent.Returned != 3 || call.StructuredContent.CorrelationID == "" {
		t.Errorf("query: %s %v", replies[3], err)
	}
	if !strings.Contains(errOut.String(), "serving MCP over stdio") {
		t.Errorf("stderr: %s", errOut.String())
	}
}
