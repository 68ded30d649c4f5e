package ops

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

func TestCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range Catalogue() {
		m := e.Meta
		if !strings.HasPrefix(m.Name, "salesforce_") || seen[m.Name] {
			t.Errorf("bad or duplicate name %q", m.Name)
		}
		seen[m.Name] = true
		if m.Title == "" || m.Description == "" || m.Toolset == "" || !m.OpenWorld {
			t.Errorf("%s: incomplete meta %+v", m.Name, m)
		}
		if m.ReadOnly && m.Destructive {
			t.Errorf("%s: read-only and destructive", m.Name)
		}
		if e.Input.Kind() != reflect.Struct || e.Output.Kind() != reflect.Struct {
			t.Errorf("%s: input %v / output %v are not structs", m.Name, e.Input, e.Output)
		}
		// Every input field has a json name and a schema description that a
		// tag parser splitting on commas cannot break: a jsonschema
		// description without commas, or a jsonschema_description (read
		// whole) for one whose example needs them.
		for i := range e.Input.NumField() {
			f := e.Input.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			desc, ok := strings.CutPrefix(f.Tag.Get("jsonschema"), "description=")
			if whole := f.Tag.Get("jsonschema_description"); whole != "" && f.Tag.Get("jsonschema") == "" {
				desc, ok = whole, true
			} else if strings.Contains(desc, ",") {
				ok = false
			}
			if name == "" || !ok || desc == "" {
				t.Errorf("%s.%s: json %q jsonschema %q", m.Name, f.Name, name, f.Tag.Get("jsonschema"))
			}
		}
	}
	// The names and arguments of design.md §3 are promises.
	want := map[string][]string{
		"salesforce_query":             {"soql", "include_deleted"},
		"salesforce_query_all":         {"soql"},
		"salesforce_query_more":        {"next_records_url"},
		"salesforce_search":            {"sosl"},
		"salesforce_get_record":        {"sobject", "record_id", "fields"},
		"salesforce_create_record":     {"sobject", "data"},
		"salesforce_update_record":     {"sobject", "record_id", "data"},
		"salesforce_delete_record":     {"sobject", "record_id"},
		"salesforce_upsert_record":     {"sobject", "external_id_field", "data"},
		"salesforce_describe_object":   {"sobject"},
		"salesforce_list_objects":      {},
		"salesforce_get_object_fields": {"sobject"},
	}
	for _, e := range Catalogue() {
		args, ok := want[e.Meta.Name]
		if !ok {
			continue
		}
		delete(want, e.Meta.Name)
		have := map[string]bool{}
		for i := range e.Input.NumField() {
			name, _, _ := strings.Cut(e.Input.Field(i).Tag.Get("json"), ",")
			have[name] = true
		}
		for _, a := range args {
			if !have[a] {
				t.Errorf("%s lacks argument %q", e.Meta.Name, a)
			}
		}
	}
	for name := range want {
		t.Errorf("catalogue lacks %s", name)
	}
}

func TestValidate(t *testing.T) {
	const id = "001000000000001AAA"
	for _, tt := range []struct {
		name  string
		in    Input
		field string // "" = valid
	}{
		{"query", QueryInput{SOQL: "SELECT Id FROM Account"}, ""},
		{"query empty", QueryInput{SOQL: "  "}, "soql"},
		{"query max too big", QueryInput{SOQL: "SELECT Id FROM Account", MaxRecords: 2001}, "max_records"},
		{"query max negative", QueryInput{SOQL: "SELECT Id FROM Account", MaxRecords: -1}, "max_records"},
		{"query_all", QueryAllInput{SOQL: "SELECT Id FROM Account", MaxRecords: 2000}, ""},
		{"query_more locator", QueryMoreInput{NextRecordsURL: "/services/data/v66.0/query/01g000000000001AAA-2000"}, ""},
		{"query_more junk", QueryMoreInput{NextRecordsURL: "not a cursor!"}, "next_records_url"},
		{"query_more empty", QueryMoreInput{}, "next_records_url"},
		{"search", SearchInput{SOSL: "FIND {x}"}, ""},
		{"search empty", SearchInput{}, "sosl"},
		{"get", GetRecordInput{SObject: "Account", RecordID: id, Fields: FieldList{"Name"}}, ""},
		{"get 15", GetRecordInput{SObject: "Account", RecordID: id[:15]}, ""},
		{"get bad object", GetRecordInput{SObject: "Account/../x", RecordID: id}, "sobject"},
		{"get bad id", GetRecordInput{SObject: "Account", RecordID: "001x"}, "record_id"},
		{"get bad field", GetRecordInput{SObject: "Account", RecordID: id, Fields: FieldList{"Name;DROP"}}, "fields"},
		{"create", CreateRecordInput{SObject: "Account", Data: map[string]any{"Name": "x"}}, ""},
		{"create no data", CreateRecordInput{SObject: "Account"}, "data"},
		{"create bad key", CreateRecordInput{SObject: "Account", Data: map[string]any{"a b": 1}}, "data"},
		{"update", UpdateRecordInput{SObject: "Account", RecordID: id, Data: map[string]any{"Name": "x"}}, ""},
		{"update no id", UpdateRecordInput{SObject: "Account", Data: map[string]any{"Name": "x"}}, "record_id"},
		{"delete", DeleteRecordInput{SObject: "Account", RecordID: id}, ""},
		{"delete no object", DeleteRecordInput{RecordID: id}, "sobject"},
		{"upsert", UpsertRecordInput{SObject: "Account", ExternalIDField: "Ext__c", Data: map[string]any{"Ext__c": "A1", "Name": "x"}}, ""},
		{"upsert numeric key", UpsertRecordInput{SObject: "Account", ExternalIDField: "Ext__c", Data: map[string]any{"Ext__c": 42.0}}, ""},
		{"upsert value arg", UpsertRecordInput{SObject: "Account", ExternalIDField: "Ext__c", ExternalIDValue: "A1"}, ""},
		{"upsert no key", UpsertRecordInput{SObject: "Account", ExternalIDField: "Ext__c", Data: map[string]any{"Name": "x"}}, "data"},
		{"upsert bad field", UpsertRecordInput{SObject: "Account", ExternalIDField: "", Data: map[string]any{"Name": "x"}}, "external_id_field"},
		{"describe", DescribeObjectInput{SObject: "Invoice__c"}, ""},
		{"describe empty", DescribeObjectInput{}, "sobject"},
		{"fields", GetObjectFieldsInput{SObject: "1Account"}, "sobject"},
		{"list", ListObjectsInput{}, ""},
		{"limits", LimitsInput{}, ""},
	} {
		err := tt.in.Validate()
		var ie *InputError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s: unexpected %v", tt.name, err)
		case tt.field != "" && (!errors.As(err, &ie) || ie.Field != tt.field):
			t.Errorf("%s: got %v, want an error about %s", tt.name, err, tt.field)
		}
	}
}

func TestFieldListAcceptsStringOrArray(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"fields":["Name","Phone"]}`, "Name|Phone"},
		{`{"fields":"Name, Phone,"}`, "Name|Phone"},
		{`{"fields":null}`, ""},
		{`{}`, ""},
	} {
		var in GetRecordInput
		if err := json.Unmarshal([]byte(tt.in), &in); err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if got := strings.Join(in.Fields, "|"); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.in, got, tt.want)
		}
	}
	var in GetRecordInput
	if err := json.Unmarshal([]byte(`{"fields":42}`), &in); err == nil {
		t.Error("a number was accepted as fields")
	}
}

func TestCursorRoundTrip(t *testing.T) {
	const inst = "https://acme.my.salesforce.com"
	for _, tc := range []struct {
		p     position
		short bool // the locator is kept as its id alone
	}{
		{position{Locator: "/services/data/v66.0/query/01g000000000001AAA-2000", Skip: 17}, true},
		{position{Locator: "/services/data/v66.0/queryAll/01g000000000001AAA-400"}, true},
		{position{Locator: "/services/data/v61.0/query/01g000000000001AAA-400"}, false}, // another version: the whole path
		{position{soql: "SELECT Id FROM Account WHERE Name = 'a,b'", all: true, pageSize: 200, Skip: 50}, false},
	} {
		p := tc.p
		enc := p.encode(inst, "66.0")
		p.instance = instanceTag(inst)
		if strings.ContainsAny(enc, "+/=") {
			t.Errorf("%q is not base64url without padding", enc)
		}
		raw, _ := base64.RawURLEncoding.DecodeString(enc)
		if short := !strings.Contains(string(raw), "/services/data/") && p.Locator != ""; short != tc.short {
			t.Errorf("%+v: cursor %s; want the short form %v", p, raw, tc.short)
		}
		got, err := parseCursor(enc)
		if err != nil {
			t.Errorf("%+v: %v", p, err)
			continue
		}
		if got = got.resolve("66.0"); got != p {
			t.Errorf("round trip: %+v, want %+v", got, p)
		}
	}
}

func TestCursorRejects(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, c := range []string{
		"%%%",
		enc(`not json`),
		enc(`{"i":"x","p":"https://evil.example/services/data/v66.0/query/01g000000000001AAA-2000"}`),
		enc(`{"i":"x","p":"/services/data/v66.0/sobjects/Account"}`),
		enc(`{"i":"x","p":"/services/data/v66.0/query/../../x-1"}`),
		enc(`{"i":"x","p":"/services/data/v66.0/query/01g000000000001AAA-2000","q":"SELECT Id FROM Account"}`),
		enc(`{"i":"x","s":5}`),
		enc(`{"i":"x","q":"SELECT Id FROM Account","s":-1}`),
		enc(`{"i":"x","q":"SELECT Id FROM Account","b":5}`),
		enc(`{"i":"x","q":"SELECT Id FROM Account","x":1}`),
		enc(`{"i":"x","l":"../../sobjects/Account"}`),
		enc(`{"i":"x","l":"01g000000000001AAA-2000","q":"SELECT Id FROM Account"}`),
		enc(`{"i":"x","l":"01g000000000001AAA-2000","p":"/services/data/v66.0/query/01g000000000001AAA-2000"}`),
		enc(`{"i":"x","l":"01g000000000001AAA-2000","b":200}`),
		// A cursor that names no org (as cursors did before they were bound).
		enc(`{"p":"/services/data/v66.0/query/01g000000000001AAA-2000"}`),
		enc(`{"q":"SELECT Id FROM Account"}`),
	} {
		if p, err := parseCursor(c); err == nil {
			t.Errorf("parseCursor(%q) = %+v, want an error", c, p)
		}
	}
	// Raw Salesforce locators pass through to QueryMore, which checks the host.
	if p, err := parseCursor("/services/data/v66.0/query/01g000000000001AAA-2000"); err != nil || p.Locator == "" {
		t.Errorf("locator path: %+v %v", p, err)
	}
}

func TestPageSizeFor(t *testing.T) {
	for _, tt := range []struct{ limit, want int }{{0, 0}, {1, 200}, {200, 200}, {350, 350}, {1999, 1999}, {2000, 0}, {5000, 0}} {
		if got := pageSizeFor(tt.limit); got != tt.want {
			t.Errorf("pageSizeFor(%d) = %d, want %d", tt.limit, got, tt.want)
		}
	}
}

// countingOrg is a client of em through a proxy that counts the requests
// reaching em.
func countingOrg(t *testing.T, em *emulatortest.Server) (*salesforce.Client, *atomic.Int64) {
	t.Helper()
	u, _ := url.Parse(em.URL)
	rp := httputil.NewSingleHostReverseProxy(u)
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	c, err := salesforce.New(salesforce.Config{
		HTTPClient: http.DefaultClient,
		Tokens:     salesforce.NewTokenSource(salesforce.TokenSourceConfig{Token: salesforce.Token{AccessToken: em.Token.AccessToken, InstanceURL: ts.URL}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, &n
}

// TestCursorFromAnotherOrg: both emulators number their query locators
// alike, so a cursor of org A would read org B's rows if B's client followed
// it. It is refused, naming the argument, before any request reaches B.
func TestCursorFromAnotherOrg(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, a := newOrg(t)
	b, reqs := countingOrg(t, emulatortest.New(t, func(o *emulator.Options) { o.PageSize = 200 }))

	var cursors []string
	for _, in := range []QueryInput{
		{SOQL: "SELECT Id FROM Account ORDER BY Id", MaxRecords: 100}, // a cursor into the first page: the query again
		{SOQL: "SELECT Id FROM Account ORDER BY Id", MaxRecords: 200}, // a cursor holding a locator
	} {
		out, err := Query(ctx, a, in)
		if err != nil || out.NextRecordsURL == "" {
			t.Fatalf("query on A: %v %+v", err, out.NextRecordsURL)
		}
		// A's cursor still works on A.
		if more, err := QueryMore(ctx, a, QueryMoreInput{NextRecordsURL: out.NextRecordsURL, MaxRecords: 10}); err != nil || more.Returned != 10 {
			t.Fatalf("cursor on its own org: %v %d", err, more.Returned)
		}
		cursors = append(cursors, out.NextRecordsURL)
	}
	for _, cur := range cursors {
		_, err := QueryMore(ctx, b, QueryMoreInput{NextRecordsURL: cur})
		var inErr *InputError
		if !errors.As(err, &inErr) || inErr.Field != "next_records_url" || !strings.Contains(inErr.Message, "another Salesforce org") {
			t.Errorf("A's cursor on B: %v", err)
		}
	}

	leads, err := ListLeads(ctx, a, ListLeadsInput{Limit: 1})
	if err != nil || leads.NextCursor == "" {
		t.Fatalf("list leads on A: %v %q", err, leads.NextCursor)
	}
	if _, err := ListLeads(ctx, a, ListLeadsInput{Limit: 1, Cursor: leads.NextCursor}); err != nil {
		t.Fatalf("lead cursor on its own org: %v", err)
	}
	_, err = ListLeads(ctx, b, ListLeadsInput{Limit: 1, Cursor: leads.NextCursor})
	var inErr *InputError
	var le *LeadError
	if !errors.As(err, &inErr) || inErr.Field != "cursor" || !strings.Contains(inErr.Message, "another Salesforce org") || !errors.As(err, &le) || le.CorrelationID == "" {
		t.Errorf("A's lead cursor on B: %v", err)
	}
	if n := reqs.Load(); n != 0 {
		t.Errorf("org B got %d requests for A's cursors; want none", n)
	}
}
