package emulator_test

import (
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

func create(t *testing.T, s *emulatortest.Server, object string, body map[string]any) string {
	t.Helper()
	status, b := s.Do(t, "POST", v+"/sobjects/"+object, body)
	if status != 201 {
		t.Fatalf("create %s: %d %s", object, status, b)
	}
	return decode[map[string]any](t, b)["id"].(string)
}

// TestDeleteCascades follows the child relationships of the recorded
// describes: deleting an Account deletes its Contacts and Opportunities
// (and their contact roles), and a Case under the Account or one of its
// Contacts blocks the delete (restrictedDelete).
func TestDeleteCascades(t *testing.T) {
	s := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	acct := create(t, s, "Account", map[string]any{"Name": "Parent Co"})
	other := create(t, s, "Account", map[string]any{"Name": "Other Co"})
	c1 := create(t, s, "Contact", map[string]any{"LastName": "Kid", "AccountId": acct})
	create(t, s, "Contact", map[string]any{"LastName": "Stays", "AccountId": other})
	opp := create(t, s, "Opportunity", map[string]any{"Name": "Deal", "AccountId": acct, "StageName": "Prospecting", "CloseDate": "2026-12-31"})
	create(t, s, "OpportunityContactRole", map[string]any{"OpportunityId": opp, "ContactId": c1})

	// A case on a contact of the account restricts the delete.
	kase := create(t, s, "Case", map[string]any{"Subject": "Help", "ContactId": c1})
	status, body := s.Do(t, "DELETE", v+"/sobjects/Account/"+acct, nil)
	e := wantError(t, status, body, 400, "DELETE_FAILED")
	_, kbody := s.Do(t, "GET", v+"/sobjects/Case/"+kase+"?fields=CaseNumber", nil)
	number, _ := decode[map[string]any](t, kbody)["CaseNumber"].(string)
	if number == "" {
		number = kase // the emulator does not auto-number cases yet: the name field is empty
	}
	// Salesforce's text names the case by its name field and ends with a newline.
	if want := "Your attempt to delete Parent Co could not be completed because it is associated with the following cases.: " + number + "\n"; e.Message != want {
		t.Errorf("DELETE_FAILED message: %q, want %q", e.Message, want)
	}
	if n := countOf(t, s, "SELECT Id FROM Contact"); n != 2 {
		t.Fatalf("a refused delete deleted %d contacts", 2-n)
	}
	if status, body := s.Do(t, "DELETE", v+"/sobjects/Case/"+kase, nil); status != 204 {
		t.Fatalf("delete case: %d %s", status, body)
	}

	if status, body := s.Do(t, "DELETE", v+"/sobjects/Account/"+acct, nil); status != 204 {
		t.Fatalf("delete account: %d %s", status, body)
	}
	for soql, want := range map[string]int{
		"SELECT Id FROM Contact":                                   1,
		"SELECT Id FROM Contact WHERE AccountId = '" + other + "'": 1,
		"SELECT Id FROM Opportunity":                               0,
		"SELECT Id FROM OpportunityContactRole":                    0,
		"SELECT Id FROM Account":                                   1,
	} {
		if n := countOf(t, s, soql); n != want {
			t.Errorf("%s: %d, want %d", soql, n, want)
		}
	}
	// The cascaded records are in the recycle bin, as Salesforce keeps them.
	status, body = s.Do(t, "GET", strings.Replace(q("SELECT Id, IsDeleted FROM Contact WHERE Id = '"+c1+"'"), "/query?", "/queryAll?", 1), nil)
	if status != 200 || !strings.Contains(string(body), `"IsDeleted":true`) {
		t.Errorf("queryAll of a cascaded contact: %d %s", status, body)
	}
}
