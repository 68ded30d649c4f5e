// Package status implements `sfmcp bulk status`.
package status

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmd/bulk/shared"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/output"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp bulk status`.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)

	JobID    string
	Exporter cmdutil.Exporter
}

// NewCmdStatus builds the command; runF replaces statusRun in tests.
func NewCmdStatus(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce}
	cmd := &cobra.Command{
		Use:   "status <job-id>",
		Short: "Show a Bulk job's state and counts",
		Long: `Show a Bulk API 2.0 job's state and record counts, ingest or query. For a load
that has ended it also counts the failed and unprocessed rows.`,
		Example:     "  sfmcp bulk status 750xx0000000001AAA\n  sfmcp bulk status 750xx0000000001AAA --json --jq .state",
		Args:        cobra.ExactArgs(1),
		Annotations: map[string]string{"ops": "salesforce_bulk_job_status"},
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := shared.JobIDArg(args[0])
			if err != nil {
				return err
			}
			opts.JobID = id
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return statusRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	return cmd
}

func statusRun(ctx context.Context, opts *Options) error {
	c, err := opts.Salesforce(ctx)
	if err != nil {
		return err
	}
	out, err := ops.BulkJobStatus(ctx, c, ops.BulkJobStatusInput{JobID: opts.JobID})
	if err != nil {
		return shared.Error(err)
	}
	if opts.Exporter.Enabled() {
		return opts.Exporter.Write(ctx, opts.IO, out)
	}
	pairs := []output.KeyValue{
		{Key: "Job", Value: out.JobID},
		{Key: "Type", Value: out.JobType},
		{Key: "Object", Value: out.Object},
		{Key: "Operation", Value: out.Operation},
		{Key: "State", Value: out.State},
		{Key: "Processed", Value: fmt.Sprint(out.Processed)},
	}
	if out.JobType != "V2Query" {
		pairs = append(pairs,
			output.KeyValue{Key: "Successful", Value: fmt.Sprint(out.Successful)},
			output.KeyValue{Key: "Failed", Value: fmt.Sprint(out.Failed)})
		if out.Done {
			pairs = append(pairs, output.KeyValue{Key: "Unprocessed", Value: fmt.Sprint(out.Unprocessed)})
		}
	}
	if out.ErrorMessage != "" {
		pairs = append(pairs, output.KeyValue{Key: "Error", Value: out.ErrorMessage})
	}
	pairs = append(pairs, output.KeyValue{Key: "Created", Value: out.CreatedDate})
	return output.WriteKeyValues(opts.IO, pairs)
}
