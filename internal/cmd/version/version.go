// Package version implements `sfmcp version`.
package version

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/build"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
)

// Options are the inputs of `sfmcp version`.
type Options struct {
	IO       *iostreams.IOStreams
	Info     build.Info
	Exporter cmdutil.Exporter
	ctx      context.Context
}

// NewCmdVersion builds the command; runF replaces versionRun in tests.
func NewCmdVersion(f *cmdutil.Factory, info build.Info, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Info: info}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Show sfmcp's version",
		Long:  "Show sfmcp's version, the commit it was built from, the build date and the Go toolchain.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return versionRun(opts)
		},
	}
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	return cmd
}

func versionRun(opts *Options) error {
	if opts.Exporter.Enabled() {
		return opts.Exporter.Write(opts.ctx, opts.IO, opts.Info)
	}
	_, err := io.WriteString(opts.IO.Out, opts.Info.String())
	return err
}
