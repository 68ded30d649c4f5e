package build_test

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/sfmcp/sfmcp/internal/testenv"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// goTool returns the go command, skipping the test under -short or when the
// toolchain is not on PATH: these tests compile the whole binary.
func goTool(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the sfmcp binary; skipped with -short")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		testenv.Missing(t, "no go command: %v", err)
	}
	return gobin
}

var statSources = sync.OnceValue(func() error {
	return filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "bin", "dist", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") || d.Name() == "go.mod" || d.Name() == "go.sum" || strings.HasPrefix(path, filepath.Join(repoRoot, "internal")) {
			_, err = os.Stat(path)
		}
		return err
	})
})

// registerSources stats every source file of the module so that `go test`'s
// result cache, which only knows the files a test touched, reruns these
// tests when any of them changes: the binaries built here depend on files
// this test binary does not (windows-only files, for one).
func registerSources(t *testing.T) {
	t.Helper()
	if err := statSources(); err != nil {
		t.Fatal(err)
	}
}

// goBuild builds ./cmd/sfmcp to out with env added to the environment.
func goBuild(t *testing.T, gobin, out string, env []string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	argv := append([]string{"build", "-o", out}, args...)
	argv = append(argv, "./cmd/sfmcp")
	cmd := exec.CommandContext(ctx, gobin, argv...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s (%s): %v\n%s", gobin, strings.Join(argv, " "), strings.Join(env, " "), err, stderr.String())
	}
	t.Logf("go %s (%s): %s", strings.Join(argv, " "), strings.Join(env, " "), time.Since(start).Round(time.Millisecond))
}

// runVersion runs `sfmcp version` and `sfmcp version --json`.
func runVersion(t *testing.T, bin string) (text string, info map[string]string) {
	t.Helper()
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("sfmcp version: %v\n%s", err, out)
	}
	js, err := exec.Command(bin, "version", "--json").Output()
	if err != nil {
		t.Fatalf("sfmcp version --json: %v", err)
	}
	if err := json.Unmarshal(js, &info); err != nil {
		t.Fatalf("sfmcp version --json: %v\n%s", err, js)
	}
	return string(out), info
}

// TestReleaseBuildVersion builds sfmcp the way goreleaser does, with the
// ldflags from goreleaser.yaml, and checks that `sfmcp version` reports what
// the linker was told: a misspelt -X is silently ignored by the linker, so
// only running the binary proves the stamping works.
func TestReleaseBuildVersion(t *testing.T) {
	gobin := goTool(t)
	registerSources(t)
	c, _ := readGoreleaser(t)
	const commit = "0123456789abcdef0123456789abcdef01234567"
	ldflags := strings.NewReplacer(
		"{{ .Version }}", "9.8.7",
		"{{ .Commit }}", commit,
		"{{ .CommitDate }}", "2026-11-21T10:00:00Z",
	).Replace(strings.Join(c.Builds[0].Ldflags, " "))
	if strings.Contains(ldflags, "{{") {
		t.Fatalf("ldflags use a template this test does not fill: %s", ldflags)
	}
	bin := filepath.Join(t.TempDir(), "sfmcp")
	goBuild(t, gobin, bin, []string{"CGO_ENABLED=0"}, append(c.Builds[0].Flags, "-ldflags", ldflags)...)

	text, info := runVersion(t, bin)
	platform := runtime.GOOS + "/" + runtime.GOARCH
	if want := "sfmcp version 9.8.7 (commit 0123456, built 2026-11-21)\n"; !strings.HasPrefix(text, want) {
		t.Errorf("sfmcp version printed\n%s\nwant it to start with\n%s", text, want)
	}
	if !regexp.MustCompile(`(?m)^go1\.[0-9]+\S* ` + regexp.QuoteMeta(platform) + `$`).MatchString(text) {
		t.Errorf("sfmcp version lacks the Go version and platform line:\n%s", text)
	}
	want := map[string]string{"version": "9.8.7", "commit": commit, "date": "2026-11-21T10:00:00Z", "platform": platform}
	for k, v := range want {
		if info[k] != v {
			t.Errorf("version --json %s = %q, want %q", k, info[k], v)
		}
	}
	if !strings.HasPrefix(info["goVersion"], "go1.") {
		t.Errorf("version --json goVersion = %q", info["goVersion"])
	}
}

// TestVCSBuildVersion builds without ldflags, as `go build` and `go install`
// in a clone do, and checks that `sfmcp version` reports the commit and its
// time that the toolchain stamped into the binary (as `go version -m` reads
// them back).
func TestVCSBuildVersion(t *testing.T) {
	gobin := goTool(t)
	registerSources(t)
	if _, err := exec.LookPath("git"); err != nil {
		testenv.Missing(t, "no git: the toolchain cannot stamp VCS information")
	}
	if err := exec.Command("git", "-C", repoRoot, "rev-parse", "HEAD").Run(); err != nil {
		testenv.Missing(t, "not a git checkout: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "sfmcp")
	goBuild(t, gobin, bin, []string{"CGO_ENABLED=0"}, "-buildvcs=true")

	meta, err := exec.Command(gobin, "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	settings := map[string]string{}
	for _, line := range strings.Split(string(meta), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "build" {
			if k, v, ok := strings.Cut(f[1], "="); ok {
				settings[k] = v
			}
		}
	}
	rev, when := settings["vcs.revision"], settings["vcs.time"]
	if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(rev) || when == "" {
		t.Fatalf("the toolchain stamped no commit (vcs.revision %q, vcs.time %q):\n%s", rev, when, meta)
	}

	text, info := runVersion(t, bin)
	if info["commit"] != rev {
		t.Errorf("commit %q, want the stamped %s\n%s", info["commit"], rev, text)
	}
	if info["date"] != when {
		t.Errorf("date %q, want the stamped commit time %s", info["date"], when)
	}
	if info["version"] == "" || info["version"] == "9.8.7" {
		t.Errorf("version %q", info["version"])
	}
	if !strings.Contains(text, "(commit "+rev[:7]+", built ") {
		t.Errorf("sfmcp version:\n%s", text)
	}
}

// crossTargets are the release platforms of goreleaser.yaml.
var crossTargets = []struct{ goos, goarch string }{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
}

// TestCrossCompile builds the real binary for every release platform with
// cgo off, which is what catches a platform-specific break (keyring,
// browser, signals) that the native build never compiles. Two builds run at
// a time: each is already parallel inside, and the linker needs memory.
func TestCrossCompile(t *testing.T) {
	gobin := goTool(t)
	registerSources(t)
	c, _ := readGoreleaser(t)
	if n := len(c.Builds[0].Goos) * len(c.Builds[0].Goarch); n != len(crossTargets) {
		t.Errorf("goreleaser.yaml builds %d targets, this test %d", n, len(crossTargets))
	}
	dir := t.TempDir()
	slots := make(chan struct{}, 2)
	for _, target := range crossTargets {
		t.Run(target.goos+"_"+target.goarch, func(t *testing.T) {
			t.Parallel()
			slots <- struct{}{}
			defer func() { <-slots }()
			out := filepath.Join(dir, "sfmcp-"+target.goos+"-"+target.goarch)
			if target.goos == "windows" {
				out += ".exe"
			}
			goBuild(t, gobin, out, []string{"CGO_ENABLED=0", "GOOS=" + target.goos, "GOARCH=" + target.goarch}, "-trimpath")
			if fi, err := os.Stat(out); err != nil || fi.Size() == 0 {
				t.Fatalf("no binary: %v", err)
			}
		})
	}
}
