package emulator_test

import (
	"math"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

const geoSchema = `
objects:
  - name: Account
    fields:
      - {name: Site_Location__c, label: Site Location, type: location, scale: 5, displayLocationInDecimal: true}
  - name: Store__c
    keyPrefix: a07
    fields:
      - {name: Where__c, type: location}
      - {name: Account__c, type: reference, referenceTo: Account, childRelationshipName: Stores__r}
`

// TestCustomGeolocationFields: a geolocation declared in the schema YAML
// is Salesforce's compound field: Name__c (read-only, {latitude,
// longitude} in SOQL and REST, null when unset) over Name__Latitude__s and
// Name__Longitude__s; DISTANCE/GEOLOCATION work on it; the Bulk API
// refuses to select it, as it refuses BillingAddress.
func TestCustomGeolocationFields(t *testing.T) {
	s := emulatortest.New(t, func(o *emulator.Options) {
		o.NoSampleData = true
		o.SchemaConfig = []byte(geoSchema)
	})
	// Describe: the compound field and its parts.
	_, body := s.Do(t, "GET", v+"/sobjects/Account/describe", nil)
	fields := map[string]map[string]any{}
	for _, f := range decode[map[string]any](t, body)["fields"].([]any) {
		m := f.(map[string]any)
		fields[m["name"].(string)] = m
	}
	loc, lat := fields["Site_Location__c"], fields["Site_Location__Latitude__s"]
	if loc == nil || lat == nil || fields["Site_Location__Longitude__s"] == nil {
		t.Fatalf("describe lacks the geolocation fields: %v / %v", loc, lat)
	}
	if loc["type"] != "location" || loc["soapType"] != "urn:location" || loc["createable"] != false || loc["custom"] != true ||
		loc["displayLocationInDecimal"] != true || lat["type"] != "double" || lat["compoundFieldName"] != "Site_Location__c" ||
		lat["scale"] != 5.0 || lat["createable"] != true || lat["label"] != "Site Location (Latitude)" {
		t.Errorf("describe:\n%v\n%v", loc, lat)
	}

	sf := create(t, s, "Account", map[string]any{"Name": "San Francisco", "Site_Location__Latitude__s": 37.7749, "Site_Location__Longitude__s": -122.4194})
	la := create(t, s, "Account", map[string]any{"Name": "Los Angeles", "Site_Location__Latitude__s": 34.0522, "Site_Location__Longitude__s": -118.2437})
	create(t, s, "Account", map[string]any{"Name": "Nowhere"})
	create(t, s, "Store__c", map[string]any{"Name": "Pier", "Account__c": sf, "Where__Latitude__s": 37.8087, "Where__Longitude__s": -122.4098})

	_, body = s.Do(t, "GET", q("SELECT Name, Site_Location__c FROM Account ORDER BY Name"), nil)
	recs := decode[queryResult](t, body).Records
	if len(recs) != 3 {
		t.Fatalf("records: %s", body)
	}
	want := map[string]any{"latitude": 34.0522, "longitude": -118.2437}
	if got, _ := recs[0]["Site_Location__c"].(map[string]any); len(got) != 2 || got["latitude"] != want["latitude"] || got["longitude"] != want["longitude"] {
		t.Errorf("Los Angeles Site_Location__c = %v, want %v", recs[0]["Site_Location__c"], want)
	}
	if recs[1]["Site_Location__c"] != nil {
		t.Errorf("Nowhere Site_Location__c = %v, want null", recs[1]["Site_Location__c"])
	}
	// Through a parent path, and in REST.
	_, body = s.Do(t, "GET", q("SELECT Where__c, Account__r.Site_Location__c FROM Store__c"), nil)
	store := decode[queryResult](t, body).Records[0]
	if w, _ := store["Where__c"].(map[string]any); w["latitude"] != 37.8087 {
		t.Errorf("Store Where__c = %v", store["Where__c"])
	}
	if p, _ := store["Account__r"].(map[string]any); p == nil || p["Site_Location__c"].(map[string]any)["longitude"] != -122.4194 {
		t.Errorf("Account__r.Site_Location__c = %v", store["Account__r"])
	}
	_, body = s.Do(t, "GET", v+"/sobjects/Account/"+la+"?fields=Site_Location__c", nil)
	if got, _ := decode[map[string]any](t, body)["Site_Location__c"].(map[string]any); got["latitude"] != 34.0522 {
		t.Errorf("REST Site_Location__c: %s", body)
	}

	// DISTANCE and GEOLOCATION: San Francisco to Los Angeles is ~559 km.
	near := "DISTANCE(Site_Location__c, GEOLOCATION(37.7749, -122.4194), 'km')"
	_, body = s.Do(t, "GET", q("SELECT Name FROM Account WHERE "+near+" < 600 ORDER BY "+near+" DESC"), nil)
	recs = decode[queryResult](t, body).Records
	if len(recs) != 2 || recs[0]["Name"] != "Los Angeles" || recs[1]["Name"] != "San Francisco" {
		t.Errorf("DISTANCE < 600 km ordered far first: %s", body)
	}
	_, body = s.Do(t, "GET", q("SELECT Name, "+near+" dist FROM Account WHERE "+near+" > 1"), nil)
	recs = decode[queryResult](t, body).Records
	if len(recs) != 1 || recs[0]["Name"] != "Los Angeles" {
		t.Fatalf("DISTANCE > 1 km: %s", body)
	}
	if d, _ := recs[0]["dist"].(float64); math.Abs(d-559) > 5 {
		t.Errorf("SF-LA distance %v km, want ~559", recs[0]["dist"])
	}

	// The compound field is read-only: its parts are written instead.
	status, body := s.Do(t, "POST", v+"/sobjects/Account", map[string]any{"Name": "Direct", "Site_Location__c": map[string]any{"latitude": 1, "longitude": 2}})
	if status != 400 {
		t.Errorf("writing the compound field: %d %s", status, body)
	}

	// Bulk query refuses compound fields, directly or through a parent; the parts are fine.
	for _, soql := range []string{"SELECT Id, Site_Location__c FROM Account", "SELECT Id, BillingAddress FROM Account", "SELECT Id, Account__r.Site_Location__c FROM Store__c"} {
		status, body := s.Do(t, "POST", v+"/jobs/query", map[string]any{"operation": "query", "query": soql})
		if status != 400 || !strings.Contains(string(body), `"message":"Selecting compound data not supported in Bulk Query"`) {
			t.Errorf("Bulk %s: %d %s", soql, status, body)
		}
	}
	if status, body := s.Do(t, "POST", v+"/jobs/query", map[string]any{"operation": "query", "query": "SELECT Id, Site_Location__Latitude__s, BillingCity FROM Account"}); status != 200 {
		t.Errorf("Bulk query of the parts: %d %s", status, body)
	}

	// Bad declarations are refused when the schema loads.
	for _, bad := range []string{
		"objects:\n  - name: Account\n    fields:\n      - {name: Spot__c, type: location, scale: 16}\n",
		"objects:\n  - name: Account\n    fields:\n      - {name: Spot__c, type: location}\n      - {name: Spot__c, type: location}\n",
	} {
		if _, err := emulator.New(t.Context(), emulator.Options{NoSampleData: true, SchemaConfig: []byte(bad)}); err == nil {
			t.Errorf("schema accepted:\n%s", bad)
		}
	}
}
