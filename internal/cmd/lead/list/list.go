// Package list implements `sfmcp lead list`.
package list

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmd/lead/shared"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/output"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp lead list`.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)

	Input    ops.ListLeadsInput
	Exporter cmdutil.Exporter
}

// NewCmdList builds the command; runF replaces listRun in tests.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce}
	cmd := &cobra.Command{
		Use:   "list [flags]",
		Short: "List leads",
		Long: fmt.Sprintf(`List leads by id, at most %d at a time (default %d). When more remain, the
cursor for the next page is printed to stderr: pass it to --cursor with the
same filters. --json prints a JSON array of the leads.`, ops.MaxLeadLimit, ops.DefaultLeadLimit),
		Example: `  sfmcp lead list --status "Open - Not Contacted" --limit 20
  sfmcp lead list --email ada@example.com --json`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{"ops": "salesforce_list_leads"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Input.Validate(); err != nil {
				return shared.InputFlagError(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&opts.Input.Limit, "limit", 0, fmt.Sprintf("The most leads to list (1 to %d; default %d)", ops.MaxLeadLimit, ops.DefaultLeadLimit))
	fl.StringVar(&opts.Input.Status, "status", "", "Only leads with this Status `value`")
	fl.StringVar(&opts.Input.Email, "email", "", "Only leads with this `email`")
	fl.StringVar(&opts.Input.Cursor, "cursor", "", "Continue from the `cursor` an earlier list printed")
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	cmdutil.AddCSVFlag(cmd, &opts.Exporter, opts.IO)
	return cmd
}

func listRun(ctx context.Context, opts *Options) error {
	ctx, c, err := shared.Start(ctx, opts.Salesforce)
	if err != nil {
		return err
	}
	out, err := ops.ListLeads(ctx, c, opts.Input)
	if err != nil {
		return shared.Fail(ctx, opts.IO, &opts.Exporter, err)
	}
	if err := printLeads(ctx, opts, out.Leads); err != nil {
		return err
	}
	if out.NextCursor != "" {
		fmt.Fprintf(opts.IO.ErrOut, "More leads: --cursor %s\n", out.NextCursor)
	}
	return nil
}

// printLeads prints the leads: with --json a JSON array of them, like
// query --json; else a table or CSV whose columns are every field some lead has
// (a lead leaves its empty fields out).
func printLeads(ctx context.Context, opts *Options, leads []ops.Lead) error {
	if opts.Exporter.JSON() {
		if leads == nil {
			leads = []ops.Lead{}
		}
		return opts.Exporter.Write(ctx, opts.IO, leads)
	}
	rw := opts.Exporter.RecordWriter(ctx, opts.IO, output.RecordOptions{Union: true})
	for _, l := range leads {
		if err := rw.WriteValue(l); err != nil {
			return err
		}
	}
	return rw.Close()
}
