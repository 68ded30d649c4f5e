package serve

import (
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/config"
	"github.com/sfmcp/sfmcp/internal/mcpserver"
)

// clients are the MCP clients `serve config` knows.
var clients = []string{"claude-desktop", "claude-code", "gemini", "cursor", "codex", "vscode"}

// TokenEnv is the environment variable the HTTP snippets read the caller's
// Salesforce access token from (the same one stdio sfmcp reads).
const TokenEnv = "SALESFORCE_ACCESS_TOKEN"

// MCPRemoteVersion is the mcp-remote release the Claude Desktop HTTP snippet
// pins: Claude Desktop starts only local (stdio) servers from its config
// file, so mcp-remote bridges it to the HTTP server.
const MCPRemoteVersion = "0.15.1"

// vscodeInputID names the VS Code input that prompts for the token.
const vscodeInputID = "salesforce-access-token"

type configOptions struct {
	Executable string
	Emulator   func() bool
	Client     string
	Transport  string
	Addr       string
	Port       int
	// Auth is the HTTP server's OAUTH_MODE: bearer snippets send a token
	// from TokenEnv; proxy snippets send none, the client signs in.
	Auth string
	// Org, ReadOnly and Toolsets are passed on to the stdio command line.
	Org      string
	ReadOnly bool
	Toolsets []string

	emulator bool // tests: the value Emulator returns
}

func newCmdConfig(f *cmdutil.Factory) *cobra.Command {
	opts := &configOptions{Executable: f.Executable, Emulator: func() bool {
		cfg, err := f.Config()
		return err == nil && cfg.Emulator()
	}}
	cmd := &cobra.Command{
		Use:   "config <" + strings.Join(clients, "|") + ">",
		Short: "Print an MCP client's configuration for this sfmcp",
		Long: `Print the snippet that adds this sfmcp (by its absolute path) to an MCP client's
configuration, in that client's own form. --org, --emulator, --read-only and
--toolsets are passed on to the stdio command line.

With --transport http, the snippet points at the server's /mcp URL instead:
  bearer (OAUTH_MODE unset or bearer): the client sends the Salesforce access
         token in $` + TokenEnv + ` as "Authorization: Bearer", read from the
         environment when the client starts (Claude Code: when the command runs;
         VS Code prompts for it). Export it first, for example from
         'sfmcp org display --show-token --json' (access_token).
  proxy  (--auth proxy or OAUTH_MODE=proxy): no header; the client signs in
         through sfmcp, which is an OAuth authorization server with dynamic
         client registration.
  --emulator: no header; 'sfmcp serve --transport http --emulator' serves the
         emulator's own login to loopback clients that send no token.
Claude Desktop reaches an HTTP server through mcp-remote (npx), since it starts
only local servers from its config file.`,
		Example: `  sfmcp serve config claude-desktop --org prod --read-only
  export ` + TokenEnv + `=...; sfmcp serve config claude-code --transport http --port 8000
  sfmcp serve config vscode --transport http --auth proxy
  sfmcp serve config codex --emulator --toolsets query,metadata`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: clients,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Client = args[0]
			if fl := cmd.Flag("org"); fl != nil && fl.Changed {
				opts.Org = fl.Value.String()
			}
			if opts.Auth == "" {
				if cfg, err := f.Config(); err == nil {
					opts.Auth = cfg.String(config.KeyOAuthMode)
				}
			}
			s, err := clientConfig(opts)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(f.IOStreams.Out, s)
			return err
		},
	}
	cmd.Flags().StringVar(&opts.Transport, "transport", "stdio", "How the client connects: `stdio` or http")
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1", "The HTTP server's `host`")
	cmd.Flags().IntVar(&opts.Port, "port", DefaultPort, "The HTTP server's `port`")
	cmd.Flags().StringVar(&opts.Auth, "auth", "", "The HTTP server's `mode`: bearer or proxy (default OAUTH_MODE, else bearer)")
	cmd.Flags().BoolVar(&opts.ReadOnly, "read-only", false, "Serve only tools that change nothing (stdio)")
	cmd.Flags().StringSliceVar(&opts.Toolsets, "toolsets", nil, "Serve only these `toolsets` (stdio): "+strings.Join(mcpserver.KnownToolsets(), ","))
	return cmd
}

func clientConfig(o *configOptions) (string, error) {
	known := false
	for _, c := range clients {
		known = known || c == o.Client
	}
	if !known {
		return "", cmdutil.FlagErrorf("unknown client %q (want %s)", o.Client, strings.Join(clients, ", "))
	}
	switch o.Transport {
	case "stdio", "http":
	default:
		return "", cmdutil.FlagErrorf("--transport %q: want stdio or http", o.Transport)
	}
	mode, err := mcpserver.ParseAuthMode(o.Auth)
	if err != nil || mode == mcpserver.AuthHeaders {
		return "", cmdutil.FlagErrorf("--auth %q: want bearer or proxy", o.Auth)
	}
	emulator := o.Emulator != nil && o.Emulator()
	if o.Transport == "http" {
		url := "http://" + net.JoinHostPort(o.Addr, strconv.Itoa(o.Port)) + "/mcp"
		// Only a bearer server against a real org needs a header: a proxy
		// server signs the client in, an emulator server lends its login.
		return httpConfig(o.Client, url, mode == mcpserver.AuthBearer && !emulator)
	}
	args := []string{"serve", "--transport", "stdio"}
	if o.Org != "" {
		args = append(args, "--org", o.Org)
	}
	if emulator {
		args = append(args, "--emulator")
	}
	if o.ReadOnly {
		args = append(args, "--read-only")
	}
	if ts := mcpserver.SplitList(o.Toolsets); len(ts) > 0 {
		args = append(args, "--toolsets", strings.Join(ts, ","))
	}
	return stdioConfig(o.Client, o.Executable, args)
}

func stdioConfig(client, exe string, args []string) (string, error) {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	switch client {
	case "claude-code":
		return "claude mcp add --transport stdio salesforce -- " + shellQuote(exe) + " " + strings.Join(quoted, " ") + "\n", nil
	case "codex":
		return "codex mcp add salesforce -- " + shellQuote(exe) + " " + strings.Join(quoted, " ") + "\n", nil
	case "vscode":
		return jsonConfig(map[string]any{"servers": map[string]any{"salesforce": map[string]any{"type": "stdio", "command": exe, "args": args}}})
	}
	return jsonConfig(map[string]any{"mcpServers": map[string]any{"salesforce": map[string]any{"command": exe, "args": args}}})
}

// httpConfig is the client's snippet for the server at url; withToken adds
// the Authorization header in the client's own form, from TokenEnv.
func httpConfig(client, url string, withToken bool) (string, error) {
	switch client {
	case "claude-code":
		s := "claude mcp add --transport http salesforce " + url
		if withToken {
			// The shell expands the variable when the command runs.
			s += ` --header "Authorization: Bearer ${` + TokenEnv + `}"`
		}
		return s + "\n", nil
	case "codex":
		s := "codex mcp add salesforce --url " + url
		if withToken {
			s += " --bearer-token-env-var " + TokenEnv
		}
		return s + "\n", nil
	case "vscode":
		server := map[string]any{"type": "http", "url": url}
		cfg := map[string]any{"servers": map[string]any{"salesforce": server}}
		if withToken {
			server["headers"] = map[string]any{"Authorization": "Bearer ${input:" + vscodeInputID + "}"}
			cfg["inputs"] = []any{map[string]any{"type": "promptString", "id": vscodeInputID,
				"description": "Salesforce access token (sfmcp org display --show-token)", "password": true}}
		}
		return jsonConfig(cfg)
	case "claude-desktop":
		args := []string{"-y", "mcp-remote@" + MCPRemoteVersion, url}
		if withToken {
			// mcp-remote expands ${VAR} from its environment.
			args = append(args, "--header", "Authorization:Bearer ${"+TokenEnv+"}")
		}
		return jsonConfig(map[string]any{"mcpServers": map[string]any{"salesforce": map[string]any{"command": "npx", "args": args}}})
	}
	server := map[string]any{}
	switch client {
	case "gemini":
		server["httpUrl"] = url // Gemini CLI's name for a streamable HTTP server
		if withToken {
			server["headers"] = map[string]any{"Authorization": "Bearer ${" + TokenEnv + "}"}
		}
	case "cursor":
		server["url"] = url
		if withToken {
			server["headers"] = map[string]any{"Authorization": "Bearer ${env:" + TokenEnv + "}"}
		}
	}
	return jsonConfig(map[string]any{"mcpServers": map[string]any{"salesforce": server}})
}

func jsonConfig(v any) (string, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", err
	}
	return string(b) + "\n", nil
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '-' || r == '_' || r == '.' || r == ',' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
