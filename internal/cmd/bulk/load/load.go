// Package load implements the Bulk load verbs: `sfmcp bulk insert`, `update`,
// `upsert`, `delete` and `hard-delete`. They are one command with five
// operations, so they share one package.
package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmd/bulk/shared"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of a load verb.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)
	Quiet      bool

	SObject          string
	Operation        string // salesforce.BulkInsert, ...
	ExternalID       string
	File             string // a path, or "-" for stdin
	Format           string // "", "csv" or "jsonl"
	Async            bool
	MaxUploadBytes   int64
	ResultsDir       string
	AbortOnInterrupt bool
	// Yes confirms a delete or hard-delete without asking.
	Yes      bool
	Poll     salesforce.PollPolicy
	Exporter cmdutil.Exporter
}

// verb is how each operation is spelled on the command line, and its help.
var verbs = map[string]struct{ use, short, tool string }{
	salesforce.BulkInsert:     {"insert", "Create records from a CSV or JSON lines file", "salesforce_bulk_insert"},
	salesforce.BulkUpdate:     {"update", "Update records by Id from a CSV or JSON lines file", "salesforce_bulk_update"},
	salesforce.BulkUpsert:     {"upsert", "Create or update records by an external id from a file", "salesforce_bulk_upsert"},
	salesforce.BulkDelete:     {"delete", "Delete records (to the recycle bin) listed by Id in a file", "salesforce_bulk_delete"},
	salesforce.BulkHardDelete: {"hard-delete", "Delete records permanently (no recycle bin) listed by Id in a file", ""},
}

const longHelp = `Load a file through Bulk API 2.0. The input is CSV with a header row of field
names (quoted values, embedded newlines, "" quotes, a UTF-8 BOM and CRLF line
endings all work), or JSON lines: one object per line, nested objects for
lookups by external id ({"Account":{"External_Id__c":"A1"}}), null to clear
a field. Give - to read standard input.

Before anything is sent the whole file is read once: every row must have as
many fields as the header (a ragged row is reported with its line number) and
every column must be a field of the object (checked against its describe).

The file streams up in parts of at most --max-upload-bytes (100 MB by
default: Salesforce takes 150 MB per job, counted after its own encoding, so
100 MB leaves room), split on row boundaries, each part its own job with the
header. The command waits for the jobs unless --async, showing progress on a
terminal, then prints a summary and writes the rows that failed (with
Salesforce's error in sf__Error) and the rows never processed to
<input>.failed.csv and <input>.unprocessed.csv (the input's name without its
extension; in --results-dir if given), so that successful + failed +
unprocessed rows add up to the input's rows; the summary says whether they do.
It exits 1 when any row failed or was not processed.

Before a job is created a journal (<input>.load-journal.json, beside the
results files) records it, and the byte range of the input it takes, so that
a load that did not end—Ctrl-C, a lost connection, a killed process—is
finished by ` + "`sfmcp bulk resume`" + `, which sends only the rows no job took. Running
the same command again while that journal is there refuses (it would send
rows twice) and points to resume. The journal is removed when the results
files are written.

Ctrl-C while waiting leaves the jobs running at Salesforce and prints how to
resume; with --abort-on-interrupt it aborts them instead. Ctrl-C during the
upload also writes the rows never sent to <input>.unprocessed.csv.

delete and hard-delete ask for confirmation on a terminal; elsewhere (and
with --file -) they need --yes.`

// NewCmdLoad builds the verb for operation; runF replaces loadRun in tests.
func NewCmdLoad(f *cmdutil.Factory, operation string, runF func(context.Context, *Options) error) *cobra.Command {
	v := verbs[operation]
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce, Operation: operation}
	example := fmt.Sprintf("  sfmcp bulk %s Account --file accounts.csv", v.use)
	if operation == salesforce.BulkUpsert {
		example = "  sfmcp bulk upsert Account --external-id External_Id__c --file accounts.csv\n  sfmcp query --csv \"SELECT Name FROM Lead\" | sfmcp bulk upsert Contact --external-id Email --file -"
	} else if operation == salesforce.BulkInsert {
		example += "\n  sfmcp bulk insert Contact --file contacts.jsonl --async\n  sfmcp bulk insert Account --file big.csv --max-upload-bytes 50000000 --results-dir ./results"
	}
	cmd := &cobra.Command{
		Use:     v.use + " <sobject> --file <file>",
		Short:   v.short,
		Long:    longHelp,
		Example: example,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.SObject = args[0]
			opts.Quiet = shared.Quiet(f)
			opts.Poll = shared.Poll()
			if opts.File == "" {
				return cmdutil.FlagErrorf("--file is required (a path, or - for standard input)")
			}
			switch opts.Format {
			case "", "csv", "jsonl":
			default:
				return cmdutil.FlagErrorf("--format must be csv or jsonl, not %q", opts.Format)
			}
			if opts.MaxUploadBytes < 1024 {
				return cmdutil.FlagErrorf("--max-upload-bytes must be at least 1024")
			}
			spec := opts.spec()
			if err := spec.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return loadRun(cmd.Context(), opts)
		},
	}
	if v.tool != "" {
		cmd.Annotations = map[string]string{"ops": v.tool}
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.File, "file", "f", "", "The input `file` (CSV or JSON lines), - for standard input")
	fl.StringVar(&opts.Format, "format", "", "Input format: csv or jsonl (default: from the file name, else from its first byte)")
	if operation == salesforce.BulkUpsert {
		fl.StringVarP(&opts.ExternalID, "external-id", "e", "", "The external id `field` that matches records (required)")
	}
	fl.BoolVar(&opts.Async, "async", false, "Print the job ids once uploaded and do not wait")
	fl.Int64Var(&opts.MaxUploadBytes, "max-upload-bytes", ops.DefaultMaxUploadBytes, "Split the input into jobs of at most this many `bytes`")
	fl.StringVar(&opts.ResultsDir, "results-dir", "", "Write the failed and unprocessed rows in this `directory` (default: beside the input)")
	fl.BoolVar(&opts.AbortOnInterrupt, "abort-on-interrupt", false, "Abort the jobs on Ctrl-C instead of leaving them running")
	if operation == salesforce.BulkDelete || operation == salesforce.BulkHardDelete {
		fl.BoolVarP(&opts.Yes, "yes", "y", false, "Delete without asking (required when not on a terminal)")
	}
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	return cmd
}

func (o *Options) spec() ops.LoadSpec {
	return ops.LoadSpec{SObject: o.SObject, Operation: o.Operation, ExternalIDField: o.ExternalID, MaxUploadBytes: o.MaxUploadBytes}
}

// Summary is what a load did, printed with --json.
type Summary struct {
	SObject     string        `json:"sobject"`
	Operation   string        `json:"operation"`
	Jobs        []ops.LoadJob `json:"jobs"`
	Rows        int64         `json:"rows"`
	Processed   int64         `json:"processed"`
	Successful  int64         `json:"successful"`
	Failed      int64         `json:"failed"`
	Unprocessed int64         `json:"unprocessed"`
	// Balanced is successful + failed + unprocessed == rows.
	Balanced        bool   `json:"balanced"`
	FailedFile      string `json:"failed_file,omitempty"`
	UnprocessedFile string `json:"unprocessed_file,omitempty"`
	Done            bool   `json:"done"`
}

func loadRun(ctx context.Context, opts *Options) error {
	in := newInput(opts)
	jpath := in.journalPath(opts.ResultsDir)
	lock, err := ops.LockLoad(jpath)
	if err != nil {
		return err
	}
	over := false
	defer func() { ops.UnlockLoad(jpath, lock, over) }()
	if j, err := ops.ReadLoadJournal(jpath); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return unfinishedError(jpath, j, err)
	}
	if err := in.read(opts, jpath); err != nil {
		return err
	}
	defer func() {
		if over {
			in.cleanup()
		}
	}()

	c, err := opts.Salesforce(ctx)
	if err != nil {
		return err
	}
	spec := opts.spec()
	plan, err := ops.PrepareLoad(ctx, c, spec, in.open)
	if err != nil {
		over = true
		return inputError(in.name, err)
	}
	if err := confirmDelete(opts, plan.Rows); err != nil {
		over = true
		return err
	}
	abs, err := filepath.Abs(in.path)
	if err != nil {
		return err
	}
	j := ops.NewLoadJournal(jpath, spec, ops.JournalInput{
		Path: abs, Name: in.name, JSONL: in.jsonl, Header: in.header,
		SHA256: plan.SHA256, Rows: plan.Rows, Bytes: plan.Bytes,
	})
	if err := j.Save(); err != nil {
		over = true
		return err
	}
	over, err = runJournaled(ctx, c, opts, in, j, plan, false)
	return err
}

// unfinishedError is a rerun that found the journal of a load not yet finished.
func unfinishedError(path string, j *ops.LoadJournal, err error) error {
	if j == nil {
		return fmt.Errorf("%w\nThe journal of an earlier load is in the way; running this load anew could send rows twice", err)
	}
	jobs := j.JobIDs()
	return fmt.Errorf("an unfinished load of %s (%s of %s, begun %s, %d %s so far) has its journal at %s; running it again could send rows twice.\nContinue it with:\n  %s",
		j.Input.Name, j.Spec.Operation, j.Spec.SObject, j.Started.Local().Format(time.DateTime), len(jobs), plural(len(jobs), "job", "jobs"), path, resumeCommand(path))
}

// resumeCommand is the command that continues the load journaled at path.
func resumeCommand(path string) string {
	return "sfmcp bulk resume --journal " + shellQuote(path)
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// confirmDelete asks before a delete or hard-delete on a terminal; elsewhere
// it needs --yes.
func confirmDelete(opts *Options, rows int64) error {
	if opts.Yes || (opts.Operation != salesforce.BulkDelete && opts.Operation != salesforce.BulkHardDelete) {
		return nil
	}
	what := "to the recycle bin"
	if opts.Operation == salesforce.BulkHardDelete {
		what = "permanently (no recycle bin)"
	}
	ios := opts.IO
	if opts.File == "-" || !ios.CanPrompt() {
		return cmdutil.FlagErrorf("bulk %s deletes %d %s records %s: pass --yes to confirm (there is no terminal to ask on)", verbs[opts.Operation].use, rows, opts.SObject, what)
	}
	fmt.Fprintf(ios.ErrOut, "Delete %d %s records %s? Type yes to go on: ", rows, opts.SObject, what)
	line, _ := bufio.NewReader(ios.In).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(line)); a != "yes" && a != "y" {
		fmt.Fprintln(ios.ErrOut, "Nothing was deleted.")
		return cmdutil.ErrCancel
	}
	return nil
}

// runJournaled sends what no job holds yet (unless noSend), waits, and
// writes the results files, keeping the journal current throughout. over
// reports that the load is finished and its journal removed.
func runJournaled(ctx context.Context, c *salesforce.Client, opts *Options, in *input, j *ops.LoadJournal, plan *ops.LoadPlan, noSend bool) (over bool, err error) {
	ios := opts.IO
	spec := j.Spec
	progress := ios.NewProgress(opts.Quiet)
	defer progress.Stop()
	progress.SetStage("Uploading", "bytes", plan.Bytes)
	jobs, err := ops.StartLoad(ctx, c, spec, plan, in.open, ops.LoadHooks{
		Uploaded: func(n int64) { progress.Set(n, "") },
		Journal:  j,
		NoSend:   noSend,
	})
	ids := jobIDs(jobs)
	if err != nil {
		progress.Stop()
		if shared.Interrupted(ctx, err) {
			fmt.Fprintln(ios.ErrOut, "Interrupted during the upload: the job being uploaded was aborted.")
			writeUnsent(opts, in, j)
			return false, afterInterrupt(ctx, c, opts, j, ids)
		}
		if j.NothingSent() {
			// No job holds or may hold a row: there is nothing to resume,
			// and running the command again is safe.
			return true, errors.Join(inputError(in.name, err), j.Remove())
		}
		if len(ids) > 0 {
			fmt.Fprintf(ios.ErrOut, "%d %s uploaded before the failure will run.\n", len(ids), plural(len(ids), "job was", "jobs were"))
		}
		fmt.Fprintf(ios.ErrOut, "The journal %s knows which rows went. Continue the load with:\n  %s\n", j.Path(), resumeCommand(j.Path()))
		return false, inputError(in.name, err)
	}

	sum := Summary{SObject: spec.SObject, Operation: spec.Operation, Jobs: jobs, Rows: plan.Rows}
	if opts.Async {
		progress.Stop()
		if opts.Exporter.Enabled() {
			return false, opts.Exporter.Write(ctx, ios, sum)
		}
		for _, id := range ids {
			fmt.Fprintln(ios.Out, id)
		}
		if !opts.Quiet {
			fmt.Fprintf(ios.ErrOut, "Uploaded %d rows in %d %s; follow with `sfmcp bulk status ID`.\nWait for %s and write the results files with:\n  %s\n",
				plan.Rows, len(ids), plural(len(ids), "job", "jobs"), plural(len(ids), "it", "them"), resumeCommand(j.Path()))
		}
		return false, nil
	}

	progress.SetStage("Processing", "records", plan.Rows)
	processed := make([]int64, len(ids))
	failed := make([]int64, len(ids))
	ended, err := ops.WaitLoad(ctx, c, ids, opts.Poll, func(i int, jb *salesforce.BulkJob) {
		processed[i], failed[i] = jb.NumberRecordsProcessed, jb.NumberRecordsFailed
		note := ""
		if f := sum64(failed); f > 0 {
			note = fmt.Sprintf("%d failed", f)
		}
		progress.Set(sum64(processed), note)
	})
	progress.Stop()
	if err != nil {
		if shared.Interrupted(ctx, err) {
			return false, afterInterrupt(ctx, c, opts, j, ids)
		}
		return false, cmdutil.SalesforceError(err)
	}
	var unsent func(w io.Writer, header bool) (int64, error)
	if noSend {
		unsent = func(w io.Writer, header bool) (int64, error) { return ops.WriteUnsentRows(in.open, j, w, header) }
	}
	err = finish(ctx, c, opts, in, &sum, ended, unsent)
	if errors.Is(err, errNoResults) {
		return false, err
	}
	// The results files are written: the load is over.
	if rerr := j.Remove(); rerr != nil {
		return false, errors.Join(err, rerr)
	}
	return true, err
}

// writeUnsent writes the rows no job holds to the unprocessed file, after a
// Ctrl-C during the upload.
func writeUnsent(opts *Options, in *input, j *ops.LoadJournal) {
	first := ""
	if ids := j.JobIDs(); len(ids) > 0 {
		first = ids[0]
	}
	_, path := in.resultPaths(opts.ResultsDir, first)
	out, err := newResultFile(path)
	if err == nil {
		defer out.discard()
		out.rows, err = ops.WriteUnsentRows(in.open, j, out.writer(), true)
	}
	if err == nil {
		path, err = out.keep()
	}
	switch {
	case err != nil:
		fmt.Fprintf(opts.IO.ErrOut, "Could not write the rows never sent: %v\n", err)
	case path != "":
		fmt.Fprintf(opts.IO.ErrOut, "%d %s never sent %s in %s.\n", out.rows, plural(int(out.rows), "row was", "rows were"), plural(int(out.rows), "is", "are"), path)
	}
}

// afterInterrupt leaves the jobs running and says how to resume, or aborts
// them with --abort-on-interrupt. It exits 2 (cancelled).
func afterInterrupt(ctx context.Context, c *salesforce.Client, opts *Options, j *ops.LoadJournal, ids []string) error {
	w := opts.IO.ErrOut
	if len(ids) > 0 {
		if opts.AbortOnInterrupt {
			shared.AbortAll(ctx, c, salesforce.BulkIngest, ids, w)
		} else {
			shared.ResumeHint(w, ids)
		}
	}
	fmt.Fprintf(w, "The load is not finished; its journal %s knows which rows went. Continue it (send the rest, wait, write the results files) with:\n  %s\nor, to send nothing more and only collect the results:\n  %s --no-send\n",
		j.Path(), resumeCommand(j.Path()), resumeCommand(j.Path()))
	return cmdutil.ErrCancel
}

// errNoResults marks a failure to collect results: the journal stays.
var errNoResults = errors.New("results not collected")

// finish collects failed and unprocessed rows into files, prints the
// summary and decides the exit code. unsent, when set, writes the rows no
// job holds; they count as unprocessed.
func finish(ctx context.Context, c *salesforce.Client, opts *Options, in *input, sum *Summary, ended []*salesforce.BulkJob, unsent func(io.Writer, bool) (int64, error)) error {
	ios := opts.IO
	first := ""
	if len(sum.Jobs) > 0 {
		first = sum.Jobs[0].ID
	}
	failedPath, unprocPath := in.resultPaths(opts.ResultsDir, first)
	failedOut, err := newResultFile(failedPath)
	if err != nil {
		return fmt.Errorf("%w: %w", errNoResults, err)
	}
	defer failedOut.discard()
	unprocOut, err := newResultFile(unprocPath)
	if err != nil {
		return fmt.Errorf("%w: %w", errNoResults, err)
	}
	defer unprocOut.discard()

	var jobErrors []string
	sum.Done = true
	for i, j := range ended {
		sum.Jobs[i].State = j.State
		sum.Processed += j.NumberRecordsProcessed
		res, err := ops.CollectJobResults(ctx, c, j, failedOut.writer(), unprocOut.writer(), i == 0)
		if err != nil {
			return fmt.Errorf("%w: %w", errNoResults, cmdutil.SalesforceError(fmt.Errorf("results of job %s: %w", j.ID, err)))
		}
		failedOut.rows += res.Failed
		unprocOut.rows += res.Unprocessed
		sum.Successful += res.Successful
		sum.Failed += res.Failed
		sum.Unprocessed += res.Unprocessed
		if j.State != salesforce.JobComplete {
			msg := fmt.Sprintf("job %s ended %s", j.ID, j.State)
			if j.ErrorMessage != "" {
				msg += ": " + j.ErrorMessage
			}
			jobErrors = append(jobErrors, msg)
		}
	}
	if unsent != nil {
		n, err := unsent(unprocOut.writer(), len(ended) == 0)
		if err != nil {
			return fmt.Errorf("%w: rows never sent: %w", errNoResults, err)
		}
		unprocOut.rows += n
		sum.Unprocessed += n
		if n > 0 {
			jobErrors = append(jobErrors, fmt.Sprintf("%d %s never sent (--no-send)", n, plural(int(n), "row was", "rows were")))
		}
	}
	if sum.Rows < 0 {
		// A lone job (bulk resume JOB_ID): only its own counts are known.
		sum.Rows = sum.Successful + sum.Failed + sum.Unprocessed
	}
	sum.Balanced = sum.Successful+sum.Failed+sum.Unprocessed == sum.Rows
	if sum.FailedFile, err = failedOut.keep(); err != nil {
		return fmt.Errorf("%w: %w", errNoResults, err)
	}
	if sum.UnprocessedFile, err = unprocOut.keep(); err != nil {
		return fmt.Errorf("%w: %w", errNoResults, err)
	}

	if opts.Exporter.Enabled() {
		if err := opts.Exporter.Write(ctx, ios, sum); err != nil {
			return err
		}
	}
	if !opts.Quiet || sum.Failed > 0 || sum.Unprocessed > 0 || !sum.Balanced {
		printSummary(ios, opts, sum, jobErrors)
	}
	switch {
	case !sum.Balanced:
		return fmt.Errorf("the results do not add up: %d successful + %d failed + %d unprocessed is not the %d rows sent", sum.Successful, sum.Failed, sum.Unprocessed, sum.Rows)
	case sum.Failed > 0 || sum.Unprocessed > 0:
		return cmdutil.ErrSilent
	case len(jobErrors) > 0:
		return errors.New(strings.Join(jobErrors, "; "))
	}
	return nil
}

func printSummary(ios *iostreams.IOStreams, opts *Options, sum *Summary, jobErrors []string) {
	w := ios.ErrOut
	cs := ios.ColorScheme()
	verb := verbs[opts.Operation].use
	fmt.Fprintf(w, "Bulk %s of %s: %d rows in %d %s (%s)\n", verb, opts.SObject, sum.Rows, len(sum.Jobs), plural(len(sum.Jobs), "job", "jobs"), strings.Join(jobIDs(sum.Jobs), ", "))
	fmt.Fprintf(w, "  %s successful\n", cs.Green(fmt.Sprint(sum.Successful)))
	if sum.Failed > 0 {
		fmt.Fprintf(w, "  %s failed       → %s\n", cs.Red(fmt.Sprint(sum.Failed)), sum.FailedFile)
	} else {
		fmt.Fprintf(w, "  0 failed\n")
	}
	if sum.Unprocessed > 0 {
		fmt.Fprintf(w, "  %s unprocessed  → %s\n", cs.Yellow(fmt.Sprint(sum.Unprocessed)), sum.UnprocessedFile)
	} else {
		fmt.Fprintf(w, "  0 unprocessed\n")
	}
	if sum.Balanced {
		fmt.Fprintf(w, "  %d + %d + %d = %d rows: every input row is accounted for\n", sum.Successful, sum.Failed, sum.Unprocessed, sum.Rows)
	} else {
		fmt.Fprintf(w, "  %d + %d + %d ≠ %d rows: the results do not add up\n", sum.Successful, sum.Failed, sum.Unprocessed, sum.Rows)
	}
	for _, e := range jobErrors {
		fmt.Fprintf(w, "  %s\n", e)
	}
}

// inputError puts the input's name in front of a problem with its content.
func inputError(name string, err error) error {
	var le *ops.LoadInputError
	if errors.As(err, &le) {
		return fmt.Errorf("%s: %w", name, le.Err)
	}
	return shared.Error(err)
}

func jobIDs(jobs []ops.LoadJob) []string {
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	return ids
}

func sum64(xs []int64) int64 {
	var t int64
	for _, x := range xs {
		t += x
	}
	return t
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// input is the file being loaded, always a file on disk (standard input is
// copied to a file beside the load's journal first, since it is read more
// than once and a resumed load reads it again), as CSV.
type input struct {
	name    string // for messages: the path, or "standard input"
	path    string
	isStdin bool
	jsonl   bool
	header  []string // JSON lines: the columns
	tmp     string   // the copy of standard input, removed when the load is over
}

func (in *input) cleanup() {
	if in.tmp != "" {
		os.Remove(in.tmp)
	}
}

// open reads the input from its start as CSV.
func (in *input) open() (io.ReadCloser, error) {
	f, err := os.Open(in.path)
	if err != nil {
		return nil, err
	}
	if !in.jsonl {
		return f, nil
	}
	return readCloser{ops.JSONToCSV(ops.JSONLines(f), in.header), f}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

func newInput(opts *Options) *input {
	in := &input{name: opts.File, path: opts.File}
	if opts.File == "-" {
		in.name, in.isStdin = "standard input", true
	}
	return in
}

// stdinBase names a load of standard input's journal and kept copy.
const stdinBase = "bulk-stdin"

// journalPath is where the load's journal lives: beside the results files.
func (in *input) journalPath(dir string) string {
	where, base := ".", stdinBase
	if !in.isStdin {
		where = filepath.Dir(in.path)
		base = strings.TrimSuffix(filepath.Base(in.path), filepath.Ext(in.path))
	}
	if dir != "" {
		where = dir
	}
	return filepath.Join(where, base+journalSuffix)
}

// journalSuffix ends every load journal's name.
const journalSuffix = ".load-journal.json"

// read copies standard input beside the journal and works out the format.
func (in *input) read(opts *Options, jpath string) error {
	if in.isStdin {
		in.path = strings.TrimSuffix(jpath, ".json") + ".input"
		if err := os.MkdirAll(filepath.Dir(in.path), 0o755); err != nil {
			return err
		}
		tmp, err := os.OpenFile(in.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		in.tmp = in.path
		_, err = io.Copy(tmp, opts.IO.In)
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			in.cleanup()
			return fmt.Errorf("read standard input: %w", err)
		}
	}
	switch opts.Format {
	case "jsonl":
		in.jsonl = true
	case "csv":
	default:
		switch strings.ToLower(filepath.Ext(opts.File)) {
		case ".jsonl", ".ndjson", ".json":
			in.jsonl = true
		case ".csv":
		default:
			first, err := firstByte(in.path)
			if err != nil {
				in.cleanup()
				return err
			}
			in.jsonl = first == '{'
		}
	}
	if in.jsonl {
		f, err := os.Open(in.path)
		if err != nil {
			in.cleanup()
			return err
		}
		in.header, _, err = ops.ScanJSONRows(ops.JSONLines(f))
		f.Close()
		if err != nil {
			in.cleanup()
			return fmt.Errorf("%s: %w", in.name, err)
		}
	}
	return nil
}

// firstByte is the file's first byte that is not a BOM or white space.
func firstByte(path string) (byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	head, _ := br.Peek(512)
	head = bytes.TrimLeft(bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF}), " \t\r\n")
	if len(head) == 0 {
		return 0, nil
	}
	return head[0], nil
}

// resultPaths names the failed and unprocessed files: beside the input (or
// in dir), the input's name without its extension; for standard input, by
// the first job's id.
func (in *input) resultPaths(dir, firstJob string) (string, string) {
	base := "bulk-" + firstJob
	where := "."
	if !in.isStdin {
		where = filepath.Dir(in.path)
		base = strings.TrimSuffix(filepath.Base(in.path), filepath.Ext(in.path))
	}
	if dir != "" {
		where = dir
	}
	return filepath.Join(where, base+".failed.csv"), filepath.Join(where, base+".unprocessed.csv")
}

// resultFile writes rows to a temporary file beside path and renames it to
// path when it holds rows; with no rows any older file at path is removed,
// so what is there always belongs to the latest run.
type resultFile struct {
	path string
	f    *os.File
	bw   *bufio.Writer
	rows int64
	done bool
}

func newResultFile(path string) (*resultFile, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, err
	}
	return &resultFile{path: path, f: f, bw: bufio.NewWriterSize(f, 64<<10)}, nil
}

func (r *resultFile) writer() io.Writer { return r.bw }

// keep finishes the file and returns its path, or "" when it had no rows.
func (r *resultFile) keep() (string, error) {
	r.done = true
	err := r.bw.Flush()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	if err != nil || r.rows == 0 {
		os.Remove(r.f.Name())
		if r.rows == 0 {
			if rerr := os.Remove(r.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
				return "", rerr
			}
		}
		return "", err
	}
	return r.path, os.Rename(r.f.Name(), r.path)
}

func (r *resultFile) discard() {
	if !r.done {
		r.f.Close()
		os.Remove(r.f.Name())
	}
}
