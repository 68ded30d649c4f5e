// Package sync implements `sfmcp lead sync`.
package sync

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmd/lead/shared"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp lead sync`.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)
	Syncer     func() (*ops.LeadSyncer, error) // the process's one

	Input    ops.SyncLeadInput
	Exporter cmdutil.Exporter
}

// NewCmdSync builds the command; runF replaces syncRun in tests.
func NewCmdSync(f *cmdutil.Factory, syncer func() (*ops.LeadSyncer, error), runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce, Syncer: syncer}
	in := &opts.Input
	cmd := &cobra.Command{
		Use:   "sync --email EMAIL --last-name NAME [flags]",
		Short: "Create or update a lead by email, then apply a status",
		Long: `Create the lead with this email (matched without regard to case) or update
the fields given, then apply --status: scheduled converts the lead (into the
account/contact given, else a contact with the same email or an account named
like the company, else new ones; an opportunity only with
--create-opportunity), objected sets the not-converted status.

It is idempotent: a repeated sync prints unchanged (or already_converted) and
writes nothing. A converted lead is reported with its ids and never changed.
Piped, it prints the lead id and the action (created, updated, unchanged,
converted, already_converted).

` + shared.ConcurrencyHelp,
		Example: `  sfmcp lead sync --email ada@example.com --last-name Lovelace --company "Engines Ltd"
  sfmcp lead sync --email ada@example.com --last-name Lovelace --status scheduled --create-opportunity
  sfmcp lead sync --email ada@example.com --last-name Lovelace --status scheduled --account-id 001xx000003DGb2AAG`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{"ops": "salesforce_sync_lead"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Input.Validate(); err != nil {
				return shared.InputFlagError(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return syncRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&in.Email, "email", "", "The lead's `email` (required)")
	fl.StringVar(&in.LastName, "last-name", "", "The lead's last `name` (required)")
	fl.StringVar(&in.FirstName, "first-name", "", "The lead's first `name`")
	fl.StringVar(&in.Company, "company", "", "The lead's `company` (a new lead gets \""+ops.DefaultLeadCompany+"\" without it)")
	fl.StringVar(&in.Phone, "phone", "", "The lead's `phone` number")
	fl.StringVar(&in.LeadSource, "lead-source", "", "Where the lead came from (`source`, e.g. Web)")
	fl.StringVar(&in.Status, "status", "", "scheduled (convert) or objected (set the not-converted status)")
	fl.StringVar(&in.AccountID, "account-id", "", "On conversion, merge into this account `id`")
	fl.StringVar(&in.ContactID, "contact-id", "", "On conversion, merge into this contact `id` (of the account)")
	fl.BoolVar(&in.CreateOpportunity, "create-opportunity", false, "On conversion, also create an opportunity")
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	return cmd
}

func syncRun(ctx context.Context, opts *Options) error {
	ctx, c, err := shared.Start(ctx, opts.Salesforce)
	if err != nil {
		return err
	}
	syncer, err := opts.Syncer()
	if err != nil {
		return err
	}
	out, err := syncer.SyncLead(ctx, c, opts.Input)
	return shared.Finish(ctx, opts.IO, &opts.Exporter, out, err, out.LeadID, out.Action, out.Message)
}
