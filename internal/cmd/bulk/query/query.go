// Package query implements `sfmcp bulk query`.
package query

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmd/bulk/shared"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp bulk query`.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)
	Quiet      bool

	SOQL             string
	All              bool
	Output           string // a path, or "" / "-" for stdout
	JSONLines        bool
	Async            bool
	PageRows         int
	AbortOnInterrupt bool
	Poll             salesforce.PollPolicy
}

// NewCmdQuery builds the command; runF replaces queryRun in tests.
func NewCmdQuery(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce}
	cmd := &cobra.Command{
		Use:   "query <soql>",
		Short: "Export a query's results as CSV through a Bulk query job",
		Long: `Run a SOQL query as a Bulk API 2.0 query job and write its results as CSV, page
by page as they arrive, in constant memory whatever their size: for exports
of many rows. --json writes JSON lines instead (one object per row, every value
a string; an empty cell is null). --all uses queryAll (deleted and archived rows too).

Bulk query jobs take no aggregate functions and no child subqueries. On a
terminal a progress line shows on stderr. Ctrl-C while the job runs leaves it
running (see sfmcp bulk results JOB); --abort-on-interrupt aborts it.`,
		Example: `  sfmcp bulk query "SELECT Id, Name, Owner.Name FROM Account" --output accounts.csv
  sfmcp bulk query --all "SELECT Id FROM Contact WHERE IsDeleted = true" > deleted.csv
  sfmcp bulk query --json "SELECT Id, Email FROM Lead" | jq -r .Email`,
		Args:        cobra.MinimumNArgs(1),
		Annotations: map[string]string{"ops": "salesforce_bulk_query"},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.SOQL = strings.TrimSpace(strings.Join(args, " "))
			if opts.SOQL == "" {
				return cmdutil.FlagErrorf("give a SOQL query")
			}
			if opts.PageRows < 0 {
				return cmdutil.FlagErrorf("--page-rows must not be negative")
			}
			opts.Quiet = shared.Quiet(f)
			opts.Poll = shared.Poll()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return queryRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&opts.All, "all", "a", false, "Include deleted and archived records (queryAll)")
	fl.StringVar(&opts.Output, "output", "", // no -o: that selects the org everywhere, as in sf
		"Write to this `file` (default: standard output)")
	fl.BoolVar(&opts.JSONLines, "json", false, "Write JSON lines instead of CSV")
	fl.BoolVar(&opts.Async, "async", false, "Print the job id at once and do not wait (fetch with sfmcp bulk results)")
	fl.IntVar(&opts.PageRows, "page-rows", 0, "Ask for result pages of this many `rows` (default: Salesforce's choice)")
	fl.BoolVar(&opts.AbortOnInterrupt, "abort-on-interrupt", false, "Abort the job on Ctrl-C instead of leaving it running")
	return cmd
}

func queryRun(ctx context.Context, opts *Options) error {
	c, err := opts.Salesforce(ctx)
	if err != nil {
		return err
	}
	ios := opts.IO
	job, err := ops.StartBulkQuery(ctx, c, opts.SOQL, opts.All)
	if job == nil {
		return cmdutil.SalesforceError(err)
	}
	// With a job and an error, ctx ended as the job was made: the wait below
	// ends at once and says what became of the job, as for any interrupt.
	if opts.Async && err == nil {
		fmt.Fprintln(ios.Out, job.ID)
		return nil
	}
	progress := ios.NewProgress(opts.Quiet)
	defer progress.Stop()
	progress.SetStage("Querying", "records", 0)
	ended, err := ops.WaitBulkQuery(ctx, c, job.ID, opts.Poll, func(j *salesforce.BulkJob) {
		progress.Set(j.NumberRecordsProcessed, "")
	})
	if err != nil {
		progress.Stop()
		var endedErr *ops.BulkJobEndedError
		switch {
		case errors.As(err, &endedErr):
			return err
		case shared.Interrupted(ctx, err):
			if opts.AbortOnInterrupt {
				shared.AbortAll(ctx, c, salesforce.BulkQuery, []string{job.ID}, ios.ErrOut)
			} else {
				fmt.Fprintf(ios.ErrOut, "The query job %s keeps running at Salesforce. Fetch its results with:\n  sfmcp bulk results %s --output FILE\n", job.ID, job.ID)
			}
			return cmdutil.ErrCancel
		}
		return cmdutil.SalesforceError(err)
	}
	progress.SetStage("Downloading", "records", ended.NumberRecordsProcessed)
	n, err := WriteResults(ctx, c, opts.IO, job.ID, opts.Output, opts.JSONLines, opts.PageRows, func(rows int64) { progress.Set(rows, "") })
	progress.Stop()
	if err != nil {
		return err
	}
	if !opts.Quiet && ios.IsStderrTTY() && (opts.Output != "" && opts.Output != "-" || !ios.IsStdoutTTY()) {
		where := "standard output"
		if opts.Output != "" && opts.Output != "-" {
			where = opts.Output
		}
		fmt.Fprintf(ios.ErrOut, "%d records from job %s written to %s\n", n, job.ID, where)
	}
	return nil
}

// WriteResults writes a completed query job's results to path ("" or "-":
// stdout) as CSV or JSON lines and returns the rows written. A file is
// written under a temporary name and renamed when complete.
func WriteResults(ctx context.Context, c *salesforce.Client, ios *iostreams.IOStreams, jobID, path string, jsonLines bool, pageRows int, onPage func(int64)) (int64, error) {
	var (
		w      io.Writer = ios.Out
		commit           = func() error { return nil }
	)
	if path != "" && path != "-" {
		f, err := os.Create(path + ".partial")
		if err != nil {
			return 0, err
		}
		defer func() {
			f.Close()
			os.Remove(path + ".partial")
		}()
		w = f
		commit = func() error {
			if err := f.Close(); err != nil {
				return err
			}
			return os.Rename(path+".partial", path)
		}
	}
	var (
		n   int64
		err error
	)
	if jsonLines {
		n, err = ops.StreamBulkQueryJSONLines(ctx, c, jobID, pageRows, w, onPage)
	} else {
		n, err = ops.StreamBulkQuery(ctx, c, jobID, pageRows, w, onPage)
	}
	if err != nil {
		return n, cmdutil.SalesforceError(err)
	}
	return n, commit()
}
