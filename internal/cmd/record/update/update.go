// Package update implements `sfmcp record update`.
package update

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmd/record/shared"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp record update`.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)

	SObject     string
	RecordID    string
	Data        map[string]any // from --data
	Assignments []shared.Assignment
	Exporter    cmdutil.Exporter
}

// NewCmdUpdate builds the command; runF replaces updateRun in tests.
func NewCmdUpdate(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce}
	var dataSpec string
	cmd := &cobra.Command{
		Use:   "update <sobject> <id> [<field>=<value>...]",
		Short: "Update a record",
		Long:  "Change the given fields of one record; the others keep their values.\n\n" + shared.DataHelp,
		Example: `  sfmcp record update Account 001xx000003DGb2AAG Industry=Energy NumberOfEmployees=130
  sfmcp record update Contact 003xx000004TmiQAAS Phone=`,
		Args:        cobra.MinimumNArgs(2),
		Annotations: map[string]string{"ops": "salesforce_update_record"},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.SObject, opts.RecordID = args[0], args[1]
			var err error
			if opts.Assignments, opts.Data, err = shared.ParseValues(args[2:], dataSpec, opts.IO.In, true); err != nil {
				return err
			}
			if err := ops.CheckSObject(opts.SObject); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if err := ops.CheckRecordID(opts.RecordID); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return updateRun(cmd.Context(), opts)
		},
	}
	shared.AddDataFlag(cmd, &dataSpec)
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	return cmd
}

func updateRun(ctx context.Context, opts *Options) error {
	c, err := opts.Salesforce(ctx)
	if err != nil {
		return err
	}
	data, err := shared.BuildData(ctx, c, opts.SObject, opts.Data, opts.Assignments)
	if err != nil {
		return cmdutil.SalesforceError(err)
	}
	out, err := ops.UpdateRecord(ctx, c, ops.UpdateRecordInput{SObject: opts.SObject, RecordID: opts.RecordID, Data: data})
	if err != nil {
		return cmdutil.SalesforceError(err)
	}
	return shared.PrintSaved(ctx, opts.IO, &opts.Exporter, out, "Updated", opts.SObject, out.ID, "")
}
