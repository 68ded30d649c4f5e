package build_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/sfmcp/sfmcp/internal/build"
	"github.com/sfmcp/sfmcp/internal/docs"
)

// repoRoot is the module root, where goreleaser.yaml and the Dockerfile live.
const repoRoot = "../.."

// goreleaserConfig is the part of goreleaser.yaml (v2) the release depends on.
type goreleaserConfig struct {
	Version int `yaml:"version"`
	Before  struct {
		Hooks []string `yaml:"hooks"`
	} `yaml:"before"`
	Builds []struct {
		ID           string   `yaml:"id"`
		Main         string   `yaml:"main"`
		Binary       string   `yaml:"binary"`
		Env          []string `yaml:"env"`
		Goos         []string `yaml:"goos"`
		Goarch       []string `yaml:"goarch"`
		Flags        []string `yaml:"flags"`
		Ldflags      []string `yaml:"ldflags"`
		ModTimestamp string   `yaml:"mod_timestamp"`
	} `yaml:"builds"`
	Archives []struct {
		Formats         []string `yaml:"formats"`
		FormatOverrides []struct {
			Goos    string   `yaml:"goos"`
			Formats []string `yaml:"formats"`
		} `yaml:"format_overrides"`
		Files []string `yaml:"files"`
	} `yaml:"archives"`
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
	} `yaml:"checksum"`
	Snapshot struct {
		VersionTemplate string `yaml:"version_template"`
	} `yaml:"snapshot"`
	HomebrewCasks []struct {
		Name       string `yaml:"name"`
		Repository struct {
			Owner string `yaml:"owner"`
			Name  string `yaml:"name"`
		} `yaml:"repository"`
		Homepage    string            `yaml:"homepage"`
		Description string            `yaml:"description"`
		License     string            `yaml:"license"`
		Binaries    []string          `yaml:"binaries"`
		Manpages    []string          `yaml:"manpages"`
		Completions map[string]string `yaml:"completions"`
	} `yaml:"homebrew_casks"`
	DockersV2 []struct {
		Dockerfile string            `yaml:"dockerfile"`
		Images     []string          `yaml:"images"`
		Platforms  []string          `yaml:"platforms"`
		BuildArgs  map[string]string `yaml:"build_args"`
	} `yaml:"dockers_v2"`
}

func readGoreleaser(t *testing.T) (goreleaserConfig, map[string]any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c goreleaserConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("goreleaser.yaml: %v", err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	return c, raw
}

// ldflagVars are the variables the release sets with -X; naming them here
// makes the test stop compiling if one is renamed.
var ldflagVars = map[string]*string{"Version": &build.Version, "Commit": &build.Commit, "Date": &build.Date}

// ldflagX matches one -X assignment: package path, variable, value.
var ldflagX = regexp.MustCompile(`-X ([^ =]+)\.([A-Za-z_][A-Za-z0-9_]*)=(\{\{[^}]*\}\}|\S+)`)

// TestGoreleaserConfig checks goreleaser.yaml without goreleaser: the
// targets, a reproducible pure-Go build, version stamping, what the archives
// carry, checksums, the Homebrew cask and the container image. (`goreleaser
// check` validates the schema where goreleaser is installed.)
func TestGoreleaserConfig(t *testing.T) {
	c, raw := readGoreleaser(t)
	if c.Version != 2 {
		t.Errorf("version: %d, want 2", c.Version)
	}
	// Deprecated v1 spellings goreleaser v2 warns about or rejects.
	for _, key := range []string{"brews", "dockers", "docker_manifests"} {
		if _, ok := raw[key]; ok {
			t.Errorf("%s is deprecated in goreleaser v2", key)
		}
	}
	if !slices.ContainsFunc(c.Before.Hooks, func(h string) bool { return strings.Contains(h, "go run ./cmd/gen-docs") }) {
		t.Errorf("before.hooks %q do not regenerate the docs (go run ./cmd/gen-docs)", c.Before.Hooks)
	}

	if len(c.Builds) != 1 {
		t.Fatalf("%d builds, want 1", len(c.Builds))
	}
	b := c.Builds[0]
	if b.Main != "./cmd/sfmcp" || b.Binary != "sfmcp" {
		t.Errorf("build main %q binary %q, want ./cmd/sfmcp and sfmcp", b.Main, b.Binary)
	}
	if !slices.Contains(b.Env, "CGO_ENABLED=0") {
		t.Errorf("build env %q lacks CGO_ENABLED=0", b.Env)
	}
	if got := sorted(b.Goos); !slices.Equal(got, []string{"darwin", "linux", "windows"}) {
		t.Errorf("goos %q", got)
	}
	if got := sorted(b.Goarch); !slices.Equal(got, []string{"amd64", "arm64"}) {
		t.Errorf("goarch %q", got)
	}
	if !slices.Contains(b.Flags, "-trimpath") {
		t.Errorf("flags %q lack -trimpath", b.Flags)
	}
	if b.ModTimestamp != "{{ .CommitTimestamp }}" {
		t.Errorf("mod_timestamp %q, want {{ .CommitTimestamp }} for reproducible builds", b.ModTimestamp)
	}
	ldflags := strings.Join(b.Ldflags, " ")
	if !strings.Contains(ldflags, "-s -w") {
		t.Errorf("ldflags %q do not strip (-s -w)", ldflags)
	}
	pkg := reflect.TypeFor[build.Info]().PkgPath()
	set := map[string]string{}
	for _, m := range ldflagX.FindAllStringSubmatch(ldflags, -1) {
		if m[1] != pkg {
			t.Errorf("-X %s.%s: not package %s", m[1], m[2], pkg)
		}
		if _, ok := ldflagVars[m[2]]; !ok {
			t.Errorf("-X %s.%s: no such variable in internal/build", m[1], m[2])
		}
		set[m[2]] = m[3]
	}
	for name, want := range map[string]string{"Version": "{{ .Version }}", "Commit": "{{ .Commit }}", "Date": "{{ .CommitDate }}"} {
		if set[name] != want {
			t.Errorf("-X ...%s=%q, want %q", name, set[name], want)
		}
	}

	if len(c.Archives) != 1 {
		t.Fatalf("%d archives, want 1", len(c.Archives))
	}
	a := c.Archives[0]
	if !slices.Equal(a.Formats, []string{"tar.gz"}) {
		t.Errorf("archive formats %q, want [tar.gz]", a.Formats)
	}
	zipOnWindows := slices.ContainsFunc(a.FormatOverrides, func(o struct {
		Goos    string   `yaml:"goos"`
		Formats []string `yaml:"formats"`
	}) bool {
		return o.Goos == "windows" && slices.Equal(o.Formats, []string{"zip"})
	})
	if !zipOnWindows {
		t.Errorf("archives do not use zip on windows: %+v", a.FormatOverrides)
	}
	for _, want := range []string{"README.md", "LICENSE", "man/*", "completions/*"} {
		if !slices.Contains(a.Files, want) {
			t.Errorf("archive files %q lack %s", a.Files, want)
		}
		if m, _ := filepath.Glob(filepath.Join(repoRoot, want)); len(m) == 0 {
			t.Errorf("archive file %s matches nothing in the repository", want)
		}
	}

	if c.Checksum.NameTemplate != "checksums.txt" {
		t.Errorf("checksum name %q, want checksums.txt", c.Checksum.NameTemplate)
	}
	if c.Snapshot.VersionTemplate == "" {
		t.Error("no snapshot.version_template: goreleaser release --snapshot needs one without a tag")
	}

	if len(c.HomebrewCasks) != 1 {
		t.Fatalf("%d homebrew_casks, want 1", len(c.HomebrewCasks))
	}
	cask := c.HomebrewCasks[0]
	if cask.Name != "sfmcp" || cask.Repository.Owner != "sfmcp" || cask.Repository.Name != "homebrew-tap" {
		t.Errorf("cask %q in %s/%s, want sfmcp in sfmcp/homebrew-tap", cask.Name, cask.Repository.Owner, cask.Repository.Name)
	}
	if cask.Homepage == "" || cask.Description == "" || cask.License == "" {
		t.Errorf("cask lacks homepage, description or license: %+v", cask)
	}
	if !slices.Contains(cask.Binaries, "sfmcp") {
		t.Errorf("cask binaries %q lack sfmcp", cask.Binaries)
	}
	if !slices.Contains(cask.Manpages, "man/sfmcp.1") {
		t.Errorf("cask manpages %q lack man/sfmcp.1", cask.Manpages)
	}
	for _, p := range cask.Manpages {
		if _, err := os.Stat(filepath.Join(repoRoot, p)); err != nil {
			t.Errorf("cask manpage: %v", err)
		}
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		p := cask.Completions[shell]
		if p == "" {
			t.Errorf("cask has no %s completion", shell)
			continue
		}
		if _, err := os.Stat(filepath.Join(repoRoot, p)); err != nil {
			t.Errorf("cask %s completion: %v", shell, err)
		}
	}

	if len(c.DockersV2) != 1 {
		t.Fatalf("%d dockers_v2, want 1", len(c.DockersV2))
	}
	d := c.DockersV2[0]
	if d.Dockerfile != "Dockerfile" || len(d.Images) == 0 {
		t.Errorf("dockers_v2: %+v", d)
	}
	if d.BuildArgs["SFMCP_BINARY"] != "release" {
		t.Errorf("dockers_v2 build_args %v: the image must take goreleaser's binary (SFMCP_BINARY=release)", d.BuildArgs)
	}
}

// TestDockerfile checks the image runs the HTTP server as a non-root user,
// listening beyond loopback, with flags that `sfmcp serve` really has.
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(data)
	for _, want := range []string{
		"FROM gcr.io/distroless/static-debian12:nonroot",
		"USER nonroot",
		`ENTRYPOINT ["/sfmcp"]`,
		"CGO_ENABLED=0",
		"COPY $TARGETPLATFORM/sfmcp", // goreleaser's dockers_v2 context layout
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	m := regexp.MustCompile(`(?m)^CMD (\[.*\])$`).FindStringSubmatch(df)
	if m == nil {
		t.Fatal("Dockerfile has no exec-form CMD")
	}
	var args []string
	if err := json.Unmarshal([]byte(m[1]), &args); err != nil {
		t.Fatalf("CMD %s: %v", m[1], err)
	}
	if want := []string{"serve", "--transport", "http", "--addr", "0.0.0.0"}; !slices.Equal(args, want) {
		t.Errorf("CMD %q, want %q", args, want)
	}
	// The CMD must parse as the real command line.
	root, _ := docs.Tree()
	serve, rest, err := root.Find(args)
	if err != nil || serve.Name() != "serve" {
		t.Fatalf("CMD %q does not name the serve command: %v", args, err)
	}
	if err := serve.ParseFlags(rest); err != nil {
		t.Fatalf("CMD %q: %v", args, err)
	}
	if got := serve.Flag("transport").Value.String(); got != "http" {
		t.Errorf("--transport parsed as %q", got)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
