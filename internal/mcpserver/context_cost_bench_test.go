package mcpserver

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// BenchmarkContextCost reports what an agent pays in context: the compact
// JSON bytes of the default tools/list result, of the full catalogue, and of
// one 200-row, 3-field salesforce_query result (whole CallToolResult, its
// text and its structuredContent). The figures are in BENCHMARKS.md.
//
//	go test -run '^$' -bench BenchmarkContextCost -benchtime 1x ./internal/mcpserver/
func BenchmarkContextCost(b *testing.B) {
	em := emulatortest.New(b)
	sf := emulatorClient(b, em)
	all, err := Tools(ops.Catalogue())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	list := func(listed []string) int {
		s := NewServer(Options{Version: "bench", Tools: all, ListToolsets: listed, Client: func(context.Context) (*salesforce.Client, error) { return sf, nil }})
		c := inProcessServer(b, s)
		res, err := c.ListTools(ctx, mcp.ListToolsRequest{})
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := json.Marshal(res)
		return len(raw)
	}
	var defaultList, fullList int
	var resultBytes, textBytes, structuredBytes int
	for b.Loop() {
		defaultList = list(DefaultListedToolsets())
		fullList = list(nil)
		s := NewServer(Options{Version: "bench", Tools: all, Client: func(context.Context) (*salesforce.Client, error) { return sf, nil }})
		c := inProcessServer(b, s)
		req := mcp.CallToolRequest{}
		req.Params.Name = "salesforce_query"
		req.Params.Arguments = map[string]any{"soql": "SELECT Id, Name, Industry FROM Account ORDER BY Name", "max_records": 200}
		res, err := c.CallTool(ctx, req)
		if err != nil || res.IsError {
			b.Fatalf("query: %v %+v", err, res)
		}
		var sc struct {
			Returned int `json:"returned"`
		}
		raw, _ := json.Marshal(res.StructuredContent)
		if json.Unmarshal(raw, &sc) != nil || sc.Returned != 200 {
			b.Fatalf("query returned %d rows; want 200", sc.Returned)
		}
		whole, _ := json.Marshal(res)
		resultBytes, structuredBytes = len(whole), len(raw)
		textBytes = 0
		for _, ct := range res.Content {
			if tc, ok := ct.(mcp.TextContent); ok {
				textBytes += len(tc.Text)
			}
		}
	}
	b.ReportMetric(float64(defaultList), "tools/list-default-bytes")
	b.ReportMetric(float64(fullList), "tools/list-all-bytes")
	b.ReportMetric(float64(resultBytes), "query200-result-bytes")
	b.ReportMetric(float64(textBytes), "query200-text-bytes")
	b.ReportMetric(float64(structuredBytes), "query200-structured-bytes")
}
