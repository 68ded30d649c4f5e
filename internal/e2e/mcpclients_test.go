package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/testenv"
)

// mcpRemoteClient is mcp-remote's own client (pinned in
// internal/e2e/mcpclients, installed by .ci/test-deps.sh): it connects like
// the mcp-remote bridge of the Claude Desktop snippet, then lists the tools.
func mcpRemoteClient(t *testing.T) string {
	t.Helper()
	testenv.LookPath(t, "node", "install Node.js 20+ (.ci/test-deps.sh)")
	p, _ := filepath.Abs(filepath.Join("mcpclients", "node_modules", "mcp-remote", "dist", "client.js"))
	if _, err := os.Stat(p); err != nil {
		testenv.Missing(t, "mcp-remote is not installed: npm ci --prefix internal/e2e/mcpclients (.ci/test-deps.sh)")
	}
	return p
}

// TestClaudeDesktopHTTPSnippet runs the HTTP snippet `sfmcp serve config
// claude-desktop` prints, as printed (its mcp-remote arguments, the token from
// SALESFORCE_ACCESS_TOKEN), through mcp-remote against a bearer-mode server,
// and checks the tools were listed; and the emulator's header-less snippet.
func TestClaudeDesktopHTTPSnippet(t *testing.T) {
	t.Parallel()
	client := mcpRemoteClient(t)
	em := emulatortest.New(t)
	for _, tt := range []struct {
		name      string
		serveEnv  []string
		serveArgs []string
		token     string
	}{
		{"bearer", append(baseEnv(t), "OAUTH_MODE=bearer", "SALESFORCE_INSTANCE_URL="+em.URL, "SFMCP_ALLOWED_INSTANCE_HOSTS="+emulatorHost(em)), nil, em.Token.AccessToken},
		{"emulator", baseEnv(t), []string{"--emulator"}, ""},
	} {
		port := freePort(t)
		base := startServeHTTPOnPort(t, tt.serveEnv, port, tt.serveArgs...)
		cfgArgs := append([]string{"serve", "config", "claude-desktop", "--transport", "http", "--port", strings.TrimPrefix(base[strings.LastIndex(base, ":"):], ":")}, tt.serveArgs...)
		snippet := ok(t, baseEnv(t), cfgArgs...)
		var cfg struct {
			MCPServers map[string]struct {
				Command string   `json:"command"`
				Args    []string `json:"args"`
			} `json:"mcpServers"`
		}
		if err := json.Unmarshal([]byte(snippet), &cfg); err != nil {
			t.Fatalf("%s: %v\n%s", tt.name, err, snippet)
		}
		s := cfg.MCPServers["salesforce"]
		// npx -y mcp-remote@<pinned> <args>: run the pinned package's client with <args>.
		if s.Command != "npx" || len(s.Args) < 3 || s.Args[0] != "-y" || !strings.HasPrefix(s.Args[1], "mcp-remote@") {
			t.Fatalf("%s: snippet %s", tt.name, snippet)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, "node", append([]string{client}, s.Args[2:]...)...)
		home := t.TempDir()
		// Its own HOME (mcp-remote keeps state in ~/.mcp-auth); no token in the emulator case.
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "MCP_REMOTE_CONFIG_DIR=" + filepath.Join(home, ".mcp-auth"), "SALESFORCE_ACCESS_TOKEN=" + tt.token}
		// The client stops when its stdin ends; keep it open until it is done.
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		out, err := cmd.CombinedOutput()
		stdin.Close()
		cancel()
		if !strings.Contains(string(out), `"name": "salesforce_query"`) {
			t.Errorf("%s: mcp-remote did not list the tools (%v):\n%s", tt.name, err, out)
		}
	}
}
