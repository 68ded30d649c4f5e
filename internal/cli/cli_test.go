package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/build"
	"github.com/sfmcp/sfmcp/internal/cmd/root"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
)

var testInfo = build.Info{Version: "1.2.3", Commit: "abc1234def", Date: "2026-11-21T10:00:00Z", GoVersion: "go1.26.8", Platform: "linux/amd64"}

// newTestRoot builds the real tree over test streams, plus a `fail` command
// that returns whatever error the test puts in *failWith.
func newTestRoot(t *testing.T, failWith *error) (*cobra.Command, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	globals := root.NewGlobalFlags()
	f := cmdutil.NewFactory(testInfo.Version, globals)
	ios, _, out, errOut := iostreams.Test()
	f.IOStreams = ios
	cmd := root.NewCmdRoot(f, globals, testInfo)
	cmd.AddCommand(&cobra.Command{
		Use: "fail",
		RunE: func(c *cobra.Command, _ []string) error {
			if errors.Is(*failWith, context.Canceled) {
				<-c.Context().Done() // a command that notices cancellation
				return c.Context().Err()
			}
			return *failWith
		},
	})
	return cmd, out, errOut
}

func TestRunExitCodesAndErrorsPrintedOnce(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		fail       error
		want       cmdutil.ExitCode
		wantStderr string
	}{
		{name: "ok", args: []string{"version"}, want: 0},
		{name: "plain error", args: []string{"fail"}, fail: errors.New("boom"), want: 1, wantStderr: "Error: boom\n"},
		{name: "flag error", args: []string{"fail"}, fail: cmdutil.FlagErrorf("--limit must be positive"), want: 2,
			wantStderr: "Error: --limit must be positive\nRun 'sfmcp fail --help' for usage.\n"},
		{name: "auth error", args: []string{"fail"}, fail: fmt.Errorf("query: %w", cmdutil.NoLoginError("")), want: 4,
			wantStderr: "Error: query: no Salesforce login: run `sfmcp login` or set SALESFORCE_ACCESS_TOKEN and SALESFORCE_INSTANCE_URL\n"},
		{name: "silent", args: []string{"fail"}, fail: cmdutil.ErrSilent, want: 1, wantStderr: ""},
		{name: "cancel", args: []string{"fail"}, fail: cmdutil.ErrCancel, want: 2, wantStderr: "cancelled\n"},
		{name: "unknown flag", args: []string{"version", "--bogus"}, want: 2,
			wantStderr: "Error: unknown flag: --bogus\nRun 'sfmcp version --help' for usage.\n"},
		{name: "unknown global flag value", args: []string{"--emulator=maybe", "version"}, want: 2},
		{name: "unknown command", args: []string{"qurey"}, want: 2},
		{name: "extra argument", args: []string{"version", "x"}, want: 2,
			wantStderr: "Error: unknown command \"x\" for \"sfmcp version\"\nRun 'sfmcp version --help' for usage.\n"},
		{name: "bad jq", args: []string{"version", "--jq", ".["}, want: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fail := tt.fail
			cmd, _, errOut := newTestRoot(t, &fail)
			got := Run(context.Background(), cmd, tt.args, errOut)
			if got != tt.want {
				t.Errorf("exit code %d, want %d (stderr %q)", got, tt.want, errOut.String())
			}
			if tt.wantStderr != "" || tt.want == 0 || tt.fail == cmdutil.ErrSilent {
				if errOut.String() != tt.wantStderr {
					t.Errorf("stderr %q, want %q", errOut.String(), tt.wantStderr)
				}
			}
			if n := strings.Count(errOut.String(), "Error:"); tt.want != 0 && tt.fail != cmdutil.ErrSilent && tt.fail != cmdutil.ErrCancel && n != 1 {
				t.Errorf("error printed %d times: %q", n, errOut.String())
			}
		})
	}
}

func TestRunCancelledBySignalContext(t *testing.T) {
	fail := context.Canceled
	cmd, _, errOut := newTestRoot(t, &fail)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // what SIGINT does through signal.NotifyContext
	if got := Run(ctx, cmd, []string{"fail"}, errOut); got != cmdutil.ExitUsage {
		t.Fatalf("exit code %d, want 2", got)
	}
	if errOut.String() != "cancelled\n" {
		t.Fatalf("stderr %q", errOut.String())
	}
}

func TestVersionFlag(t *testing.T) {
	var none error
	cmd, out, errOut := newTestRoot(t, &none)
	if got := Run(context.Background(), cmd, []string{"--version"}, errOut); got != 0 {
		t.Fatalf("exit %d: %s", got, errOut)
	}
	if want := "sfmcp version 1.2.3 (commit abc1234, built 2026-11-21)\ngo1.26.8 linux/amd64\n"; out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}

func TestNoArgsPrintsHelp(t *testing.T) {
	var none error
	cmd, out, errOut := newTestRoot(t, &none)
	if got := Run(context.Background(), cmd, nil, errOut); got != 0 {
		t.Fatalf("exit %d", got)
	}
	if !strings.Contains(out.String(), "Available Commands:") {
		t.Fatalf("help: %q", out.String())
	}
}
