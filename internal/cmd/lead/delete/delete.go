// Package delete implements `sfmcp lead delete`.
package delete

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmd/lead/shared"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp lead delete`.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)

	Input    ops.DeleteLeadInput
	Exporter cmdutil.Exporter
}

// NewCmdDelete builds the command; runF replaces deleteRun in tests.
func NewCmdDelete(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce}
	cmd := &cobra.Command{
		Use:         "delete <lead-id>",
		Short:       "Delete a lead",
		Long:        "Delete one lead by id. It goes to the recycle bin.",
		Example:     `  sfmcp lead delete 00Qxx0000001AbCEAU`,
		Args:        cobra.ExactArgs(1),
		Annotations: map[string]string{"ops": "salesforce_delete_lead"},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Input.LeadID = args[0]
			if err := opts.Input.Validate(); err != nil {
				return shared.InputFlagError(err)
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
	ctx, c, err := shared.Start(ctx, opts.Salesforce)
	if err != nil {
		return err
	}
	out, err := ops.DeleteLead(ctx, c, opts.Input)
	return shared.Finish(ctx, opts.IO, &opts.Exporter, out, err, out.LeadID, out.Action, out.Message)
}
