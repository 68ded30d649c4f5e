// Package list implements `sfmcp bulk list`.
package list

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/output"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp bulk list`.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)

	Exporter cmdutil.Exporter
}

// Job is one listed job.
type Job = ops.BulkJobSummary

// NewCmdList builds the command; runF replaces listRun in tests.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce}
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the org's Bulk jobs",
		Long:    "List the org's Bulk API 2.0 jobs, ingest and query, newest first.",
		Example: "  sfmcp bulk list\n  sfmcp bulk list --json --jq '.[] | select(.state == \"InProgress\") | .id'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	cmdutil.AddCSVFlag(cmd, &opts.Exporter, opts.IO)
	return cmd
}

func listRun(ctx context.Context, opts *Options) error {
	c, err := opts.Salesforce(ctx)
	if err != nil {
		return err
	}
	jobs, err := ops.ListBulkJobs(ctx, c)
	if err != nil {
		return cmdutil.SalesforceError(err)
	}
	if opts.Exporter.Enabled() {
		return opts.Exporter.Write(ctx, opts.IO, jobs)
	}
	t := output.NewTable(opts.IO, "ID", "TYPE", "OPERATION", "OBJECT", "STATE", "CREATED")
	for _, j := range jobs {
		t.AddRow(j.ID, j.Type, j.Operation, j.Object, j.State, j.Created)
	}
	return t.Render()
}
