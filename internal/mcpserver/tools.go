// Package mcpserver serves the operations of internal/ops as MCP tools, over
// stdio and streamable HTTP, with the HTTP authentication modes of design.md
// §4. Tools are data: each is built from one catalogue entry, so a new
// operation becomes a tool without code here.
package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Tool is one MCP tool: its definition and the operation it runs.
type Tool struct {
	Def   mcp.Tool
	Entry ops.Entry
}

// NewTool builds the tool of one catalogue entry. Every annotation is set
// from the entry's Meta explicitly (mcp-go's NewTool would otherwise default
// destructiveHint to true), and both schemas come from the entry's types.
func NewTool(e ops.Entry) (Tool, error) {
	if e.Call == nil {
		return Tool{}, fmt.Errorf("%s: catalogue entry has no Call", e.Meta.Name)
	}
	in, err := InputSchema(e.Input)
	if err != nil {
		return Tool{}, fmt.Errorf("%s: %w", e.Meta.Name, err)
	}
	out, err := OutputSchema(e.Output)
	if err != nil {
		return Tool{}, fmt.Errorf("%s: %w", e.Meta.Name, err)
	}
	m := e.Meta
	def := mcp.NewTool(m.Name,
		mcp.WithToolTitle(m.Title),
		mcp.WithDescription(m.Description),
		// The title is the tool's own (top-level) title; annotations.title,
		// its older place, would repeat it in every listing.
		mcp.WithToolAnnotation(mcp.ToolAnnotation{
			ReadOnlyHint:    mcp.ToBoolPtr(m.ReadOnly),
			DestructiveHint: mcp.ToBoolPtr(m.Destructive),
			IdempotentHint:  mcp.ToBoolPtr(m.Idempotent),
			OpenWorldHint:   mcp.ToBoolPtr(m.OpenWorld),
		}),
		mcp.WithRawOutputSchema(out),
	)
	// The raw schema replaces the structured one NewTool starts with; mcp-go
	// refuses to marshal a tool that has both.
	def.InputSchema = mcp.ToolInputSchema{}
	def.RawInputSchema = in
	if longRunning(e) {
		// A client that supports tasks may run it as one (tasks.go).
		def.Execution = &mcp.ToolExecution{TaskSupport: mcp.TaskSupportOptional}
	}
	return Tool{Def: def, Entry: e}, nil
}

// Tools builds a tool for every entry of the catalogue, in its order.
func Tools(catalogue []ops.Entry) ([]Tool, error) {
	tools := make([]Tool, 0, len(catalogue))
	for _, e := range catalogue {
		t, err := NewTool(e)
		if err != nil {
			return nil, err
		}
		tools = append(tools, t)
	}
	return tools, nil
}

// KnownToolsets are the toolset names --toolsets accepts: those of
// design.md, and any a catalogue entry declares.
func KnownToolsets() []string {
	return []string{"query", "records", "metadata", "bulk", "leads", "limits"}
}

// Filter chooses which tools a server offers. Read-only mode is a filter on
// the tools' readOnly annotation, not a second list.
type Filter struct {
	ReadOnly bool     // only tools whose Meta.ReadOnly is set
	Toolsets []string // only these toolsets; empty or "all" means all
	Tools    []string // only these tools by name; empty means all
}

// Apply returns the tools that pass the filter, in their order. An unknown
// toolset or tool name is an error, so a typo never silently serves nothing.
func (f Filter) Apply(tools []Tool) ([]Tool, error) {
	knownSets := KnownToolsets()
	byName := map[string]bool{}
	for _, t := range tools {
		knownSets = append(knownSets, string(t.Entry.Meta.Toolset))
		byName[t.Def.Name] = true
	}
	toolsets := f.Toolsets
	if slices.Contains(toolsets, "all") {
		toolsets = nil
	}
	for _, s := range toolsets {
		if !slices.Contains(knownSets, s) {
			sort.Strings(knownSets)
			return nil, fmt.Errorf("unknown toolset %q (known: %s)", s, strings.Join(slices.Compact(knownSets), ", "))
		}
	}
	for _, n := range f.Tools {
		if !byName[n] {
			return nil, fmt.Errorf("unknown tool %q (sfmcp serve --list-tools lists them)", n)
		}
	}
	var out []Tool
	for _, t := range tools {
		m := t.Entry.Meta
		switch {
		case len(toolsets) > 0 && !slices.Contains(toolsets, string(m.Toolset)):
		case len(f.Tools) > 0 && !slices.Contains(f.Tools, m.Name):
		case f.ReadOnly && !m.ReadOnly && t.Entry.ServesReadOnly:
			// A tool that can run without writing (salesforce_api, GET
			// only) is served in its read-only form; --toolsets and
			// --tools still choose whether it is served at all.
			out = append(out, readOnlyTool(t))
		case f.ReadOnly && !m.ReadOnly:
		default:
			out = append(out, t)
		}
	}
	return out, nil
}

// SplitList splits a comma-separated flag value, dropping blanks.
func SplitList(s []string) []string {
	var out []string
	for _, v := range s {
		for part := range strings.SplitSeq(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// readOnlyTool is t as a read-only server serves it: its calls run under
// ops.WithReadOnly (the operation refuses to write), none asks for a
// confirmation, and its annotations say it changes nothing.
func readOnlyTool(t Tool) Tool {
	call := t.Entry.Call
	t.Entry.Call = func(ctx context.Context, c *salesforce.Client, args json.RawMessage) (any, error) {
		return call(ops.WithReadOnly(ctx), c, args)
	}
	t.Entry.Kind = func(json.RawMessage) string { return "read" }
	t.Def.Annotations.ReadOnlyHint = mcp.ToBoolPtr(true)
	t.Def.Annotations.DestructiveHint = mcp.ToBoolPtr(false)
	t.Def.Description += " This server is read-only: GET only."
	return t
}
