// Package get implements `sfmcp lead get`.
package get

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmd/lead/shared"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/output"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp lead get`.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)

	Input    ops.GetLeadInput
	Exporter cmdutil.Exporter
}

// NewCmdGet builds the command; runF replaces getRun in tests.
func NewCmdGet(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce}
	cmd := &cobra.Command{
		Use:   "get <lead-id|email>",
		Short: "Show one lead",
		Long: `Show the lead with this id, or with this email (matched exactly, without
regard to case; the oldest when several leads share it).`,
		Example: `  sfmcp lead get ada@example.com
  sfmcp lead get 00Qxx0000001AbCEAU --json`,
		Args:        cobra.ExactArgs(1),
		Annotations: map[string]string{"ops": "salesforce_get_lead"},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Input.LeadID, opts.Input.Email = shared.LeadRef(args[0])
			if err := opts.Input.Validate(); err != nil {
				return shared.InputFlagError(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return getRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	return cmd
}

func getRun(ctx context.Context, opts *Options) error {
	ctx, c, err := shared.Start(ctx, opts.Salesforce)
	if err != nil {
		return err
	}
	out, err := ops.GetLead(ctx, c, opts.Input)
	if err != nil {
		return shared.Fail(ctx, opts.IO, &opts.Exporter, err)
	}
	if len(out.OtherLeadIDs) > 0 {
		fmt.Fprintf(opts.IO.ErrOut, "%d more lead(s) have this email: %s (sfmcp lead list --email lists them all)\n",
			len(out.OtherLeadIDs), strings.Join(out.OtherLeadIDs, ", "))
	}
	if opts.Exporter.Enabled() {
		return opts.Exporter.Write(ctx, opts.IO, out.Lead)
	}
	l := out.Lead
	pairs := []output.KeyValue{{Key: "Id", Value: l.ID}, {Key: "Name", Value: l.FirstName + " " + l.LastName},
		{Key: "Email", Value: l.Email}, {Key: "Company", Value: l.Company}, {Key: "Phone", Value: l.Phone},
		{Key: "LeadSource", Value: l.LeadSource}, {Key: "Status", Value: l.Status}, {Key: "IsConverted", Value: fmt.Sprint(l.IsConverted)}}
	if l.IsConverted {
		pairs = append(pairs, output.KeyValue{Key: "ConvertedAccountId", Value: l.ConvertedAccountID},
			output.KeyValue{Key: "ConvertedContactId", Value: l.ConvertedContactID},
			output.KeyValue{Key: "ConvertedOpportunityId", Value: l.ConvertedOpportunityID})
	}
	pairs = append(pairs, output.KeyValue{Key: "CreatedDate", Value: l.CreatedDate})
	return output.WriteKeyValues(opts.IO, pairs)
}
