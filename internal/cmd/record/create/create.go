// Package create implements `sfmcp record create`.
package create

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmd/record/shared"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp record create`.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)

	SObject     string
	Data        map[string]any // from --data
	Assignments []shared.Assignment
	Exporter    cmdutil.Exporter
}

// NewCmdCreate builds the command; runF replaces createRun in tests.
func NewCmdCreate(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce}
	var dataSpec string
	cmd := &cobra.Command{
		Use:   "create <sobject> [<field>=<value>...]",
		Short: "Create a record",
		Long:  "Create one record and print its id.\n\n" + shared.DataHelp,
		Example: `  sfmcp record create Account Name="Acme Corp" NumberOfEmployees=120
  sfmcp record create Lead LastName=Ng Company=Initech Email=ng@initech.example
  echo '{"Name":"Globex"}' | sfmcp record create Account --data -`,
		Args:        cobra.MinimumNArgs(1),
		Annotations: map[string]string{"ops": "salesforce_create_record"},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.SObject = args[0]
			var err error
			if opts.Assignments, opts.Data, err = shared.ParseValues(args[1:], dataSpec, opts.IO.In, true); err != nil {
				return err
			}
			if err := ops.CheckSObject(opts.SObject); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return createRun(cmd.Context(), opts)
		},
	}
	shared.AddDataFlag(cmd, &dataSpec)
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	return cmd
}

func createRun(ctx context.Context, opts *Options) error {
	c, err := opts.Salesforce(ctx)
	if err != nil {
		return err
	}
	data, err := shared.BuildData(ctx, c, opts.SObject, opts.Data, opts.Assignments)
	if err != nil {
		return cmdutil.SalesforceError(err)
	}
	out, err := ops.CreateRecord(ctx, c, ops.CreateRecordInput{SObject: opts.SObject, Data: data})
	if err != nil {
		return cmdutil.SalesforceError(err)
	}
	return shared.PrintSaved(ctx, opts.IO, &opts.Exporter, out, "Created", opts.SObject, out.ID, "")
}
