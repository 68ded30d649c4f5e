package mcpserver

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// TestDefaultListingAndDiscovery: with the default listed toolsets,
// tools/list leaves out the bulk and lead tools, adds salesforce_tools and
// carries cache hints; salesforce_tools gives a left-out tool's definition;
// and the left-out tool is still callable by name.
func TestDefaultListingAndDiscovery(t *testing.T) {
	em := emulatortest.New(t)
	sf := emulatorClient(t, em)
	all := allTools(t)
	s := NewServer(Options{Version: "test", Tools: all, ListToolsets: DefaultListedToolsets(),
		Client: func(context.Context) (*salesforce.Client, error) { return sf, nil }})
	c := inProcessServer(t, s)
	res, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	if !slices.Contains(names, DiscoveryToolName) || !slices.Contains(names, "salesforce_query") {
		t.Errorf("listed %v", names)
	}
	for _, n := range names {
		if strings.Contains(n, "bulk") || strings.Contains(n, "lead") {
			t.Errorf("%s is listed; the default listing leaves bulk and leads out", n)
		}
	}
	if ttl, ok := res.TTL(); ok && ttl <= 0 {
		t.Errorf("tools/list ttlMs %d", ttl)
	}

	out, sc := call(t, c, DiscoveryToolName, map[string]any{"toolset": "leads"})
	if out.IsError {
		t.Fatalf("salesforce_tools: %v", out.Content)
	}
	raw, _ := json.Marshal(sc["tools"])
	var defs []mcp.Tool
	if err := json.Unmarshal(raw, &defs); err != nil || len(defs) == 0 {
		t.Fatalf("definitions: %s %v", raw, err)
	}
	var got []string
	for _, d := range defs {
		got = append(got, d.Name)
	}
	if !slices.Contains(got, "salesforce_list_leads") || !strings.Contains(string(raw), `"inputSchema"`) {
		t.Errorf("leads definitions: %s", raw)
	}
	if out, _ := call(t, c, DiscoveryToolName, map[string]any{"toolset": "nope"}); !out.IsError {
		t.Error("an unknown toolset succeeded")
	}

	out, sc = call(t, c, "salesforce_list_leads", map[string]any{"limit": 2})
	if out.IsError || sc["correlation_id"] == nil {
		t.Errorf("an unlisted tool is not callable: %v", out.Content)
	}
}

// TestQueryResultCompact: a query result has no attributes unless asked,
// and its text is CSV that holds every value of structuredContent.
func TestQueryResultCompact(t *testing.T) {
	em := emulatortest.New(t)
	sf := emulatorClient(t, em)
	c := inProcess(t, allTools(t), func(context.Context) (*salesforce.Client, error) { return sf, nil })
	soql := "SELECT Id, Name, Account.Name FROM Contact WHERE AccountId != null ORDER BY Id LIMIT 3"
	res, sc := call(t, c, "salesforce_query", map[string]any{"soql": soql})
	if res.IsError {
		t.Fatal(res.Content)
	}
	raw, _ := json.Marshal(sc["records"])
	if strings.Contains(string(raw), `"attributes"`) {
		t.Errorf("attributes without asking: %s", raw)
	}
	text := res.Content[0].(mcp.TextContent).Text
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) != 5 || lines[1] != "Id,Name,Account.Name" || !strings.Contains(lines[0], "correlation_id=") {
		t.Fatalf("text:\n%s", text)
	}
	var recs []struct {
		ID      string `json:"Id"`
		Name    string
		Account struct{ Name string }
	}
	_ = json.Unmarshal(raw, &recs)
	for i, r := range recs {
		if want := r.ID + "," + r.Name + "," + r.Account.Name; lines[2+i] != want && !strings.Contains(lines[2+i], `"`) {
			t.Errorf("row %d: %q; want %q", i, lines[2+i], want)
		}
	}
	_, sc = call(t, c, "salesforce_query", map[string]any{"soql": soql, "attributes": true})
	raw, _ = json.Marshal(sc["records"])
	if !strings.Contains(string(raw), `"attributes"`) {
		t.Errorf("attributes=true: %s", raw)
	}
}

func TestRecordsCSV(t *testing.T) {
	got := recordsCSV([]json.RawMessage{
		json.RawMessage(`{"Id":"1","Name":"A, \"B\"","Owner":{"Name":"O"},"N":2.50,"X":null,"Cases":{"totalSize":1,"records":[{"S":"s"}]}}`),
		json.RawMessage(`{"Id":"2","Name":"C","Owner":null,"Extra":true}`),
	})
	want := "Id,Name,Owner.Name,N,X,Cases,Owner,Extra\n" +
		`1,"A, ""B""",O,2.50,,"{""totalSize"":1,""records"":[{""S"":""s""}]}",,` + "\n" +
		"2,C,,,,,,true\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// Whitespace between tokens, escapes in names and values, brackets
	// inside strings, a nested parent whose field is named records' cousin.
	got = recordsCSV([]json.RawMessage{json.RawMessage("{ \"I\\u0064\" : \"a\\\"b\\n\" ,\n \"P\" : { \"N\" : \"}]{\" , \"recordsX\" : 1 } , \"L\" : [ 1 , \"]\" ] }")})
	want = "Id,P.N,P.recordsX,L\n\"a\"\"b\n\",}]{,1,\"[1,\"\"]\"\"]\"\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}
