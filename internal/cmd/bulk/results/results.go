// Package results implements `sfmcp bulk results`.
package results

import (
	"bufio"
	"context"
	"io"
	"os"

	"github.com/spf13/cobra"

	bulkquery "github.com/sfmcp/sfmcp/internal/cmd/bulk/query"
	"github.com/sfmcp/sfmcp/internal/cmd/bulk/shared"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp bulk results`.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)

	JobID     string
	Which     string // salesforce.SuccessfulResults, FailedResults or UnprocessedRecords
	Output    string
	JSONLines bool
}

// NewCmdResults builds the command; runF replaces resultsRun in tests.
func NewCmdResults(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce}
	var failed, successful, unprocessed bool
	cmd := &cobra.Command{
		Use:   "results <job-id>",
		Short: "Download a Bulk job's results as CSV",
		Long: `Download a Bulk API 2.0 job's results as CSV, streamed.

For a load: --successful (the default) writes sf__Id, sf__Created and the
row; --failed writes sf__Id, sf__Error and the row; --unprocessed writes the
rows the job never reached. For a query job: its rows (--json: JSON lines).`,
		Example: `  sfmcp bulk results 750xx0000000001AAA --failed --output failed.csv
  sfmcp bulk results 750xx0000000002AAA > export.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := shared.JobIDArg(args[0])
			if err != nil {
				return err
			}
			opts.JobID = id
			n := 0
			opts.Which = salesforce.SuccessfulResults
			for _, c := range []struct {
				set   bool
				which string
			}{{successful, salesforce.SuccessfulResults}, {failed, salesforce.FailedResults}, {unprocessed, salesforce.UnprocessedRecords}} {
				if c.set {
					n++
					opts.Which = c.which
				}
			}
			if n > 1 {
				return cmdutil.FlagErrorf("choose one of --successful, --failed and --unprocessed")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return resultsRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&successful, "successful", false, "The rows that succeeded (the default)")
	fl.BoolVar(&failed, "failed", false, "The rows that failed, with their errors")
	fl.BoolVar(&unprocessed, "unprocessed", false, "The rows the job did not process")
	fl.StringVar(&opts.Output, "output", "", // no -o: that selects the org everywhere, as in sf
		"Write to this `file` (default: standard output)")
	fl.BoolVar(&opts.JSONLines, "json", false, "Query jobs: write JSON lines instead of CSV")
	return cmd
}

func resultsRun(ctx context.Context, opts *Options) error {
	c, err := opts.Salesforce(ctx)
	if err != nil {
		return err
	}
	job, err := ops.FindBulkJob(ctx, c, opts.JobID)
	if err != nil {
		return cmdutil.SalesforceError(err)
	}
	if err := ops.BulkResultsReady(job); err != nil {
		return err
	}
	if job.Kind() == salesforce.BulkQuery {
		_, err := bulkquery.WriteResults(ctx, c, opts.IO, job.ID, opts.Output, opts.JSONLines, 0, nil)
		return err
	}
	rc, err := ops.IngestJobResults(ctx, c, job.ID, opts.Which)
	if err != nil {
		return cmdutil.SalesforceError(err)
	}
	defer rc.Close()
	if opts.Output == "" || opts.Output == "-" {
		_, err = io.Copy(opts.IO.Out, rc)
		return err
	}
	f, err := os.Create(opts.Output)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	if _, err = io.Copy(bw, rc); err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
