package ops

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
)

func TestColumnHidden(t *testing.T) {
	g := &Guard{DenyFields: []string{"Lead.Phone", "Email"}}
	for _, tt := range []struct {
		object, column string
		want           bool
	}{
		{"Lead", "Phone", true},
		{"Contact", "Phone", false}, // only Lead's Phone is hidden
		{"Contact", "Email", true},  // a bare entry hides every object's
		{"Lead", "MobilePhone", false},
		{"Contact", "Account.Phone", true}, // a path's target is unknown: any object's Phone hides it
		{"Lead", "Owner.Email", true},
		{"Lead", "Id", false},
	} {
		if got := g.ColumnHidden(tt.object, tt.column); got != tt.want {
			t.Errorf("ColumnHidden(%s, %s) = %v; want %v", tt.object, tt.column, got, tt.want)
		}
	}
	if (*Guard)(nil).ColumnHidden("Lead", "Phone") {
		t.Error("a nil guard hides a column")
	}
}

func TestQueryObject(t *testing.T) {
	for soql, want := range map[string]string{
		"SELECT Id FROM Lead":                                                    "Lead",
		"SELECT Id, (SELECT Id FROM Contacts) FROM Account":                      "Account",
		"select id from contact where name = 'FROM Lead'":                        "contact",
		"SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Opportunity)": "Account",
		"SELECT Id": "",
	} {
		if got := queryObject(soql); got != want {
			t.Errorf("queryObject(%q) = %q; want %q", soql, got, want)
		}
	}
}

func TestCallFieldNames(t *testing.T) {
	leads := Meta{Toolset: ToolsetLeads}
	for _, tt := range []struct {
		m    Meta
		args string
		want []string
	}{
		{Meta{}, `{"fields":"Id,Phone"}`, []string{"Id", "Phone"}},
		{Meta{}, `{"fields":["Id","Email"],"external_id_field":"Ext__c"}`, []string{"Email", "Ext__c", "Id"}},
		{Meta{}, `{"data":{"Phone":"1"}}`, []string{"Phone"}},
		{leads, `{"lead_id":"00Q000000000001AAA","fields":{"Phone":"1"}}`, []string{"Phone"}},
		{leads, `{"email":"a@b.co","last_name":"X","phone":""}`, []string{"Email", "LastName"}},
		{leads, `{"lead_id":"00Q000000000001AAA"}`, nil},
		{Meta{}, `{"email":"a@b.co"}`, nil}, // only the lead tools' arguments stand for fields
	} {
		got := callFieldNames(tt.m, json.RawMessage(tt.args))
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v; want %v", tt.args, got, tt.want)
		}
	}
}

func TestHideLeadFields(t *testing.T) {
	leads := []Lead{{ID: "00Q000000000001AAA", LastName: "X", Email: "x@example.com", Phone: "1", IsConverted: true}}
	hideLeadFields(context.Background(), leads) // no guard: untouched
	if leads[0].Email == "" || leads[0].HiddenFields != nil {
		t.Fatalf("without a guard: %+v", leads[0])
	}
	ctx := WithGuard(context.Background(), &Guard{DenyFields: []string{"Lead.Email", "IsConverted", "Contact.Phone"}})
	hideLeadFields(ctx, leads)
	l := leads[0]
	if l.Email != "" || l.IsConverted || l.Phone != "1" || l.LastName != "X" || !slices.Equal(l.HiddenFields, []string{"Email", "IsConverted"}) {
		t.Errorf("%+v", l)
	}
}
