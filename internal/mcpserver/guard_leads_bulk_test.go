package mcpserver

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// TestDenyFieldsLeadToolsAndBulk: --deny-fields Lead.Phone,Email keeps the
// hidden values out of the lead tools' leads and the bulk query's columns
// (FIELDS(STANDARD) names no field for the text check to refuse), and
// refuses the lead tools' arguments that write or match a hidden field.
func TestDenyFieldsLeadToolsAndBulk(t *testing.T) {
	em := emulatortest.New(t)
	sf := emulatorClient(t, em)
	cf := func(context.Context) (*salesforce.Client, error) { return sf, nil }
	open := inProcessServer(t, NewServer(Options{Version: "test", Tools: allTools(t), Client: cf}))
	guarded := inProcessServer(t, NewServer(Options{Version: "test", Tools: allTools(t), Client: cf,
		Guard: &ops.Guard{DenyFields: []string{"Lead.Phone", "Email"}}}))

	// A lead whose Phone and Email are set, made without the guard.
	res, sc := call(t, open, "salesforce_create_lead", map[string]any{"email": "hidden.phone@example.com", "last_name": "Hidden", "phone": "+1 555 0100"})
	if res.IsError {
		t.Fatalf("create: %v", res.Content)
	}
	id, _ := sc["lead_id"].(string)

	for _, tc := range []struct {
		tool string
		args map[string]any
	}{
		{"salesforce_get_lead", map[string]any{"lead_id": id}},
		{"salesforce_list_leads", map[string]any{"limit": 200}},
		{"salesforce_bulk_query", map[string]any{"sobject": "Lead", "soql": "SELECT FIELDS(STANDARD) FROM Lead WHERE LastName = 'Hidden'"}},
	} {
		res, sc := call(t, guarded, tc.tool, tc.args)
		if res.IsError {
			t.Fatalf("%s: %v", tc.tool, res.Content)
		}
		raw, _ := json.Marshal(sc)
		if tc, ok := res.Content[0].(mcp.TextContent); ok {
			raw = append(raw, tc.Text...) // the text (CSV) as well
		}
		for _, leak := range []string{"555 0100", "hidden.phone@example.com", `"Phone":`, `"Email":`, ",Phone,", ",Email,"} {
			if strings.Contains(string(raw), leak) {
				t.Errorf("%s: hidden %s in the result: %.600s", tc.tool, leak, raw)
			}
		}
		if !strings.Contains(string(raw), "LastName") {
			t.Errorf("%s: the lead is missing: %.400s", tc.tool, raw)
		}
	}
	_, sc = call(t, guarded, "salesforce_bulk_query", map[string]any{"sobject": "Lead", "soql": "SELECT FIELDS(STANDARD) FROM Lead WHERE LastName = 'Hidden'"})
	if cols, _ := json.Marshal(sc["columns"]); strings.Contains(string(cols), `"Phone"`) || strings.Contains(string(cols), `"Email"`) || !strings.Contains(string(cols), `"MobilePhone"`) {
		t.Errorf("bulk columns %s", cols)
	}
	_, sc = call(t, guarded, "salesforce_get_lead", map[string]any{"lead_id": id})
	lead, _ := sc["lead"].(map[string]any)
	if hf, _ := json.Marshal(lead["hidden_fields"]); string(hf) != `["Email","Phone"]` {
		t.Errorf("hidden_fields %s; want Email and Phone", hf)
	}

	// Arguments that write or match a hidden field are refused.
	for _, tc := range []struct {
		tool string
		args map[string]any
	}{
		{"salesforce_update_lead", map[string]any{"lead_id": id, "fields": map[string]any{"Phone": "+1 555 0199"}}},
		{"salesforce_get_lead", map[string]any{"email": "hidden.phone@example.com"}},
		{"salesforce_create_lead", map[string]any{"email": "x@example.com", "last_name": "X"}},
		{"salesforce_bulk_query", map[string]any{"sobject": "Lead", "soql": "SELECT Id, Owner.Email FROM Lead"}},
		{"salesforce_get_record", map[string]any{"sobject": "Lead", "record_id": id, "fields": "Id,Phone"}},
	} {
		res, sc := call(t, guarded, tc.tool, tc.args)
		if !res.IsError || sc["error_code"] != "NOT_ALLOWED" {
			t.Errorf("%s %v: %v; want NOT_ALLOWED", tc.tool, tc.args, sc)
		}
	}
	_, sc = call(t, open, "salesforce_get_lead", map[string]any{"lead_id": id})
	if l, _ := sc["lead"].(map[string]any); l["Phone"] != "+1 555 0100" {
		t.Errorf("a refused update wrote the phone: %v", l)
	}
}

// TestGuardBulkJobStatus: under --allow-objects Account --deny-fields Phone,
// salesforce_bulk_job_status refuses a job of another object (its counts and
// failed rows would show that object's data) and leaves hidden columns out
// of a load's failed rows; a bulk load cannot write a hidden field either.
func TestGuardBulkJobStatus(t *testing.T) {
	em := emulatortest.New(t)
	sf := emulatorClient(t, em)
	cf := func(context.Context) (*salesforce.Client, error) { return sf, nil }
	open := inProcessServer(t, NewServer(Options{Version: "test", Tools: allTools(t), Client: cf}))
	guarded := inProcessServer(t, NewServer(Options{Version: "test", Tools: allTools(t), Client: cf,
		Guard: &ops.Guard{AllowObjects: []string{"Account"}, DenyFields: []string{"Phone"}}}))

	load := func(sobject string, records []map[string]any) string {
		t.Helper()
		res, sc := call(t, open, "salesforce_bulk_insert", map[string]any{"sobject": sobject, "records": records})
		ids, _ := sc["job_ids"].([]any)
		if res.IsError || len(ids) != 1 || sc["failed"] != float64(1) {
			t.Fatalf("bulk insert %s: %v", sobject, sc)
		}
		return ids[0].(string)
	}
	contactJob := load("Contact", []map[string]any{{"LastName": "Ok"}, {"LastName": "Bad", "Birthdate": "not a date"}})
	accountJob := load("Account", []map[string]any{{"Name": "Ok"}, {"Name": "Bad Phone", "Phone": "+1 555 0142", "NumberOfEmployees": "many"}})

	res, sc := call(t, guarded, "salesforce_bulk_job_status", map[string]any{"job_id": contactJob})
	if !res.IsError || sc["error_code"] != "NOT_ALLOWED" {
		t.Errorf("status of a Contact job: %v; want NOT_ALLOWED", sc)
	}
	res, sc = call(t, guarded, "salesforce_bulk_job_status", map[string]any{"job_id": accountJob})
	if res.IsError {
		t.Fatalf("status of an Account job: %v", sc)
	}
	raw, _ := json.Marshal(sc)
	if tc, ok := res.Content[0].(mcp.TextContent); ok {
		raw = append(raw, tc.Text...)
	}
	if strings.Contains(string(raw), "555 0142") || strings.Contains(string(raw), `"Phone"`) || !strings.Contains(string(raw), "Bad Phone") {
		t.Errorf("failed rows under --deny-fields Phone: %.600s", raw)
	}

	for _, rec := range []map[string]any{
		{"Name": "X", "Phone": "+1 555 0143"},
		{"Name": "X", "Phone": nil},                                     // clearing it writes it too
		{"Name": "X", "Parent": map[string]any{"Phone": "+1 555 0142"}}, // matching a parent by it tells whether one has it
	} {
		res, sc = call(t, guarded, "salesforce_bulk_insert", map[string]any{"sobject": "Account", "records": []map[string]any{{"Name": "Y"}, rec}})
		if !res.IsError || sc["error_code"] != "NOT_ALLOWED" {
			t.Errorf("bulk insert %v: %v; want NOT_ALLOWED", rec, sc)
		}
	}
}
