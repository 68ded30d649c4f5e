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
	"os"
	"path/filepath"
	"strings"

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
	Poll             salesforce.PollPolicy
	Exporter         cmdutil.Exporter
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

Ctrl-C while waiting leaves the jobs running at Salesforce and prints how to
follow them; with --abort-on-interrupt it aborts them instead.`

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
	in, err := openInput(opts)
	if err != nil {
		return err
	}
	defer in.cleanup()

	c, err := opts.Salesforce(ctx)
	if err != nil {
		return err
	}
	spec := opts.spec()
	plan, err := ops.PrepareLoad(ctx, c, spec, in.open)
	if err != nil {
		return inputError(in.name, err)
	}

	ios := opts.IO
	progress := ios.NewProgress(opts.Quiet)
	defer progress.Stop()
	progress.SetStage("Uploading", "bytes", plan.Bytes)
	jobs, err := ops.StartLoad(ctx, c, spec, plan, in.open, ops.LoadHooks{
		Uploaded: func(n int64) { progress.Set(n, "") },
	})
	ids := jobIDs(jobs)
	if err != nil {
		progress.Stop()
		if shared.Interrupted(ctx, err) {
			fmt.Fprintln(ios.ErrOut, "Interrupted during the upload: the job being uploaded was aborted.")
			return afterInterrupt(ctx, c, opts, ids)
		}
		if len(ids) > 0 {
			fmt.Fprintf(ios.ErrOut, "%d %s uploaded before the failure will run:\n", len(ids), plural(len(ids), "job was", "jobs were"))
			shared.ResumeHint(ios.ErrOut, ids)
		}
		return inputError(in.name, err)
	}

	sum := Summary{SObject: opts.SObject, Operation: opts.Operation, Jobs: jobs, Rows: plan.Rows}
	if opts.Async {
		progress.Stop()
		if opts.Exporter.Enabled() {
			return opts.Exporter.Write(ctx, ios, sum)
		}
		for _, id := range ids {
			fmt.Fprintln(ios.Out, id)
		}
		if !opts.Quiet {
			fmt.Fprintf(ios.ErrOut, "Uploaded %d rows in %d %s; follow with `sfmcp bulk status ID`.\n", plan.Rows, len(ids), plural(len(ids), "job", "jobs"))
		}
		return nil
	}

	progress.SetStage("Processing", "records", plan.Rows)
	processed := make([]int64, len(ids))
	failed := make([]int64, len(ids))
	ended, err := ops.WaitLoad(ctx, c, ids, opts.Poll, func(i int, j *salesforce.BulkJob) {
		processed[i], failed[i] = j.NumberRecordsProcessed, j.NumberRecordsFailed
		note := ""
		if f := sum64(failed); f > 0 {
			note = fmt.Sprintf("%d failed", f)
		}
		progress.Set(sum64(processed), note)
	})
	progress.Stop()
	if err != nil {
		if shared.Interrupted(ctx, err) {
			return afterInterrupt(ctx, c, opts, ids)
		}
		return cmdutil.SalesforceError(err)
	}
	return finish(ctx, c, opts, in, &sum, ended)
}

// afterInterrupt leaves the jobs running and says how to follow them, or
// aborts them with --abort-on-interrupt. It exits 2 (cancelled).
func afterInterrupt(ctx context.Context, c *salesforce.Client, opts *Options, ids []string) error {
	if len(ids) > 0 {
		if opts.AbortOnInterrupt {
			shared.AbortAll(ctx, c, salesforce.BulkIngest, ids, opts.IO.ErrOut)
		} else {
			shared.ResumeHint(opts.IO.ErrOut, ids)
		}
	}
	return cmdutil.ErrCancel
}

// finish collects failed and unprocessed rows into files, prints the
// summary and decides the exit code.
func finish(ctx context.Context, c *salesforce.Client, opts *Options, in *input, sum *Summary, ended []*salesforce.BulkJob) error {
	ios := opts.IO
	failedPath, unprocPath := in.resultPaths(opts.ResultsDir, sum.Jobs[0].ID)
	failedOut, err := newResultFile(failedPath)
	if err != nil {
		return err
	}
	defer failedOut.discard()
	unprocOut, err := newResultFile(unprocPath)
	if err != nil {
		return err
	}
	defer unprocOut.discard()

	var jobErrors []string
	sum.Done = true
	for i, j := range ended {
		sum.Jobs[i].State = j.State
		sum.Processed += j.NumberRecordsProcessed
		res, err := ops.CollectJobResults(ctx, c, j, failedOut.writer(), unprocOut.writer(), i == 0)
		if err != nil {
			return cmdutil.SalesforceError(fmt.Errorf("results of job %s: %w", j.ID, err))
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
	sum.Balanced = sum.Successful+sum.Failed+sum.Unprocessed == sum.Rows
	if sum.FailedFile, err = failedOut.keep(); err != nil {
		return err
	}
	if sum.UnprocessedFile, err = unprocOut.keep(); err != nil {
		return err
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
// copied to a temporary one first, since it is read twice), as CSV.
type input struct {
	name    string // for messages: the path, or "standard input"
	path    string
	isStdin bool
	jsonl   bool
	header  []string // JSON lines: the columns
	tmp     string   // a temporary copy of stdin to remove
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

func openInput(opts *Options) (*input, error) {
	in := &input{name: opts.File, path: opts.File}
	if opts.File == "-" {
		in.name, in.isStdin = "standard input", true
		tmp, err := os.CreateTemp("", "sfmcp-bulk-*.in")
		if err != nil {
			return nil, err
		}
		in.tmp, in.path = tmp.Name(), tmp.Name()
		_, err = io.Copy(tmp, opts.IO.In)
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			in.cleanup()
			return nil, fmt.Errorf("read standard input: %w", err)
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
				return nil, err
			}
			in.jsonl = first == '{'
		}
	}
	if in.jsonl {
		f, err := os.Open(in.path)
		if err != nil {
			in.cleanup()
			return nil, err
		}
		in.header, _, err = ops.ScanJSONRows(ops.JSONLines(f))
		f.Close()
		if err != nil {
			in.cleanup()
			return nil, fmt.Errorf("%s: %w", in.name, err)
		}
	}
	return in, nil
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
