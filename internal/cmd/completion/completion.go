// Package completion implements `sfmcp completion SHELL`.
package completion

import (
	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
)

// Shells are the shells sfmcp writes completion scripts for.
func Shells() []string { return []string{"bash", "zsh", "fish", "powershell"} }

// Options are the inputs of `sfmcp completion`.
type Options struct {
	IO    *iostreams.IOStreams
	Shell string
	Root  *cobra.Command // the tree to complete
}

// NewCmdCompletion builds the command; runF replaces completionRun in tests.
func NewCmdCompletion(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "completion {bash|zsh|fish|powershell}",
		Short: "Write a shell completion script to stdout",
		Long: `Write the completion script for SHELL to stdout.

  bash:        sfmcp completion bash > /etc/bash_completion.d/sfmcp
               (or: source <(sfmcp completion bash) in ~/.bashrc)
  zsh:         sfmcp completion zsh > "${fpath[1]}/_sfmcp"
  fish:        sfmcp completion fish > ~/.config/fish/completions/sfmcp.fish
  powershell:  sfmcp completion powershell | Out-String | Invoke-Expression`,
		ValidArgs: Shells(),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.FlagErrorf("expected one shell: bash, zsh, fish or powershell")
			}
			return nil
		},
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Shell = args[0]
			opts.Root = cmd.Root()
			if runF != nil {
				return runF(opts)
			}
			return completionRun(opts)
		},
	}
	return cmd
}

func completionRun(opts *Options) error {
	out := opts.IO.Out
	switch opts.Shell {
	case "bash":
		return opts.Root.GenBashCompletionV2(out, true)
	case "zsh":
		return opts.Root.GenZshCompletion(out)
	case "fish":
		return opts.Root.GenFishCompletion(out, true)
	case "powershell":
		return opts.Root.GenPowerShellCompletionWithDesc(out)
	}
	return cmdutil.FlagErrorf("unsupported shell %q: choose bash, zsh, fish or powershell", opts.Shell)
}
