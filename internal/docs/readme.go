package docs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/sfmcp/sfmcp/internal/mcpserver"
	"github.com/sfmcp/sfmcp/internal/ops"
)

// The README's tool catalogue sits between these two lines; everything
// between them is generated and rewritten by make docs.
const (
	ToolsBegin = "<!-- BEGIN TOOLS: generated from internal/ops by `make docs`; do not edit -->"
	ToolsEnd   = "<!-- END TOOLS -->"
)

// ToolTable renders the MCP tools of the operations catalogue as a Markdown
// table: name, arguments (optional ones marked with ?), toolset, the
// annotations that matter to a user, and the description.
func ToolTable() (string, error) {
	tools, err := mcpserver.Tools(ops.Catalogue())
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("| Tool | Arguments | Toolset | Kind | Description |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, t := range tools {
		args, err := arguments(t)
		if err != nil {
			return "", fmt.Errorf("%s: %w", t.Def.Name, err)
		}
		m := t.Entry.Meta
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n",
			t.Def.Name, cell(args), m.Toolset, kind(m), cell(firstSentence(t.Def.Description)))
	}
	return b.String(), nil
}

// kind summarises the annotations: read-only, or what a change may do.
func kind(m ops.Meta) string {
	var k []string
	switch {
	case m.ReadOnly:
		k = append(k, "read-only")
	case m.Destructive:
		k = append(k, "destructive")
	default:
		k = append(k, "writes")
	}
	if m.Idempotent && !m.ReadOnly {
		k = append(k, "idempotent")
	}
	return strings.Join(k, ", ")
}

// arguments lists the tool's input properties in the order of the input
// struct's fields (the order a reader of the code sees), with ? after the
// optional ones: "soql, include_deleted?".
func arguments(t mcpserver.Tool) (string, error) {
	var schema struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	if err := json.Unmarshal(t.Def.RawInputSchema, &schema); err != nil {
		return "", fmt.Errorf("input schema: %w", err)
	}
	var names []string
	for _, n := range jsonFieldNames(t.Entry.Input) {
		if _, ok := schema.Properties[n]; ok && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	var rest []string
	for n := range schema.Properties {
		if !slices.Contains(names, n) {
			rest = append(rest, n)
		}
	}
	slices.Sort(rest)
	names = append(names, rest...)
	for i, n := range names {
		if !slices.Contains(schema.Required, n) {
			names[i] = n + "?"
		}
	}
	if len(names) == 0 {
		return "—", nil
	}
	return strings.Join(names, ", "), nil
}

// jsonFieldNames returns the JSON names of a struct's fields in declaration
// order, descending into embedded structs.
func jsonFieldNames(t reflect.Type) []string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var names []string
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		if f.Anonymous && name == "" {
			names = append(names, jsonFieldNames(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

// firstSentence keeps a table row short; `sfmcp serve --list-tools --json`
// shows the whole description.
func firstSentence(s string) string {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '.' && s[i+1] == ' ' && s[i+2] >= 'A' && s[i+2] <= 'Z' {
			return s[:i+1]
		}
	}
	return s
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

// UpdateREADME returns readme with the text between ToolsBegin and ToolsEnd
// replaced by the current ToolTable.
func UpdateREADME(readme []byte) ([]byte, error) {
	table, err := ToolTable()
	if err != nil {
		return nil, err
	}
	before, rest, ok := bytes.Cut(readme, []byte(ToolsBegin))
	if !ok {
		return nil, fmt.Errorf("README has no %q line", ToolsBegin)
	}
	_, after, ok := bytes.Cut(rest, []byte(ToolsEnd))
	if !ok {
		return nil, fmt.Errorf("README has no %q line after the begin marker", ToolsEnd)
	}
	var b bytes.Buffer
	b.Write(before)
	b.WriteString(ToolsBegin + "\n\n" + table + "\n" + ToolsEnd)
	b.Write(after)
	return b.Bytes(), nil
}
