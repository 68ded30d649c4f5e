package build

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	vcs := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/sfmcp/sfmcp", Version: "v0.4.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-10-01T08:00:00Z"},
		},
	}
	devel := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}
	platform := runtime.GOOS + "/" + runtime.GOARCH

	tests := []struct {
		name                  string
		version, commit, date string
		bi                    *debug.BuildInfo
		want                  string
	}{
		{
			name: "ldflags win", version: "v1.2.3", commit: "abc1234def", date: "2026-11-21T10:00:00Z", bi: vcs,
			want: "sfmcp version 1.2.3 (commit abc1234, built 2026-11-21)\ngo1.26.8 " + platform + "\n",
		},
		{
			name: "go install fallback", bi: vcs,
			want: "sfmcp version 0.4.0 (commit 0123456, built 2026-10-01)\ngo1.26.8 " + platform + "\n",
		},
		{
			name: "devel build without vcs", bi: devel,
			want: "sfmcp version dev\ngo1.26.8 " + platform + "\n",
		},
		{
			name: "ldflags version only, date without time", version: "1.0.0", date: "2026-01-02", bi: devel,
			want: "sfmcp version 1.0.0 (built 2026-01-02)\ngo1.26.8 " + platform + "\n",
		},
		{
			name: "go install of an untagged commit: the pseudo-version names it",
			bi:   &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.4.1-0.20261121103000-0123456789ab"}},
			want: "sfmcp version 0.4.1-0.20261121103000-0123456789ab (commit 0123456, built 2026-11-21)\ngo1.26.8 " + platform + "\n",
		},
		{
			name: "vcs settings win over the pseudo-version",
			bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261121103000-0123456789ab+dirty"},
				Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "fedcba9876543210"}, {Key: "vcs.time", Value: "2026-11-22T08:00:00Z"}}},
			want: "sfmcp version 0.0.0-20261121103000-0123456789ab+dirty (commit fedcba9, built 2026-11-22)\ngo1.26.8 " + platform + "\n",
		},
		{
			name: "go install of a tag: no commit to tell", bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}},
			want: "sfmcp version 1.4.0\ngo1.26.8 " + platform + "\n",
		},
		{
			name: "no build info at all", version: "",
			want: "sfmcp version dev\n" + runtime.Version() + " " + platform + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := resolve(tt.version, tt.commit, tt.date, tt.bi).String()
			if got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestCurrentHasAVersion(t *testing.T) {
	if Current().Version == "" {
		t.Fatal("Current().Version is empty")
	}
}

func TestPseudoVersion(t *testing.T) {
	tests := []struct {
		v, rev, date string
		ok           bool
	}{
		{"v0.0.0-20261121103000-0123456789ab", "0123456789ab", "2026-11-21T10:30:00Z", true},
		{"v1.2.4-0.20261121103000-0123456789ab", "0123456789ab", "2026-11-21T10:30:00Z", true},
		{"v1.3.0-rc.1.0.20261121103000-0123456789ab", "0123456789ab", "2026-11-21T10:30:00Z", true},
		{"v0.0.0-20261121103000-0123456789ab+dirty", "0123456789ab", "2026-11-21T10:30:00Z", true},
		{"v1.2.3", "", "", false},
		{"v1.2.3-rc.1", "", "", false},
		{"(devel)", "", "", false},
		{"v0.0.0-20261399103000-0123456789ab", "", "", false}, // month 13
	}
	for _, tt := range tests {
		rev, date, ok := pseudoVersion(tt.v)
		if rev != tt.rev || date != tt.date || ok != tt.ok {
			t.Errorf("pseudoVersion(%q) = %q, %q, %v; want %q, %q, %v", tt.v, rev, date, ok, tt.rev, tt.date, tt.ok)
		}
	}
}
