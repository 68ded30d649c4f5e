// Package bulk implements `sfmcp bulk`, the group of Bulk API 2.0 verbs.
package bulk

import (
	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmd/bulk/abort"
	"github.com/sfmcp/sfmcp/internal/cmd/bulk/list"
	"github.com/sfmcp/sfmcp/internal/cmd/bulk/load"
	"github.com/sfmcp/sfmcp/internal/cmd/bulk/query"
	"github.com/sfmcp/sfmcp/internal/cmd/bulk/results"
	"github.com/sfmcp/sfmcp/internal/cmd/bulk/status"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// NewCmdBulk builds `sfmcp bulk` and its verbs.
func NewCmdBulk(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bulk <command>",
		Short: "Load and export many records with Bulk API 2.0",
		Long: `Load files of records (insert, update, upsert, delete, hard-delete) and export
query results through Salesforce's Bulk API 2.0, streamed in and out in
constant memory, with progress on a terminal.`,
		Example: `  sfmcp bulk insert Account --file accounts.csv
  sfmcp bulk upsert Contact --external-id Email --file contacts.jsonl
  sfmcp bulk query "SELECT Id, Name FROM Account" --output accounts.csv
  sfmcp bulk status 750xx0000000001AAA
  sfmcp bulk resume
  sfmcp bulk results 750xx0000000001AAA --failed`,
	}
	cmd.AddCommand(
		query.NewCmdQuery(f, nil),
		load.NewCmdLoad(f, salesforce.BulkInsert, nil),
		load.NewCmdLoad(f, salesforce.BulkUpdate, nil),
		load.NewCmdLoad(f, salesforce.BulkUpsert, nil),
		load.NewCmdLoad(f, salesforce.BulkDelete, nil),
		load.NewCmdLoad(f, salesforce.BulkHardDelete, nil),
		load.NewCmdResume(f, nil),
		status.NewCmdStatus(f, nil),
		results.NewCmdResults(f, nil),
		abort.NewCmdAbort(f, nil),
		list.NewCmdList(f, nil),
	)
	return cmd
}
