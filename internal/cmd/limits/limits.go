// Package limits implements `sfmcp limits`.
package limits

import (
	"context"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/output"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp limits`.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)
	Exporter   cmdutil.Exporter
}

// NewCmdLimits builds the command; runF replaces limitsRun in tests.
func NewCmdLimits(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce}
	cmd := &cobra.Command{
		Use:   "limits",
		Short: "Show the org's API and storage limits",
		Long: `Show the org's limits (daily API requests, storage, Bulk API jobs, ...) with
their maximum, what remains and what is used. Per-app breakdowns are listed
as "Limit.App".`,
		Example: `  sfmcp limits
  sfmcp limits --json --jq '.[] | select(.name == "DailyApiRequests")'`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{"ops": "salesforce_limits"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return limitsRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	cmdutil.AddCSVFlag(cmd, &opts.Exporter, opts.IO)
	return cmd
}

func limitsRun(ctx context.Context, opts *Options) error {
	c, err := opts.Salesforce(ctx)
	if err != nil {
		return err
	}
	out, err := ops.Limits(ctx, c, ops.LimitsInput{})
	if err != nil {
		return cmdutil.SalesforceError(err)
	}
	if opts.Exporter.Enabled() {
		return opts.Exporter.Write(ctx, opts.IO, out.Limits)
	}
	t := output.NewTable(opts.IO, "NAME", "MAX", "REMAINING", "USED")
	for _, l := range out.Limits {
		t.AddRow(l.Name, strconv.FormatInt(l.Max, 10), strconv.FormatInt(l.Remaining, 10), strconv.FormatInt(l.Used, 10))
	}
	return t.Render()
}
