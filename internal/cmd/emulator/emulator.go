// Package emulator is the `sfmcp emulator` command: it runs the local
// Salesforce-compatible org as a server.
package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/iostreams"
)

// Options are the command's inputs.
type Options struct {
	IO           *iostreams.IOStreams
	Addr         string
	DataPath     string
	SchemaPath   string
	NoSampleData bool
	APILimit     int
	AllowRemote  bool
	Apps         []string // --app values
}

// NewCmdEmulator builds `sfmcp emulator`; runF replaces the run in tests.
func NewCmdEmulator(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Run a local Salesforce-compatible org (an emulator, not a real org)",
		Long: `Run the sfmcp emulator: a local org that speaks Salesforce's REST, Bulk 2.0 and
OAuth APIs, with a sample org's data, stored in SQLite. Use it to try sfmcp, to
test scripts and agents offline, or as the org for end-to-end tests.

Once it listens it prints one JSON line on stdout with instance_url, login_url,
access_token, refresh_token and client_id, then serves until interrupted.
It binds to loopback only unless --allow-remote is given.

OAuth clients must be registered connected apps, as on Salesforce. Two are
built in: sfmcp-emulator (the client_id printed at start) and PlatformCLI
(the sf CLI's), both with the callback http://localhost:1717/OAuthRedirect.
Add more with --app (repeatable), comma-separated key=value pairs:
  client_id=ID         the consumer key (required)
  secret=SECRET        the consumer secret (needed by client credentials)
  callback=URL         a callback URL (repeatable); a loopback URL may give
                       its port as * to accept any port
  certificate=FILE     a PEM certificate whose key signs JWT bearer logins
  run_as=USERNAME      the user the client-credentials flow runs as
or in the --schema file, under connectedApps: (clientId, clientSecret,
callbacks, certificate as PEM text, runAs).`,
		Example: `  sfmcp emulator
  sfmcp emulator --addr 127.0.0.1:8443 --data ./org.db
  sfmcp emulator --app client_id=ci,certificate=server.crt --app client_id=eca,secret=s3cret,run_as=emulator.admin@sfmcp-emulator.invalid
  SALESFORCE_INSTANCE_URL=http://127.0.0.1:8443 SALESFORCE_ACCESS_TOKEN=... sfmcp query "SELECT Name FROM Account"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:0", "address to listen on (port 0 picks a free one)")
	cmd.Flags().StringVar(&opts.DataPath, "data", "", "SQLite file that keeps the org between runs (default: in memory)")
	cmd.Flags().StringVar(&opts.SchemaPath, "schema", "", "YAML file of custom fields and objects (default: the built-in sample)")
	cmd.Flags().BoolVar(&opts.NoSampleData, "no-sample-data", false, "start with users and lead statuses only")
	cmd.Flags().IntVar(&opts.APILimit, "api-limit", 0, "the org's DailyApiRequests.Max; requests past it get REQUEST_LIMIT_EXCEEDED (default 15000)")
	cmd.Flags().StringArrayVar(&opts.Apps, "app", nil, "register a connected app: `client_id=ID[,secret=S][,callback=URL]...[,certificate=FILE][,run_as=USER]` (repeatable)")
	cmd.Flags().BoolVar(&opts.AllowRemote, "allow-remote", false, "allow a non-loopback --addr (the emulator hands out admin tokens to anyone)")
	return cmd
}

// Run starts the emulator, prints its startup line and serves until ctx ends.
func Run(ctx context.Context, opts *Options) error {
	if opts.APILimit < 0 {
		return cmdutil.FlagErrorf("--api-limit %d: want a positive number of requests", opts.APILimit)
	}
	eo := emulator.Options{DataPath: opts.DataPath, NoSampleData: opts.NoSampleData, APILimit: opts.APILimit}
	if opts.SchemaPath != "" {
		b, err := os.ReadFile(opts.SchemaPath)
		if err != nil {
			return fmt.Errorf("read --schema: %w", err)
		}
		eo.SchemaConfig = b
	}
	for _, v := range opts.Apps {
		app, err := emulator.ParseAppFlag(v, os.ReadFile)
		if err != nil {
			return cmdutil.FlagErrorWrap(err)
		}
		eo.Apps = append(eo.Apps, app)
	}
	inst, err := emulator.Listen(ctx, opts.Addr, eo, opts.AllowRemote)
	if err != nil {
		return err
	}
	info, err := inst.Startup(ctx)
	if err != nil {
		inst.Close()
		return err
	}
	enc := json.NewEncoder(opts.IO.Out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(info); err != nil {
		inst.Close()
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "%s listening on %s (Ctrl-C to stop)\n", emulator.Label, info.InstanceURL)
	return inst.Serve(ctx)
}
