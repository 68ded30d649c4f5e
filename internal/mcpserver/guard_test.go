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

// TestGuardObjectsAndFields: with --allow-objects Account,Contact and
// --deny-fields Contact.Email,Phone, no tool reaches another object or a
// hidden field: not by FROM, relationship paths, subqueries, semi-joins,
// TYPEOF, SOSL RETURNING or a WHERE clause; describes and results leave the
// hidden fields out.
func TestGuardObjectsAndFields(t *testing.T) {
	em := emulatortest.New(t)
	sf := emulatorClient(t, em)
	c := inProcessServer(t, NewServer(Options{Version: "test", Tools: allTools(t),
		Client: func(context.Context) (*salesforce.Client, error) { return sf, nil },
		Guard:  &ops.Guard{AllowObjects: []string{"Account", "Contact"}, DenyFields: []string{"Contact.Email", "Phone"}}}))
	refused := []struct {
		tool string
		args map[string]any
	}{
		{"salesforce_query", map[string]any{"soql": "SELECT Id FROM Opportunity"}},
		{"salesforce_query", map[string]any{"soql": "SELECT Id, Owner.Name FROM Account"}}, // Owner is a User
		{"salesforce_query", map[string]any{"soql": "SELECT Id, Account.Phone FROM Contact"}},
		{"salesforce_query", map[string]any{"soql": "SELECT Id, (SELECT Email FROM Contacts) FROM Account"}},
		{"salesforce_query", map[string]any{"soql": "SELECT Id, (SELECT Id FROM Opportunities) FROM Account"}},
		{"salesforce_query", map[string]any{"soql": "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Opportunity)"}},
		{"salesforce_query", map[string]any{"soql": "SELECT Id FROM Contact WHERE Email LIKE 'a%'"}},
		{"salesforce_query", map[string]any{"soql": "SELECT Id, TYPEOF What WHEN Opportunity THEN Name END FROM Task"}},
		{"salesforce_query_all", map[string]any{"soql": "SELECT Id FROM Lead"}},
		{"salesforce_search", map[string]any{"sosl": "FIND {Acme} RETURNING Opportunity(Name)"}},
		{"salesforce_search", map[string]any{"sosl": "FIND {Acme}"}},
		{"salesforce_get_record", map[string]any{"sobject": "Lead", "record_id": "00Q000000000001AAA"}},
		{"salesforce_create_record", map[string]any{"sobject": "Contact", "data": map[string]any{"LastName": "X", "Email": "x@example.com"}}},
		{"salesforce_describe_object", map[string]any{"sobject": "Opportunity"}},
		{"salesforce_list_leads", map[string]any{}},
		{"salesforce_bulk_query", map[string]any{"sobject": "Account", "soql": "SELECT Id, Phone FROM Account"}},
		{"salesforce_bulk_delete", map[string]any{"sobject": "Opportunity", "record_ids": []string{"006000000000001AAA"}}},
	}
	for _, r := range refused {
		res, sc := call(t, c, r.tool, r.args)
		if !res.IsError || sc["error_code"] != "NOT_ALLOWED" {
			t.Errorf("%s %v: %v; want NOT_ALLOWED", r.tool, r.args, sc)
		}
	}

	// Allowed calls leave hidden fields out of the answer.
	res, sc := call(t, c, "salesforce_query", map[string]any{"soql": "SELECT FIELDS(STANDARD) FROM Contact ORDER BY Id LIMIT 3"})
	if res.IsError {
		t.Fatalf("FIELDS(STANDARD): %v", res.Content)
	}
	raw, _ := json.Marshal(sc)
	if strings.Contains(string(raw), `"Email"`) || strings.Contains(string(raw), `"Phone"`) || !strings.Contains(string(raw), `"LastName"`) {
		t.Errorf("hidden fields in the result: %.400s", raw)
	}
	res, sc = call(t, c, "salesforce_query", map[string]any{"soql": "SELECT Id, Account.Name, (SELECT LastName FROM Contacts) FROM Account WHERE Name != null ORDER BY Id LIMIT 2"})
	if res.IsError {
		t.Errorf("allowed relationship and subquery refused: %v", res.Content)
	}
	_ = sc
	_, sc = call(t, c, "salesforce_describe_object", map[string]any{"sobject": "Contact"})
	raw, _ = json.Marshal(sc["fields"])
	if strings.Contains(string(raw), `"name":"Email"`) || !strings.Contains(string(raw), `"name":"LastName"`) {
		t.Errorf("describe shows a hidden field: %.300s", raw)
	}
	_, sc = call(t, c, "salesforce_list_objects", map[string]any{})
	if n, _ := sc["count"].(float64); n != 2 {
		t.Errorf("list_objects: %v objects; want Account and Contact", sc["count"])
	}
}
