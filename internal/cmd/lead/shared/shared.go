// Package shared holds what the `sfmcp lead` verbs have in common: the
// correlation id of a run, printing results and failures, and the
// LeadSyncer the process shares.
package shared

import (
	"context"
	"fmt"
	"sync"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/config"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// ConcurrencyHelp explains what sfmcp guarantees when leads are written
// concurrently; the verbs that create leads show it.
const ConcurrencyHelp = `Concurrent writes: within one sfmcp process, writes to one email run one at a
time. Across processes, a command that creates a lead queries the email
again afterwards; if an older lead has it, the new lead is deleted (the
older one is kept and updated) and the output says so in duplicate_removed.`

// NewSyncer returns the process's LeadSyncer, made on first use with the
// lead statuses of the configuration (lead_converted_status and
// lead_not_converted_status: flags > environment > file), so that building
// the command tree reads no configuration.
func NewSyncer(cfg func() (*config.Config, error)) func() (*ops.LeadSyncer, error) {
	var (
		mu sync.Mutex
		s  *ops.LeadSyncer
	)
	return func() (*ops.LeadSyncer, error) {
		mu.Lock()
		defer mu.Unlock()
		if s == nil {
			c, err := cfg()
			if err != nil {
				return nil, err
			}
			// CLI processes of one machine serialize lead writes by email
			// through lock files beside the config.
			s = ops.NewLeadSyncer(ops.LeadSyncConfig{ConvertedStatus: c.LeadConvertedStatus(), NotConvertedStatus: c.LeadNotConvertedStatus(),
				Locker: ops.FileLeadLocker{Dir: ops.LeadLockDir(c.Path())}})
		}
		return s, nil
	}
}

// Begin gives a run its correlation id.
func Begin(ctx context.Context) context.Context {
	return ops.WithCorrelationID(ctx, ops.NewCorrelationID())
}

// Start begins a run (Begin) and returns the org's client for it.
func Start(ctx context.Context, client func(context.Context) (*salesforce.Client, error)) (context.Context, *salesforce.Client, error) {
	ctx = Begin(ctx)
	c, err := client(ctx)
	return ctx, c, err
}

// Finish reports a lead write: its failure (Fail) when err is set, else
// its result (PrintResult).
func Finish(ctx context.Context, ios *iostreams.IOStreams, exp *cmdutil.Exporter, out any, err error, leadID, action, message string) error {
	if err != nil {
		return Fail(ctx, ios, exp, err)
	}
	return PrintResult(ctx, ios, exp, out, leadID, action, message)
}

// PrintResult prints out: with --json/--jq as its JSON object, the data
// alone (the correlation_id envelope is MCP's); on a terminal the message;
// piped, the lead id and the action separated by a tab.
func PrintResult(ctx context.Context, ios *iostreams.IOStreams, exp *cmdutil.Exporter, out any, leadID, action, message string) error {
	if exp.Enabled() {
		return exp.Write(ctx, ios, out)
	}
	if ios.IsStdoutTTY() {
		_, err := fmt.Fprintf(ios.Out, "%s %s\n", ios.ColorScheme().Green("✓"), message)
		return err
	}
	_, err := fmt.Fprintf(ios.Out, "%s\t%s\n", leadID, action)
	return err
}

// Fail reports a failed operation: the error goes to stderr (through the
// CLI's error printing) with its exit code, and stdout stays empty whatever
// the output format, as for every command.
func Fail(_ context.Context, _ *iostreams.IOStreams, _ *cmdutil.Exporter, err error) error {
	if err == nil {
		return nil
	}
	return cmdutil.SalesforceError(err)
}

// InputFlagError makes an argument that fails validation a usage error
// (exit 2), like the other commands do.
func InputFlagError(err error) error { return cmdutil.FlagErrorWrap(err) }

// LeadRef splits a LEAD_ID|EMAIL argument: anything with an @ is an email.
func LeadRef(arg string) (leadID, email string) {
	for _, r := range arg {
		if r == '@' {
			return "", arg
		}
	}
	return arg, ""
}
