// Package record implements `sfmcp record`, the group of single-record verbs.
package record

import (
	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmd/record/create"
	"github.com/sfmcp/sfmcp/internal/cmd/record/delete"
	"github.com/sfmcp/sfmcp/internal/cmd/record/get"
	"github.com/sfmcp/sfmcp/internal/cmd/record/update"
	"github.com/sfmcp/sfmcp/internal/cmd/record/upsert"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
)

// NewCmdRecord builds `sfmcp record` and its verbs.
func NewCmdRecord(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "record <command>",
		Short: "Get, create, update, delete or upsert one record",
		Long:  "Work with one record at a time through the REST sObject API.",
		Example: `  sfmcp record get Account 001xx000003DGb2AAG --fields Name,Industry
  sfmcp record create Account Name="Acme" NumberOfEmployees=50
  sfmcp record update Account 001xx000003DGb2AAG Industry=Energy
  sfmcp record upsert Account External_Id__c A-42 Name="Acme"
  sfmcp record delete Account 001xx000003DGb2AAG`,
	}
	cmd.AddCommand(
		get.NewCmdGet(f, nil),
		create.NewCmdCreate(f, nil),
		update.NewCmdUpdate(f, nil),
		upsert.NewCmdUpsert(f, nil),
		delete.NewCmdDelete(f, nil),
	)
	return cmd
}
