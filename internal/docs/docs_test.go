package docs

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// repoRoot is where the committed man/, completions/ and README.md live.
const repoRoot = "../.."

// cleanEnv makes the environment the generator would see under make docs,
// for the length of the test.
func cleanEnv(t *testing.T) {
	t.Helper()
	t.Setenv("SOURCE_DATE_EPOCH", "")
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "SFMCP_") {
			t.Setenv(name, "")
		}
	}
}

func TestCommittedManPagesAndCompletionsAreCurrent(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	if err := Generate(dir); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{ManDir, CompletionsDir} {
		diff, err := Diff(filepath.Join(dir, sub), filepath.Join(repoRoot, sub))
		if err != nil {
			t.Fatal(err)
		}
		if diff != "" {
			t.Errorf("%s/ is out of date with the command tree; run `make docs` and commit the result:\n%s", sub, diff)
		}
	}
}

func TestCommittedREADMEToolTableIsCurrent(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	updated, err := UpdateREADME(readme)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readme, updated) {
		t.Errorf("README.md's tool table is out of date with internal/ops; run `make docs` and commit the result.%s",
			firstDifference(updated, readme))
	}
}

func TestCommittedCaskManpagesAreCurrent(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	if err := Generate(dir); err != nil {
		t.Fatal(err)
	}
	pages, err := ManPages(filepath.Join(dir, ManDir))
	if err != nil {
		t.Fatal(err)
	}
	config, err := os.ReadFile(filepath.Join(repoRoot, "goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	updated, err := UpdateManpageList(config, pages)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(config, updated) {
		t.Errorf("goreleaser.yaml's homebrew_casks manpages list is out of date with man/; run `make docs` and commit the result.%s",
			firstDifference(updated, config))
	}
}

func TestUpdateManpageList(t *testing.T) {
	in := "casks:\n  manpages:\n    " + ManpagesBegin + "\n    - man/old.1\n    " + ManpagesEnd + "\n  other: x\n"
	got, err := UpdateManpageList([]byte(in), []string{"man/a.1", "man/b.1"})
	if err != nil {
		t.Fatal(err)
	}
	want := "casks:\n  manpages:\n    " + ManpagesBegin + "\n    - man/a.1\n    - man/b.1\n    " + ManpagesEnd + "\n  other: x\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if _, err := UpdateManpageList([]byte("manpages: []\n"), nil); err == nil {
		t.Error("accepted a file without markers")
	}
}

func TestGenerateIsReproducibleAndPrunes(t *testing.T) {
	cleanEnv(t)
	a, b := t.TempDir(), t.TempDir()
	// A page for a command that no longer exists must go.
	if err := os.MkdirAll(filepath.Join(b, ManDir), 0o755); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(b, ManDir, "sfmcp-gone.1")
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Generate(a); err != nil {
		t.Fatal(err)
	}
	if err := Generate(b); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale page survived: %v", err)
	}
	for _, sub := range []string{ManDir, CompletionsDir} {
		if diff, err := Diff(filepath.Join(a, sub), filepath.Join(b, sub)); err != nil || diff != "" {
			t.Errorf("two runs differ in %s (%v):\n%s", sub, err, diff)
		}
	}
}

// TestEveryCommandHasAPage walks the tree independently of cobra/doc's own
// walk, so a command that the generator skipped by mistake shows up.
func TestEveryCommandHasAPage(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	if err := Generate(dir); err != nil {
		t.Fatal(err)
	}
	cmd, _ := Tree()
	var walk func(*cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		if !c.IsAvailableCommand() && c.HasParent() {
			return
		}
		n++
		page := filepath.Join(dir, ManDir, strings.ReplaceAll(c.CommandPath(), " ", "-")+".1")
		data, err := os.ReadFile(page)
		if err != nil {
			t.Errorf("%s: no man page: %v", c.CommandPath(), err)
		} else if !bytes.Contains(data, []byte(`"sfmcp manual"`)) {
			t.Errorf("%s: page lacks the sfmcp header:\n%.200s", page, data)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(cmd)
	if n < 10 {
		t.Fatalf("only %d commands in the tree", n)
	}
	// Angle brackets in usage lines and help text must survive Markdown.
	query, err := os.ReadFile(filepath.Join(dir, ManDir, "sfmcp-query.1"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(query, []byte(`sfmcp query <soql> [flags]`)) {
		t.Errorf("sfmcp-query.1 lost its <soql> argument:\n%.400s", query)
	}
	for _, name := range []string{"sfmcp.1", "sfmcp-query.1"} {
		data, _ := os.ReadFile(filepath.Join(dir, ManDir, name))
		if !bytes.Contains(data, []byte(`"Jan 2026"`)) {
			t.Errorf("%s: not dated with the fixed date:\n%.120s", name, data)
		}
	}
}

func TestCompletionScripts(t *testing.T) {
	dir := t.TempDir()
	if err := Generate(dir); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"sfmcp.bash": "__start_sfmcp",
		"_sfmcp":     "#compdef sfmcp",
		"sfmcp.fish": "complete -c sfmcp",
		"sfmcp.ps1":  "Register-ArgumentCompleter",
	}
	if len(want) != len(Completions()) {
		t.Fatalf("Completions has %d files, test knows %d", len(Completions()), len(want))
	}
	for name, line := range want {
		data, err := os.ReadFile(filepath.Join(dir, CompletionsDir, name))
		if err != nil {
			t.Error(err)
			continue
		}
		if !bytes.Contains(data, []byte(line)) {
			t.Errorf("%s lacks %q", name, line)
		}
	}
}

func TestManDate(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "")
	if d, err := ManDate(); err != nil || !d.Equal(manDate) {
		t.Errorf("ManDate() = %v, %v; want the constant %v", d, err, manDate)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "1767225600") // 2026-01-01T00:00:00Z
	if d, err := ManDate(); err != nil || !d.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ManDate() = %v, %v", d, err)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	if _, err := ManDate(); err == nil {
		t.Error("ManDate accepted SOURCE_DATE_EPOCH=yesterday")
	}
}

func TestUpdateREADME(t *testing.T) {
	table, err := ToolTable()
	if err != nil {
		t.Fatal(err)
	}
	in := "intro\n" + ToolsBegin + "\nstale\n" + ToolsEnd + "\noutro\n"
	got, err := UpdateREADME([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := "intro\n" + ToolsBegin + "\n\n" + table + "\n" + ToolsEnd + "\noutro\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	again, _ := UpdateREADME(got)
	if !bytes.Equal(again, got) {
		t.Error("UpdateREADME is not idempotent")
	}
	if _, err := UpdateREADME([]byte("no markers")); err == nil {
		t.Error("UpdateREADME accepted a README without markers")
	}
	for _, s := range []string{"`salesforce_query` | soql, include_deleted?", "`salesforce_sync_lead` | email, last_name, first_name?"} {
		if !strings.Contains(table, s) {
			t.Errorf("table lacks %q", s)
		}
	}
}
