package cmdutil

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/output"
)

// Exporter holds a command's --json, --jq and --csv choices. Put one in the
// command's Options, attach the flags with AddJSONFlags (and AddCSVFlag where
// the output is tabular), then hand every result to Write or RecordWriter.
//
// The flags are checked while they are parsed: a bad jq expression, or --csv
// with --json/--jq, is a FlagError (exit 2) before the command runs. --jq
// implies --json.
//
// The one rule for output formats, for every command: on a terminal, tables
// and listings for people; off a terminal (stdout piped or redirected) a
// command whose output is tabular prints CSV with a header row, exactly as
// with --csv, and --json gives JSON. AddCSVFlag is what makes a command
// tabular.
type Exporter struct {
	json bool
	csv  bool
	jq   *output.JQ
	// pipe is the command's streams when it has --csv: CSV is then also the
	// default when stdout is not a terminal.
	pipe *iostreams.IOStreams
}

// JSON reports --json or --jq.
func (e *Exporter) JSON() bool { return e != nil && (e.json || e.jq != nil) }

// CSV reports --csv, or no format flag on a command with --csv whose stdout
// is not a terminal.
func (e *Exporter) CSV() bool {
	if e == nil {
		return false
	}
	return e.csv || (e.pipe != nil && !e.JSON() && !e.pipe.IsStdoutTTY())
}

// CSVFlag reports whether --csv itself was given, for checks that refuse it
// with other flags.
func (e *Exporter) CSVFlag() bool { return e != nil && e.csv }

// JQ is the compiled --jq expression, or nil.
func (e *Exporter) JQ() *output.JQ {
	if e == nil {
		return nil
	}
	return e.jq
}

// Enabled reports whether a machine format was asked for; the command then
// prints nothing but data on stdout.
func (e *Exporter) Enabled() bool { return e.JSON() || e.CSV() }

// SetJSON, SetJQ and SetCSV let tests (and callers that build commands
// programmatically) choose formats without parsing flags.
func (e *Exporter) SetJSON(v bool) { e.json = v }

// SetJQ compiles and sets the --jq expression.
func (e *Exporter) SetJQ(expr string) error {
	q, err := output.CompileJQ(expr)
	if err != nil {
		return err
	}
	e.jq = q
	return nil
}

// SetCSV sets --csv.
func (e *Exporter) SetCSV(v bool) { e.csv = v }

// AddJSONFlags adds --json and --jq to cmd, recorded in exp.
func AddJSONFlags(cmd *cobra.Command, exp *Exporter) {
	f := cmd.Flags()
	f.Var(&jsonFlag{exp}, "json", "Output JSON")
	f.Lookup("json").NoOptDefVal = "true"
	f.Var(&jqFlag{exp}, "jq", "Filter JSON output with a jq `expression` (implies --json)")
}

// AddCSVFlag adds --csv to cmd, for commands whose output is a table or a
// listing; CSV then becomes the default when ios's stdout is not a terminal.
func AddCSVFlag(cmd *cobra.Command, exp *Exporter, ios *iostreams.IOStreams) {
	exp.pipe = ios
	f := cmd.Flags()
	f.Var(&csvFlag{exp}, "csv", "Output CSV (the default when stdout is not a terminal)")
	f.Lookup("csv").NoOptDefVal = "true"
}

var errCSVWithJSON = errors.New("--csv cannot be combined with --json or --jq")

type jsonFlag struct{ e *Exporter }

func (f *jsonFlag) String() string { return strconv.FormatBool(f.e != nil && f.e.json) }
func (f *jsonFlag) Type() string   { return "bool" }
func (f *jsonFlag) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	if v && f.e.CSVFlag() {
		return errCSVWithJSON
	}
	f.e.json = v
	return nil
}

type jqFlag struct{ e *Exporter }

func (f *jqFlag) String() string {
	if f.e == nil || f.e.jq == nil {
		return ""
	}
	return f.e.jq.String()
}
func (f *jqFlag) Type() string { return "string" }
func (f *jqFlag) Set(s string) error {
	if f.e.CSVFlag() {
		return errCSVWithJSON
	}
	return f.e.SetJQ(s)
}

type csvFlag struct{ e *Exporter }

func (f *csvFlag) String() string { return strconv.FormatBool(f.e.CSVFlag()) }
func (f *csvFlag) Type() string   { return "bool" }
func (f *csvFlag) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	if v && f.e.JSON() {
		return errCSVWithJSON
	}
	f.e.csv = v
	return nil
}

// Write prints one result value: with --jq, the expression over v's JSON;
// with --json, v as indented JSON; with --csv, v must be a slice of structs
// or maps, one row each. Commands call Write only when Enabled() and render
// their own human output otherwise.
func (e *Exporter) Write(ctx context.Context, ios *iostreams.IOStreams, v any) error {
	switch {
	case e.JQ() != nil:
		return e.jq.Run(ctx, ios.Out, v)
	case e.CSV():
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
			return fmt.Errorf("--csv: this output is not a list")
		}
		// A list of structs may omit empty fields: its header is the union of every row's keys.
		rw := output.NewRecordWriter(ios.Out, output.RecordsCSV, output.RecordOptions{Union: true, Warn: warner(ios)})
		for i := range rv.Len() {
			if err := rw.WriteValue(rv.Index(i).Interface()); err != nil {
				return err
			}
		}
		return rw.Close()
	default:
		return output.WriteJSON(ios.Out, v)
	}
}

// WriteRaw is Write for a value that is already JSON (a Salesforce response
// passed through unchanged).
func (e *Exporter) WriteRaw(ctx context.Context, ios *iostreams.IOStreams, data json.RawMessage) error {
	if e.JQ() != nil {
		return e.jq.RunJSON(ctx, ios.Out, data)
	}
	return output.WriteRawJSON(ios.Out, data)
}

// RecordFormat chooses how a list of records prints: --jq, --json (a JSON
// array), --csv; without a flag a table on a terminal and CSV when piped.
func (e *Exporter) RecordFormat(ios *iostreams.IOStreams) output.RecordFormat {
	switch {
	case e.JQ() != nil:
		return output.RecordsJQ
	case e.JSON():
		return output.RecordsJSON
	case e.CSV():
		return output.RecordsCSV
	case ios.IsStdoutTTY():
		return output.RecordsTable
	default:
		return output.RecordsCSV
	}
}

// RecordWriter returns the writer for a stream of records in the chosen
// format (see RecordFormat); opts may fix Columns. Close it when done.
func (e *Exporter) RecordWriter(ctx context.Context, ios *iostreams.IOStreams, opts output.RecordOptions) *output.RecordWriter {
	return e.RecordWriterTo(ctx, ios, ios.Out, opts)
}

// RecordStream is RecordWriter for records that arrive page by page: its
// output waits behind a Gate until the caller opens it (after the first page
// arrived whole), so a command that fails before then writes nothing to
// stdout. Open the gate after each page and at the end; on an error before
// it opened, drop the writer without closing it.
func (e *Exporter) RecordStream(ctx context.Context, ios *iostreams.IOStreams, opts output.RecordOptions) (*output.RecordWriter, *output.Gate) {
	gate := output.NewGate(ios.Out)
	return e.RecordWriterTo(ctx, ios, gate, opts), gate
}

// RecordWriterTo is RecordWriter writing to w instead of ios.Out; the
// format still follows ios (a table only when stdout is a terminal).
func (e *Exporter) RecordWriterTo(ctx context.Context, ios *iostreams.IOStreams, w io.Writer, opts output.RecordOptions) *output.RecordWriter {
	opts.JQ = e.JQ()
	opts.Context = ctx
	if opts.Width == 0 {
		opts.Width = ios.TerminalWidth()
	}
	opts.Color = ios.ColorScheme()
	if opts.Warn == nil {
		opts.Warn = warner(ios)
	}
	return output.NewRecordWriter(w, e.RecordFormat(ios), opts)
}

func warner(ios *iostreams.IOStreams) func(string) {
	return func(msg string) { fmt.Fprintln(ios.ErrOut, "warning: "+msg) }
}
