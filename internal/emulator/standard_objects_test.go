package emulator_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// TestMoreStandardObjects checks the standard objects beyond the recorded
// describes over HTTP: described, created where the API allows it, related
// both ways in SOQL, and refused where Salesforce refuses writes.
func TestMoreStandardObjects(t *testing.T) {
	s := emulatortest.New(t)
	create := func(obj string, rec map[string]any) string {
		t.Helper()
		status, body := s.Do(t, "POST", v+"/sobjects/"+obj, rec)
		if status != 201 {
			t.Fatalf("create %s: %d %s", obj, status, body)
		}
		return decode[map[string]any](t, body)["id"].(string)
	}
	query := func(soql string) queryResult {
		t.Helper()
		status, body := s.Do(t, "GET", q(soql), nil)
		if status != 200 {
			t.Fatalf("%s: %d %s", soql, status, body)
		}
		return decode[queryResult](t, body)
	}

	for _, obj := range []string{"Task", "Event", "Campaign", "CampaignMember", "Product2", "Pricebook2", "PricebookEntry",
		"Profile", "UserRole", "RecordType", "Group", "AccountHistory", "ContactHistory", "LeadHistory", "CaseHistory", "OpportunityFieldHistory"} {
		status, body := s.Do(t, "GET", v+"/sobjects/"+obj+"/describe", nil)
		d := decode[map[string]any](t, body)
		if status != 200 || d["name"] != obj || len(d["fields"].([]any)) < 5 || d["urls"] == nil {
			t.Errorf("describe %s: %d %.200s", obj, status, body)
		}
	}

	// Every user has a profile.
	users := query("SELECT Name, Profile.Name FROM User ORDER BY CreatedDate, Id")
	if users.TotalSize == 0 {
		t.Fatal("no users")
	}
	for _, u := range users.Records {
		p, _ := u["Profile"].(map[string]any)
		if p == nil || (p["Name"] != "System Administrator" && p["Name"] != "Standard User") {
			t.Errorf("user %v has profile %v", u["Name"], u["Profile"])
		}
	}
	if n := query("SELECT COUNT() FROM User WHERE Profile.Name = 'System Administrator'").TotalSize; n != 1 {
		t.Errorf("%d administrators", n)
	}

	// Tasks hang off accounts (What) and contacts (Who).
	acc := create("Account", map[string]any{"Name": "Task Host"})
	con := create("Contact", map[string]any{"LastName": "Tasked", "AccountId": acc})
	task := create("Task", map[string]any{"Subject": "Call back", "WhatId": acc, "WhoId": con, "ActivityDate": "2024-07-01", "Status": "Not Started"})
	got := query("SELECT Name, (SELECT Subject, Who.Name, Status FROM Tasks) FROM Account WHERE Id = '" + acc + "'")
	tasks, _ := got.Records[0]["Tasks"].(map[string]any)
	if tasks == nil || tasks["totalSize"] != float64(1) || !strings.Contains(mustJSON(t, tasks), `"Subject":"Call back"`) ||
		!strings.Contains(mustJSON(t, tasks), `"Name":"Tasked"`) {
		t.Errorf("account tasks: %v", got.Records[0])
	}
	if r := query("SELECT Id, What.Name FROM Task WHERE WhoId = '" + con + "' AND ActivityDate = 2024-07-01"); r.TotalSize != 1 || r.Records[0]["Id"] != task {
		t.Errorf("task by who: %+v", r)
	}

	// Campaign members, and the nesting Campaign -> members -> their lead.
	camp := create("Campaign", map[string]any{"Name": "Spring Webinar", "Type": "Webinar", "IsActive": true})
	lead := create("Lead", map[string]any{"LastName": "Attendee", "Company": "Attend Co"})
	create("CampaignMember", map[string]any{"CampaignId": camp, "LeadId": lead, "Status": "Responded"})
	got = query("SELECT Name, (SELECT Status, Lead.LastName FROM CampaignMembers) FROM Campaign WHERE Type = 'Webinar'")
	if got.TotalSize != 1 || !strings.Contains(mustJSON(t, got.Records[0]), `"LastName":"Attendee"`) {
		t.Errorf("campaign members: %+v", got.Records)
	}
	if r := query("SELECT Id FROM Lead WHERE Id IN (SELECT LeadId FROM CampaignMember WHERE Campaign.Name = 'Spring Webinar')"); r.TotalSize != 1 {
		t.Errorf("leads in the campaign: %d", r.TotalSize)
	}

	// Products and price books.
	prod := create("Product2", map[string]any{"Name": "Widget", "ProductCode": "W-1", "IsActive": true})
	book := create("Pricebook2", map[string]any{"Name": "Partner Prices", "IsActive": true})
	create("PricebookEntry", map[string]any{"Pricebook2Id": book, "Product2Id": prod, "UnitPrice": 12.5, "IsActive": true})
	got = query("SELECT Name, (SELECT UnitPrice, Pricebook2.Name FROM PricebookEntries) FROM Product2 WHERE ProductCode = 'W-1'")
	if got.TotalSize != 1 || !strings.Contains(mustJSON(t, got.Records[0]), `"UnitPrice":12.5`) || !strings.Contains(mustJSON(t, got.Records[0]), `"Name":"Partner Prices"`) {
		t.Errorf("product entries: %+v", got.Records)
	}

	// History, record types and profiles are read-only through the API.
	query("SELECT Id, Field, OldValue, NewValue, Account.Name FROM AccountHistory WHERE AccountId = '" + acc + "'")
	query("SELECT Id, Name, DeveloperName FROM RecordType WHERE SobjectType = 'Account'")
	query("SELECT Id, (SELECT Id FROM Histories) FROM Opportunity LIMIT 1")
	for _, obj := range []string{"AccountHistory", "Profile", "RecordType"} {
		status, body := s.Do(t, "POST", v+"/sobjects/"+obj, map[string]any{"Name": "x"})
		if status < 400 {
			t.Errorf("create %s was allowed: %d %s", obj, status, body)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRecordTypesMatchDescribes: the RecordType rows are the record types
// the describes list (not the master one), with the describes' ids.
func TestRecordTypesMatchDescribes(t *testing.T) {
	for _, noSample := range []bool{false, true} {
		s := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = noSample })
		_, body := s.Do(t, "GET", q("SELECT Id, Name, DeveloperName, SobjectType, IsActive FROM RecordType ORDER BY SobjectType, DeveloperName"), nil)
		rows := decode[queryResult](t, body).Records
		want := map[string]map[string]any{}
		for _, obj := range []string{"Account", "Contact", "Lead", "Opportunity", "Case"} {
			_, body := s.Do(t, "GET", v+"/sobjects/"+obj+"/describe", nil)
			for _, e := range decode[map[string]any](t, body)["recordTypeInfos"].([]any) {
				rt := e.(map[string]any)
				if rt["master"] == true {
					continue
				}
				want[rt["recordTypeId"].(string)] = map[string]any{"Name": rt["name"], "DeveloperName": rt["developerName"], "SobjectType": obj, "IsActive": rt["active"]}
			}
		}
		if len(want) == 0 {
			t.Fatal("the describes list no record type besides Master")
		}
		if len(rows) != len(want) {
			t.Fatalf("noSample=%v: %d RecordType rows, the describes list %d: %s", noSample, len(rows), len(want), body)
		}
		for _, r := range rows {
			w := want[r["Id"].(string)]
			if w == nil {
				t.Errorf("RecordType %v is in no describe", r)
				continue
			}
			for k, wv := range w {
				if r[k] != wv {
					t.Errorf("RecordType %s: %s = %v, describe says %v", r["Id"], k, r[k], wv)
				}
			}
		}
		_, body = s.Do(t, "GET", q("SELECT COUNT() FROM RecordType WHERE Id = '012000000000000AAA'"), nil)
		if decode[queryResult](t, body).TotalSize != 0 {
			t.Error("the master record type is a row")
		}
	}
}
