// Package query implements `sfmcp query`.
package query

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/output"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp query`.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)

	SOQL     string
	All      bool
	Limit    int
	Exporter cmdutil.Exporter
}

// NewCmdQuery builds the command; runF replaces queryRun in tests.
func NewCmdQuery(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce}
	cmd := &cobra.Command{
		Use:   "query <soql>",
		Short: "Run a SOQL query",
		Long: `Run a SOQL query and print every matching record, following Salesforce's
pages as it goes: rows stream out in constant memory however many there are.

On a terminal the records print as a table; piped, as CSV. --csv and --json
choose explicitly; --jq filters the JSON array. Parent fields are flattened
into dotted columns (Account.Name); child subqueries become one JSON cell.

--all uses queryAll, which also returns deleted and archived records.
--limit stops after N records without fetching further pages.
Give - as the query to read it from standard input.`,
		Example: `  sfmcp query "SELECT Id, Name FROM Account LIMIT 5"
  sfmcp query --csv "SELECT Name, Account.Name FROM Contact" > contacts.csv
  sfmcp query --all "SELECT Id, Name FROM Account WHERE IsDeleted = true"
  sfmcp query --json --jq '.[].Name' "SELECT Name FROM Lead"`,
		Args:        cobra.MinimumNArgs(1),
		Annotations: map[string]string{"ops": "salesforce_query,salesforce_query_all,salesforce_query_more"},
		RunE: func(cmd *cobra.Command, args []string) error {
			soql, err := readQuery(args, opts.IO.In)
			if err != nil {
				return err
			}
			opts.SOQL = soql
			if err := (ops.StreamInput{SOQL: opts.SOQL, Limit: opts.Limit}).Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return queryRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.All, "all", "a", false, "Include deleted and archived records (queryAll)")
	cmd.Flags().IntVarP(&opts.Limit, "limit", "L", 0, "Stop after `N` records (0: all)")
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	cmdutil.AddCSVFlag(cmd, &opts.Exporter, opts.IO)
	return cmd
}

// readQuery joins the arguments into one query (so quoting it is optional)
// or reads it from stdin when the only argument is "-".
func readQuery(args []string, in io.Reader) (string, error) {
	if len(args) == 1 && args[0] == "-" {
		b, err := io.ReadAll(io.LimitReader(in, 1<<20))
		if err != nil {
			return "", fmt.Errorf("read the query from stdin: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return strings.TrimSpace(strings.Join(args, " ")), nil
}

func queryRun(ctx context.Context, opts *Options) error {
	c, err := opts.Salesforce(ctx)
	if err != nil {
		return err
	}
	// The output opens once the first page has arrived whole: a query that
	// Salesforce refuses prints nothing on stdout, not "[]" or a header.
	rw, gate := opts.Exporter.RecordStream(ctx, opts.IO, output.RecordOptions{})
	pageDone := func() error {
		if err := rw.Flush(); err != nil {
			return err
		}
		return gate.Open()
	}
	stats, err := ops.StreamQuery(ctx, c, ops.StreamInput{
		SOQL:           opts.SOQL,
		IncludeDeleted: opts.All,
		Limit:          opts.Limit,
		PageDone:       pageDone,
	}, func(rec json.RawMessage) error { return rw.Write(rec) })
	if err != nil && !gate.Opened() {
		gate.Discard()
		return cmdutil.SalesforceError(err)
	}
	// Pages already printed stay printed: close the output (a JSON array gets
	// its closing bracket) before reporting a later page's error.
	if cerr := rw.Close(); err == nil {
		err = cerr
	}
	if oerr := gate.Open(); err == nil {
		err = oerr
	}
	if err != nil {
		return cmdutil.SalesforceError(err)
	}
	if stats.Count == 0 && stats.TotalSize > 0 && stats.Done && !opts.Exporter.JSON() {
		// SELECT COUNT() answers with a size and no rows: the size is the result.
		_, err := fmt.Fprintln(opts.IO.Out, stats.TotalSize)
		return err
	}
	if opts.IO.IsStderrTTY() && opts.IO.IsStdoutTTY() && !opts.Exporter.Enabled() {
		switch {
		case !stats.Done:
			fmt.Fprintf(opts.IO.ErrOut, "%d of %d records\n", stats.Count, stats.TotalSize)
		default:
			fmt.Fprintf(opts.IO.ErrOut, "%d records\n", stats.Count)
		}
	}
	return nil
}
