// Package delete implements `sfmcp record delete`.
package delete

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmd/record/shared"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp record delete`.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)

	Input    ops.DeleteRecordInput
	Exporter cmdutil.Exporter
}

// NewCmdDelete builds the command; runF replaces deleteRun in tests.
func NewCmdDelete(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce}
	cmd := &cobra.Command{
		Use:   "delete <sobject> <id>",
		Short: "Delete a record",
		Long: `Delete one record. It goes to the recycle bin, where query --all still
finds it (IsDeleted = true) until it is purged.`,
		Example:     `  sfmcp record delete Account 001xx000003DGb2AAG`,
		Args:        cobra.ExactArgs(2),
		Annotations: map[string]string{"ops": "salesforce_delete_record"},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Input = ops.DeleteRecordInput{SObject: args[0], RecordID: args[1]}
			if err := opts.Input.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return deleteRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	return cmd
}

func deleteRun(ctx context.Context, opts *Options) error {
	c, err := opts.Salesforce(ctx)
	if err != nil {
		return err
	}
	out, err := ops.DeleteRecord(ctx, c, opts.Input)
	if err != nil {
		return cmdutil.SalesforceError(err)
	}
	return shared.PrintSaved(ctx, opts.IO, &opts.Exporter, out, "Deleted", opts.Input.SObject, out.ID, "")
}
