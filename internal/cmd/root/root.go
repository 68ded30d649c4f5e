// Package root builds the `sfmcp` command tree.
package root

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sfmcp/sfmcp/internal/build"
	"github.com/sfmcp/sfmcp/internal/cmd/api"
	"github.com/sfmcp/sfmcp/internal/cmd/bulk"
	"github.com/sfmcp/sfmcp/internal/cmd/completion"
	"github.com/sfmcp/sfmcp/internal/cmd/describe"
	"github.com/sfmcp/sfmcp/internal/cmd/emulator"
	"github.com/sfmcp/sfmcp/internal/cmd/lead"
	"github.com/sfmcp/sfmcp/internal/cmd/limits"
	"github.com/sfmcp/sfmcp/internal/cmd/login"
	"github.com/sfmcp/sfmcp/internal/cmd/logout"
	"github.com/sfmcp/sfmcp/internal/cmd/org"
	"github.com/sfmcp/sfmcp/internal/cmd/query"
	"github.com/sfmcp/sfmcp/internal/cmd/record"
	"github.com/sfmcp/sfmcp/internal/cmd/search"
	"github.com/sfmcp/sfmcp/internal/cmd/serve"
	"github.com/sfmcp/sfmcp/internal/cmd/tooling"
	"github.com/sfmcp/sfmcp/internal/cmd/version"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
)

// NewGlobalFlags returns the flags every command accepts (design.md §2). They
// live in their own set so the factory's config can bind them before the
// command tree exists; NewCmdRoot adds them as persistent flags.
func NewGlobalFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("global", pflag.ContinueOnError)
	fs.SetNormalizeFunc(normalizeFlag)
	fs.StringP("target-org", "o", "", "Use the login with this `alias` (default: the default org; --org works too)")
	fs.Bool("emulator", false, "Use the local Salesforce emulator org instead of a real one")
	fs.String("api-version", "", "Salesforce API `version` (default: the org's newest, found once per login)")
	fs.BoolP("quiet", "q", false, "Print only results and errors")
	fs.BoolP("verbose", "v", false, "Log each HTTP request to stderr: method, path, status, duration, request id (never tokens)")
	fs.String("api-budget", "", "Refuse calls once the org's daily API usage reaches this `percent` of its limit (SFMCP_API_BUDGET)")
	fs.String("audit-log", "", "Append one JSON line per tool call and per write to this `file` (\"-\": stderr; SFMCP_AUDIT_LOG)")
	return fs
}

// normalizeFlag makes --org another name of --target-org: sf's name (with
// its -o) and sfmcp's own both select the org.
func normalizeFlag(_ *pflag.FlagSet, name string) pflag.NormalizedName {
	if name == "org" {
		name = "target-org"
	}
	return pflag.NormalizedName(name)
}

// NewCmdRoot builds the root command with every subcommand.
func NewCmdRoot(f *cmdutil.Factory, globals *pflag.FlagSet, info build.Info) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sfmcp <command> [flags]",
		Short: "Salesforce from the command line, and as an MCP server",
		Long: `sfmcp works with Salesforce orgs from the command line and serves the same
operations to AI clients as an MCP server (sfmcp serve).

Environment: SALESFORCE_ACCESS_TOKEN and SALESFORCE_INSTANCE_URL select an org
without logging in; SFMCP_CONFIG names the config file. Every variable:
sfmcp help environment.`,
		Example: `  sfmcp query "SELECT Id, Name FROM Account LIMIT 5"
  sfmcp query --emulator --csv "SELECT Name, Account.Name FROM Contact"
  sfmcp describe Account --json --jq '.fields[].name'`,
		Version:       info.Version,
		SilenceErrors: true, // cli.Main prints each error once
		SilenceUsage:  true, // usage is for usage errors only, and cli.Main adds the hint
		CompletionOptions: cobra.CompletionOptions{
			DisableDefaultCmd: true, // we have our own `completion` command
		},
	}
	cmd.SetVersionTemplate(info.String())
	cmd.PersistentFlags().AddFlagSet(globals)
	cmd.SetGlobalNormalizationFunc(normalizeFlag)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cmdutil.FlagErrorWrap(err) })
	cmd.SetIn(f.IOStreams.In)
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)

	addCommands(cmd, f, info)
	finishTree(cmd)
	addCompletions(cmd, f)
	return cmd
}

// addCommands is the one place commands join the tree, in the order `sfmcp
// --help` lists them. New commands: add a line here.
func addCommands(root *cobra.Command, f *cmdutil.Factory, info build.Info) {
	root.AddCommand(
		// bulk, lead and serve go here as they land.
		login.NewCmdLogin(f, nil),
		logout.NewCmdLogout(f, nil),
		org.NewCmdOrg(f),
		query.NewCmdQuery(f, nil),
		search.NewCmdSearch(f, nil),
		record.NewCmdRecord(f),
		lead.NewCmdLead(f),
		bulk.NewCmdBulk(f),
		describe.NewCmdDescribe(f, nil),
		limits.NewCmdLimits(f, nil),
		api.NewCmdAPI(f, nil),
		tooling.NewCmdTooling(f),
		serve.NewCmdServe(f, nil),
		emulator.NewCmdEmulator(f, nil),
		completion.NewCmdCompletion(f, nil),
		version.NewCmdVersion(f, info, nil),
		newHelpTopicEnvironment(),
	)
}

// finishTree makes mistakes anywhere in the tree usage errors (exit 2):
// argument validators return FlagErrors, and a group command (one that only
// holds subcommands, like `record`) rejects an unknown subcommand instead of
// printing help and exiting 0.
func finishTree(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		finishTree(c)
	}
	if validate := cmd.Args; validate != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			return cmdutil.FlagErrorWrap(validate(c, args))
		}
	}
	if cmd.HasParent() && !cmd.Runnable() && cmd.HasSubCommands() {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cmdutil.FlagErrorf("unknown command %q for %q", args[0], c.CommandPath())
			}
			return nil
		}
		cmd.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	}
}
