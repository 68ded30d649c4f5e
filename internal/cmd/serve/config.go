package serve

import (
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
)

// clients are the MCP clients `serve config` knows.
var clients = []string{"claude-desktop", "claude-code", "gemini", "cursor"}

type configOptions struct {
	Executable string
	Emulator   func() bool
	Client     string
	Transport  string
	Addr       string
	Port       int
}

func newCmdConfig(f *cmdutil.Factory) *cobra.Command {
	opts := &configOptions{Executable: f.Executable, Emulator: func() bool {
		cfg, err := f.Config()
		return err == nil && cfg.Emulator()
	}}
	cmd := &cobra.Command{
		Use:       "config <" + strings.Join(clients, "|") + ">",
		Short:     "Print an MCP client's configuration for this sfmcp",
		Long:      "Print the snippet that adds this sfmcp (by its absolute path) to an MCP client's configuration.\nWith --transport http, the snippet points at the server's /mcp URL instead.",
		Example:   "  sfmcp serve config claude-desktop\n  sfmcp serve config claude-code --transport http --port 8000\n  sfmcp serve config cursor --emulator",
		Args:      cobra.ExactArgs(1),
		ValidArgs: clients,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Client = args[0]
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
	args := []string{"serve", "--transport", "stdio"}
	if o.Emulator != nil && o.Emulator() {
		args = append(args, "--emulator")
	}
	url := "http://" + net.JoinHostPort(o.Addr, strconv.Itoa(o.Port)) + "/mcp"
	switch o.Transport {
	case "stdio", "http":
	default:
		return "", cmdutil.FlagErrorf("--transport %q: want stdio or http", o.Transport)
	}
	http := o.Transport == "http"
	if o.Client == "claude-code" {
		if http {
			return "claude mcp add --transport http salesforce " + url + "\n", nil
		}
		return "claude mcp add --transport stdio salesforce -- " + shellQuote(o.Executable) + " " + strings.Join(args, " ") + "\n", nil
	}
	server := map[string]any{"command": o.Executable, "args": args}
	if http {
		key := "url"
		if o.Client == "gemini" {
			key = "httpUrl" // Gemini CLI's name for a streamable HTTP server
		}
		server = map[string]any{key: url}
	}
	b, err := json.MarshalIndent(map[string]any{"mcpServers": map[string]any{"salesforce": server}}, "", "  ")
	if err != nil {
		return "", err
	}
	return string(b) + "\n", nil
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
