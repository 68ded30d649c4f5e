package root

import (
	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/config"
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
