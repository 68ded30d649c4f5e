// Package tooling implements `sfmcp tooling`.
package tooling

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/output"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// NewCmdTooling builds `sfmcp tooling` and its subcommands.
func NewCmdTooling(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tooling <command>",
		Short: "Use the Tooling API (Apex, custom objects and fields, ...)",
	}
	cmd.AddCommand(NewCmdQuery(f, nil))
	return cmd
}

// QueryOptions are the inputs of `sfmcp tooling query`.
type QueryOptions struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)

	SOQL     string
	Limit    int
	Exporter cmdutil.Exporter
}

// NewCmdQuery builds `sfmcp tooling query`; runF replaces queryRun in tests.
func NewCmdQuery(f *cmdutil.Factory, runF func(context.Context, *QueryOptions) error) *cobra.Command {
	opts := &QueryOptions{IO: f.IOStreams, Salesforce: f.Salesforce}
	cmd := &cobra.Command{
		Use:   "query <soql>",
		Short: "Run a SOQL query on the Tooling API",
		Long: `Run a SOQL query on Tooling API objects (ApexClass, ApexTrigger,
CustomObject, CustomField, ValidationRule, ...) and print up to --limit rows
(default 200, at most 2000) as a table, CSV or JSON.`,
		Example: `  sfmcp tooling query "SELECT Id, Name, ApiVersion FROM ApexClass ORDER BY Name"
  sfmcp tooling query --json "SELECT DeveloperName, TableEnumOrId FROM CustomField"`,
		Args:        cobra.ExactArgs(1),
		Annotations: map[string]string{"ops": "salesforce_tooling_query"},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.SOQL = args[0]
			if err := (ops.ToolingQueryInput{SOQL: opts.SOQL, MaxRecords: opts.Limit, RecordFormat: ops.RecordFormatObjects}).Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return queryRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.Limit, "limit", 0, "The most rows to print (1 to 2000; default 200)")
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	cmdutil.AddCSVFlag(cmd, &opts.Exporter, opts.IO)
	return cmd
}

func queryRun(ctx context.Context, opts *QueryOptions) error {
	c, err := opts.Salesforce(ctx)
	if err != nil {
		return err
	}
	out, err := ops.ToolingQuery(ctx, c, ops.ToolingQueryInput{SOQL: opts.SOQL, MaxRecords: opts.Limit, RecordFormat: ops.RecordFormatObjects})
	if err != nil {
		return cmdutil.SalesforceError(err)
	}
	w := opts.Exporter.RecordWriter(ctx, opts.IO, output.RecordOptions{Union: true})
	for _, r := range out.Records {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	return w.Close()
}
