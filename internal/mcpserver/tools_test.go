package mcpserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/ops"
)

// updateSnaps is UPDATE_TOOLSNAPS=true: accept the current tool schemas.
var updateSnaps = os.Getenv("UPDATE_TOOLSNAPS") == "true"

func allTools(t *testing.T) []Tool {
	t.Helper()
	tools, err := Tools(ops.Catalogue())
	if err != nil {
		t.Fatal(err)
	}
	if len(tools) != len(ops.Catalogue()) {
		t.Fatalf("%d tools for %d operations", len(tools), len(ops.Catalogue()))
	}
	return tools
}

// TestToolAnnotationsLint fails a tool that leaves an annotation unset, or
// sets one that contradicts its operation's metadata or the naming rules.
func TestToolAnnotationsLint(t *testing.T) {
	for _, tool := range allTools(t) {
		a, m := tool.Def.Annotations, tool.Entry.Meta
		name := tool.Def.Name
		for hint, p := range map[string]*bool{"readOnlyHint": a.ReadOnlyHint, "destructiveHint": a.DestructiveHint,
			"idempotentHint": a.IdempotentHint, "openWorldHint": a.OpenWorldHint} {
			if p == nil {
				t.Errorf("%s: %s is not set", name, hint)
			}
		}
		if a.ReadOnlyHint == nil || a.DestructiveHint == nil || a.IdempotentHint == nil || a.OpenWorldHint == nil {
			continue
		}
		if *a.ReadOnlyHint != m.ReadOnly || *a.DestructiveHint != m.Destructive || *a.IdempotentHint != m.Idempotent || *a.OpenWorldHint != m.OpenWorld {
			t.Errorf("%s: annotations %+v differ from Meta %+v", name, a, m)
		}
		if !*a.OpenWorldHint {
			t.Errorf("%s: openWorldHint must be true (every tool talks to the org)", name)
		}
		if *a.ReadOnlyHint && *a.DestructiveHint {
			t.Errorf("%s: read-only and destructive", name)
		}
		if strings.Contains(name, "delete") && !*a.DestructiveHint {
			t.Errorf("%s: a delete tool must be destructive", name)
		}
		if (strings.Contains(name, "upsert") || strings.Contains(name, "_update_")) && !*a.IdempotentHint {
			t.Errorf("%s: update and upsert tools are idempotent", name)
		}
		for _, verb := range []string{"_query", "_search", "_get_", "_list_", "_describe_", "_limits"} {
			if strings.Contains(name, verb) && !strings.Contains(name, "bulk") && !*a.ReadOnlyHint {
				t.Errorf("%s: looks read-only but readOnlyHint is false", name)
			}
		}
		if tool.Def.Description == "" || tool.Def.Title == "" || a.Title != "" {
			t.Errorf("%s: needs a title and a description, and no annotations.title repeating the title", name)
		}
	}
}

// TestToolArgumentsDescribed fails a tool with an argument (at any depth)
// that has no description.
func TestToolArgumentsDescribed(t *testing.T) {
	for _, tool := range allTools(t) {
		var schema map[string]any
		if err := json.Unmarshal(tool.Def.RawInputSchema, &schema); err != nil {
			t.Fatalf("%s: %v", tool.Def.Name, err)
		}
		if schema["type"] != "object" || schema["additionalProperties"] != false {
			t.Errorf("%s: input schema must be a closed object: %s", tool.Def.Name, tool.Def.RawInputSchema)
		}
		var walk func(path string, s map[string]any)
		walk = func(path string, s map[string]any) {
			props, _ := s["properties"].(map[string]any)
			for name, p := range props {
				ps := p.(map[string]any)
				if d, _ := ps["description"].(string); strings.TrimSpace(d) == "" {
					t.Errorf("%s: argument %s%s has no description", tool.Def.Name, path, name)
				}
				walk(path+name+".", ps)
				if items, ok := ps["items"].(map[string]any); ok {
					walk(path+name+"[].", items)
				}
			}
		}
		walk("", schema)
		for _, r := range schema["required"].([]any) {
			if _, ok := schema["properties"].(map[string]any)[r.(string)]; !ok {
				t.Errorf("%s: required %v is not a property", tool.Def.Name, r)
			}
		}
	}
}

// snapshot is what a tool's snapshot file holds: everything a client sees in tools/list.
func snapshot(t *testing.T, tool Tool) []byte {
	t.Helper()
	b, err := json.Marshal(tool.Def)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		t.Fatal(err)
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}

// TestToolSnapshots compares every tool's definition with its file in
// __toolsnaps__. A difference fails until reviewed and accepted with
//
//	UPDATE_TOOLSNAPS=true go test ./internal/mcpserver/
//
// which also removes the files of tools that no longer exist.
func TestToolSnapshots(t *testing.T) {
	dir := "__toolsnaps__"
	want := map[string]bool{}
	for _, tool := range allTools(t) {
		file := filepath.Join(dir, tool.Def.Name+".json")
		want[filepath.Base(file)] = true
		got := snapshot(t, tool)
		old, err := os.ReadFile(file)
		switch {
		case updateSnaps:
			if !bytes.Equal(old, got) {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("updated %s", file)
			}
		case errors.Is(err, os.ErrNotExist):
			t.Errorf("%s has no snapshot; review it and run UPDATE_TOOLSNAPS=true go test ./internal/mcpserver/", tool.Def.Name)
		case err != nil:
			t.Fatal(err)
		case !bytes.Equal(old, got):
			t.Errorf("%s: schema differs from %s; review the change and run UPDATE_TOOLSNAPS=true go test ./internal/mcpserver/\n got: %s", tool.Def.Name, file, got)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !want[e.Name()] {
			if updateSnaps {
				_ = os.Remove(filepath.Join(dir, e.Name()))
				t.Logf("removed %s", e.Name())
			} else {
				t.Errorf("%s/%s belongs to no tool; run UPDATE_TOOLSNAPS=true go test ./internal/mcpserver/", dir, e.Name())
			}
		}
	}
}

func names(tools []Tool) []string {
	var out []string
	for _, t := range tools {
		out = append(out, t.Def.Name)
	}
	return out
}

func TestFilter(t *testing.T) {
	tools := allTools(t)
	ro, err := Filter{ReadOnly: true}.Apply(tools)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range tools {
		want := tool.Entry.Meta.ReadOnly || tool.Entry.ServesReadOnly
		if want != slices.Contains(names(ro), tool.Def.Name) {
			t.Errorf("--read-only: %s readOnly=%v servesReadOnly=%v", tool.Def.Name, tool.Entry.Meta.ReadOnly, tool.Entry.ServesReadOnly)
		}
	}
	for _, tool := range ro {
		if a := tool.Def.Annotations; a.ReadOnlyHint == nil || !*a.ReadOnlyHint || a.DestructiveHint == nil || *a.DestructiveHint {
			t.Errorf("--read-only serves %s annotated as writing", tool.Def.Name)
		}
	}
	if slices.Contains(names(ro), "salesforce_delete_record") || !slices.Contains(names(ro), "salesforce_query") {
		t.Errorf("--read-only served %v", names(ro))
	}
	q, _ := Filter{Toolsets: []string{"query", "limits"}}.Apply(tools)
	for _, tool := range q {
		if ts := tool.Entry.Meta.Toolset; ts != ops.ToolsetQuery && ts != ops.ToolsetLimits {
			t.Errorf("--toolsets query,limits served %s (%s)", tool.Def.Name, ts)
		}
	}
	exact, _ := Filter{Tools: []string{"salesforce_limits", "salesforce_query"}}.Apply(tools)
	got := names(exact)
	sort.Strings(got)
	if strings.Join(got, ",") != "salesforce_limits,salesforce_query" {
		t.Errorf("--tools: %v", got)
	}
	both, _ := Filter{ReadOnly: true, Tools: []string{"salesforce_delete_record", "salesforce_query"}}.Apply(tools)
	if strings.Join(names(both), ",") != "salesforce_query" {
		t.Errorf("--read-only --tools: %v", names(both))
	}
	if _, err := (Filter{Toolsets: []string{"qurey"}}).Apply(tools); err == nil || !strings.Contains(err.Error(), "qurey") {
		t.Errorf("unknown toolset: %v", err)
	}
	if _, err := (Filter{Tools: []string{"salesforce_nope"}}).Apply(tools); err == nil {
		t.Error("unknown tool accepted")
	}
	if _, err := (Filter{Toolsets: []string{"bulk", "leads"}}).Apply(tools); err != nil {
		t.Errorf("documented toolsets: %v", err)
	}
	if got := SplitList([]string{"a, b", "", "c"}); strings.Join(got, "|") != "a|b|c" {
		t.Errorf("SplitList: %v", got)
	}
}

// TestSchemasHaveOneTypeEach fails a schema that gives a value a list of
// types (single-type dialects refuse it; the Inspector's --strict warns) or
// no type at all, and an input schema that admits null.
func TestSchemasHaveOneTypeEach(t *testing.T) {
	var walk func(tool, path string, s map[string]any, input bool)
	walk = func(tool, path string, s map[string]any, input bool) {
		switch ty := s["type"].(type) {
		case string:
			if input && ty == "null" {
				t.Errorf("%s %s: an input admits null", tool, path)
			}
		case nil:
			if s["anyOf"] == nil {
				t.Errorf("%s %s: no type", tool, path)
			}
		default:
			t.Errorf("%s %s: type %v is a list", tool, path, ty)
		}
		for i, b := range asList(s["anyOf"]) {
			walk(tool, fmt.Sprintf("%s.anyOf[%d]", path, i), b.(map[string]any), input)
		}
		if props, ok := s["properties"].(map[string]any); ok {
			for k, p := range props {
				walk(tool, path+"."+k, p.(map[string]any), input)
			}
		}
		for _, k := range []string{"items", "additionalProperties"} {
			if sub, ok := s[k].(map[string]any); ok {
				walk(tool, path+"."+k, sub, input)
			}
		}
	}
	for _, tool := range allTools(t) {
		var in, out map[string]any
		if err := json.Unmarshal(tool.Def.RawInputSchema, &in); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(tool.Def.RawOutputSchema, &out); err != nil {
			t.Fatal(err)
		}
		walk(tool.Def.Name, "inputSchema", in, true)
		walk(tool.Def.Name, "outputSchema", out, false)
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }
