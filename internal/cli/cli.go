// Package cli is sfmcp's entry point: it wires the factory and the command
// tree, runs the command under a signal-aware context, prints the error (once)
// and decides the exit code.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/build"
	"github.com/sfmcp/sfmcp/internal/cmd/root"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
)

// Main runs sfmcp with the process's arguments and returns its exit code.
func Main() cmdutil.ExitCode {
	info := build.Current()
	globals := root.NewGlobalFlags()
	f := cmdutil.NewFactory(info.Version, globals)
	local := &localEmulator{}
	defer local.close()
	f.EmulatorCredentials = local.credentials
	cmd := root.NewCmdRoot(f, globals, info)

	// Ctrl-C or SIGTERM cancels the context; commands see ctx.Done() and
	// return, and Run reports "cancelled" with exit 2. After the first signal
	// the default handling comes back, so a second Ctrl-C kills at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()

	audit := &auditWrites{f: f}
	audit.install(cmd)
	code, err := run(ctx, cmd, os.Args[1:], f.IOStreams.ErrOut)
	audit.end(err)
	return code
}

// Run executes cmd with args and turns the outcome into an exit code, printing
// any error to stderr exactly once.
func Run(ctx context.Context, cmd *cobra.Command, args []string, stderr io.Writer) cmdutil.ExitCode {
	code, _ := run(ctx, cmd, args, stderr)
	return code
}

func run(ctx context.Context, cmd *cobra.Command, args []string, stderr io.Writer) (cmdutil.ExitCode, error) {
	cmd.SetArgs(args)
	failed, err := cmd.ExecuteContextC(ctx)
	if err == nil {
		return cmdutil.ExitOK, nil
	}
	if failed == nil {
		failed = cmd
	}
	printError(stderr, failed, err)
	return cmdutil.ExitCodeOf(err), err
}

func printError(w io.Writer, cmd *cobra.Command, err error) {
	switch {
	case errors.Is(err, cmdutil.ErrSilent):
		return
	case errors.Is(err, cmdutil.ErrCancel), errors.Is(err, context.Canceled):
		fmt.Fprintln(w, "cancelled")
		return
	}
	fmt.Fprintf(w, "Error: %s\n", renderError(cmd, err))
	if cmdutil.IsUsageError(err) {
		fmt.Fprintf(w, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
}
