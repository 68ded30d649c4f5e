package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/ops"
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

// TestQueryResultCompact: a query result has no attributes unless asked; by
// default its structuredContent gives the records as columns and typed
// rows, record_format objects as objects; its text is CSV that holds every
// value of structuredContent, in either form.
func TestQueryResultCompact(t *testing.T) {
	em := emulatortest.New(t)
	sf := emulatorClient(t, em)
	c := inProcess(t, allTools(t), func(context.Context) (*salesforce.Client, error) { return sf, nil })
	// Three contacts of an account with a number and a null field.
	_, acct := call(t, c, "salesforce_create_record", map[string]any{"sobject": "Account", "data": map[string]any{"Name": "Compact Co", "NumberOfEmployees": 42}})
	for _, n := range []string{"One", "Two", "Three, Jr."} {
		if res, sc := call(t, c, "salesforce_create_record", map[string]any{"sobject": "Contact", "data": map[string]any{"LastName": n, "AccountId": acct["id"]}}); res.IsError {
			t.Fatal(sc)
		}
	}
	soql := "SELECT Id, Name, Account.Name, Account.NumberOfEmployees, Account.Website FROM Contact WHERE Account.Name = 'Compact Co' ORDER BY Id"
	res, sc := call(t, c, "salesforce_query", map[string]any{"soql": soql})
	if res.IsError {
		t.Fatal(res.Content)
	}
	if _, ok := sc["records"]; ok {
		t.Errorf("records as objects without asking: %v", sc)
	}
	var tab struct {
		Columns []string
		Rows    [][]any
	}
	raw, _ := json.Marshal(sc)
	_ = json.Unmarshal(raw, &tab)
	if strings.Join(tab.Columns, ",") != "Id,Name,Account.Name,Account.NumberOfEmployees,Account.Website" || len(tab.Rows) != 3 {
		t.Fatalf("table %s", raw)
	}
	for _, row := range tab.Rows {
		if row[3] != 42.0 || row[4] != nil {
			t.Errorf("row %v: want a number and a null", row)
		}
	}
	text := res.Content[0].(mcp.TextContent).Text
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) != 5 || lines[1] != "Id,Name,Account.Name,Account.NumberOfEmployees,Account.Website" || !strings.Contains(lines[0], "correlation_id=") {
		t.Fatalf("text:\n%s", text)
	}
	for i, r := range tab.Rows {
		if want := fmt.Sprintf("%v,%v,%v,%v,", r[0], r[1], r[2], r[3]); lines[2+i] != want && !strings.Contains(lines[2+i], `"`) {
			t.Errorf("row %d: %q; want %q", i, lines[2+i], want)
		}
	}

	// As objects: the same records, the same text.
	obj, sc := call(t, c, "salesforce_query", map[string]any{"soql": soql, "record_format": "objects"})
	raw, _ = json.Marshal(sc["records"])
	var recs []struct {
		ID      string `json:"Id"`
		Name    string
		Account struct{ Name string }
	}
	if err := json.Unmarshal(raw, &recs); err != nil || len(recs) != 3 || strings.Contains(string(raw), `"attributes"`) || sc["rows"] != nil || sc["columns"] != nil {
		t.Fatalf("objects: %v", sc)
	}
	for i, r := range recs {
		if r.ID != tab.Rows[i][0] || r.Name != tab.Rows[i][1] || r.Account.Name != tab.Rows[i][2] {
			t.Errorf("record %d: %+v; row %v", i, r, tab.Rows[i])
		}
	}
	if got := obj.Content[0].(mcp.TextContent).Text; got[strings.IndexByte(got, '\n'):] != text[strings.IndexByte(text, '\n'):] {
		t.Errorf("the text of objects differs:\n%s\nfrom\n%s", got, text)
	}
	_, sc = call(t, c, "salesforce_query", map[string]any{"soql": soql, "attributes": true, "record_format": "objects"})
	raw, _ = json.Marshal(sc["records"])
	if !strings.Contains(string(raw), `"attributes"`) {
		t.Errorf("attributes=true: %s", raw)
	}
	_, sc = call(t, c, "salesforce_query", map[string]any{"soql": soql, "attributes": true})
	if cols, _ := json.Marshal(sc["columns"]); !strings.Contains(string(cols), `"attributes.type"`) {
		t.Errorf("attributes=true as rows: columns %s", cols)
	}
	if res, sc := call(t, c, "salesforce_query", map[string]any{"soql": soql, "record_format": "csv"}); !res.IsError || sc["error_code"] != "INVALID_ARGUMENT" {
		t.Errorf("record_format csv: %v", sc)
	}

	// A child subquery's cell holds its result typed, as JSON.
	_, sc = call(t, c, "salesforce_query", map[string]any{"soql": "SELECT Id, (SELECT LastName FROM Contacts ORDER BY Id LIMIT 1) FROM Account WHERE Id IN (SELECT AccountId FROM Contact) ORDER BY Id LIMIT 1"})
	var sub struct {
		Rows [][]json.RawMessage
	}
	raw, _ = json.Marshal(sc)
	if err := json.Unmarshal(raw, &sub); err != nil || len(sub.Rows) != 1 || len(sub.Rows[0]) != 2 {
		t.Fatalf("subquery: %s", raw)
	}
	var child struct {
		TotalSize int
		Records   []map[string]any
	}
	if err := json.Unmarshal(sub.Rows[0][1], &child); err != nil || child.TotalSize != 1 || len(child.Records) != 1 || child.Records[0]["LastName"] == nil {
		t.Errorf("subquery cell: %s", sub.Rows[0][1])
	}
}

// TestRecordFormatEveryTool: every tool that returns query records gives
// them as columns and rows by default and as objects when asked, in the
// shape its output schema says.
func TestRecordFormatEveryTool(t *testing.T) {
	em := emulatortest.New(t)
	sf := emulatorClient(t, em)
	c := inProcess(t, allTools(t), func(context.Context) (*salesforce.Client, error) { return sf, nil })
	_, first := call(t, c, "salesforce_query", map[string]any{"soql": "SELECT Id, Name FROM Account ORDER BY Id", "max_records": 1})
	cursor, _ := first["next_records_url"].(string)
	for _, tc := range []struct {
		tool string
		args map[string]any
		cols string
	}{
		{"salesforce_query", map[string]any{"soql": "SELECT Id, Name FROM Account ORDER BY Id", "max_records": 2}, "Id,Name"},
		{"salesforce_query_all", map[string]any{"soql": "SELECT Id, Name FROM Account ORDER BY Id", "max_records": 2}, "Id,Name"},
		{"salesforce_query_more", map[string]any{"next_records_url": cursor, "max_records": 2}, "Id,Name"},
		{"salesforce_search", map[string]any{"sosl": "FIND {Acme} RETURNING Account(Id, Name)"}, "sobject,Id,Name"},
		{"salesforce_bulk_query", map[string]any{"sobject": "Account", "soql": "SELECT Id, Name FROM Account", "max_records": 2}, "Id,Name"},
	} {
		res, rows := call(t, c, tc.tool, tc.args)
		if res.IsError {
			t.Fatalf("%s: %v", tc.tool, rows)
		}
		cols, _ := rows["columns"].([]any)
		got := make([]string, len(cols))
		for i, c := range cols {
			got[i], _ = c.(string)
		}
		table, _ := rows["rows"].([]any)
		if strings.Join(got, ",") != tc.cols || len(table) == 0 || rows["records"] != nil {
			t.Errorf("%s rows: %v", tc.tool, rows)
			continue
		}
		args := maps.Clone(tc.args)
		args["record_format"] = "objects"
		if tc.tool == "salesforce_query_more" {
			args["next_records_url"] = cursor
		}
		res, objs := call(t, c, tc.tool, args)
		recs, _ := objs["records"].([]any)
		if res.IsError || len(recs) != len(table) || objs["rows"] != nil {
			t.Errorf("%s objects: %v", tc.tool, objs)
			continue
		}
		for i, r := range recs {
			m, _ := r.(map[string]any)
			if row, _ := table[i].([]any); m["Name"] != row[len(row)-1] {
				t.Errorf("%s: record %d %v; row %v", tc.tool, i, m, row)
			}
		}
	}
	// The Tooling API (the emulator's org has no Apex): no rows are empty lists.
	_, sc := call(t, c, "salesforce_tooling_query", map[string]any{"soql": "SELECT Id, Name FROM ApexClass"})
	if mustJSON(sc["rows"]) != "[]" || mustJSON(sc["columns"]) != "[]" || sc["records"] != nil {
		t.Errorf("tooling rows: %v", sc)
	}
	_, sc = call(t, c, "salesforce_tooling_query", map[string]any{"soql": "SELECT Id, Name FROM ApexClass", "record_format": "objects"})
	if mustJSON(sc["records"]) != "[]" || sc["rows"] != nil {
		t.Errorf("tooling objects: %v", sc)
	}
}

func TestRecordsCSV(t *testing.T) {
	got := tableCSV(ops.TableOf([]json.RawMessage{
		json.RawMessage(`{"Id":"1","Name":"A, \"B\"","Owner":{"Name":"O"},"N":2.50,"X":null,"Cases":{"totalSize":1,"records":[{"S":"s"}]}}`),
		json.RawMessage(`{"Id":"2","Name":"C","Owner":null,"Extra":true}`),
	}))
	want := "Id,Name,Owner.Name,N,X,Cases,Owner,Extra\n" +
		`1,"A, ""B""",O,2.50,,"{""totalSize"":1,""records"":[{""S"":""s""}]}",,` + "\n" +
		"2,C,,,,,,true\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// Whitespace between tokens, escapes in names and values, brackets
	// inside strings, a nested parent whose field is named records' cousin.
	got = tableCSV(ops.TableOf([]json.RawMessage{json.RawMessage("{ \"I\\u0064\" : \"a\\\"b\\n\" ,\n \"P\" : { \"N\" : \"}]{\" , \"recordsX\" : 1 } , \"L\" : [ 1 , \"]\" ] }")}))
	want = "Id,P.N,P.recordsX,L\n\"a\"\"b\n\",}]{,1,\"[1,\"\"]\"\"]\"\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}
