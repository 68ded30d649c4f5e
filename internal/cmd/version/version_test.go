package version

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/sfmcp/sfmcp/internal/build"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
)

var info = build.Info{Version: "1.2.3", Commit: "abc1234def567", Date: "2026-11-21T10:00:00Z", GoVersion: "go1.26.8", Platform: "linux/amd64"}

func run(t *testing.T, args ...string) (*Options, string) {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	var got *Options
	cmd := NewCmdVersion(&cmdutil.Factory{IOStreams: ios}, info, func(o *Options) error {
		got = o
		return versionRun(o)
	})
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	return got, out.String()
}

func TestVersion(t *testing.T) {
	opts, out := run(t)
	if opts.Exporter.Enabled() {
		t.Error("exporter enabled without flags")
	}
	if want := "sfmcp version 1.2.3 (commit abc1234, built 2026-11-21)\ngo1.26.8 linux/amd64\n"; out != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

func TestVersionJSON(t *testing.T) {
	opts, out := run(t, "--json")
	if !opts.Exporter.JSON() {
		t.Fatal("--json not parsed")
	}
	var got build.Info
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got != info {
		t.Errorf("got %+v", got)
	}
	_, out = run(t, "--jq", ".version")
	if out != "1.2.3\n" {
		t.Errorf("--jq: %q", out)
	}
}
