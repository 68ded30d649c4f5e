// Package get implements `sfmcp record get`.
package get

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/output"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp record get`.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)

	Input    ops.GetRecordInput
	Exporter cmdutil.Exporter
}

// NewCmdGet builds the command; runF replaces getRun in tests.
func NewCmdGet(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce}
	var fields []string
	cmd := &cobra.Command{
		Use:   "get <sobject> <id>",
		Short: "Show one record",
		Long: `Show one record: on a terminal its fields as "Name value" lines (parents
flattened to Account.Name); off a terminal, or with --csv, one CSV row under a
header of the field names; with --json the record as Salesforce sent it.
--fields takes field names and parent paths (Account.Name).`,
		Example: `  sfmcp record get Account 001xx000003DGb2AAG
  sfmcp record get Contact 003xx000004TmiQAAS --fields Name,Email,Account.Name --json`,
		Args:        cobra.ExactArgs(2),
		Annotations: map[string]string{"ops": "salesforce_get_record"},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Input = ops.GetRecordInput{SObject: args[0], RecordID: args[1]}
			for _, f := range fields {
				opts.Input.Fields = append(opts.Input.Fields, ops.SplitFields(f)...)
			}
			if err := opts.Input.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return getRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringSliceVarP(&fields, "fields", "f", nil, "Only these `fields` (comma-separated API names or paths like Account.Name)")
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	cmdutil.AddCSVFlag(cmd, &opts.Exporter, opts.IO)
	return cmd
}

func getRun(ctx context.Context, opts *Options) error {
	c, err := opts.Salesforce(ctx)
	if err != nil {
		return err
	}
	out, err := ops.GetRecord(ctx, c, opts.Input)
	if err != nil {
		return cmdutil.SalesforceError(err)
	}
	if opts.Exporter.CSV() {
		rw := opts.Exporter.RecordWriter(ctx, opts.IO, output.RecordOptions{})
		if err := rw.Write(out.Record); err != nil {
			return err
		}
		return rw.Close()
	}
	if opts.Exporter.Enabled() {
		return opts.Exporter.WriteRaw(ctx, opts.IO, out.Record)
	}
	cells, err := output.Flatten(nil, out.Record)
	if err != nil {
		return err
	}
	pairs := make([]output.KeyValue, 0, len(cells))
	for _, f := range cells {
		pairs = append(pairs, output.KeyValue{Key: f.Key, Value: f.Value})
	}
	return output.WriteKeyValues(opts.IO, pairs)
}
