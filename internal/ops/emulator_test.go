package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// newOrg starts an emulator whose query pages hold 200 rows (so the sample
// org's 250 accounts span two pages) and returns a client for it.
func newOrg(t *testing.T) (*emulatortest.Server, *salesforce.Client) {
	t.Helper()
	em := emulatortest.New(t, func(o *emulator.Options) { o.PageSize = 200 })
	hc := salesforce.NewHTTPClient()
	t.Cleanup(hc.CloseIdleConnections)
	c, err := salesforce.New(salesforce.Config{
		HTTPClient: hc,
		Tokens:     salesforce.NewTokenSource(salesforce.TokenSourceConfig{Token: salesforce.Token{AccessToken: em.Token.AccessToken, InstanceURL: em.URL}}),
		Retry:      salesforce.RetryPolicy{MaxAttempts: 2, BaseDelay: 1e6},
	})
	if err != nil {
		t.Fatal(err)
	}
	return em, c
}

// ids returns the Id column of a result's records, in either form.
func ids(t *testing.T, out Tabular) []string {
	t.Helper()
	tab := out.RecordTable()
	col := slices.Index(tab.Columns, "Id")
	res := make([]string, 0, len(tab.Rows))
	for _, row := range tab.Rows {
		var id string
		if col < 0 || json.Unmarshal(row[col], &id) != nil || id == "" {
			t.Fatalf("row %s of columns %v has no Id", row, tab.Columns)
		}
		res = append(res, id)
	}
	return res
}

func TestQueryPagesThroughCursors(t *testing.T) {
	t.Parallel()
	_, c := newOrg(t)
	ctx := context.Background()
	const soql = "SELECT Id FROM Account ORDER BY Id"
	first, err := Query(ctx, c, QueryInput{SOQL: soql, MaxRecords: 100})
	if err != nil {
		t.Fatal(err)
	}
	if first.TotalSize != emulator.SampleSizes.Accounts || first.Returned != 100 || first.Done || first.NextRecordsURL == "" {
		t.Fatalf("first batch: total %d returned %d done %v cursor %q", first.TotalSize, first.Returned, first.Done, first.NextRecordsURL)
	}
	if first.Records != nil || len(first.Rows) != 100 || len(first.Columns) != 1 {
		t.Fatalf("first batch: records %d, rows %d, columns %v; want 100 rows of Id", len(first.Records), len(first.Rows), first.Columns)
	}
	got := ids(t, first)
	cursor := first.NextRecordsURL
	for i, size := range []int{100, 30, 0} { // 0: the default 200
		format := []string{RecordFormatObjects, RecordFormatRows, ""}[i]
		out, err := QueryMore(ctx, c, QueryMoreInput{NextRecordsURL: cursor, MaxRecords: size, RecordFormat: format})
		if err != nil {
			t.Fatalf("query_more: %v", err)
		}
		if objects := format == RecordFormatObjects; (out.Records != nil) != objects || (out.Rows != nil) == objects {
			t.Errorf("record_format %q: records %d, rows %d", format, len(out.Records), len(out.Rows))
		}
		got = append(got, ids(t, out)...)
		cursor = out.NextRecordsURL
		if out.Done {
			if cursor != "" {
				t.Error("done with a cursor")
			}
			break
		}
	}
	if cursor != "" {
		t.Fatalf("still not done after %d records", len(got))
	}
	all, err := StreamQuery(ctx, c, StreamInput{SOQL: soql}, func(json.RawMessage) error { return nil })
	if err != nil || all.Count != len(got) {
		t.Fatalf("stream read %d (%v); the cursors %d", all.Count, err, len(got))
	}
	seen := map[string]bool{}
	for i, id := range got {
		if seen[id] {
			t.Fatalf("record %d (%s) returned twice", i, id)
		}
		seen[id] = true
		if i > 0 && got[i-1] >= id {
			t.Fatalf("records out of order at %d", i)
		}
	}
}

func TestQueryMoreAcceptsSalesforceLocator(t *testing.T) {
	t.Parallel()
	em, c := newOrg(t)
	ctx := context.Background()
	page, err := c.QueryFirstPage(ctx, "SELECT Id FROM Account", salesforce.QueryOptions{})
	if err != nil || page.NextRecordsURL == "" {
		t.Fatalf("%v %+v", err, page)
	}
	for _, loc := range []string{page.NextRecordsURL, em.URL + page.NextRecordsURL} {
		out, err := QueryMore(ctx, c, QueryMoreInput{NextRecordsURL: loc})
		if err != nil || out.Returned != emulator.SampleSizes.Accounts-200 || !out.Done {
			t.Errorf("%s: %d records, done %v, %v", loc, out.Returned, out.Done, err)
		}
	}
	if _, err := QueryMore(ctx, c, QueryMoreInput{NextRecordsURL: "https://evil.example" + page.NextRecordsURL}); err == nil {
		t.Error("a locator on another host was followed")
	}
}

func TestStreamQueryLimitFetchesNoFurtherPage(t *testing.T) {
	t.Parallel()
	em, c := newOrg(t)
	// Any request for a further page fails.
	em.AddFault(t, emulator.Fault{Status: http.StatusBadRequest, ErrorCode: "NO_MORE_PAGES", PathPrefix: "/services/data/v" + salesforce.DefaultAPIVersion + "/query/"})
	var flushed int
	for _, limit := range []int{1, 200} {
		stats, err := StreamQuery(context.Background(), c, StreamInput{SOQL: "SELECT Id, Name FROM Account", Limit: limit, PageDone: func() error { flushed++; return nil }},
			func(json.RawMessage) error { return nil })
		if err != nil || stats.Count != limit || stats.Done || stats.TotalSize != emulator.SampleSizes.Accounts {
			t.Errorf("limit %d: %+v %v", limit, stats, err)
		}
	}
	if _, err := StreamQuery(context.Background(), c, StreamInput{SOQL: "SELECT Id FROM Account"}, func(json.RawMessage) error { return nil }); err == nil {
		t.Error("the fault on further pages did not fire: the test proves nothing")
	}
}

func TestQueryIncludeDeleted(t *testing.T) {
	t.Parallel()
	_, c := newOrg(t)
	ctx := context.Background()
	created, err := CreateRecord(ctx, c, CreateRecordInput{SObject: "Account", Data: map[string]any{"Name": "Soon gone"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DeleteRecord(ctx, c, DeleteRecordInput{SObject: "Account", RecordID: created.ID}); err != nil {
		t.Fatal(err)
	}
	soql := "SELECT Id, IsDeleted FROM Account WHERE Id = " + salesforce.QuoteSOQL(created.ID)
	live, err := Query(ctx, c, QueryInput{SOQL: soql})
	if err != nil || live.Returned != 0 {
		t.Fatalf("query: %d rows, %v", live.Returned, err)
	}
	for _, run := range []func() (QueryOutput, error){
		func() (QueryOutput, error) {
			return Query(ctx, c, QueryInput{SOQL: soql, IncludeDeleted: true, RecordFormat: RecordFormatObjects})
		},
		func() (QueryOutput, error) {
			return QueryAll(ctx, c, QueryAllInput{SOQL: soql, RecordFormat: RecordFormatObjects})
		},
	} {
		out, err := run()
		if err != nil || out.Returned != 1 || !strings.Contains(string(out.Records[0]), `"IsDeleted":true`) {
			t.Errorf("deleted record not returned: %+v %v", out, err)
		}
	}
}

func TestRecordOperations(t *testing.T) {
	t.Parallel()
	_, c := newOrg(t)
	ctx := context.Background()
	created, err := CreateRecord(ctx, c, CreateRecordInput{SObject: "Account", Data: map[string]any{"Name": "Ops Test", "NumberOfEmployees": 12}})
	if err != nil || len(created.ID) != 18 || !created.Success {
		t.Fatalf("create: %+v %v", created, err)
	}
	if _, err := UpdateRecord(ctx, c, UpdateRecordInput{SObject: "Account", RecordID: created.ID, Data: map[string]any{"Industry": "Energy"}}); err != nil {
		t.Fatalf("update: %v", err)
	}
	got, err := GetRecord(ctx, c, GetRecordInput{SObject: "Account", RecordID: created.ID[:15], Fields: FieldList{"Name", "Industry", "NumberOfEmployees"}})
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	_ = json.Unmarshal(got.Record, &rec)
	if rec["Name"] != "Ops Test" || rec["Industry"] != "Energy" || rec["NumberOfEmployees"] != 12.0 {
		t.Errorf("record = %v", rec)
	}
	if _, ok := rec["Phone"]; ok {
		t.Error("fields did not limit the answer")
	}

	first, err := UpsertRecord(ctx, c, UpsertRecordInput{SObject: "Account", ExternalIDField: "External_Id__c", Data: map[string]any{"External_Id__c": "OPS-1", "Name": "Upserted"}})
	if err != nil || !first.Created {
		t.Fatalf("first upsert: %+v %v", first, err)
	}
	second, err := UpsertRecord(ctx, c, UpsertRecordInput{SObject: "Account", ExternalIDField: "External_Id__c", ExternalIDValue: "OPS-1", Data: map[string]any{"Name": "Upserted again"}})
	if err != nil || second.Created || second.ID != first.ID {
		t.Fatalf("second upsert: %+v %v (first %s)", second, err, first.ID)
	}

	found, err := Search(ctx, c, SearchInput{SOSL: "FIND {Upserted} IN NAME FIELDS RETURNING Account(Id, Name)", RecordFormat: RecordFormatObjects})
	if err != nil || found.Count != 1 || !strings.Contains(string(found.Records[0]), first.ID) || !strings.Contains(string(found.Records[0]), `"attributes"`) {
		t.Errorf("search: %+v %v", found, err)
	}
	// As a table, the object is a column and the attributes' url, the
	// record's own path, is left out.
	found, err = Search(ctx, c, SearchInput{SOSL: "FIND {Upserted} IN NAME FIELDS RETURNING Account(Id, Name)"})
	if err != nil || found.Records != nil || fmt.Sprint(found.Columns) != "[sobject Id Name]" || len(found.Rows) != 1 ||
		string(found.Rows[0][0]) != `"Account"` || string(found.Rows[0][1]) != `"`+first.ID+`"` {
		t.Errorf("search as rows: %+v %v", found, err)
	}

	if _, err := DeleteRecord(ctx, c, DeleteRecordInput{SObject: "Account", RecordID: created.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := GetRecord(ctx, c, GetRecordInput{SObject: "Account", RecordID: created.ID}); !salesforce.IsNotFound(err) {
		t.Errorf("get after delete: %v", err)
	}
}

func TestMetadataOperations(t *testing.T) {
	t.Parallel()
	_, c := newOrg(t)
	ctx := context.Background()
	d, err := DescribeObject(ctx, c, DescribeObjectInput{SObject: "Lead"})
	if err != nil || d.Name != "Lead" || d.KeyPrefix != "00Q" || len(d.Fields) == 0 || d.Describe != nil {
		t.Fatalf("describe: %v %+v", err, d.Name)
	}
	var status *FieldSummary
	for i := range d.Fields {
		if d.Fields[i].Name == "Status" {
			status = &d.Fields[i]
		}
	}
	if status == nil || status.Type != "picklist" || len(status.PicklistValues) == 0 {
		t.Errorf("Lead.Status = %+v", status)
	}
	trimmed, _ := json.Marshal(d)
	full, err := DescribeObject(ctx, c, DescribeObjectInput{SObject: "Lead", Full: true})
	if err != nil || full.Fields != nil || !json.Valid(full.Describe) || len(full.Describe) < 2*len(trimmed) {
		t.Errorf("full describe: %v, %d bytes vs %d trimmed", err, len(full.Describe), len(trimmed))
	}
	fields, err := GetObjectFields(ctx, c, GetObjectFieldsInput{SObject: "Contact"})
	if err != nil || fields.Count == 0 || fields.Count != len(fields.Fields) {
		t.Errorf("fields: %v %d", err, fields.Count)
	}
	objs, err := ListObjects(ctx, c, ListObjectsInput{})
	if err != nil || objs.Count < 5 {
		t.Fatalf("list: %v %d", err, objs.Count)
	}
	names := map[string]bool{}
	for _, o := range objs.Objects {
		names[o.Name] = true
	}
	for _, n := range []string{"Account", "Contact", "Lead", "Opportunity"} {
		if !names[n] {
			t.Errorf("list lacks %s", n)
		}
	}
	lim, err := Limits(ctx, c, LimitsInput{})
	if err != nil || len(lim.Limits) == 0 {
		t.Fatalf("limits: %v", err)
	}
	var daily bool
	for _, l := range lim.Limits {
		if l.Name == "DailyApiRequests" {
			daily = l.Max > 0 && l.Used == l.Max-l.Remaining
		}
	}
	if !daily {
		t.Error("no DailyApiRequests limit")
	}
}

func TestOperationErrors(t *testing.T) {
	t.Parallel()
	_, c := newOrg(t)
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		run  func() error
		code string
	}{
		{"bad soql", func() error { _, err := Query(ctx, c, QueryInput{SOQL: "SELEKT Id FROM Account"}); return err }, "MALFORMED_QUERY"},
		{"unknown field", func() error { _, err := Query(ctx, c, QueryInput{SOQL: "SELECT foo FROM Lead"}); return err }, "INVALID_FIELD"},
		{"unknown object", func() error { _, err := DescribeObject(ctx, c, DescribeObjectInput{SObject: "Nope__c"}); return err }, "NOT_FOUND"},
		{"missing record", func() error {
			_, err := GetRecord(ctx, c, GetRecordInput{SObject: "Account", RecordID: "001000000000000AAA"})
			return err
		}, "NOT_FOUND"},
	} {
		err := tt.run()
		var apiErr *salesforce.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode != tt.code {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
		}
	}
	var ie *InputError
	if _, err := GetRecord(ctx, c, GetRecordInput{SObject: "Account", RecordID: "nope"}); !errors.As(err, &ie) {
		t.Errorf("bad id: %v, want an InputError before any request", err)
	}
}
