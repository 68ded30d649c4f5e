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

// TestCompoundAddressInSOQLAndREST: BillingAddress comes back as
// Salesforce's address object in SOQL (also through a relationship) and in
// REST, and as null when no part is set.
func TestCompoundAddressInSOQLAndREST(t *testing.T) {
	s := emulatortest.New(t)
	a := create(t, s, "Account", map[string]any{"Name": "Addressed", "BillingStreet": "1 Market St", "BillingCity": "San Francisco",
		"BillingPostalCode": "94105", "BillingCountry": "US", "BillingLatitude": 37.79, "BillingLongitude": -122.39})
	bare := create(t, s, "Account", map[string]any{"Name": "No Address"})
	create(t, s, "Contact", map[string]any{"LastName": "Located", "AccountId": a})
	want := map[string]any{"street": "1 Market St", "city": "San Francisco", "postalCode": "94105", "country": "US",
		"state": nil, "latitude": 37.79, "longitude": -122.39, "geocodeAccuracy": nil}
	check := func(where string, got any) {
		t.Helper()
		m, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: BillingAddress = %v", where, got)
			return
		}
		for k, w := range want {
			if v, has := m[k]; !has || v != w {
				t.Errorf("%s: BillingAddress.%s = %v, want %v (%v)", where, k, v, w, m)
			}
		}
	}
	_, body := s.Do(t, "GET", q("SELECT BillingAddress FROM Account WHERE Id = '"+a+"'"), nil)
	check("SOQL", decode[queryResult](t, body).Records[0]["BillingAddress"])
	_, body = s.Do(t, "GET", q("SELECT Account.BillingAddress FROM Contact WHERE AccountId = '"+a+"'"), nil)
	check("SOQL parent path", decode[queryResult](t, body).Records[0]["Account"].(map[string]any)["BillingAddress"])
	_, body = s.Do(t, "GET", v+"/sobjects/Account/"+a+"?fields=BillingAddress", nil)
	check("REST", decode[map[string]any](t, body)["BillingAddress"])
	_, body = s.Do(t, "GET", q("SELECT BillingAddress FROM Account WHERE Id = '"+bare+"'"), nil)
	if r := decode[queryResult](t, body).Records[0]; r["BillingAddress"] != nil {
		t.Errorf("no parts set: %v", r["BillingAddress"])
	}
}
