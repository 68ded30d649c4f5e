package completion

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
)

func TestCompletion(t *testing.T) {
	tests := []struct {
		args     []string
		want     string // a line the script must contain
		wantCode cmdutil.ExitCode
	}{
		{[]string{"bash"}, "__start_sfmcp", 0},
		{[]string{"zsh"}, "#compdef sfmcp", 0},
		{[]string{"fish"}, "complete -c sfmcp", 0},
		{[]string{"powershell"}, "Register-ArgumentCompleter", 0},
		{[]string{"tcsh"}, "", cmdutil.ExitUsage},
		{[]string{}, "", cmdutil.ExitUsage},
		{[]string{"bash", "zsh"}, "", cmdutil.ExitUsage},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, "+"), func(t *testing.T) {
			ios, _, out, _ := iostreams.Test()
			root := &cobra.Command{Use: "sfmcp"}
			root.AddCommand(NewCmdCompletion(&cmdutil.Factory{IOStreams: ios}, nil))
			root.SetArgs(append([]string{"completion"}, tt.args...))
			root.SetOut(&bytes.Buffer{})
			root.SetErr(&bytes.Buffer{})
			err := root.Execute()
			if got := cmdutil.ExitCodeOf(err); got != tt.wantCode {
				t.Fatalf("exit %d (%v), want %d", got, err, tt.wantCode)
			}
			if tt.wantCode != 0 {
				if err == nil || !strings.Contains(err.Error(), "bash, zsh, fish or powershell") {
					t.Fatalf("error %v does not name the shells", err)
				}
				return
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Fatalf("script lacks %q:\n%.300s", tt.want, out.String())
			}
		})
	}
}
