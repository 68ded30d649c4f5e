package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// TestLeadUpdateData: lead update takes --data like record update — inline
// JSON, @file and - (stdin) — arguments win over it, and bad JSON is a usage
// error that writes nothing.
func TestLeadUpdateData(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := orgEnv(t, em)
	email := "data@update.example"
	id, _ := syncPiped(t, env, "--email", email, "--last-name", "Data")

	if out := ok(t, env, "lead", "update", email, "--data", `{"Title": "CTO", "NumberOfEmployees": 12}`); !strings.Contains(out, id) {
		t.Errorf("update --data printed %q", out)
	}
	soql := "SELECT Title, NumberOfEmployees, Industry, Phone FROM Lead WHERE Id = '" + id + "'"
	lead := jsonObject(t, ok(t, env, "query", soql, "--jq", ".[0]"))
	if lead["Title"] != "CTO" || lead["NumberOfEmployees"] != 12.0 {
		t.Errorf("after --data: Title %v NumberOfEmployees %v", lead["Title"], lead["NumberOfEmployees"])
	}
	// @file, with an argument that wins over the file's value.
	file := writeFile(t, "changes.json", `{"Title": "CEO", "Industry": "Energy"}`)
	ok(t, env, "lead", "update", id, "-d", "@"+file, "Title=Chair")
	lead = jsonObject(t, ok(t, env, "query", soql, "--jq", ".[0]"))
	if lead["Title"] != "Chair" || lead["Industry"] != "Energy" {
		t.Errorf("after @file + argument: Title %v Industry %v", lead["Title"], lead["Industry"])
	}
	// - reads standard input.
	if r := run(t, env, `{"Phone": "+1 555 0199"}`, "lead", "update", email, "--data", "-"); r.code != 0 {
		t.Fatalf("--data -: exit %d %q", r.code, r.err)
	}
	if got := jsonObject(t, ok(t, env, "query", soql, "--jq", ".[0]"))["Phone"]; got != "+1 555 0199" {
		t.Errorf("after --data -: Phone %v", got)
	}

	// Bad inputs: a usage error naming --data, nothing on stdout, nothing written.
	for _, c := range []struct {
		want string
		args []string
	}{
		{"--data: want a JSON object", []string{"lead", "update", email, "--data", `{"Title": "Broken"`}},
		{"--data: want a JSON object", []string{"lead", "update", email, "--data", `["Title"]`}},
		{"--data: want one JSON object", []string{"lead", "update", email, "--data", `{"Title": "A"} {"Title": "B"}`}},
		{"--data: want a JSON object of field values, not null", []string{"lead", "update", email, "--data", `null`}},
		{"--data", []string{"lead", "update", email, "--data", "@" + filepath.Join(t.TempDir(), "missing.json")}},
		{"Field=value arguments or --data", []string{"lead", "update", email}},
		{"field values: IsConverted cannot be set", []string{"lead", "update", email, "--data", `{"IsConverted": true}`}},
		{"field values: \"Title; DROP\" is not an API name", []string{"lead", "update", email, "--data", `{"Title; DROP": "x"}`}},
	} {
		if r := fails(t, env, 2, c.want, c.args...); r.out != "" {
			t.Errorf("sfmcp %s printed %q", strings.Join(c.args, " "), r.out)
		}
	}
	if got := jsonObject(t, ok(t, env, "query", soql, "--jq", ".[0]"))["Title"]; got != "Chair" {
		t.Errorf("a refused update wrote: Title %v", got)
	}
}

// TestHelpEnvironment: `sfmcp help environment` is a help topic that lists
// the variables, and the root help points to it.
func TestHelpEnvironment(t *testing.T) {
	t.Parallel()
	env := baseEnv(t)
	out := ok(t, env, "help", "environment")
	for _, want := range []string{"SFMCP_ORG\n", "SALESFORCE_ACCESS_TOKEN", "REDIS_URL", "NO_COLOR\n", "XDG_CONFIG_HOME\n", "BROWSER\n", "OTEL_EXPORTER_OTLP_ENDPOINT\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("help environment lacks %q", want)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if len(line) > 80 {
			t.Errorf("line wider than 80 columns: %q", line)
		}
	}
	if root := ok(t, env, "--help"); !strings.Contains(root, "sfmcp help environment") || !strings.Contains(root, "environment") {
		t.Errorf("root help does not point to the topic:\n%s", root)
	}
}
