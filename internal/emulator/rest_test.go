package emulator_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/sfid"
)

const v = "/services/data/v62.0"

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return out
}

type sfError struct {
	Message   string   `json:"message"`
	ErrorCode string   `json:"errorCode"`
	Fields    []string `json:"fields"`
}

// wantError checks a Salesforce error array answer.
func wantError(t *testing.T, status int, body []byte, wantStatus int, wantCode string) sfError {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status = %d, want %d; body %s", status, wantStatus, body)
	}
	errs := decode[[]sfError](t, body)
	if len(errs) != 1 || errs[0].ErrorCode != wantCode {
		t.Fatalf("errors = %s, want one %s", body, wantCode)
	}
	return errs[0]
}

type queryResult struct {
	TotalSize      int              `json:"totalSize"`
	Done           bool             `json:"done"`
	NextRecordsURL string           `json:"nextRecordsUrl"`
	Records        []map[string]any `json:"records"`
}

func q(soql string) string { return v + "/query?q=" + url.QueryEscape(soql) }

func TestVersionsAndResources(t *testing.T) {
	s := emulatortest.New(t)
	status, body := s.Do(t, "GET", "/services/data", nil)
	if status != 200 {
		t.Fatalf("versions: %d %s", status, body)
	}
	versions := decode[[]map[string]string](t, body)
	if versions[0]["version"] != "31.0" || versions[len(versions)-1]["version"] != emulator.DefaultAPIVersion {
		t.Errorf("versions from %v to %v", versions[0], versions[len(versions)-1])
	}
	for _, path := range []string{v, v + "/", "/services/data/v51.0", "/services/data/v63.0/"} {
		status, body := s.Do(t, "GET", path, nil)
		res := decode[map[string]string](t, body)
		if status != 200 || !strings.HasSuffix(res["query"], "/query") {
			t.Errorf("%s: %d %s", path, status, body)
		}
	}
	status, body = s.Do(t, "GET", "/services/data/v20.0/limits", nil)
	wantError(t, status, body, 404, "NOT_FOUND")
}

func TestQueryPagesPast2000(t *testing.T) {
	s := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	// 2,300 accounts through sObject Collections, 200 a call.
	for batch := 0; batch < 12; batch++ {
		var recs []map[string]any
		for i := 0; i < 200 && batch*200+i < 2300; i++ {
			recs = append(recs, map[string]any{"attributes": map[string]string{"type": "Account"}, "Name": fmt.Sprintf("Acc %05d", batch*200+i)})
		}
		if len(recs) == 0 {
			break
		}
		status, body := s.Do(t, "POST", v+"/composite/sobjects", map[string]any{"allOrNone": true, "records": recs})
		if status != 200 || strings.Contains(string(body), `"success":false`) {
			t.Fatalf("composite insert: %d %s", status, body)
		}
	}
	status, body := s.Do(t, "GET", q("SELECT Id, Name FROM Account ORDER BY Name"), nil)
	if status != 200 {
		t.Fatalf("query: %d %s", status, body)
	}
	page := decode[queryResult](t, body)
	if page.TotalSize != 2300 || page.Done || len(page.Records) != 2000 || page.NextRecordsURL == "" {
		t.Fatalf("first page: total %d done %v records %d next %q", page.TotalSize, page.Done, len(page.Records), page.NextRecordsURL)
	}
	if !strings.HasPrefix(page.NextRecordsURL, v+"/query/01g") || !strings.HasSuffix(page.NextRecordsURL, "-2000") {
		t.Errorf("nextRecordsUrl %q", page.NextRecordsURL)
	}
	if page.Records[0]["Name"] != "Acc 00000" || page.Records[1999]["Name"] != "Acc 01999" {
		t.Errorf("order: %v .. %v", page.Records[0]["Name"], page.Records[1999]["Name"])
	}
	status, body = s.Do(t, "GET", page.NextRecordsURL, nil)
	next := decode[queryResult](t, body)
	if status != 200 || !next.Done || len(next.Records) != 300 || next.NextRecordsURL != "" || next.Records[299]["Name"] != "Acc 02299" {
		t.Fatalf("second page: %d done %v records %d", status, next.Done, len(next.Records))
	}
	// A smaller batch size through Sforce-Query-Options.
	req, _ := http.NewRequest("GET", s.URL+q("SELECT Id FROM Account"), nil)
	req.Header.Set("Authorization", "Bearer "+s.Token.AccessToken)
	req.Header.Set("Sforce-Query-Options", "batchSize=500")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var small queryResult
	json.NewDecoder(resp.Body).Decode(&small)
	resp.Body.Close()
	if len(small.Records) != 500 || !strings.HasSuffix(small.NextRecordsURL, "-500") {
		t.Errorf("batchSize=500: %d records, next %q", len(small.Records), small.NextRecordsURL)
	}
	// A bad locator.
	status, body = s.Do(t, "GET", v+"/query/01gEMU000000999AAA-2000", nil)
	wantError(t, status, body, 400, "INVALID_QUERY_LOCATOR")
}

func TestQueryShapes(t *testing.T) {
	s := emulatortest.New(t)
	// Relationship paths and a child subquery, trailing slash accepted.
	status, body := s.Do(t, "GET", v+"/query/?q="+url.QueryEscape("SELECT Id, Name, Owner.Name, (SELECT LastName FROM Contacts) FROM Account WHERE External_Id__c = 'ACC-00001'"), nil)
	if status != 200 {
		t.Fatalf("query: %d %s", status, body)
	}
	res := decode[queryResult](t, body)
	if res.TotalSize != 1 {
		t.Fatalf("want 1 account, got %s", body)
	}
	rec := res.Records[0]
	attrs := rec["attributes"].(map[string]any)
	if attrs["type"] != "Account" || !strings.HasPrefix(attrs["url"].(string), v+"/sobjects/Account/001EMU") {
		t.Errorf("attributes %v", attrs)
	}
	owner := rec["Owner"].(map[string]any)
	if owner["attributes"].(map[string]any)["type"] != "User" || owner["Name"] == "" {
		t.Errorf("Owner %v", owner)
	}
	contacts := rec["Contacts"].(map[string]any)
	if contacts["totalSize"].(float64) < 1 || contacts["done"] != true {
		t.Errorf("Contacts %v", contacts)
	}
	// COUNT() answers with totalSize only.
	status, body = s.Do(t, "GET", q("SELECT COUNT() FROM Contact"), nil)
	count := decode[queryResult](t, body)
	if status != 200 || count.TotalSize != emulator.SampleSizes.Contacts || len(count.Records) != 0 {
		t.Errorf("COUNT(): %d %s", status, body)
	}
	// Aggregates with expr0 aliases.
	status, body = s.Do(t, "GET", q("SELECT StageName, COUNT(Id), SUM(Amount) total FROM Opportunity GROUP BY StageName"), nil)
	agg := decode[queryResult](t, body)
	if status != 200 || len(agg.Records) == 0 {
		t.Fatalf("aggregate: %d %s", status, body)
	}
	if a := agg.Records[0]["attributes"].(map[string]any); a["type"] != "AggregateResult" || a["url"] != nil {
		t.Errorf("aggregate attributes %v", a)
	}
	if _, ok := agg.Records[0]["expr0"]; !ok {
		t.Errorf("no expr0 in %v", agg.Records[0])
	}
	if _, ok := agg.Records[0]["total"]; !ok {
		t.Errorf("no alias total in %v", agg.Records[0])
	}
	// columns=true.
	status, body = s.Do(t, "GET", q("SELECT Id, Name, Owner.Name FROM Account")+"&columns=true", nil)
	cols := decode[map[string]any](t, body)
	if status != 200 || cols["entityName"] != "Account" || len(cols["columnMetadata"].([]any)) != 3 {
		t.Errorf("columns: %d %s", status, body)
	}
	// SOSL.
	status, body = s.Do(t, "GET", v+"/search?q="+url.QueryEscape("FIND {Acme} IN NAME FIELDS RETURNING Account(Id, Name), Lead(Name, Company)"), nil)
	found := decode[map[string][]map[string]any](t, body)
	if status != 200 || len(found["searchRecords"]) == 0 {
		t.Errorf("search: %d %s", status, body)
	}
}

func TestQueryErrors(t *testing.T) {
	s := emulatortest.New(t)
	for _, tc := range []struct{ soql, code, text string }{
		{"select count() from XYZZY", "INVALID_TYPE", "ERROR at Row:1:Column:21"},
		{"SELECT foo__c FROM Lead", "INVALID_FIELD", "No such column 'foo__c' on entity 'Lead'"},
		{"SELECT Id FROM", "MALFORMED_QUERY", "ERROR at Row:1"},
		{"SELECT Id FROM Account OFFSET 2001", "NUMBER_OUTSIDE_VALID_RANGE", "2000"},
		{"SELECT Id FROM ScratchOrgInfo", "INVALID_TYPE", "ScratchOrgInfo"},
	} {
		status, body := s.Do(t, "GET", q(tc.soql), nil)
		e := wantError(t, status, body, 400, tc.code)
		if !strings.Contains(e.Message, tc.text) {
			t.Errorf("%s: message %q lacks %q", tc.soql, e.Message, tc.text)
		}
	}
	status, body := s.Do(t, "GET", v+"/query", nil)
	wantError(t, status, body, 400, "MALFORMED_QUERY")
}

func TestRecordLifecycle(t *testing.T) {
	s := emulatortest.New(t)
	status, body := s.Do(t, "POST", v+"/sobjects/Account", map[string]any{"Name": "Lifecycle Inc", "attributes": map[string]string{"type": "Account"}, "NumberOfEmployees": 42})
	if status != 201 {
		t.Fatalf("create: %d %s", status, body)
	}
	created := decode[map[string]any](t, body)
	id := created["id"].(string)
	if !sfid.Valid(id) || len(id) != 18 || id[:3] != "001" || created["success"] != true {
		t.Fatalf("create answer %s", body)
	}
	// Either id length works.
	status, body = s.Do(t, "GET", v+"/sobjects/Account/"+id[:15]+"?fields=Name,NumberOfEmployees", nil)
	rec := decode[map[string]any](t, body)
	if status != 200 || rec["Name"] != "Lifecycle Inc" || rec["NumberOfEmployees"] != float64(42) || len(rec) != 3 {
		t.Fatalf("get: %d %s", status, body)
	}
	if !strings.Contains(string(body), `"NumberOfEmployees":42`) {
		t.Errorf("an int field should be written as an integer: %s", body)
	}
	status, body = s.Do(t, "GET", v+"/sobjects/Account/"+id, nil)
	full := decode[map[string]any](t, body)
	if status != 200 || full["CreatedDate"] == nil || full["OwnerId"] == nil || full["IsDeleted"] != false {
		t.Fatalf("full get: %d %s", status, body)
	}
	if cd := full["CreatedDate"].(string); len(cd) != 28 || !strings.HasSuffix(cd, "+0000") {
		t.Errorf("CreatedDate %q not in Salesforce's format", cd)
	}
	status, body = s.Do(t, "PATCH", v+"/sobjects/Account/"+id, map[string]any{"Name": "Renamed", "Id": id})
	if status != 204 || len(body) != 0 {
		t.Fatalf("update: %d %s", status, body)
	}
	_, body = s.Do(t, "GET", v+"/sobjects/Account/"+id+"?fields=Name", nil)
	if decode[map[string]any](t, body)["Name"] != "Renamed" {
		t.Errorf("update not applied: %s", body)
	}
	status, _ = s.Do(t, "DELETE", v+"/sobjects/Account/"+id, nil)
	if status != 204 {
		t.Fatalf("delete: %d", status)
	}
	status, body = s.Do(t, "GET", v+"/sobjects/Account/"+id, nil)
	wantError(t, status, body, 404, "ENTITY_IS_DELETED")
	// query skips it, queryAll finds it.
	_, body = s.Do(t, "GET", q("SELECT Id FROM Account WHERE Id = '"+id+"'"), nil)
	if decode[queryResult](t, body).TotalSize != 0 {
		t.Errorf("query found a deleted record: %s", body)
	}
	_, body = s.Do(t, "GET", v+"/queryAll?q="+url.QueryEscape("SELECT Id, IsDeleted FROM Account WHERE Id = '"+id+"'"), nil)
	all := decode[queryResult](t, body)
	if all.TotalSize != 1 || all.Records[0]["IsDeleted"] != true {
		t.Errorf("queryAll: %s", body)
	}
	// The user record clients read after login.
	status, body = s.Do(t, "GET", v+"/sobjects/User/"+s.Org().AdminUserID(), nil)
	if status != 200 || decode[map[string]any](t, body)["Username"] == nil {
		t.Errorf("user: %d %s", status, body)
	}
}

func TestRecordErrors(t *testing.T) {
	s := emulatortest.New(t, func(o *emulator.Options) { o.MaxBodyBytes = 4096 })
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"malformed json", "POST", v + "/sobjects/Account", `{"Name": `, 400, "JSON_PARSER_ERROR"},
		{"not an object", "POST", v + "/sobjects/Account", `[1,2]`, 400, "JSON_PARSER_ERROR"},
		{"unknown object", "POST", v + "/sobjects/Nope__c", map[string]any{"Name": "x"}, 404, "NOT_FOUND"},
		{"unknown object describe", "GET", v + "/sobjects/Nope/describe", nil, 404, "NOT_FOUND"},
		{"unknown field", "POST", v + "/sobjects/Account", map[string]any{"Name": "x", "Bogus__c": 1}, 400, "INVALID_FIELD"},
		{"read-only field", "POST", v + "/sobjects/Account", map[string]any{"Name": "x", "CreatedDate": "2020-01-01T00:00:00Z"}, 400, "INVALID_FIELD_FOR_INSERT_UPDATE"},
		{"missing required", "POST", v + "/sobjects/Contact", map[string]any{"FirstName": "x"}, 400, "REQUIRED_FIELD_MISSING"},
		{"wrong type", "POST", v + "/sobjects/Account", map[string]any{"Name": "x", "NumberOfEmployees": "many"}, 400, "JSON_PARSER_ERROR"},
		{"too long", "POST", v + "/sobjects/Account", map[string]any{"Name": strings.Repeat("x", 300)}, 400, "STRING_TOO_LONG"},
		{"bad email", "POST", v + "/sobjects/Lead", map[string]any{"LastName": "x", "Company": "y", "Email": "nope"}, 400, "INVALID_EMAIL_ADDRESS"},
		{"malformed reference", "POST", v + "/sobjects/Contact", map[string]any{"LastName": "x", "AccountId": "abc"}, 400, "MALFORMED_ID"},
		{"reference of the wrong object", "POST", v + "/sobjects/Contact", map[string]any{"LastName": "x", "AccountId": s.Org().AdminUserID()}, 400, "FIELD_INTEGRITY_EXCEPTION"},
		{"bad id checksum", "GET", v + "/sobjects/Account/001EMU000000001ZZZ", nil, 400, "MALFORMED_ID"},
		{"id of another object", "GET", v + "/sobjects/Account/" + s.Org().AdminUserID(), nil, 400, "MALFORMED_ID"},
		{"not an id", "GET", v + "/sobjects/Account/xyz", nil, 404, "NOT_FOUND"},
		{"unknown id", "GET", v + "/sobjects/Account/001EMU00000zzzz", nil, 404, "NOT_FOUND"},
		{"oversize body", "POST", v + "/sobjects/Account", map[string]any{"Name": "x", "Description": strings.Repeat("y", 8000)}, 413, "REQUEST_ENTITY_TOO_LARGE"},
		{"method", "PUT", v + "/sobjects/Account/001EMU00000zzzz", map[string]any{}, 405, "METHOD_NOT_ALLOWED"},
		{"create not allowed", "POST", v + "/sobjects/Organization", map[string]any{"Name": "x"}, 400, "INVALID_TYPE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := s.Do(t, tc.method, tc.path, tc.body)
			wantError(t, status, body, tc.status, tc.code)
		})
	}
	// Deleting twice.
	_, body := s.Do(t, "POST", v+"/sobjects/Account", map[string]any{"Name": "Twice"})
	id := decode[map[string]any](t, body)["id"].(string)
	s.Do(t, "DELETE", v+"/sobjects/Account/"+id, nil)
	status, body := s.Do(t, "DELETE", v+"/sobjects/Account/"+id, nil)
	wantError(t, status, body, 404, "ENTITY_IS_DELETED")
}

func TestUpsertOutcomes(t *testing.T) {
	s := emulatortest.New(t, func(o *emulator.Options) {
		o.SchemaConfig = []byte(`objects:
  - name: Account
    fields:
      - {name: External_Id__c, type: string, externalId: true, unique: true}
      - {name: Legacy_Key__c, type: string, externalId: true}
`)
		o.NoSampleData = true
	})
	path := v + "/sobjects/Account/External_Id__c/ext-1"
	status, body := s.Do(t, "PATCH", path, map[string]any{"Name": "First"})
	res := decode[map[string]any](t, body)
	if status != 201 || res["created"] != true || res["success"] != true {
		t.Fatalf("upsert create: %d %s", status, body)
	}
	id := res["id"].(string)
	// External ids match without regard to case.
	status, body = s.Do(t, "PATCH", v+"/sobjects/Account/External_Id__c/EXT-1", map[string]any{"Name": "Second"})
	res = decode[map[string]any](t, body)
	if status != 200 || res["created"] != false || res["id"] != id {
		t.Fatalf("upsert update: %d %s", status, body)
	}
	// A duplicate of a unique external id is refused.
	status, body = s.Do(t, "POST", v+"/sobjects/Account", map[string]any{"Name": "Dup", "External_Id__c": "Ext-1"})
	wantError(t, status, body, 400, "DUPLICATE_VALUE")
	// Two records sharing a non-unique external id: 300 with both URLs.
	for i := 0; i < 2; i++ {
		if status, body := s.Do(t, "POST", v+"/sobjects/Account", map[string]any{"Name": "Legacy", "Legacy_Key__c": "L1"}); status != 201 {
			t.Fatalf("create legacy: %d %s", status, body)
		}
	}
	status, body = s.Do(t, "PATCH", v+"/sobjects/Account/Legacy_Key__c/L1", map[string]any{"Name": "Which?"})
	if urls := decode[[]string](t, body); status != 300 || len(urls) != 2 || !strings.HasPrefix(urls[0], v+"/sobjects/Account/001") {
		t.Fatalf("upsert ambiguous: %d %s", status, body)
	}
	// A field that is not an external id.
	status, body = s.Do(t, "PATCH", v+"/sobjects/Account/Name/Z", map[string]any{})
	wantError(t, status, body, 404, "NOT_FOUND")
	// Get by external id.
	status, body = s.Do(t, "GET", v+"/sobjects/Account/External_Id__c/ext-1", nil)
	if status != 200 || decode[map[string]any](t, body)["Name"] != "Second" {
		t.Errorf("get by external id: %d %s", status, body)
	}
}

func TestCompositeCollections(t *testing.T) {
	s := emulatortest.New(t)
	recs := []map[string]any{
		{"attributes": map[string]string{"type": "Account"}, "Name": "C1"},
		{"attributes": map[string]string{"type": "Contact"}, "LastName": "C2"},
		{"attributes": map[string]string{"type": "Contact"}, "FirstName": "no last name"},
	}
	status, body := s.Do(t, "POST", v+"/composite/sobjects", map[string]any{"allOrNone": false, "records": recs})
	results := decode[[]map[string]any](t, body)
	if status != 200 || len(results) != 3 || results[0]["success"] != true || results[1]["success"] != true || results[2]["success"] != false {
		t.Fatalf("collections insert: %d %s", status, body)
	}
	if e := results[2]["errors"].([]any)[0].(map[string]any); e["statusCode"] != "REQUIRED_FIELD_MISSING" {
		t.Errorf("error %v", e)
	}
	// allOrNone rolls the good ones back.
	status, body = s.Do(t, "POST", v+"/composite/sobjects", map[string]any{"allOrNone": true, "records": recs})
	results = decode[[]map[string]any](t, body)
	if status != 200 || results[0]["success"] != false {
		t.Fatalf("allOrNone: %s", body)
	}
	if e := results[0]["errors"].([]any)[0].(map[string]any); e["statusCode"] != "ALL_OR_NONE_OPERATION_ROLLED_BACK" {
		t.Errorf("rolled back error %v", e)
	}
	_, body = s.Do(t, "GET", q("SELECT COUNT() FROM Account WHERE Name = 'C1'"), nil)
	if n := decode[queryResult](t, body).TotalSize; n != 1 {
		t.Errorf("after rollback there are %d C1 accounts, want 1", n)
	}
	// Update and delete.
	id := results0ID(t, s)
	status, body = s.Do(t, "PATCH", v+"/composite/sobjects", map[string]any{"records": []map[string]any{{"attributes": map[string]string{"type": "Account"}, "Id": id, "Name": "C1b"}}})
	if status != 200 || !strings.Contains(string(body), `"success":true`) {
		t.Fatalf("collections update: %d %s", status, body)
	}
	status, body = s.Do(t, "DELETE", v+"/composite/sobjects?ids="+id, nil)
	if status != 200 || !strings.Contains(string(body), `"success":true`) {
		t.Fatalf("collections delete: %d %s", status, body)
	}
	// Over the limit.
	many := make([]map[string]any, 201)
	for i := range many {
		many[i] = map[string]any{"attributes": map[string]string{"type": "Account"}, "Name": "x"}
	}
	status, body = s.Do(t, "POST", v+"/composite/sobjects", map[string]any{"records": many})
	wantError(t, status, body, 400, "EXCEEDED_ID_LIMIT")
	// The general composite resource with a reference.
	status, body = s.Do(t, "POST", v+"/composite", map[string]any{"compositeRequest": []map[string]any{
		{"method": "POST", "url": v + "/sobjects/Account", "referenceId": "acc", "body": map[string]any{"Name": "Composite parent"}},
		{"method": "POST", "url": v + "/sobjects/Contact", "referenceId": "con", "body": map[string]any{"LastName": "Kid", "AccountId": "@{acc.id}"}},
	}})
	if status != 200 || strings.Count(string(body), `"httpStatusCode":201`) != 2 {
		t.Errorf("composite: %d %s", status, body)
	}
}

func results0ID(t *testing.T, s *emulatortest.Server) string {
	_, body := s.Do(t, "GET", q("SELECT Id FROM Account WHERE Name = 'C1'"), nil)
	return decode[queryResult](t, body).Records[0]["Id"].(string)
}

func TestDescribeAndLimits(t *testing.T) {
	s := emulatortest.New(t)
	status, body := s.Do(t, "GET", v+"/sobjects", nil)
	global := decode[map[string]any](t, body)
	if status != 200 || global["maxBatchSize"] != float64(200) || len(global["sobjects"].([]any)) < 10 {
		t.Fatalf("describeGlobal: %d", status)
	}
	for _, name := range []string{"Account", "contact", "Lead", "Opportunity", "Case", "User", "Organization", "LeadStatus", "Invoice__c"} {
		status, body := s.Do(t, "GET", v+"/sobjects/"+name+"/describe", nil)
		d := decode[map[string]any](t, body)
		if status != 200 || !strings.EqualFold(d["name"].(string), name) || len(d["fields"].([]any)) == 0 {
			t.Errorf("describe %s: %d", name, status)
		}
		if u := d["urls"].(map[string]any); u["describe"] != v+"/sobjects/"+d["name"].(string)+"/describe" {
			t.Errorf("describe %s urls %v", name, u["describe"])
		}
	}
	req, _ := http.NewRequest("GET", s.URL+v+"/limits", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var limits map[string]map[string]int
	json.NewDecoder(resp.Body).Decode(&limits)
	resp.Body.Close()
	if limits["DailyApiRequests"]["Max"] != 15000 || limits["DailyApiRequests"]["Remaining"] >= 15000 {
		t.Errorf("limits %v", limits["DailyApiRequests"])
	}
	if h := resp.Header.Get("Sforce-Limit-Info"); !strings.HasPrefix(h, "api-usage=") || !strings.HasSuffix(h, "/15000") {
		t.Errorf("Sforce-Limit-Info %q", h)
	}
	status, body = s.Do(t, "GET", v+"/limits/recordCount?sObjects=Account,Contact", nil)
	if status != 200 || !strings.Contains(string(body), fmt.Sprintf(`"count":%d`, emulator.SampleSizes.Accounts)) {
		t.Errorf("recordCount: %d %s", status, body)
	}
	// The sample org is labelled as an emulator.
	_, body = s.Do(t, "GET", q("SELECT Name FROM Organization"), nil)
	if !strings.Contains(string(body), emulator.Label) {
		t.Errorf("Organization name: %s", body)
	}
}

// TestUpsertPathDecodedOnce sends raw escaped external id values: each path
// segment is percent-decoded exactly once, so "%252e%252e" names the value
// "%2e%2e", "%2E%2E" names "..", and "%2F" stays inside one value.
func TestUpsertPathDecodedOnce(t *testing.T) {
	s := emulatortest.New(t, func(o *emulator.Options) {
		o.SchemaConfig = []byte(`objects:
  - name: Account
    fields:
      - {name: External_Id__c, type: string, externalId: true, unique: true}
`)
		o.NoSampleData = true
	})
	base := v + "/sobjects/Account/External_Id__c/"
	ids := map[string]string{}
	for _, c := range []struct{ raw, value string }{
		{"%2E%2E", ".."},
		{"%252e%252e", "%2e%2e"},
		{"a%2Fb", "a/b"},
		{"%2e", "."},
	} {
		status, body := s.Do(t, "PATCH", base+c.raw, map[string]any{"Name": "N " + c.value})
		res := decode[map[string]any](t, body)
		if status != 201 || res["created"] != true {
			t.Fatalf("PATCH %s: %d %s (want a new record for %q)", c.raw, status, body, c.value)
		}
		ids[c.value] = res["id"].(string)
		status, body = s.Do(t, "GET", v+"/sobjects/Account/"+ids[c.value], nil)
		if got := decode[map[string]any](t, body)["External_Id__c"]; status != 200 || got != c.value {
			t.Fatalf("record made by PATCH %s: External_Id__c = %v, want %q (%d %s)", c.raw, got, c.value, status, body)
		}
	}
	// Reading back by the same raw path finds the same record, not its once-more-decoded twin.
	status, body := s.Do(t, "GET", base+"%252e%252e", nil)
	if got := decode[map[string]any](t, body)["Id"]; status != 200 || got != ids["%2e%2e"] {
		t.Fatalf("GET %%252e%%252e: %d %s, want record %s", status, body, ids["%2e%2e"])
	}
}
