package load

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmd/bulk/shared"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// ResumeOptions are the inputs of `sfmcp bulk resume`.
type ResumeOptions struct {
	Options
	JobID      string
	Journal    string
	NoSend     bool
	IgnoreJobs []string
}

// NewCmdResume builds `sfmcp bulk resume`; runF replaces resumeRun in tests.
func NewCmdResume(f *cmdutil.Factory, runF func(context.Context, *ResumeOptions) error) *cobra.Command {
	opts := &ResumeOptions{Options: Options{IO: f.IOStreams, Salesforce: f.Salesforce}}
	cmd := &cobra.Command{
		Use:   "resume [<job-id>]",
		Short: "Finish an interrupted or --async load, or wait for a job",
		Long: `Finish a bulk load that did not end: one interrupted (Ctrl-C, a lost
connection, or a killed process) or started with --async. Every load keeps a
journal beside its results files (<input>.load-journal.json) naming each job
and the byte range of the input it took, written before the job may run.
Resume reads it, settles the jobs the interrupted run left in flight (a job
left Open is aborted; a job that was closed keeps its rows), sends again only
the rows no job took, waits for every job, and writes the same results files
and summary as a load run in the foreground. No row is sent twice; when the
org holds a job the journal cannot account for, resume stops and names it.

Without arguments it resumes the one unfinished load whose journal is in
--results-dir (default: the current directory). Give --journal to pick one.
With a job id it resumes the load that job belongs to, or, when no journal
names it, waits for that job and writes bulk-<job-id>.failed.csv and
.unprocessed.csv.`,
		Example: `  sfmcp bulk resume
  sfmcp bulk resume --journal data/accounts.load-journal.json
  sfmcp bulk resume 750xx0000000001AAA
  sfmcp bulk resume --no-send`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Quiet = shared.Quiet(f)
			opts.Poll = shared.Poll()
			if len(args) == 1 {
				id, err := shared.JobIDArg(args[0])
				if err != nil {
					return err
				}
				opts.JobID = id
			}
			for i, id := range opts.IgnoreJobs {
				v, err := shared.JobIDArg(id)
				if err != nil {
					return err
				}
				opts.IgnoreJobs[i] = v
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return resumeRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Journal, "journal", "", "The load's journal `file` (default: the one unfinished journal in --results-dir)")
	fl.StringVar(&opts.ResultsDir, "results-dir", "", "Where to look for journals and write results files of a lone job (default: the current directory)")
	fl.BoolVar(&opts.NoSend, "no-send", false, "Send nothing more: wait for the jobs and write the rows never sent to the unprocessed file")
	fl.StringSliceVar(&opts.IgnoreJobs, "ignore-job", nil, "A job `id` that is not this load's, though it could look so (repeatable)")
	fl.BoolVar(&opts.AbortOnInterrupt, "abort-on-interrupt", false, "Abort the jobs on Ctrl-C instead of leaving them running")
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	return cmd
}

func resumeRun(ctx context.Context, opts *ResumeOptions) error {
	path := opts.Journal
	if path == "" {
		var err error
		if path, err = findJournal(opts.ResultsDir, opts.JobID); err != nil {
			return err
		}
	}
	if path == "" {
		return waitLoneJob(ctx, opts)
	}
	lock, err := ops.LockLoad(path)
	if err != nil {
		return err
	}
	over := false
	defer func() { ops.UnlockLoad(path, lock, over) }()
	j, err := ops.ReadLoadJournal(path)
	if errors.Is(err, fs.ErrNotExist) {
		over = true
		return fmt.Errorf("no unfinished load: %s does not exist (a load removes its journal once its results files are written)", path)
	}
	if err != nil {
		return err
	}
	if opts.JobID != "" && !slices.Contains(j.JobIDs(), opts.JobID) && !journalNames(j, opts.JobID) {
		return fmt.Errorf("job %s is not in the load journal %s", opts.JobID, path)
	}
	o := &opts.Options
	o.SObject, o.Operation, o.ExternalID, o.MaxUploadBytes = j.Spec.SObject, j.Spec.Operation, j.Spec.ExternalIDField, j.Spec.MaxUploadBytes
	o.ResultsDir = filepath.Dir(path)
	in := &input{name: j.Input.Name, path: j.Input.Path, jsonl: j.Input.JSONL, header: j.Input.Header}
	if j.Input.Name == "standard input" {
		in.isStdin, in.tmp = true, j.Input.Path
	}
	c, err := o.Salesforce(ctx)
	if err != nil {
		return err
	}
	plan, err := ops.PrepareLoad(ctx, c, j.Spec, in.open)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("the load's input %s is gone: %w", j.Input.Path, err)
		}
		return inputError(in.name, err)
	}
	if plan.SHA256 != j.Input.SHA256 || plan.Rows != j.Input.Rows {
		return fmt.Errorf("%s changed since the load began (%d rows then, %d now): resuming could send the wrong rows; nothing was sent. Restore the input, or finish with --no-send to only collect what the jobs did", in.name, j.Input.Rows, plan.Rows)
	}
	notes, err := ops.ReconcileLoad(ctx, c, j, opts.IgnoreJobs)
	for _, n := range notes {
		fmt.Fprintln(o.IO.ErrOut, strings.ToUpper(n[:1])+n[1:]+".")
	}
	if err != nil {
		return cmdutil.SalesforceError(err)
	}
	if !o.Quiet {
		taken := j.JobIDs()
		fmt.Fprintf(o.IO.ErrOut, "Resuming the %s of %s from %s: %d %s took rows before.\n", verbs[j.Spec.Operation].use, j.Spec.SObject, in.name, len(taken), plural(len(taken), "job", "jobs"))
	}
	o.Async = false
	over, err = runJournaled(ctx, c, o, in, j, plan, opts.NoSend)
	if over {
		in.cleanup()
	}
	return err
}

func journalNames(j *ops.LoadJournal, id string) bool {
	for _, p := range j.Parts {
		if p.JobID == id || slices.Contains(p.Abandoned, id) {
			return true
		}
	}
	return false
}

// findJournal picks the journal to resume in dir: the one holding jobID, or
// the only one. It returns "" for a job no journal names.
func findJournal(dir, jobID string) (string, error) {
	if dir == "" {
		dir = "."
	}
	found, err := filepath.Glob(filepath.Join(dir, "*"+journalSuffix))
	if err != nil {
		return "", err
	}
	if jobID != "" {
		for _, p := range found {
			if j, err := ops.ReadLoadJournal(p); err == nil && journalNames(j, jobID) {
				return p, nil
			}
		}
		return "", nil
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no unfinished load in %s (no *%s file); name a job id, --journal, or --results-dir", dir, journalSuffix)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%d unfinished loads in %s; choose one with --journal:\n  %s", len(found), dir, strings.Join(found, "\n  "))
}

// waitLoneJob waits for one job no journal names and writes its results
// files as a load would (bulk-<id>.failed.csv and .unprocessed.csv).
func waitLoneJob(ctx context.Context, opts *ResumeOptions) error {
	o := &opts.Options
	c, err := o.Salesforce(ctx)
	if err != nil {
		return err
	}
	job, err := ops.FindBulkJob(ctx, c, opts.JobID)
	if err != nil {
		return cmdutil.SalesforceError(err)
	}
	if job.Kind() != salesforce.BulkIngest {
		return fmt.Errorf("job %s is a query job; get its rows with `sfmcp bulk results %s`", job.ID, job.ID)
	}
	o.SObject, o.Operation = job.Object, job.Operation
	if _, ok := verbs[o.Operation]; !ok {
		return fmt.Errorf("job %s is a %s job, which sfmcp does not load", job.ID, job.Operation)
	}
	fmt.Fprintf(o.IO.ErrOut, "No load journal names job %s: waiting for it alone.\n", job.ID)
	progress := o.IO.NewProgress(o.Quiet)
	progress.SetStage("Processing", "records", 0)
	ended, err := ops.WaitLoad(ctx, c, []string{job.ID}, o.Poll, func(_ int, j *salesforce.BulkJob) { progress.Set(j.NumberRecordsProcessed, "") })
	progress.Stop()
	if err != nil {
		if shared.Interrupted(ctx, err) {
			shared.ResumeHint(o.IO.ErrOut, []string{job.ID})
			return cmdutil.ErrCancel
		}
		return cmdutil.SalesforceError(err)
	}
	in := &input{name: "job " + job.ID, isStdin: true}
	if o.ResultsDir == "" {
		o.ResultsDir = "."
	}
	// A lone job's input size is not known here: the job's own counts stand for it.
	sum := Summary{SObject: job.Object, Operation: job.Operation, Jobs: []ops.LoadJob{{ID: job.ID}}, Rows: -1}
	return finish(ctx, c, o, in, &sum, ended, nil)
}
