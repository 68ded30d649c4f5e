package schema

import (
	"strings"
	"testing"
)

func TestLoadDefault(t *testing.T) {
	s, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, prefix string }{
		{"Account", "001"}, {"contact", "003"}, {"LEAD", "00Q"}, {"Opportunity", "006"}, {"Case", "500"},
		{"User", "005"}, {"Organization", "00D"}, {"LeadStatus", "01J"}, {"Invoice__c", "a01"},
	} {
		o := s.Object(tc.name)
		if o == nil {
			t.Fatalf("object %s missing", tc.name)
		}
		if o.KeyPrefix != tc.prefix {
			t.Errorf("%s prefix = %q, want %q", tc.name, o.KeyPrefix, tc.prefix)
		}
		if s.ObjectByKeyPrefix(tc.prefix) != o {
			t.Errorf("ObjectByKeyPrefix(%s) is not %s", tc.prefix, o.Name)
		}
	}
	acc := s.Object("Account")
	if f := acc.Field("external_id__c"); f == nil || !f.ExternalID || !f.Unique {
		t.Errorf("Account.External_Id__c = %+v, want an external id", f)
	}
	if f := acc.ParentRelationship("owner"); f == nil || f.Name != "OwnerId" {
		t.Errorf("Account.Owner relationship = %+v", f)
	}
	if cr := acc.ChildRelationship("contacts"); cr == nil || cr.ChildSObject != "Contact" || cr.Field != "AccountId" {
		t.Errorf("Account.Contacts = %+v", cr)
	}
	if cr := acc.ChildRelationship("Invoices__r"); cr == nil || cr.Field != "Account__c" {
		t.Errorf("Account.Invoices__r = %+v", cr)
	}
	if f := s.Object("Lead").Field("LastName"); f == nil || !f.IsRequiredOnCreate() {
		t.Errorf("Lead.LastName should be required on create: %+v", f)
	}
	d := acc.Describe("62.0")
	if d["name"] != "Account" || len(d["fields"].([]any)) != len(acc.Fields) {
		t.Errorf("describe mismatch")
	}
}

func TestLoadCustomErrors(t *testing.T) {
	for name, cfg := range map[string]string{
		"bad yaml":      "objects: [",
		"bad object":    "objects: [{name: Foo, keyPrefix: a02}]",
		"bad prefix":    "objects: [{name: Foo__c, keyPrefix: '001'}]",
		"bad field":     "objects: [{name: Account, fields: [{name: Foo, type: string}]}]",
		"bad type":      "objects: [{name: Account, fields: [{name: Foo__c, type: blob}]}]",
		"dangling ref":  "objects: [{name: Account, fields: [{name: Foo__c, type: reference, referenceTo: Nope}]}]",
		"ref no target": "objects: [{name: Account, fields: [{name: Foo__c, type: reference}]}]",
	} {
		if _, err := Load([]byte(cfg)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestCustomLookupsAreNamedR: custom lookups take their name with __r as
// relationship name, in describe and in SOQL paths (one recorded describe
// has Primary_Contact__c with relationshipName PrimaryContact).
func TestCustomLookupsAreNamedR(t *testing.T) {
	s, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	acct := s.Object("Account")
	for name, rel := range map[string]string{"Primary_Contact__c": "Primary_Contact__r", "ns__LinkedAccount__c": "ns__LinkedAccount__r"} {
		f := acct.Field(name)
		if f == nil {
			t.Fatalf("no %s", name)
		}
		if f.RelationshipName != rel || f.Raw["relationshipName"] != rel || acct.ParentRelationship(rel) != f {
			t.Errorf("%s: relationship %q (describe %v)", name, f.RelationshipName, f.Raw["relationshipName"])
		}
	}
	for _, o := range s.Objects() {
		for _, f := range o.Fields {
			if f.Type == "reference" && f.Custom && f.RelationshipName != "" && !strings.HasSuffix(f.RelationshipName, "__r") {
				t.Errorf("%s.%s: relationship %q", o.Name, f.Name, f.RelationshipName)
			}
		}
	}
}
