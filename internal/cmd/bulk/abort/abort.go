// Package abort implements `sfmcp bulk abort`.
package abort

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmd/bulk/shared"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp bulk abort`.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)

	JobID string
}

// NewCmdAbort builds the command; runF replaces abortRun in tests.
func NewCmdAbort(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce}
	cmd := &cobra.Command{
		Use:   "abort <job-id>",
		Short: "Abort a Bulk job",
		Long: `Abort a Bulk API 2.0 job, ingest or query. Rows a load has already processed
stay processed; the rest show up as unprocessed in its results.`,
		Example: "  sfmcp bulk abort 750xx0000000001AAA",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := shared.JobIDArg(args[0])
			if err != nil {
				return err
			}
			opts.JobID = id
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return abortRun(cmd.Context(), opts)
		},
	}
	return cmd
}

func abortRun(ctx context.Context, opts *Options) error {
	c, err := opts.Salesforce(ctx)
	if err != nil {
		return err
	}
	j, err := ops.AbortBulkJob(ctx, c, opts.JobID)
	if err != nil {
		return cmdutil.SalesforceError(err)
	}
	fmt.Fprintf(opts.IO.Out, "Aborted job %s (%s)\n", j.ID, j.State)
	return nil
}
