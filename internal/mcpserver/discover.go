package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/sfmcp/sfmcp/internal/ops"
)

// DefaultListedToolsets are the toolsets whose tools tools/list shows when
// the user chose none: the everyday record and query work. The other
// toolsets' tools (bulk, leads) are served too and callable by name; their
// definitions cost context only when the agent asks salesforce_tools for them.
// A new slice each call: no caller can change another's default.
func DefaultListedToolsets() []string {
	return []string{string(ops.ToolsetQuery), string(ops.ToolsetRecords), string(ops.ToolsetMetadata), string(ops.ToolsetLimits)}
}

// DiscoveryToolName is the tool that lists every served tool and gives the
// definitions of those tools/list leaves out.
const DiscoveryToolName = "salesforce_tools"

// listed reports whether tools/list shows t, given the listed toolsets (nil: all).
func listed(t Tool, toolsets []string) bool {
	return toolsets == nil || slices.Contains(toolsets, string(t.Entry.Meta.Toolset))
}

// DiscoveryInput is the input of salesforce_tools.
type DiscoveryInput struct {
	Toolset string   `json:"toolset,omitempty" jsonschema:"description=Give the full definitions of this toolset's tools (bulk or leads for example)"`
	Tools   []string `json:"tools,omitempty" jsonschema:"description=Give the full definitions of these tools by name"`
}

// discoveryTool builds salesforce_tools over the served tools.
func discoveryTool(tools []Tool, listedSets []string) (mcp.Tool, server.ToolHandlerFunc) {
	var hidden []string
	sets := map[string][]string{}
	var order []string
	for _, t := range tools {
		ts := string(t.Entry.Meta.Toolset)
		if _, ok := sets[ts]; !ok {
			order = append(order, ts)
		}
		sets[ts] = append(sets[ts], t.Def.Name)
		if !listed(t, listedSets) && !slices.Contains(hidden, ts) {
			hidden = append(hidden, ts)
		}
	}
	in, _ := InputSchema(reflect.TypeFor[DiscoveryInput]())
	def := mcp.NewTool(DiscoveryToolName,
		mcp.WithToolTitle("List sfmcp's tools"),
		mcp.WithDescription("Lists every sfmcp tool by toolset. More tools than tools/list shows can be called by name: "+
			describeHidden(hidden, sets)+". Pass toolset or tools to get their definitions (arguments and annotations), then call them."),
		mcp.WithToolAnnotation(mcp.ToolAnnotation{ReadOnlyHint: mcp.ToBoolPtr(true), DestructiveHint: mcp.ToBoolPtr(false),
			IdempotentHint: mcp.ToBoolPtr(true), OpenWorldHint: mcp.ToBoolPtr(false)}),
	)
	def.InputSchema = mcp.ToolInputSchema{}
	def.RawInputSchema = in
	byName := map[string]Tool{}
	for _, t := range tools {
		byName[t.Def.Name] = t
	}
	handle := func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		cid := newCorrelationID()
		raw, _ := json.Marshal(req.GetRawArguments())
		var args DiscoveryInput
		if err := ops.DecodeArgs(raw, &args); err != nil {
			return errorResult(cid, err), nil
		}
		type toolsetInfo struct {
			Name   string   `json:"name"`
			Listed bool     `json:"listed"`
			Tools  []string `json:"tools"`
		}
		out := struct {
			Toolsets []toolsetInfo `json:"toolsets"`
			Tools    []mcp.Tool    `json:"tools,omitempty"`
		}{}
		for _, ts := range order {
			out.Toolsets = append(out.Toolsets, toolsetInfo{Name: ts, Listed: !slices.Contains(hidden, ts), Tools: sets[ts]})
		}
		want := slices.Clone(args.Tools)
		if args.Toolset != "" {
			names, ok := sets[args.Toolset]
			if !ok {
				return errorResult(cid, &ops.InputError{Field: "toolset", Message: fmt.Sprintf("%q is not a served toolset (served: %s)", args.Toolset, strings.Join(order, ", "))}), nil
			}
			want = append(want, names...)
		}
		for _, n := range want {
			t, ok := byName[n]
			if !ok {
				return errorResult(cid, &ops.InputError{Field: "tools", Message: fmt.Sprintf("%q is not a served tool", n)}), nil
			}
			out.Tools = append(out.Tools, t.Def)
		}
		res, err := successResult(cid, out)
		if err != nil {
			return errorResult(cid, err), nil
		}
		return res, nil
	}
	return def, handle
}

func describeHidden(hidden []string, sets map[string][]string) string {
	if len(hidden) == 0 {
		return "none (every tool is listed)"
	}
	var parts []string
	for _, ts := range hidden {
		names := slices.Clone(sets[ts])
		sort.Strings(names)
		parts = append(parts, ts+" ("+strings.Join(names, ", ")+")")
	}
	return strings.Join(parts, "; ")
}
