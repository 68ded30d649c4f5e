package docs

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// envRead matches an environment variable read in Go source: a call of
// os.Getenv / os.LookupEnv or of a getenv-like func value, or a string
// constant with one of the prefixes sfmcp's variables carry (constants passed
// to os.Getenv elsewhere, and viper's BindEnv table).
var envRead = []*regexp.Regexp{
	regexp.MustCompile(`(?:Getenv|LookupEnv|getenv|\.env)\(\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*\)`),
	regexp.MustCompile(`"((?:SFMCP|SALESFORCE|SF|OAUTH|MCP|FASTMCP|OTEL|XDG)_[A-Z0-9_]+)"`),
}

// bareEnv are the config table's variables without a prefix; the prefix
// pattern cannot tell them from other strings.
var bareEnv = regexp.MustCompile(`"(PORT|LOG_LEVEL|BASE_URL|REDIS_URL|STORAGE_ENCRYPTION_KEY)"`)

// TestHelpEnvironmentListsEveryVariable scans the Go sources of every
// package built into the sfmcp binary for environment variables it reads
// and wants each in `sfmcp help environment`.
func TestHelpEnvironmentListsEveryVariable(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("go not on PATH:", err)
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	// The module's packages the binary links, and their non-test files.
	cmd := exec.Command(goBin, "list", "-deps", "-f", `{{if not .Standard}}{{.Dir}}{{range .GoFiles}} {{.}}{{end}}{{end}}`, "./cmd/sfmcp")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	found := map[string]string{} // name -> file
	files := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 || !strings.HasPrefix(fields[0], root+string(filepath.Separator)) {
			continue // not this module's package
		}
		for _, f := range fields[1:] {
			path := filepath.Join(fields[0], f)
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			files++
			for _, re := range append(slices.Clone(envRead), bareEnv) {
				for _, m := range re.FindAllSubmatch(src, -1) {
					found[string(m[1])], _ = filepath.Rel(root, path)
				}
			}
		}
	}
	if files < 50 || found["SFMCP_CONFIG"] == "" || found["NO_COLOR"] == "" || found["OTEL_SDK_DISABLED"] == "" || found["REDIS_URL"] == "" {
		t.Fatalf("the scan looks broken: %d files, found %v", files, found)
	}

	tree, _ := Tree()
	topic, _, err := tree.Find([]string{"environment"})
	if err != nil || topic.Name() != "environment" {
		t.Fatalf("no `sfmcp help environment` topic: %v", err)
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(topic.Long, "\n") {
		if line == "" || strings.HasPrefix(line, " ") {
			continue
		}
		for _, n := range strings.Split(line, ", ") {
			listed[n] = true
		}
	}
	var missing []string
	for name, file := range found {
		if !listed[name] {
			missing = append(missing, name+" (read in "+file+")")
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("`sfmcp help environment` does not list these variables the binary reads:\n  %s", strings.Join(missing, "\n  "))
	}
}
