package root

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/build"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
)

func newRoot(t *testing.T) (*cobra.Command, *bytes.Buffer) {
	t.Helper()
	globals := NewGlobalFlags()
	f := cmdutil.NewFactory("test", globals)
	ios, _, out, _ := iostreams.Test()
	f.IOStreams = ios
	return NewCmdRoot(f, globals, build.Info{Version: "test"}), out
}

func TestGroupCommandsRejectUnknownSubcommands(t *testing.T) {
	cmd, out := newRoot(t) // "widget" stands for any group, like record or bulk
	group := &cobra.Command{Use: "widget", Short: "Work with widgets"}
	group.AddCommand(&cobra.Command{Use: "get", Args: cobra.ExactArgs(2), RunE: func(*cobra.Command, []string) error { return nil }})
	cmd.AddCommand(group)
	finishTree(cmd)

	for _, tt := range []struct {
		args []string
		want cmdutil.ExitCode
	}{
		{[]string{"widget", "bogus"}, cmdutil.ExitUsage},
		{[]string{"widget", "get", "Account"}, cmdutil.ExitUsage}, // cobra.ExactArgs becomes a FlagError
		{[]string{"widget", "get", "Account", "001"}, cmdutil.ExitOK},
		{[]string{"widget"}, cmdutil.ExitOK},
	} {
		cmd.SetArgs(tt.args)
		_, err := cmd.ExecuteC()
		if got := cmdutil.ExitCodeOf(err); got != tt.want {
			t.Errorf("%v: exit %d (%v), want %d", tt.args, got, err, tt.want)
		}
	}
	if !strings.Contains(out.String(), "Work with widgets") {
		t.Errorf("`sfmcp widget` did not print help: %q", out.String())
	}
}

func TestGlobalFlagsReachConfig(t *testing.T) {
	globals := NewGlobalFlags()
	f := cmdutil.NewFactory("test", globals)
	ios, _, _, _ := iostreams.Test()
	f.IOStreams = ios
	cmd := NewCmdRoot(f, globals, build.Info{Version: "test"})
	var gotOrg, gotVersion string
	var gotEmulator bool
	cmd.AddCommand(&cobra.Command{Use: "probe", RunE: func(*cobra.Command, []string) error {
		cfg, err := f.Config()
		if err != nil {
			return err
		}
		gotOrg, gotVersion, gotEmulator = cfg.Org(), cfg.APIVersion(), cfg.Emulator()
		return nil
	}})
	t.Setenv("SFMCP_CONFIG", t.TempDir()+"/none.yaml")
	t.Setenv("SFMCP_ORG", "")
	cmd.SetArgs([]string{"probe", "--org", "prod", "--api-version", "v60.0", "--emulator"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if gotOrg != "prod" || gotVersion != "60.0" || !gotEmulator {
		t.Fatalf("org %q, version %q, emulator %v", gotOrg, gotVersion, gotEmulator)
	}
}

func TestEveryCommandHasShortHelp(t *testing.T) {
	cmd, _ := newRoot(t)
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Short == "" && !c.Hidden && c.Name() != "help" {
			t.Errorf("%s has no Short", c.CommandPath())
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(cmd)
}

// TestShortOIsTheOrgEverywhere: as in sf, -o/--target-org selects the org on
// every command, --org is the same flag, and -o means nothing else anywhere.
func TestShortOIsTheOrgEverywhere(t *testing.T) {
	root, _ := newRoot(t)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		fl := c.Flags()
		fl.AddFlagSet(c.InheritedFlags())
		if f := fl.ShorthandLookup("o"); f == nil || f.Name != "target-org" {
			t.Errorf("%s: -o is %v, want --target-org", c.CommandPath(), f)
		}
		if f := fl.Lookup("org"); f == nil || f.Name != "target-org" {
			t.Errorf("%s: --org is %v, want --target-org", c.CommandPath(), f)
		}
	}
	walk(root)
}
