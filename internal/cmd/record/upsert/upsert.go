// Package upsert implements `sfmcp record upsert`.
package upsert

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmd/record/shared"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp record upsert`.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)

	SObject         string
	ExternalIDField string
	ExternalIDValue string
	Data            map[string]any // from --data
	Assignments     []shared.Assignment
	Exporter        cmdutil.Exporter
}

// NewCmdUpsert builds the command; runF replaces upsertRun in tests.
func NewCmdUpsert(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce}
	var dataSpec string
	cmd := &cobra.Command{
		Use:   "upsert <sobject> <external-id-field> <value> [<field>=<value>...]",
		Short: "Create or update a record by external id",
		Long: `Create the record whose external id field has the given value, or update it
if one exists. Prints the id and whether it was created or updated; several
matching records change nothing and fail with MULTIPLE_CHOICES.

` + shared.DataHelp,
		Example: `  sfmcp record upsert Account External_Id__c A-42 Name="Acme" Industry=Energy
  sfmcp record upsert Account External_Id__c A-42 --data @acme.json`,
		Args:        cobra.MinimumNArgs(3),
		Annotations: map[string]string{"ops": "salesforce_upsert_record"},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.SObject, opts.ExternalIDField, opts.ExternalIDValue = args[0], args[1], args[2]
			var err error
			if opts.Assignments, opts.Data, err = shared.ParseValues(args[3:], dataSpec, opts.IO.In, false); err != nil {
				return err
			}
			in := ops.UpsertRecordInput{SObject: opts.SObject, ExternalIDField: opts.ExternalIDField, ExternalIDValue: opts.ExternalIDValue, Data: opts.Data}
			if err := in.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return upsertRun(cmd.Context(), opts)
		},
	}
	shared.AddDataFlag(cmd, &dataSpec)
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	return cmd
}

func upsertRun(ctx context.Context, opts *Options) error {
	c, err := opts.Salesforce(ctx)
	if err != nil {
		return err
	}
	data, err := shared.BuildData(ctx, c, opts.SObject, opts.Data, opts.Assignments)
	if err != nil {
		return cmdutil.SalesforceError(err)
	}
	out, err := ops.UpsertRecord(ctx, c, ops.UpsertRecordInput{
		SObject: opts.SObject, ExternalIDField: opts.ExternalIDField, ExternalIDValue: opts.ExternalIDValue, Data: data,
	})
	if err != nil {
		return cmdutil.SalesforceError(err)
	}
	verb, outcome := "Updated", "updated"
	if out.Created {
		verb, outcome = "Created", "created"
	}
	return shared.PrintSaved(ctx, opts.IO, &opts.Exporter, out, verb, opts.SObject, out.ID, outcome)
}
