package emulator_test

import (
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// TestPicklistsSortInDefinedOrder: ORDER BY on a picklist follows the
// order of its values (Prospecting … Closed Lost), not the alphabet.
func TestPicklistsSortInDefinedOrder(t *testing.T) {
	s := emulatortest.New(t)
	want := []string{"Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
		"Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost"}
	for _, soql := range []string{
		"SELECT StageName FROM Opportunity GROUP BY StageName ORDER BY StageName",
		"SELECT StageName FROM Opportunity ORDER BY StageName, Id",
	} {
		_, body := s.Do(t, "GET", q(soql), nil)
		var got []string
		for _, r := range decode[queryResult](t, body).Records {
			if st := r["StageName"].(string); len(got) == 0 || got[len(got)-1] != st {
				got = append(got, st)
			}
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s:\n got %v\nwant %v", soql, got, want)
		}
	}
	_, body := s.Do(t, "GET", q("SELECT StageName FROM Opportunity ORDER BY StageName DESC LIMIT 1"), nil)
	if r := decode[queryResult](t, body).Records; len(r) != 1 || r[0]["StageName"] != "Closed Lost" {
		t.Errorf("DESC: %s", body)
	}
}

// TestCustomLookupPathInSOQL: a custom lookup is followed as …__r.
func TestCustomLookupPathInSOQL(t *testing.T) {
	s := emulatortest.New(t)
	c := create(t, s, "Contact", map[string]any{"LastName": "Primary"})
	a := create(t, s, "Account", map[string]any{"Name": "Has Primary", "Primary_Contact__c": c})
	status, body := s.Do(t, "GET", q("SELECT Primary_Contact__r.LastName FROM Account WHERE Id = '"+a+"'"), nil)
	if status != 200 || !strings.Contains(string(body), `"Primary_Contact__r":{"attributes":{"type":"Contact"`) || !strings.Contains(string(body), `"LastName":"Primary"`) {
		t.Errorf("%d %s", status, body)
	}
}
