// Package use implements `sfmcp org use`.
package use

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/auth"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/config"
	"github.com/sfmcp/sfmcp/internal/iostreams"
)

// Options are the inputs of `sfmcp org use`.
type Options struct {
	IO         *iostreams.IOStreams
	Config     func() (*config.Config, error)
	TokenStore func() (*auth.TokenStore, error)

	Alias string
	ctx   context.Context
}

// NewCmdUse builds the command; runF replaces useRun in tests.
func NewCmdUse(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Config: f.Config, TokenStore: f.TokenStore}
	return &cobra.Command{
		Use:     "use ALIAS",
		Short:   "Make a login the default org",
		Example: "  sfmcp org use dev",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Alias = args[0]
			opts.ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return useRun(opts)
		},
	}
}

func useRun(opts *Options) error {
	ctx := opts.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	if _, ok, err := auth.FindLogin(cfg, opts.Alias); err != nil {
		return err
	} else if !ok {
		return cmdutil.FlagErrorf("there is no login called %q (see sfmcp org list)", opts.Alias)
	}
	store, err := opts.TokenStore()
	if err != nil {
		return err
	}
	if err := store.SetDefault(ctx, cfg, opts.Alias); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "%s is the default org\n", opts.Alias)
	return nil
}
