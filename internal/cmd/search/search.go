// Package search implements `sfmcp search`.
package search

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/output"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp search`.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)

	SOSL     string
	Exporter cmdutil.Exporter
}

// NewCmdSearch builds the command; runF replaces searchRun in tests.
func NewCmdSearch(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce}
	cmd := &cobra.Command{
		Use:   "search <sosl>",
		Short: "Run a SOSL search",
		Long: `Run a SOSL search (FIND ... IN ... FIELDS RETURNING ...) and print the records
found: a table on a terminal, CSV when piped, or --json / --csv / --jq. The
table and CSV have a first column "sobject" naming each row's object, and the
columns of every object returned.`,
		Example: `  sfmcp search "FIND {Acme} IN NAME FIELDS RETURNING Account(Id, Name)"
  sfmcp search --json "FIND {smith} RETURNING Contact(Name, Email), Lead(Name, Email)"`,
		Args:        cobra.MinimumNArgs(1),
		Annotations: map[string]string{"ops": "salesforce_search"},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.SOSL = strings.TrimSpace(strings.Join(args, " "))
			if err := (ops.SearchInput{SOSL: opts.SOSL, RecordFormat: ops.RecordFormatObjects}).Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return searchRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	cmdutil.AddCSVFlag(cmd, &opts.Exporter, opts.IO)
	return cmd
}

func searchRun(ctx context.Context, opts *Options) error {
	c, err := opts.Salesforce(ctx)
	if err != nil {
		return err
	}
	out, err := ops.Search(ctx, c, ops.SearchInput{SOSL: opts.SOSL, RecordFormat: ops.RecordFormatObjects})
	if err != nil {
		return cmdutil.SalesforceError(err)
	}
	// One search returns records of several objects: the header is the union
	// of their fields, after a column naming each row's object.
	rw := opts.Exporter.RecordWriter(ctx, opts.IO, output.RecordOptions{Union: true, TypeColumn: "sobject"})
	for _, rec := range out.Records {
		if err := rw.Write(rec); err != nil {
			return err
		}
	}
	return rw.Close()
}
