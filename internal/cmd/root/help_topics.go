package root

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/config"
	"github.com/sfmcp/sfmcp/internal/mcpserver"
)

// newHelpTopicEnvironment is `sfmcp help environment`: a help topic (a
// command that runs nothing) listing every environment variable sfmcp reads.
func newHelpTopicEnvironment() *cobra.Command {
	return &cobra.Command{
		Use:   "environment",
		Short: "Environment variables sfmcp reads",
		Long: `Environment variables sfmcp reads. Flags win over them, and they win over the
config file. Where a line names several variables, the first one set wins:
the SFMCP_* name is sfmcp's own, the others those of the servers it replaces.

` + config.EnvironmentHelp(),
		Annotations: map[string]string{"help-topic": "true"},
	}
}

// addCompletions gives the tree its dynamic completions: org aliases for
// -o/--target-org (and --org), object names for every command whose first
// argument is an <sobject>, the object's fields for a --fields list, and
// serve's --transport and --toolsets values.
func addCompletions(root *cobra.Command, f *cmdutil.Factory) {
	_ = root.RegisterFlagCompletionFunc("target-org", cmdutil.CompleteOrgs(f))
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if !takesSObject(c) {
			return
		}
		if c.ValidArgsFunction == nil {
			c.ValidArgsFunction = cmdutil.CompleteSObjects(f)
		}
		if fl := c.Flags().Lookup("fields"); fl != nil && fl.Value.Type() != "bool" {
			_ = c.RegisterFlagCompletionFunc("fields", cmdutil.CompleteFieldList(f))
		}
	}
	walk(root)
	if serve, _, err := root.Find([]string{"serve"}); err == nil && serve != root {
		if serve.Flags().Lookup("transport") != nil {
			_ = serve.RegisterFlagCompletionFunc("transport", cobra.FixedCompletions([]cobra.Completion{"stdio", "http"}, cobra.ShellCompDirectiveNoFileComp))
		}
		if serve.Flags().Lookup("toolsets") != nil {
			_ = serve.RegisterFlagCompletionFunc("toolsets", cmdutil.CompleteList(append([]string{"all"}, mcpserver.KnownToolsets()...)...))
		}
	}
}

// takesSObject reports whether c's first argument is an object name: its
// usage line reads "<verb> <sobject> ..." or "<verb> [<sobject>]".
func takesSObject(c *cobra.Command) bool {
	fields := strings.Fields(c.Use)
	return len(fields) > 1 && strings.Trim(fields[1], "[]") == "<sobject>"
}
