// Package build reports which sfmcp this is: version, commit and build date.
//
// Release builds set the variables with the linker:
//
//	go build -ldflags "-X github.com/sfmcp/sfmcp/internal/build.Version=1.2.3 \
//	  -X github.com/sfmcp/sfmcp/internal/build.Commit=abc1234 \
//	  -X github.com/sfmcp/sfmcp/internal/build.Date=2026-11-21T10:00:00Z"
//
// Builds without ldflags (go install, go run) fall back to what the Go
// toolchain embeds: the module version and the vcs.revision / vcs.time
// settings. `go install github.com/sfmcp/sfmcp/cmd/sfmcp@<version>` builds
// from a module zip, which has no VCS settings; for an untagged commit the
// version is then a pseudo-version, which names the commit and its time, and
// those are used.
package build

import (
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Version is the release version, set with -ldflags "-X ...build.Version=...".
var Version = ""

// Commit is the VCS revision the binary was built from, set with -ldflags.
var Commit = ""

// Date is the build (or commit) time in RFC 3339, set with -ldflags.
var Date = ""

// devVersion names a build whose version nobody recorded.
const devVersion = "dev"

// Info describes one build of sfmcp.
type Info struct {
	Version   string `json:"version"`   // "1.2.3" or "dev"; no leading "v"
	Commit    string `json:"commit"`    // full revision, "" when unknown
	Date      string `json:"date"`      // RFC 3339, "" when unknown
	GoVersion string `json:"goVersion"` // e.g. "go1.26.8"
	Platform  string `json:"platform"`  // GOOS/GOARCH, e.g. "linux/amd64"
}

// Current returns the running binary's build information: the ldflags values
// where set, otherwise what debug.ReadBuildInfo knows.
func Current() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(Version, Commit, Date, bi)
}

// resolve merges the linker-set values with the toolchain's build info; the
// linker wins field by field.
func resolve(version, commit, date string, bi *debug.BuildInfo) Info {
	info := Info{
		Version:   version,
		Commit:    commit,
		Date:      date,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if bi != nil {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = s.Value
				}
			case "vcs.time":
				if info.Date == "" {
					info.Date = s.Value
				}
			}
		}
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
	}
	if rev, when, ok := pseudoVersion(info.Version); ok {
		if info.Commit == "" {
			info.Commit = rev
		}
		if info.Date == "" {
			info.Date = when
		}
	}
	info.Version = strings.TrimPrefix(info.Version, "v")
	if info.Version == "" {
		info.Version = devVersion
	}
	return info
}

// pseudoRE matches the tail every Go pseudo-version ends with (vX.0.0-,
// vX.Y.Z-pre.0. and vX.Y.Z-0. forms alike): a UTC timestamp and a 12-digit
// commit prefix, maybe followed by +incompatible or +dirty.
var pseudoRE = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+-(?:.*[.-])?([0-9]{14})-([0-9a-f]{12})(?:\+[0-9A-Za-z.-]+)?$`)

// pseudoVersion returns the commit prefix and the commit time (RFC 3339)
// that a pseudo-version like v0.0.0-20261121103000-0123456789ab records.
func pseudoVersion(v string) (rev, date string, ok bool) {
	m := pseudoRE.FindStringSubmatch(v)
	if m == nil {
		return "", "", false
	}
	t, err := time.Parse("20060102150405", m[1])
	if err != nil {
		return "", "", false
	}
	return m[2], t.UTC().Format(time.RFC3339), true
}

// ShortCommit is the first seven characters of the commit, as git abbreviates it.
func (i Info) ShortCommit() string {
	if len(i.Commit) > 7 {
		return i.Commit[:7]
	}
	return i.Commit
}

// Day is the date part (YYYY-MM-DD) of Date, or Date itself when it has no time part.
func (i Info) Day() string {
	if d, _, ok := strings.Cut(i.Date, "T"); ok {
		return d
	}
	return i.Date
}

// String renders the two-line form `sfmcp version` prints:
//
//	sfmcp version 1.2.3 (commit abc1234, built 2026-11-21)
//	go1.26.8 linux/amd64
func (i Info) String() string {
	var b strings.Builder
	b.WriteString("sfmcp version ")
	b.WriteString(i.Version)
	var extra []string
	if c := i.ShortCommit(); c != "" {
		extra = append(extra, "commit "+c)
	}
	if d := i.Day(); d != "" {
		extra = append(extra, "built "+d)
	}
	if len(extra) > 0 {
		b.WriteString(" (" + strings.Join(extra, ", ") + ")")
	}
	b.WriteString("\n")
	b.WriteString(i.GoVersion + " " + i.Platform + "\n")
	return b.String()
}
