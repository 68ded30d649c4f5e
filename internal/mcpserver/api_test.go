package mcpserver

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// TestAPITool: salesforce_api reaches the org's /services/data only, a
// read-only server serves it for GETs, a DELETE needs confirmation, and the
// guard's objects and fields hold for it as for the typed tools.
func TestAPITool(t *testing.T) {
	em := emulatortest.New(t)
	sf := emulatorClient(t, em)
	cf := func(context.Context) (*salesforce.Client, error) { return sf, nil }
	c := inProcessServer(t, NewServer(Options{Version: "test", Tools: allTools(t), Client: cf, Confirm: ConfirmPolicy{Required: true}}))

	res, sc := call(t, c, "salesforce_api", map[string]any{"path": "limits"})
	if res.IsError || sc["status"] != float64(200) || !strings.Contains(mustJSON(sc["body"]), "DailyApiRequests") {
		t.Fatalf("GET limits: %v", sc)
	}
	if sc["path"] != "/services/data/v"+sf.APIVersion()+"/limits" {
		t.Errorf("path %v", sc["path"])
	}
	res, sc = call(t, c, "salesforce_api", map[string]any{"path": "query", "query": map[string]string{"q": "SELECT Id, Name FROM Account ORDER BY Name LIMIT 2"}})
	if res.IsError || !strings.Contains(mustJSON(sc["body"]), `"totalSize":2`) {
		t.Errorf("GET query: %v", sc)
	}
	// A JSON list (the API versions) comes as items.
	res, sc = call(t, c, "salesforce_api", map[string]any{"path": "/services/data"})
	if res.IsError || !strings.Contains(mustJSON(sc["items"]), `"version"`) || sc["body"] != nil {
		t.Errorf("GET /services/data: %v", sc)
	}
	for _, p := range []string{"https://evil.example.com/services/data/v62.0/limits", "/services/data/v62.0/../../secur/frontdoor.jsp",
		"/services/data/v62.0/%2e%2e/%2e%2e/id", "/services/apexrest/x", "/services/oauth2/userinfo"} {
		res, sc := call(t, c, "salesforce_api", map[string]any{"path": p})
		if !res.IsError || sc["error_code"] != "INVALID_ARGUMENT" {
			t.Errorf("%s: %v; want INVALID_ARGUMENT", p, sc)
		}
	}
	// This client cannot confirm and the server demands it: a DELETE is refused, nothing deleted.
	_, sc = call(t, c, "salesforce_create_record", map[string]any{"sobject": "Account", "data": map[string]any{"Name": "API delete me"}})
	id, _ := sc["id"].(string)
	res, sc = call(t, c, "salesforce_api", map[string]any{"method": "DELETE", "path": "sobjects/Account/" + id})
	if !res.IsError || sc["error_code"] != "CONFIRMATION_REQUIRED" {
		t.Errorf("DELETE without confirmation: %v", sc)
	}
	if res, _ := call(t, c, "salesforce_get_record", map[string]any{"sobject": "Account", "record_id": id}); res.IsError {
		t.Error("the refused DELETE deleted the record")
	}
	res, sc = call(t, c, "salesforce_api", map[string]any{"method": "PATCH", "path": "sobjects/Account/" + id, "body": map[string]any{"Rating": "Hot"}})
	if res.IsError || sc["status"] != float64(204) {
		t.Errorf("PATCH: %v", sc)
	}

	// Read-only: served, GET only.
	ro, err := Filter{ReadOnly: true}.Apply(allTools(t))
	if err != nil {
		t.Fatal(err)
	}
	rc := inProcessServer(t, NewServer(Options{Version: "test", Tools: ro, Client: cf}))
	if res, sc := call(t, rc, "salesforce_api", map[string]any{"path": "sobjects/Account/" + id}); res.IsError || !strings.Contains(mustJSON(sc["body"]), `"Rating":"Hot"`) {
		t.Errorf("read-only GET: %v", sc)
	}
	for _, m := range []string{"POST", "PATCH", "DELETE"} {
		res, sc := call(t, rc, "salesforce_api", map[string]any{"method": m, "path": "sobjects/Account/" + id, "body": map[string]any{"Name": "x"}})
		if m == "DELETE" {
			res, sc = call(t, rc, "salesforce_api", map[string]any{"method": m, "path": "sobjects/Account/" + id})
		}
		if !res.IsError || sc["error_code"] != "NOT_ALLOWED" || !strings.Contains(sc["message"].(string), "read-only") {
			t.Errorf("read-only %s: %v", m, sc)
		}
	}

	// The guard.
	gc := inProcessServer(t, NewServer(Options{Version: "test", Tools: allTools(t), Client: cf,
		Guard: &ops.Guard{AllowObjects: []string{"Account", "Contact"}, DenyFields: []string{"Account.Rating", "Email"}}}))
	res, sc = call(t, gc, "salesforce_api", map[string]any{"path": "sobjects/Account/" + id})
	if res.IsError || strings.Contains(mustJSON(sc["body"]), "Rating") || !strings.Contains(mustJSON(sc["body"]), "API delete me") {
		t.Errorf("guarded GET record: %v", sc)
	}
	for _, args := range []map[string]any{
		{"path": "sobjects/Opportunity"},
		{"path": "sobjects/Account/describe"},
		{"path": "sobjects"},
		{"path": "query", "query": map[string]string{"q": "SELECT Id, Owner.Name FROM Account"}},
		{"path": "query", "query": map[string]string{"q": "SELECT Id, Email FROM Contact"}},
		{"path": "sobjects/Account/" + id + "/Opportunities"},
		{"path": "composite/batch", "method": "POST", "body": map[string]any{"batchRequests": []any{}}},
		{"path": "sobjects/Account/" + id, "method": "PATCH", "body": map[string]any{"Rating": "Cold"}},
		{"path": "ui-api/object-info/Opportunity"},
	} {
		res, sc := call(t, gc, "salesforce_api", args)
		if !res.IsError || sc["error_code"] != "NOT_ALLOWED" {
			t.Errorf("guarded %v: %v; want NOT_ALLOWED", args, sc)
		}
	}
}

// TestToolingQuery: the Tooling API query runs against the org's tooling
// endpoint (the emulator's org has no Apex) and its errors are Salesforce's.
func TestToolingQuery(t *testing.T) {
	em := emulatortest.New(t)
	sf := emulatorClient(t, em)
	c := inProcessServer(t, NewServer(Options{Version: "test", Tools: allTools(t), Client: func(context.Context) (*salesforce.Client, error) { return sf, nil }}))
	res, sc := call(t, c, "salesforce_tooling_query", map[string]any{"soql": "SELECT Id, Name, ApiVersion FROM ApexClass ORDER BY Name"})
	if res.IsError || sc["total_size"] != float64(0) || sc["done"] != true || mustJSON(sc["rows"]) != "[]" {
		t.Errorf("ApexClass: %v", sc)
	}
	res, sc = call(t, c, "salesforce_tooling_query", map[string]any{"soql": "SELECT Id FROM NoSuchThing"})
	if !res.IsError || sc["error_code"] != "INVALID_TYPE" {
		t.Errorf("unknown type: %v", sc)
	}
	gc := inProcessServer(t, NewServer(Options{Version: "test", Tools: allTools(t), Client: func(context.Context) (*salesforce.Client, error) { return sf, nil },
		Guard: &ops.Guard{AllowObjects: []string{"Account"}}}))
	if res, sc := call(t, gc, "salesforce_tooling_query", map[string]any{"soql": "SELECT Id FROM ApexClass"}); !res.IsError || sc["error_code"] != "NOT_ALLOWED" {
		t.Errorf("guarded tooling: %v", sc)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
