// Package create implements `sfmcp lead create`.
package create

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmd/lead/shared"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp lead create`.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)
	Syncer     func() (*ops.LeadSyncer, error) // the process's one

	Input    ops.CreateLeadInput
	Exporter cmdutil.Exporter
}

// NewCmdCreate builds the command; runF replaces createRun in tests.
func NewCmdCreate(f *cmdutil.Factory, syncer func() (*ops.LeadSyncer, error), runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce, Syncer: syncer}
	in := &opts.Input
	cmd := &cobra.Command{
		Use:   "create --email EMAIL --last-name NAME [flags]",
		Short: "Create a lead",
		Long: `Create a lead. It is refused when a lead with the same email (without
regard to case) exists: use lead sync to create or update. --status must be
one of the org's Lead.Status values.

` + shared.ConcurrencyHelp,
		Example:     `  sfmcp lead create --email ada@example.com --last-name Lovelace --company "Engines Ltd" --lead-source Web`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{"ops": "salesforce_create_lead"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Input.Validate(); err != nil {
				return shared.InputFlagError(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return createRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&in.Email, "email", "", "The lead's `email` (required)")
	fl.StringVar(&in.LastName, "last-name", "", "The lead's last `name` (required)")
	fl.StringVar(&in.FirstName, "first-name", "", "The lead's first `name`")
	fl.StringVar(&in.Company, "company", "", "The lead's `company` (default \""+ops.DefaultLeadCompany+"\")")
	fl.StringVar(&in.Phone, "phone", "", "The lead's `phone` number")
	fl.StringVar(&in.LeadSource, "lead-source", "", "Where the lead came from (`source`, e.g. Web)")
	fl.StringVar(&in.Status, "status", "", "A Lead.Status `value` of the org (default: the org's default)")
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	return cmd
}

func createRun(ctx context.Context, opts *Options) error {
	ctx, c, err := shared.Start(ctx, opts.Salesforce)
	if err != nil {
		return err
	}
	syncer, err := opts.Syncer()
	if err != nil {
		return err
	}
	out, err := syncer.CreateLead(ctx, c, opts.Input)
	return shared.Finish(ctx, opts.IO, &opts.Exporter, out, err, out.LeadID, out.Action, out.Message)
}
