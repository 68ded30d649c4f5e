package shared

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

type fakeDescriber struct{ calls int }

func (d *fakeDescriber) DescribeSObject(context.Context, string) (*salesforce.SObjectDescribe, error) {
	d.calls++
	return &salesforce.SObjectDescribe{Fields: []salesforce.FieldDescribe{
		{Name: "NumberOfEmployees", Type: "int"}, {Name: "AnnualRevenue", Type: "currency"},
		{Name: "IsActive__c", Type: "boolean"}, {Name: "Phone", Type: "phone"}, {Name: "Name", Type: "string"},
	}}, nil
}

func TestBuildData(t *testing.T) {
	as, err := ParseAssignments([]string{"Name=Acme=Corp", "Phone=0123", "NumberOfEmployees=50", "AnnualRevenue=1.5e6",
		"isactive__c=TRUE", "Description=", "Raw:=[1,2]", "Note:=null"})
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDescriber{}
	data, err := BuildData(context.Background(), d, "Account", map[string]any{"Name": "from --data", "Site": "x"}, as)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(data)
	want := `{"AnnualRevenue":1.5e6,"Description":null,"Name":"Acme=Corp","Note":null,"NumberOfEmployees":50,"Phone":"0123","Raw":[1,2],"Site":"x","isactive__c":true}`
	if string(b) != want {
		t.Errorf("data = %s\nwant   %s", b, want)
	}
	if d.calls != 1 {
		t.Errorf("%d describes, want 1", d.calls)
	}
	// Text values need no describe.
	d = &fakeDescriber{}
	as, _ = ParseAssignments([]string{"Name=Acme", "Industry=Energy"})
	if _, err := BuildData(context.Background(), d, "Account", nil, as); err != nil || d.calls != 0 {
		t.Errorf("text only: %d describes, %v", d.calls, err)
	}
	as, _ = ParseAssignments([]string{"NumberOfEmployees=1.5"})
	if _, err := BuildData(context.Background(), &fakeDescriber{}, "Account", nil, as); cmdutil.ExitCodeOf(err) != cmdutil.ExitUsage {
		t.Errorf("1.5 into an int field: %v", err)
	}
}

func TestParseAssignmentsRejects(t *testing.T) {
	for _, a := range []string{"Name", "=x", "Na me=x", "X:={bad", "a.b=1"} {
		if _, err := ParseAssignments([]string{a}); cmdutil.ExitCodeOf(err) != cmdutil.ExitUsage {
			t.Errorf("%q: %v, want a usage error", a, err)
		}
	}
}

func TestReadData(t *testing.T) {
	got, err := ReadData("-", strings.NewReader(`{"attributes":{"type":"Account"},"Name":"A","N":12345678901234567890}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	if string(b) != `{"N":12345678901234567890,"Name":"A"}` {
		t.Errorf("got %s", b)
	}
	for _, bad := range []string{"[1]", "null", `{"a":1} {"b":2}`, "@/nonexistent/file"} {
		if _, err := ReadData(bad, nil); cmdutil.ExitCodeOf(err) != cmdutil.ExitUsage {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
