package mcpserver

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// emulatorClient is a Salesforce client for em's admin session.
func emulatorClient(t testing.TB, em *emulatortest.Server) *salesforce.Client {
	t.Helper()
	c, err := salesforce.New(salesforce.Config{
		HTTPClient: http.DefaultClient,
		Tokens: salesforce.NewTokenSource(salesforce.TokenSourceConfig{Token: salesforce.Token{
			AccessToken: em.Token.AccessToken, RefreshToken: em.Token.RefreshToken, InstanceURL: em.URL}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// inProcess serves tools to an in-process MCP client.
func inProcess(t *testing.T, tools []Tool, cf ClientFunc) *client.Client {
	t.Helper()
	return inProcessServer(t, NewServer(Options{Version: "test", Tools: tools, Client: cf}))
}

// inProcessServer connects an in-process MCP client to s.
func inProcessServer(t testing.TB, s *server.MCPServer) *client.Client {
	t.Helper()
	c, err := client.NewInProcessClient(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "sfmcp-test", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	return c
}

func call(t *testing.T, c *client.Client, name string, args any) (*mcp.CallToolResult, map[string]any) {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(context.Background(), req)
	if err != nil {
		t.Fatalf("%s: protocol error %v", name, err)
	}
	var sc map[string]any
	raw, _ := json.Marshal(res.StructuredContent)
	if res.IsError {
		if res.StructuredContent != nil {
			t.Errorf("%s: an error result with structured content", name)
		}
		tc, _ := res.Content[0].(mcp.TextContent)
		raw = []byte(tc.Text[strings.LastIndexByte(tc.Text, '\n')+1:])
		if _, ok := ErrorFromText(tc.Text); !ok {
			t.Errorf("%s: ErrorFromText(%q) failed", name, tc.Text)
		}
	}
	if err := json.Unmarshal(raw, &sc); err != nil || sc == nil {
		t.Fatalf("%s: structured content %s: %v", name, raw, err)
	}
	if id, _ := sc["correlation_id"].(string); len(id) != 36 {
		t.Errorf("%s: correlation_id %q", name, sc["correlation_id"])
	}
	if len(res.Content) == 0 {
		t.Errorf("%s: no text content", name)
	} else if tc, ok := res.Content[0].(mcp.TextContent); !ok || !strings.Contains(tc.Text, sc["correlation_id"].(string)) {
		t.Errorf("%s: text lacks the correlation id: %+v", name, res.Content[0])
	}
	return res, sc
}

func wantError(t *testing.T, c *client.Client, name string, args any, code, field string) map[string]any {
	t.Helper()
	res, sc := call(t, c, name, args)
	if !res.IsError {
		t.Fatalf("%s %v: succeeded; want %s", name, args, code)
	}
	if sc["error_code"] != code || sc["success"] != false {
		t.Errorf("%s %v: %v; want error_code %s", name, args, sc, code)
	}
	if field != "" {
		fields, _ := sc["fields"].([]any)
		if len(fields) == 0 || fields[0] != field {
			t.Errorf("%s %v: fields %v; want %s", name, args, sc["fields"], field)
		}
	}
	return sc
}

// sampleArgs are valid arguments for the tools this test knows; the others
// (added to the catalogue later) are called with none and must fail cleanly.
func sampleArgs(id string) map[string]map[string]any {
	return map[string]map[string]any{
		"salesforce_query":             {"soql": "SELECT Id, Name FROM Account ORDER BY Name", "max_records": 5},
		"salesforce_query_all":         {"soql": "SELECT Id FROM Account", "max_records": 3},
		"salesforce_search":            {"sosl": "FIND {Tool} IN NAME FIELDS RETURNING Account(Id, Name)"},
		"salesforce_get_record":        {"sobject": "Account", "record_id": id, "fields": "Name,Industry"},
		"salesforce_create_record":     {"sobject": "Account", "data": map[string]any{"Name": "Tool Again"}},
		"salesforce_update_record":     {"sobject": "Account", "record_id": id, "data": map[string]any{"Industry": "Energy"}},
		"salesforce_upsert_record":     {"sobject": "Account", "external_id_field": "External_Id__c", "data": map[string]any{"External_Id__c": "MCP-1", "Name": "Upserted"}},
		"salesforce_describe_object":   {"sobject": "Account"},
		"salesforce_list_objects":      {},
		"salesforce_get_object_fields": {"sobject": "Contact"},
		"salesforce_limits":            {},
	}
}

// TestCallEveryTool calls each catalogue tool against an emulator org: with
// good arguments where this test knows them, and always with bad ones.
func TestCallEveryTool(t *testing.T) {
	em := emulatortest.New(t)
	sf := emulatorClient(t, em)
	c := inProcess(t, allTools(t), func(context.Context) (*salesforce.Client, error) { return sf, nil })

	_, created := call(t, c, "salesforce_create_record", map[string]any{"sobject": "Account", "data": map[string]any{"Name": "Tool Corp"}})
	id, _ := created["id"].(string)
	if len(id) != 18 || created["success"] != true {
		t.Fatalf("create: %v", created)
	}
	samples := sampleArgs(id)

	list, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range list.Tools {
		name := tool.Name
		if tool.Annotations.DestructiveHint == nil || tool.Annotations.ReadOnlyHint == nil {
			t.Errorf("%s: annotations lost on the wire: %+v", name, tool.Annotations)
		}
		if args, ok := samples[name]; ok {
			res, sc := call(t, c, name, args)
			if res.IsError {
				t.Errorf("%s %v: %v", name, args, sc)
			}
		}
		// An argument the tool does not have is refused, naming it.
		res, _ := call(t, c, name, map[string]any{"no_such_argument": 1})
		if !res.IsError {
			t.Errorf("%s: an unknown argument was accepted", name)
		}
		// Missing arguments fail as results, never as protocol errors.
		if req, ok := tool.InputSchema.Required, true; ok && len(req) > 0 {
			wantError(t, c, name, map[string]any{}, "INVALID_ARGUMENT", "")
		}
	}

	// The delete runs last, on the record the others used.
	_, del := call(t, c, "salesforce_delete_record", map[string]any{"sobject": "Account", "record_id": id})
	if del["id"] != id {
		t.Errorf("delete: %v", del)
	}
	// Salesforce's own failures keep its errorCode, message and fields.
	wantError(t, c, "salesforce_get_record", map[string]any{"sobject": "Account", "record_id": id}, "ENTITY_IS_DELETED", "")
	sc := wantError(t, c, "salesforce_query", map[string]any{"soql": "SELECT Nope__c FROM Account"}, "INVALID_FIELD", "")
	if !strings.Contains(sc["message"].(string), "Nope__c") || sc["status_code"] != 400.0 {
		t.Errorf("INVALID_FIELD: %v", sc)
	}
	// ops' own validation names the argument.
	wantError(t, c, "salesforce_get_record", map[string]any{"sobject": "Account", "record_id": "nope"}, "INVALID_ARGUMENT", "record_id")
	wantError(t, c, "salesforce_query", map[string]any{"soql": "SELECT Id FROM Account", "max_records": 5000}, "INVALID_ARGUMENT", "max_records")
	wantError(t, c, "salesforce_query_more", map[string]any{"next_records_url": "not-a-cursor"}, "INVALID_ARGUMENT", "next_records_url")
	// A raw locator URL of another host is refused before anything is sent.
	wantError(t, c, "salesforce_query_more", map[string]any{"next_records_url": "https://evil.example.com/services/data/v66.0/query/01gD0000000001AAA-200"}, "INVALID_ARGUMENT", "next_records_url")
}

func TestQueryIsBoundedWithCursor(t *testing.T) {
	em := emulatortest.New(t, func(o *emulator.Options) { o.PageSize = 200 })
	sf := emulatorClient(t, em)
	c := inProcess(t, allTools(t), func(context.Context) (*salesforce.Client, error) { return sf, nil })
	total := emulator.SampleSizes.Contacts
	_, first := call(t, c, "salesforce_query", map[string]any{"soql": "SELECT Id FROM Contact ORDER BY Id"})
	if first["returned"] != 200.0 || first["done"] != false || first["total_size"] != float64(total) {
		t.Fatalf("default bound: %v %v %v", first["returned"], first["done"], first["total_size"])
	}
	seen := len(first["rows"].([]any))
	cursor := first["next_records_url"].(string)
	if strings.Contains(cursor, "/services/") {
		t.Errorf("cursor is a raw URL: %s", cursor)
	}
	for cursor != "" {
		_, more := call(t, c, "salesforce_query_more", map[string]any{"next_records_url": cursor, "max_records": 150})
		seen += len(more["rows"].([]any))
		cursor, _ = more["next_records_url"].(string)
	}
	if seen != total {
		t.Errorf("paged %d of %d", seen, total)
	}
	// Trimmed describe by default, whole with full=true.
	_, trimmed := call(t, c, "salesforce_describe_object", map[string]any{"sobject": "Account"})
	_, full := call(t, c, "salesforce_describe_object", map[string]any{"sobject": "Account", "full": true})
	tb, _ := json.Marshal(trimmed)
	fb, _ := json.Marshal(full)
	if trimmed["describe"] != nil || full["describe"] == nil || len(tb) >= len(fb) {
		t.Errorf("describe: trimmed %d bytes, full %d bytes", len(tb), len(fb))
	}
}

// TestNoLoginIsAToolError: without credentials every call is an
// AUTHENTICATION_REQUIRED result and the server keeps serving.
func TestNoLoginIsAToolError(t *testing.T) {
	c := inProcess(t, allTools(t), func(context.Context) (*salesforce.Client, error) {
		return nil, &salesforce.AuthError{Message: "no Salesforce login: run sfmcp login"}
	})
	for range 2 {
		sc := wantError(t, c, "salesforce_limits", map[string]any{}, "AUTHENTICATION_REQUIRED", "")
		if !strings.Contains(sc["message"].(string), "sfmcp login") {
			t.Errorf("message: %v", sc["message"])
		}
	}
}
