// Package org implements `sfmcp org`: the logins sfmcp keeps.
package org

import (
	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmd/org/display"
	"github.com/sfmcp/sfmcp/internal/cmd/org/list"
	"github.com/sfmcp/sfmcp/internal/cmd/org/use"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
)

// NewCmdOrg builds `sfmcp org` and its subcommands.
func NewCmdOrg(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "org <command>",
		Short: "List logins, choose the default org, show a login",
	}
	cmd.AddCommand(
		list.NewCmdList(f, nil),
		use.NewCmdUse(f, nil),
		display.NewCmdDisplay(f, nil),
	)
	return cmd
}
