// Package update implements `sfmcp lead update`.
package update

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmd/lead/shared"
	recshared "github.com/sfmcp/sfmcp/internal/cmd/record/shared"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp lead update`.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)
	Syncer     func() (*ops.LeadSyncer, error) // the process's one

	LeadID, Email string
	Data          map[string]any // from --data
	Assignments   []recshared.Assignment
	Exporter      cmdutil.Exporter
}

// NewCmdUpdate builds the command; runF replaces updateRun in tests.
func NewCmdUpdate(f *cmdutil.Factory, syncer func() (*ops.LeadSyncer, error), runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce, Syncer: syncer}
	var dataSpec string
	cmd := &cobra.Command{
		Use:   "update <lead-id|email> [<field>=<value>...] [--data JSON]",
		Short: "Change fields of a lead",
		Long: `Change fields of the lead named by id or email. A Status must be one of the
org's Lead.Status values (use lead status to convert); converted leads cannot
be changed.

` + recshared.DataHelp,
		Example: `  sfmcp lead update ada@example.com Title=CTO Phone="+44 20 5555 0100"
  sfmcp lead update 00Qxx0000001AbCEAU "Status=Working - Contacted"
  sfmcp lead update ada@example.com --data '{"Title": "CTO", "NumberOfEmployees": 12}'
  sfmcp lead update ada@example.com --data @changes.json`,
		Args:        cobra.MinimumNArgs(1),
		Annotations: map[string]string{"ops": "salesforce_update_lead", "field:fields": "field values"},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.LeadID, opts.Email = shared.LeadRef(args[0])
			var err error
			if opts.Assignments, opts.Data, err = recshared.ParseValues(args[1:], dataSpec, opts.IO.In, true); err != nil {
				return err
			}
			// Check the reference and field names now; values are typed later.
			probe := ops.UpdateLeadInput{LeadID: opts.LeadID, Email: opts.Email, Fields: map[string]any{}}
			for k, v := range opts.Data {
				probe.Fields[k] = v
			}
			for _, a := range opts.Assignments {
				probe.Fields[a.Field] = "x"
				if a.Field == "Email" || a.Field == "email" {
					probe.Fields[a.Field] = a.Text
				}
			}
			if err := probe.Validate(); err != nil {
				return shared.InputFlagError(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return updateRun(cmd.Context(), opts)
		},
	}
	recshared.AddDataFlag(cmd, &dataSpec)
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	return cmd
}

func updateRun(ctx context.Context, opts *Options) error {
	ctx, c, err := shared.Start(ctx, opts.Salesforce)
	if err != nil {
		return err
	}
	data, err := recshared.BuildData(ctx, c, "Lead", opts.Data, opts.Assignments)
	if err != nil {
		return shared.Fail(ctx, opts.IO, &opts.Exporter, err)
	}
	syncer, err := opts.Syncer()
	if err != nil {
		return err
	}
	out, err := syncer.UpdateLead(ctx, c, ops.UpdateLeadInput{LeadID: opts.LeadID, Email: opts.Email, Fields: data})
	return shared.Finish(ctx, opts.IO, &opts.Exporter, out, err, out.LeadID, out.Action, out.Message)
}
