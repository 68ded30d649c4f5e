// Package status implements `sfmcp lead status`.
package status

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmd/lead/shared"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp lead status`.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)
	Syncer     func() (*ops.LeadSyncer, error) // the process's one

	Input    ops.UpdateLeadStatusInput
	Exporter cmdutil.Exporter
}

// NewCmdStatus builds the command; runF replaces statusRun in tests.
func NewCmdStatus(f *cmdutil.Factory, syncer func() (*ops.LeadSyncer, error), runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce, Syncer: syncer}
	cmd := &cobra.Command{
		Use:   "status <lead-id|email> <status>",
		Short: "Set a lead's status: scheduled converts it, objected closes it",
		Long: `Set a lead's status. scheduled converts the lead (an already converted lead
is reported with its account and contact, not changed); objected sets the
not-converted status; any other value of the org's Lead.Status picklist is
set as it is. Piped, it prints the lead id and the action.`,
		Example: `  sfmcp lead status ada@example.com scheduled
  sfmcp lead status 00Qxx0000001AbCEAU objected`,
		Args:        cobra.ExactArgs(2),
		Annotations: map[string]string{"ops": "salesforce_update_lead_status"},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Input.LeadID, opts.Input.Email = shared.LeadRef(args[0])
			opts.Input.Status = args[1]
			if err := opts.Input.Validate(); err != nil {
				return shared.InputFlagError(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return statusRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	return cmd
}

func statusRun(ctx context.Context, opts *Options) error {
	ctx, c, err := shared.Start(ctx, opts.Salesforce)
	if err != nil {
		return err
	}
	syncer, err := opts.Syncer()
	if err != nil {
		return err
	}
	out, err := syncer.UpdateLeadStatus(ctx, c, opts.Input)
	return shared.Finish(ctx, opts.IO, &opts.Exporter, out, err, out.LeadID, out.Action, out.Message)
}
