// Package lead implements `sfmcp lead`, the lead-sync verbs.
package lead

import (
	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmd/lead/create"
	"github.com/sfmcp/sfmcp/internal/cmd/lead/delete"
	"github.com/sfmcp/sfmcp/internal/cmd/lead/get"
	"github.com/sfmcp/sfmcp/internal/cmd/lead/list"
	"github.com/sfmcp/sfmcp/internal/cmd/lead/shared"
	"github.com/sfmcp/sfmcp/internal/cmd/lead/status"
	"github.com/sfmcp/sfmcp/internal/cmd/lead/sync"
	"github.com/sfmcp/sfmcp/internal/cmd/lead/update"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/ops"
)

// NewCmdLead builds `sfmcp lead` and its verbs. It is called once per
// process, so the LeadSyncer it makes (per-email locks, the converted-status
// cache) is the process's one; it reads the lead statuses from the
// configuration when a verb first needs it.
func NewCmdLead(f *cmdutil.Factory) *cobra.Command {
	syncer := shared.NewSyncer(f.Config)
	cmd := &cobra.Command{
		Use:   "lead <command>",
		Short: "List, get, create, update, delete and sync leads",
		Long: `Manage leads and sync them by email, as the lead-sync MCP tools do.

Status "scheduled" converts a lead (SOAP convertLead) into an account and a
contact; "objected" sets its not-converted status. The statuses they set come
from ` + ops.EnvLeadConvertedStatus + ` (default: the org's converted lead status)
and ` + ops.EnvLeadNotConvertedStatus + ` (default "` + ops.DefaultNotConvertedStatus + `"), or the
config file's lead_converted_status and lead_not_converted_status.`,
		Example: `  sfmcp lead sync --email ada@example.com --last-name Lovelace --company "Engines Ltd"
  sfmcp lead sync --email ada@example.com --last-name Lovelace --status scheduled
  sfmcp lead list --status "Open - Not Contacted" --limit 20
  sfmcp lead get ada@example.com --json`,
	}
	cmd.AddCommand(
		sync.NewCmdSync(f, syncer, nil),
		list.NewCmdList(f, nil),
		get.NewCmdGet(f, nil),
		create.NewCmdCreate(f, syncer, nil),
		update.NewCmdUpdate(f, syncer, nil),
		delete.NewCmdDelete(f, nil),
		status.NewCmdStatus(f, syncer, nil),
	)
	return cmd
}
