package emulator_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

const bulkV = "/services/data/v62.0"

// bulkClient talks to an emulator's Bulk API 2.0 in a test.
type bulkClient struct {
	t     testing.TB
	url   string
	token string
	// patience, when longer than waitLimit, is how long wait waits: jobs
	// of thousands of rows take that long under the race detector on a
	// loaded machine.
	patience time.Duration
}

func newBulk(t testing.TB, s *emulatortest.Server) *bulkClient {
	return &bulkClient{t: t, url: s.URL, token: s.Token.AccessToken}
}

type bulkResp struct {
	status int
	body   []byte
	header http.Header
}

// do sends a request; a string body goes as text/csv, chunked when
// chunked is set, anything else as JSON.
func (c *bulkClient) do(method, path string, body any, chunked bool) bulkResp {
	c.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		ctype = "text/csv"
		if chunked {
			rd = io.MultiReader(strings.NewReader(b)) // no length: sent chunked
		} else {
			rd = strings.NewReader(b)
		}
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		ctype = "application/json"
		rd = strings.NewReader(string(raw))
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if chunked && req.ContentLength > 0 {
		c.t.Fatal("chunked request has a length")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	return bulkResp{resp.StatusCode, out, resp.Header}
}

func (c *bulkClient) json(method, path string, body any, want int) map[string]any {
	c.t.Helper()
	r := c.do(method, path, body, false)
	if r.status != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	var out map[string]any
	if err := json.Unmarshal(r.body, &out); err != nil {
		c.t.Fatalf("%s %s: decode %s: %v", method, path, r.body, err)
	}
	return out
}

// wantErr checks a Salesforce error array answer and returns its message.
func (c *bulkClient) wantErr(r bulkResp, status int, code string) string {
	c.t.Helper()
	if r.status != status {
		c.t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	var errs []struct {
		ErrorCode string `json:"errorCode"`
		Message   string `json:"message"`
	}
	if err := json.Unmarshal(r.body, &errs); err != nil || len(errs) != 1 {
		c.t.Fatalf("not an error array: %s", r.body)
	}
	if errs[0].ErrorCode != code {
		c.t.Fatalf("errorCode %s, want %s: %s", errs[0].ErrorCode, code, r.body)
	}
	return errs[0].Message
}

func (c *bulkClient) create(job map[string]any) string {
	c.t.Helper()
	info := c.json("POST", bulkV+"/jobs/ingest", job, 200)
	if info["state"] != "Open" {
		c.t.Fatalf("new job: %v", info)
	}
	return info["id"].(string)
}

func (c *bulkClient) upload(id, data string) {
	c.t.Helper()
	r := c.do("PUT", bulkV+"/jobs/ingest/"+id+"/batches", data, true)
	if r.status != 201 || len(r.body) != 0 {
		c.t.Fatalf("upload: %d %s", r.status, r.body)
	}
}

func (c *bulkClient) closeJob(id string) {
	c.t.Helper()
	info := c.json("PATCH", bulkV+"/jobs/ingest/"+id, map[string]any{"state": "UploadComplete"}, 200)
	if info["state"] != "UploadComplete" {
		c.t.Fatalf("close: %v", info)
	}
}

// wait polls a job until it ends.
func (c *bulkClient) wait(kind, id string) map[string]any {
	c.t.Helper()
	deadline := time.Now().Add(max(waitLimit, c.patience))
	for {
		info := c.json("GET", bulkV+"/jobs/"+kind+"/"+id, nil, 200)
		switch info["state"] {
		case "JobComplete", "Failed", "Aborted":
			return info
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("job %s did not end: %v", id, info)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ingest runs a whole ingest job and returns its final info.
func (c *bulkClient) ingest(job map[string]any, data string) (string, map[string]any) {
	c.t.Helper()
	id := c.create(job)
	c.upload(id, data)
	c.closeJob(id)
	return id, c.wait("ingest", id)
}

// csvOf fetches a CSV resource and parses it with delimiter.
func (c *bulkClient) csvOf(path string, delim rune) [][]string {
	c.t.Helper()
	r := c.do("GET", path, nil, false)
	if r.status != 200 {
		c.t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	rd := csv.NewReader(strings.NewReader(string(r.body)))
	rd.Comma = delim
	rd.FieldsPerRecord = -1
	rows, err := rd.ReadAll()
	if err != nil {
		c.t.Fatalf("GET %s: parse %q: %v", path, r.body, err)
	}
	return rows
}

func (c *bulkClient) results(id, which string) [][]string {
	return c.csvOf(bulkV+"/jobs/ingest/"+id+"/"+which+"/", ',')
}

// soql runs a REST query and returns its records.
func (c *bulkClient) soql(all bool, text string) []map[string]any {
	c.t.Helper()
	res := "query"
	if all {
		res = "queryAll"
	}
	out := c.json("GET", bulkV+"/"+res+"?q="+url.QueryEscape(text), nil, 200)
	var recs []map[string]any
	for _, r := range out["records"].([]any) {
		recs = append(recs, r.(map[string]any))
	}
	return recs
}

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}

func TestBulkInsertRoundTrip(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	c := newBulk(t, s)
	r := c.do("POST", bulkV+"/jobs/ingest", map[string]any{"object": "account", "operation": "insert", "externalIdFieldName": ""}, false)
	if r.status != 200 || !strings.Contains(string(r.body), `"apiVersion":62.0`) {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var created map[string]any
	_ = json.Unmarshal(r.body, &created)
	id := created["id"].(string)
	if !strings.HasPrefix(id, "750") || len(id) != 18 || created["object"] != "Account" || created["contentType"] != "CSV" ||
		created["lineEnding"] != "LF" || created["columnDelimiter"] != "COMMA" || created["concurrencyMode"] != "Parallel" ||
		created["contentUrl"] != "services/data/v62.0/jobs/ingest/"+id+"/batches" || created["createdById"] != s.Org().AdminUserID() {
		t.Fatalf("create answer: %s", r.body)
	}
	if !strings.HasSuffix(created["createdDate"].(string), "+0000") {
		t.Fatalf("createdDate: %v", created["createdDate"])
	}
	c.upload(id, "Name,Industry\nBulk Alpha,Technology\nBulk Beta,Retail\n")
	c.closeJob(id)
	info := c.wait("ingest", id)
	if info["state"] != "JobComplete" || num(info["numberRecordsProcessed"]) != 2 || num(info["numberRecordsFailed"]) != 0 ||
		info["jobType"] != "V2Ingest" || info["retries"] == nil || info["totalProcessingTime"] == nil {
		t.Fatalf("info: %v", info)
	}
	rows := c.results(id, "successfulResults")
	if strings.Join(rows[0], "|") != "sf__Id|sf__Created|Name|Industry" || len(rows) != 3 {
		t.Fatalf("successfulResults: %q", rows)
	}
	got := map[string]string{}
	for _, row := range rows[1:] {
		if row[1] != "true" {
			t.Fatalf("sf__Created: %q", row)
		}
		got[row[0]] = row[2]
	}
	recs := c.soql(false, "SELECT Id, Name, Industry FROM Account WHERE Name LIKE 'Bulk %'")
	if len(recs) != 2 {
		t.Fatalf("query: %v", recs)
	}
	for _, rec := range recs {
		if got[rec["Id"].(string)] != rec["Name"] {
			t.Fatalf("record %v not in results %v", rec, got)
		}
	}
	if rows := c.results(id, "failedResults"); len(rows) != 1 || strings.Join(rows[0], "|") != "sf__Id|sf__Error|Name|Industry" {
		t.Fatalf("failedResults: %q", rows)
	}
	if rows := c.results(id, "unprocessedrecords"); len(rows) != 1 || strings.Join(rows[0], "|") != "Name|Industry" {
		t.Fatalf("unprocessedrecords: %q", rows)
	}
	// Insert with an empty Id column, as go-salesforce sends.
	_, info = c.ingest(map[string]any{"object": "Account", "operation": "insert"}, "Id,Name\n,Bulk Gamma\n")
	if info["state"] != "JobComplete" || num(info["numberRecordsFailed"]) != 0 {
		t.Fatalf("insert with empty Id: %v", info)
	}
}

func TestBulkUpdate(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	c := newBulk(t, s)
	recs := c.soql(false, "SELECT Id, Name, Industry FROM Account ORDER BY Name LIMIT 2")
	a, b := recs[0]["Id"].(string), recs[1]["Id"].(string)
	data := "Id,Name,Industry\n" + a + ",Renamed One,\n" + b[:15] + ",Renamed Two,#N/A\n"
	id, info := c.ingest(map[string]any{"object": "Account", "operation": "update"}, data)
	if info["state"] != "JobComplete" || num(info["numberRecordsProcessed"]) != 2 || num(info["numberRecordsFailed"]) != 0 {
		t.Fatalf("info: %v", info)
	}
	rows := c.results(id, "successfulResults")
	if len(rows) != 3 || rows[1][0] != a || rows[1][1] != "false" || rows[2][0] != b || rows[2][2] != b[:15] {
		t.Fatalf("successfulResults: %q", rows)
	}
	got := c.soql(false, "SELECT Id, Name, Industry FROM Account WHERE Id IN ('"+a+"','"+b+"') ORDER BY Name")
	if got[0]["Name"] != "Renamed One" || got[0]["Industry"] != recs[0]["Industry"] {
		t.Fatalf("empty cell should leave the field: %v (was %v)", got[0], recs[0])
	}
	if got[1]["Name"] != "Renamed Two" || got[1]["Industry"] != nil {
		t.Fatalf("#N/A should clear the field: %v", got[1])
	}
	// A missing record and a missing Id fail their rows only.
	id, info = c.ingest(map[string]any{"object": "Account", "operation": "update"}, "Id,Name\n001EMU000000zzzzzz,X\n,Y\n"+a+",Renamed Again\n")
	if num(info["numberRecordsProcessed"]) != 3 || num(info["numberRecordsFailed"]) != 2 {
		t.Fatalf("info: %v", info)
	}
	failed := c.results(id, "failedResults")
	if len(failed) != 3 || !strings.HasPrefix(failed[2][1], "MISSING_ARGUMENT:") {
		t.Fatalf("failedResults: %q", failed)
	}
}

func TestBulkUpsert(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	c := newBulk(t, s)
	c.json("POST", bulkV+"/sobjects/Account", map[string]any{"Name": "Existing", "External_Id__c": "EXT-1"}, 201)
	info := c.json("POST", bulkV+"/jobs/ingest", map[string]any{"object": "Account", "operation": "upsert", "externalIdFieldName": "external_id__c"}, 200)
	if info["externalIdFieldName"] != "External_Id__c" {
		t.Fatalf("create: %v", info)
	}
	id := info["id"].(string)
	c.upload(id, "External_Id__c,Name\next-1,Existing Updated\nEXT-2,Brand New\n,No Key\n")
	c.closeJob(id)
	info = c.wait("ingest", id)
	if num(info["numberRecordsProcessed"]) != 3 || num(info["numberRecordsFailed"]) != 1 {
		t.Fatalf("info: %v", info)
	}
	rows := c.results(id, "successfulResults")
	if len(rows) != 3 || rows[1][1] != "false" || rows[2][1] != "true" {
		t.Fatalf("successfulResults: %q", rows)
	}
	recs := c.soql(false, "SELECT Id, Name, External_Id__c FROM Account WHERE External_Id__c LIKE 'EXT-%' ORDER BY External_Id__c")
	if len(recs) != 2 || recs[0]["Name"] != "Existing Updated" || recs[1]["Name"] != "Brand New" || recs[1]["Id"] != rows[2][0] {
		t.Fatalf("records: %v", recs)
	}
	// Contacts tied to their account through the account's external id.
	_, info = c.ingest(map[string]any{"object": "Contact", "operation": "insert"}, "LastName,Account.External_Id__c\nRelated,EXT-2\nOrphan,NOPE\n")
	if num(info["numberRecordsFailed"]) != 1 {
		t.Fatalf("relationship load: %v", info)
	}
	kids := c.soql(false, "SELECT Id, Account.Name FROM Contact WHERE LastName = 'Related'")
	if len(kids) != 1 || kids[0]["Account"].(map[string]any)["Name"] != "Brand New" {
		t.Fatalf("related contact: %v", kids)
	}

	// Job creation checks.
	c.wantErr(c.do("POST", bulkV+"/jobs/ingest", map[string]any{"object": "Account", "operation": "upsert"}, false), 400, "INVALIDJOB")
	c.wantErr(c.do("POST", bulkV+"/jobs/ingest", map[string]any{"object": "Account", "operation": "upsert", "externalIdFieldName": "Name"}, false), 400, "INVALIDJOB")
	c.wantErr(c.do("POST", bulkV+"/jobs/ingest", map[string]any{"object": "Nope__c", "operation": "insert"}, false), 400, "INVALIDJOB")
	c.wantErr(c.do("POST", bulkV+"/jobs/ingest", map[string]any{"object": "Account", "operation": "merge"}, false), 400, "JSON_PARSER_ERROR")
	c.wantErr(c.do("POST", bulkV+"/jobs/ingest", map[string]any{"object": "Account", "operation": "insert", "columnDelimiter": "SPACE"}, false), 400, "JSON_PARSER_ERROR")
	c.wantErr(c.do("POST", bulkV+"/jobs/ingest", `{"object":`, false), 400, "JSON_PARSER_ERROR")
}

func TestBulkDeleteAndHardDelete(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	c := newBulk(t, s)
	id, _ := c.ingest(map[string]any{"object": "Account", "operation": "insert"}, "Name\nDoomed Soft\nDoomed Hard\n")
	rows := c.results(id, "successfulResults")
	soft, hard := rows[1][0], rows[2][0]

	id, info := c.ingest(map[string]any{"object": "Account", "operation": "delete"}, "Id\n"+soft+"\n")
	if info["state"] != "JobComplete" || num(info["numberRecordsFailed"]) != 0 {
		t.Fatalf("delete: %v", info)
	}
	if rows := c.results(id, "successfulResults"); len(rows) != 2 || rows[1][0] != soft || rows[1][1] != "false" {
		t.Fatalf("delete results: %q", rows)
	}
	if recs := c.soql(false, "SELECT Id FROM Account WHERE Id = '"+soft+"'"); len(recs) != 0 {
		t.Fatalf("deleted record still queried: %v", recs)
	}
	if recs := c.soql(true, "SELECT Id, IsDeleted FROM Account WHERE Id = '"+soft+"'"); len(recs) != 1 || recs[0]["IsDeleted"] != true {
		t.Fatalf("queryAll: %v", recs)
	}
	// Deleting it again fails that row.
	_, info = c.ingest(map[string]any{"object": "Account", "operation": "delete"}, "Id\n"+soft+"\n")
	if num(info["numberRecordsFailed"]) != 1 {
		t.Fatalf("second delete: %v", info)
	}

	_, info = c.ingest(map[string]any{"object": "Account", "operation": "hardDelete"}, "Id\n"+hard+"\n")
	if info["state"] != "JobComplete" || num(info["numberRecordsFailed"]) != 0 {
		t.Fatalf("hardDelete: %v", info)
	}
	if recs := c.soql(true, "SELECT Id FROM Account WHERE Id = '"+hard+"'"); len(recs) != 0 {
		t.Fatalf("hard-deleted record still in queryAll: %v", recs)
	}
}

func TestBulkPartialFailure(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	c := newBulk(t, s)
	data := "FirstName,LastName,Email\nAda,Lovelace,ada@example.com\nNo,,nolast@example.com\nBad,Email,not-an-email\nGrace,Hopper,\n"
	id, info := c.ingest(map[string]any{"object": "Contact", "operation": "insert"}, data)
	processed, failed := num(info["numberRecordsProcessed"]), num(info["numberRecordsFailed"])
	if info["state"] != "JobComplete" || processed != 4 || failed != 2 {
		t.Fatalf("info: %v", info)
	}
	ok := c.results(id, "successfulResults")
	bad := c.results(id, "failedResults")
	if len(ok)-1+len(bad)-1 != processed || len(bad)-1 != failed {
		t.Fatalf("results do not add up: %q %q", ok, bad)
	}
	if strings.Join(bad[0], "|") != "sf__Id|sf__Error|FirstName|LastName|Email" {
		t.Fatalf("failed header: %q", bad[0])
	}
	if bad[1][0] != "" || bad[1][1] != "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --" ||
		strings.Join(bad[1][2:], "|") != "No||nolast@example.com" {
		t.Fatalf("missing LastName row: %q", bad[1])
	}
	if !strings.HasPrefix(bad[2][1], "INVALID_EMAIL_ADDRESS:") || !strings.HasSuffix(bad[2][1], ":Email --") || bad[2][4] != "not-an-email" {
		t.Fatalf("bad email row: %q", bad[2])
	}
	if recs := c.soql(false, "SELECT Id FROM Contact WHERE FirstName IN ('Ada','No','Bad','Grace')"); len(recs) != 2 {
		t.Fatalf("stored: %v", recs)
	}
}

func TestBulkCSVEdgeCases(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	c := newBulk(t, s)
	data := "\uFEFFName,Description\r\n" +
		"\"Edge, Comma\",plain\r\n" +
		"Edge Newline,\"line one\r\nline two\"\r\n" +
		"Edge Quote,\"she said \"\"hi\"\"\"\r\n" +
		"Édge Ünïcode 日本,naïve café\r\n"
	id, info := c.ingest(map[string]any{"object": "Account", "operation": "insert", "lineEnding": "CRLF"}, data)
	if info["state"] != "JobComplete" || num(info["numberRecordsProcessed"]) != 4 || num(info["numberRecordsFailed"]) != 0 {
		t.Fatalf("info: %v", info)
	}
	raw := c.do("GET", bulkV+"/jobs/ingest/"+id+"/successfulResults", nil, false)
	if !strings.HasPrefix(string(raw.body), "\"sf__Id\",\"sf__Created\",Name,Description\r\n") || raw.header.Get("Content-Type") != "text/csv" {
		t.Fatalf("results: %q %v", raw.body, raw.header)
	}
	rows := c.results(id, "successfulResults")
	if len(rows) != 5 || rows[1][2] != "Edge, Comma" || rows[4][2] != "Édge Ünïcode 日本" {
		t.Fatalf("results: %q", rows)
	}
	want := map[string]string{
		"Edge, Comma": "plain", "Edge Newline": "line one\nline two", "Edge Quote": `she said "hi"`, "Édge Ünïcode 日本": "naïve café",
	}
	recs := c.soql(false, "SELECT Name, Description FROM Account WHERE CreatedDate = TODAY AND (Name LIKE 'Edge%' OR Name LIKE 'Édge%')")
	if len(recs) != 4 {
		t.Fatalf("records: %v", recs)
	}
	for _, r := range recs {
		if want[r["Name"].(string)] != r["Description"] {
			t.Fatalf("record %v, want description %q", r, want[r["Name"].(string)])
		}
	}

	id, info = c.ingest(map[string]any{"object": "Account", "operation": "insert", "columnDelimiter": "TAB"}, "Name\tDescription\nTab, One\t\"x\ty\"\n")
	if info["state"] != "JobComplete" || num(info["numberRecordsFailed"]) != 0 {
		t.Fatalf("tab info: %v", info)
	}
	rows = c.csvOf(bulkV+"/jobs/ingest/"+id+"/successfulResults", '\t')
	if len(rows) != 2 || rows[1][2] != "Tab, One" || rows[1][3] != "x\ty" {
		t.Fatalf("tab results: %q", rows)
	}
}

func TestBulkUnknownHeaderAndEmptyUpload(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	c := newBulk(t, s)
	before := len(c.soql(false, "SELECT Id FROM Account"))
	id, info := c.ingest(map[string]any{"object": "Account", "operation": "insert"}, "Name,Foo\nA,1\nB,2\n")
	if info["state"] != "Failed" || info["errorMessage"] != "InvalidBatch : Field name not found : Foo" ||
		num(info["numberRecordsProcessed"]) != 0 {
		t.Fatalf("info: %v", info)
	}
	if after := len(c.soql(false, "SELECT Id FROM Account")); after != before {
		t.Fatalf("rows were written: %d -> %d", before, after)
	}
	if rows := c.results(id, "unprocessedrecords"); len(rows) != 3 || rows[2][0] != "B" {
		t.Fatalf("unprocessed: %q", rows)
	}

	_, info = c.ingest(map[string]any{"object": "Account", "operation": "insert"}, "")
	if info["state"] != "Failed" || info["errorMessage"] == nil {
		t.Fatalf("empty upload: %v", info)
	}
	id = c.create(map[string]any{"object": "Account", "operation": "insert"})
	c.closeJob(id)
	if info := c.wait("ingest", id); info["state"] != "Failed" {
		t.Fatalf("closed without upload: %v", info)
	}
}

func TestBulkUploadLimit(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t, func(o *emulator.Options) { o.BulkUploadLimit = 1024 })
	c := newBulk(t, s)
	id := c.create(map[string]any{"object": "Account", "operation": "insert"})
	// An upload that passes the limit is refused whole, and leaves the job
	// as it was: Open, with the data it had.
	c.upload(id, "Name\nSmall Enough\n")
	big := "Name\n" + strings.Repeat("Too Big Account\n", 200)
	for _, chunked := range []bool{false, true} {
		r := c.do("PUT", bulkV+"/jobs/ingest/"+id+"/batches", big, chunked)
		c.wantErr(r, 413, "REQUEST_ENTITY_TOO_LARGE")
		info := c.json("GET", bulkV+"/jobs/ingest/"+id, nil, 200)
		if info["state"] != "Open" {
			t.Fatalf("job after refused upload: %v", info)
		}
	}
	c.closeJob(id)
	info := c.wait("ingest", id)
	if info["state"] != "JobComplete" || num(info["numberRecordsProcessed"]) != 1 {
		t.Fatalf("info: %v", info)
	}
	// Exactly the limit is allowed, with a length and chunked.
	exact := "Name\n"
	rows := 0
	for ; len(exact)+18 <= 1024; rows++ {
		exact += "Limit Account " + strconv.Itoa(1000 + rows)[1:] + "\n"
	}
	exact = exact[:len(exact)-1] + strings.Repeat("x", 1024-len(exact)) + "\n"
	for _, chunked := range []bool{false, true} {
		id := c.create(map[string]any{"object": "Account", "operation": "insert"})
		if r := c.do("PUT", bulkV+"/jobs/ingest/"+id+"/batches", exact, chunked); r.status != 201 {
			t.Fatalf("an upload of exactly the limit (%d bytes, chunked %t): %d %s", len(exact), chunked, r.status, r.body)
		}
		c.closeJob(id)
		if info := c.wait("ingest", id); info["state"] != "JobComplete" || num(info["numberRecordsProcessed"]) != rows {
			t.Fatalf("an upload of exactly the limit: %v, want %d rows", info, rows)
		}
	}
}

func TestBulkJobStates(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	c := newBulk(t, s)
	path := func(id string) string { return bulkV + "/jobs/ingest/" + id }

	// Two uploads: accepted, but the job cannot be closed (as on Salesforce).
	id := c.create(map[string]any{"object": "Account", "operation": "insert"})
	c.upload(id, "Name\nOne\n")
	c.upload(id, "Name\nTwo\n")
	msg := c.wantErr(c.do("PATCH", path(id), map[string]any{"state": "UploadComplete"}, false), 400, "INVALIDJOB")
	if !strings.Contains(msg, "only do 'PUT' once") {
		t.Fatalf("message: %s", msg)
	}
	c.wantErr(c.do("DELETE", path(id), nil, false), 400, "INVALIDJOBSTATE")
	info := c.json("PATCH", path(id), map[string]any{"state": "Aborted"}, 200)
	if info["state"] != "Aborted" {
		t.Fatalf("abort: %v", info)
	}
	if info := c.json("GET", path(id), nil, 200); info["state"] != "Aborted" {
		t.Fatalf("after abort: %v", info)
	}
	if rows := c.results(id, "unprocessedrecords"); len(rows) < 2 {
		t.Fatalf("unprocessed after abort: %q", rows)
	}
	c.wantErr(c.do("PATCH", path(id), map[string]any{"state": "UploadComplete"}, false), 400, "INVALIDJOBSTATE")
	c.wantErr(c.do("PUT", path(id)+"/batches", "Name\nX\n", true), 400, "INVALIDJOBSTATE")

	// A finished job accepts no new state; unknown states are refused.
	id, _ = c.ingest(map[string]any{"object": "Account", "operation": "insert"}, "Name\nDone\n")
	c.wantErr(c.do("PATCH", path(id), map[string]any{"state": "Aborted"}, false), 400, "INVALIDJOBSTATE")
	c.wantErr(c.do("PATCH", path(id), map[string]any{"state": "UploadComplete"}, false), 400, "INVALIDJOBSTATE")
	c.wantErr(c.do("PATCH", path(id), map[string]any{"state": "JobComplete"}, false), 400, "INVALIDJOBSTATE")
	c.wantErr(c.do("PATCH", path(id), map[string]any{"state": "Closed"}, false), 400, "JSON_PARSER_ERROR")
	c.wantErr(c.do("PUT", path(id)+"/batches", "Name\nX\n", false), 400, "INVALIDJOBSTATE")
	c.wantErr(c.do("GET", bulkV+"/jobs/ingest/750EMU000000zzzzzz", nil, false), 404, "NOT_FOUND")
	c.wantErr(c.do("GET", bulkV+"/jobs/query/"+id, nil, false), 404, "NOT_FOUND")

	// List and delete.
	list := c.json("GET", bulkV+"/jobs/ingest", nil, 200)
	if list["done"] != true || list["nextRecordsUrl"] != nil || !listed(list, id) {
		t.Fatalf("list: %v", list)
	}
	if r := c.do("DELETE", path(id), nil, false); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	c.wantErr(c.do("GET", path(id), nil, false), 404, "NOT_FOUND")
	if list := c.json("GET", bulkV+"/jobs/ingest", nil, 200); listed(list, id) {
		t.Fatalf("deleted job still listed: %v", list)
	}
}

func listed(list map[string]any, id string) bool {
	for _, r := range list["records"].([]any) {
		if r.(map[string]any)["id"] == id {
			return true
		}
	}
	return false
}

func (c *bulkClient) queryJob(op, soql string) string {
	c.t.Helper()
	info := c.json("POST", bulkV+"/jobs/query", map[string]any{"operation": op, "query": soql}, 200)
	if info["state"] != "UploadComplete" || info["jobType"] != "V2Query" || info["operation"] != op {
		c.t.Fatalf("query job: %v", info)
	}
	return info["id"].(string)
}

func TestBulkQueryPaging(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	c := newBulk(t, s)
	total := len(c.soql(false, "SELECT Id FROM Account"))
	if total != 250 {
		t.Fatalf("the sample org has %d accounts; want 250", total)
	}
	id := c.queryJob("query", "SELECT Id, Name FROM Account")
	info := c.wait("query", id)
	if info["state"] != "JobComplete" || num(info["numberRecordsProcessed"]) != total || info["object"] != "Account" {
		t.Fatalf("info: %v", info)
	}
	seen := map[string]bool{}
	locator, pages := "", 0
	for {
		path := bulkV + "/jobs/query/" + id + "/results?maxRecords=100"
		if locator != "" {
			path += "&locator=" + url.QueryEscape(locator)
		}
		r := c.do("GET", path, nil, false)
		if r.status != 200 {
			t.Fatalf("page: %d %s", r.status, r.body)
		}
		pages++
		rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(r.body), "\"Id\",\"Name\"\n") {
			t.Fatalf("page %d header: %q", pages, r.body[:min(len(r.body), 40)])
		}
		n, _ := strconv.Atoi(r.header.Get("Sforce-NumberOfRecords"))
		if n != len(rows)-1 || n > 100 {
			t.Fatalf("page %d: Sforce-NumberOfRecords %d for %d rows", pages, n, len(rows)-1)
		}
		for _, row := range rows[1:] {
			if seen[row[0]] {
				t.Fatalf("row twice: %v", row)
			}
			seen[row[0]] = true
		}
		locator = r.header.Get("Sforce-Locator")
		if locator == "null" {
			break
		}
		if locator == "" || pages > 10 {
			t.Fatalf("locator %q after page %d", locator, pages)
		}
	}
	if len(seen) != total || pages != (total+99)/100 {
		t.Fatalf("%d rows in %d pages, want %d", len(seen), pages, total)
	}
	// Without maxRecords everything comes in one page; the version must match.
	r := c.do("GET", bulkV+"/jobs/query/"+id+"/results", nil, false)
	if r.status != 200 || r.header.Get("Sforce-Locator") != "null" || r.header.Get("Sforce-NumberOfRecords") != strconv.Itoa(total) {
		t.Fatalf("single page: %d %v", r.status, r.header)
	}
	c.wantErr(c.do("GET", "/services/data/v63.0/jobs/query/"+id+"/results", nil, false), 409, "INVALIDJOB")
	c.wantErr(c.do("GET", bulkV+"/jobs/query/"+id+"/results?locator=bogus!", nil, false), 400, "INVALID_QUERY_LOCATOR")

	// Parent fields are flattened.
	id = c.queryJob("query", "SELECT Id, LastName, Account.Name, CreatedDate FROM Contact WHERE AccountId != null LIMIT 3")
	c.wait("query", id)
	rows := c.csvOf(bulkV+"/jobs/query/"+id+"/results", ',')
	if strings.Join(rows[0], "|") != "Id|LastName|Account.Name|CreatedDate" || len(rows) != 4 || rows[1][2] == "" ||
		!strings.HasSuffix(rows[1][3], ".000Z") {
		t.Fatalf("relationship columns: %q", rows)
	}

	// List, abort of an ended job, delete.
	if list := c.json("GET", bulkV+"/jobs/query", nil, 200); !listed(list, id) {
		t.Fatalf("list: %v", list)
	}
	c.wantErr(c.do("PATCH", bulkV+"/jobs/query/"+id, map[string]any{"state": "Aborted"}, false), 400, "INVALIDJOBSTATE")
	if r := c.do("DELETE", bulkV+"/jobs/query/"+id, nil, false); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	c.wantErr(c.do("GET", bulkV+"/jobs/query/"+id+"/results", nil, false), 404, "NOT_FOUND")
}

func TestBulkQueryAllAndErrors(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	c := newBulk(t, s)
	// An account without cases: those restrict its delete.
	victim := c.soql(false, "SELECT Id FROM Account WHERE Id NOT IN (SELECT AccountId FROM Case) ORDER BY Name LIMIT 1")[0]["Id"].(string)
	if r := c.do("DELETE", bulkV+"/sobjects/Account/"+victim, nil, false); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	soql := "SELECT Id, IsDeleted FROM Account WHERE Id = '" + victim + "'"
	id := c.queryJob("queryAll", soql)
	if info := c.wait("query", id); num(info["numberRecordsProcessed"]) != 1 {
		t.Fatalf("queryAll: %v", info)
	}
	if rows := c.csvOf(bulkV+"/jobs/query/"+id+"/results", ','); len(rows) != 2 || rows[1][0] != victim || rows[1][1] != "true" {
		t.Fatalf("queryAll rows: %q", rows)
	}
	id = c.queryJob("query", soql)
	if info := c.wait("query", id); num(info["numberRecordsProcessed"]) != 0 {
		t.Fatalf("query: %v", info)
	}
	if rows := c.csvOf(bulkV+"/jobs/query/"+id+"/results", ','); len(rows) != 1 {
		t.Fatalf("query rows: %q", rows)
	}

	post := func(body map[string]any) bulkResp { return c.do("POST", bulkV+"/jobs/query", body, false) }
	c.wantErr(post(map[string]any{"operation": "query", "query": "SELECT Nope__c FROM Account"}), 400, "INVALID_FIELD")
	c.wantErr(post(map[string]any{"operation": "query", "query": "SELEC Id FROM Account"}), 400, "MALFORMED_QUERY")
	c.wantErr(post(map[string]any{"operation": "query", "query": "SELECT Id FROM Nope__c"}), 400, "INVALID_TYPE")
	c.wantErr(post(map[string]any{"operation": "query", "query": "SELECT Id, (SELECT Id FROM Contacts) FROM Account"}), 400, "FEATURENOTENABLED")
	c.wantErr(post(map[string]any{"operation": "query", "query": "SELECT COUNT(Id) FROM Account"}), 400, "FEATURENOTENABLED")
	c.wantErr(post(map[string]any{"operation": "insert", "query": "SELECT Id FROM Account"}), 400, "INVALIDJOB")
	c.wantErr(post(map[string]any{"operation": "query", "query": ""}), 400, "MALFORMED_QUERY")
}

// TestBulkPersistence checks that a file-backed emulator still serves a
// job's results after a restart.
func TestBulkPersistence(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "org.db")
	start := func() (*emulator.Emulator, *bulkClient, func()) {
		em, err := emulator.New(context.Background(), emulator.Options{DataPath: path, NoSampleData: true})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(em.Handler())
		em.SetBaseURL(ts.URL)
		tok, err := em.IssueToken(context.Background(), emulatortest.ClientID)
		if err != nil {
			t.Fatal(err)
		}
		return em, &bulkClient{t: t, url: ts.URL, token: tok.AccessToken}, func() { ts.Close(); em.Close() }
	}
	_, c, stop := start()
	id, info := c.ingest(map[string]any{"object": "Account", "operation": "insert"}, "Name\nKept One\nKept Two\n")
	if info["state"] != "JobComplete" {
		t.Fatalf("info: %v", info)
	}
	want := c.results(id, "successfulResults")
	stop()

	_, c, stop = start()
	defer stop()
	if info := c.json("GET", bulkV+"/jobs/ingest/"+id, nil, 200); info["state"] != "JobComplete" || num(info["numberRecordsProcessed"]) != 2 {
		t.Fatalf("after restart: %v", info)
	}
	got := c.results(id, "successfulResults")
	if len(got) != 3 || got[1][0] != want[1][0] || got[2][0] != want[2][0] {
		t.Fatalf("results after restart: %q, want %q", got, want)
	}
}

// BenchmarkBulkInsert loads b.N Account rows through one ingest job.
func BenchmarkBulkInsert(b *testing.B) {
	s := emulatortest.New(b, func(o *emulator.Options) { o.NoSampleData = true })
	c := &bulkClient{t: b, url: s.URL, token: s.Token.AccessToken}
	var sb strings.Builder
	sb.WriteString("Name,Industry,External_Id__c\n")
	for i := 0; i < b.N; i++ {
		sb.WriteString("Bench Account " + strconv.Itoa(i) + ",Technology,B-" + strconv.Itoa(i) + "\n")
	}
	waitLimit = 30 * time.Minute
	b.ResetTimer()
	_, info := c.ingest(map[string]any{"object": "Account", "operation": "insert"}, sb.String())
	if info["state"] != "JobComplete" || num(info["numberRecordsProcessed"]) != b.N || num(info["numberRecordsFailed"]) != 0 {
		b.Fatalf("info: %v", info)
	}
}

// waitLimit bounds how long a test waits for a job to end.
var waitLimit = 10 * time.Second

func TestBulkMultipartJob(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	c := newBulk(t, s)
	body := "--BOUNDARY\r\nContent-Type: application/json\r\nContent-Disposition: form-data; name=\"job\"\r\n\r\n" +
		`{"object":"Contact","contentType":"CSV","operation":"insert","lineEnding":"LF"}` + "\r\n" +
		"--BOUNDARY\r\nContent-Type: text/csv\r\nContent-Disposition: form-data; name=\"content\"; filename=\"content\"\r\n\r\n" +
		"FirstName,LastName\nAstro,Multipart\nHootie,Multipart\n\r\n--BOUNDARY--\r\n"
	req, err := http.NewRequest("POST", c.url+bulkV+"/jobs/ingest/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "multipart/form-data; boundary=BOUNDARY")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var info map[string]any
	err = json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || info["state"] != "UploadComplete" {
		t.Fatalf("multipart create: %d %v %v", resp.StatusCode, info, err)
	}
	info = c.wait("ingest", info["id"].(string))
	if info["state"] != "JobComplete" || num(info["numberRecordsProcessed"]) != 2 || num(info["numberRecordsFailed"]) != 0 {
		t.Fatalf("info: %v", info)
	}
	if recs := c.soql(false, "SELECT Id FROM Contact WHERE LastName = 'Multipart'"); len(recs) != 2 {
		t.Fatalf("records: %v", recs)
	}
}

// TestBulkInsertOrderAndParentsInJob: an insert job writes its records in
// batches, but in the order of the upload, and a row may name as its parent
// a record an earlier row of the same job created: rows with unique values
// (stored one by one) and rows with relationship columns (looked up in the
// org) see every row before them.
func TestBulkInsertOrderAndParentsInJob(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	c := newBulk(t, s)
	data := "Name,External_Id__c\nOrder A,\nOrder B,ORD-1\nOrder C,\nOrder D,ORD-1\nOrder E,\n"
	id, info := c.ingest(map[string]any{"object": "Account", "operation": "insert"}, data)
	if info["state"] != "JobComplete" || num(info["numberRecordsProcessed"]) != 5 || num(info["numberRecordsFailed"]) != 1 {
		t.Fatalf("info: %v", info)
	}
	var names []string
	for _, r := range c.soql(false, "SELECT Name FROM Account") {
		names = append(names, r["Name"].(string))
	}
	if got := strings.Join(names, ","); got != "Order A,Order B,Order C,Order E" {
		t.Errorf("stored in the order %s", got)
	}
	ok := c.results(id, "successfulResults")
	if len(ok) != 5 || ok[1][2] != "Order A" || ok[2][2] != "Order B" || ok[4][2] != "Order E" || ok[1][1] != "true" {
		t.Fatalf("successfulResults: %q", ok)
	}
	for i := 2; i < len(ok); i++ {
		if ok[i][0] <= ok[i-1][0] {
			t.Errorf("ids out of upload order: %q", ok)
		}
	}
	bad := c.results(id, "failedResults")
	if len(bad) != 2 || bad[1][2] != "Order D" || !strings.HasPrefix(bad[1][1], "DUPLICATE_VALUE:duplicate value found: External_Id__c duplicates value on record with id: "+ok[2][0]) {
		t.Fatalf("failedResults: %q", bad)
	}

	// Email is an idLookup field: the boss row waits in a batch when the
	// worker row names it.
	data = "LastName,Email,ReportsTo.Email\nBoss,boss@example.com,\nWorker,worker@example.com,BOSS@example.com\n"
	id, info = c.ingest(map[string]any{"object": "Contact", "operation": "insert"}, data)
	if num(info["numberRecordsFailed"]) != 0 {
		t.Fatalf("info: %v, failed %q", info, c.results(id, "failedResults"))
	}
	recs := c.soql(false, "SELECT LastName, ReportsTo.LastName FROM Contact WHERE LastName = 'Worker'")
	if len(recs) != 1 || recs[0]["ReportsTo"] == nil || recs[0]["ReportsTo"].(map[string]any)["LastName"] != "Boss" {
		t.Fatalf("worker: %v", recs)
	}
}

// TestBulkInsertAcrossTransactions: a job larger than one transaction
// (ingestTxRows) with failed rows spread through it: every row is counted
// once, in the results and in the org.
func TestBulkInsertAcrossTransactions(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	c := newBulk(t, s)
	c.patience = 5 * time.Minute
	const rows = 5_300 // past one transaction of ingestTxRows (5,000)
	var b strings.Builder
	b.WriteString("Name,NumberOfEmployees\n")
	for i := range rows {
		n := strconv.Itoa(i)
		if i%1000 == 999 {
			n = "many" // fails
		}
		b.WriteString("Many " + strconv.Itoa(i) + "," + n + "\n")
	}
	id, info := c.ingest(map[string]any{"object": "Account", "operation": "insert"}, b.String())
	if info["state"] != "JobComplete" || num(info["numberRecordsProcessed"]) != rows || num(info["numberRecordsFailed"]) != 5 {
		t.Fatalf("info: %v", info)
	}
	ok := c.results(id, "successfulResults")
	if len(ok)-1 != rows-5 || ok[len(ok)-1][2] != "Many "+strconv.Itoa(rows-1) {
		t.Fatalf("%d successful rows, last %q", len(ok)-1, ok[len(ok)-1])
	}
	if bad := c.results(id, "failedResults"); len(bad)-1 != 5 || bad[5][2] != "Many 4999" {
		t.Fatalf("failedResults: %d rows, last %q", len(bad)-1, bad[len(bad)-1])
	}
	count := c.json("GET", bulkV+"/query?q="+url.QueryEscape("SELECT COUNT() FROM Account"), nil, 200)
	if num(count["totalSize"]) != rows-5 {
		t.Fatalf("org holds %v accounts", count["totalSize"])
	}
}

// TestBulkQueryStreamedMatchesREST: a Bulk query job without ORDER BY is
// rendered as the scan finds its rows, chunk by chunk; with WHERE, LIMIT
// and OFFSET over several chunks it must give the rows, in the order, the
// REST query gives. An ORDER BY query (sorted first) must too.
func TestBulkQueryStreamedMatchesREST(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	c := newBulk(t, s)
	c.patience = 5 * time.Minute
	var b strings.Builder
	b.WriteString("Name,NumberOfEmployees\n")
	for i := range 4500 {
		b.WriteString("Stream " + strconv.Itoa(i) + "," + strconv.Itoa(i%7) + "\n")
	}
	if _, info := c.ingest(map[string]any{"object": "Account", "operation": "insert"}, b.String()); num(info["numberRecordsFailed"]) != 0 {
		t.Fatalf("load: %v", info)
	}
	for _, q := range []string{
		"SELECT Id, Name FROM Account WHERE NumberOfEmployees > 1 LIMIT 2900 OFFSET 7",
		"SELECT Id, Name FROM Account WHERE NumberOfEmployees != 3",
		"SELECT Id, Name FROM Account WHERE NumberOfEmployees > 2 ORDER BY Name DESC LIMIT 2100",
	} {
		var want []string
		next := bulkV + "/query?q=" + url.QueryEscape(q)
		for next != "" {
			page := c.json("GET", next, nil, 200)
			for _, r := range page["records"].([]any) {
				want = append(want, r.(map[string]any)["Id"].(string))
			}
			next, _ = page["nextRecordsUrl"].(string)
		}
		id := c.queryJob("query", q)
		if info := c.wait("query", id); info["state"] != "JobComplete" || num(info["numberRecordsProcessed"]) != len(want) {
			t.Fatalf("%s: %v, want %d rows", q, info, len(want))
		}
		rows := c.csvOf(bulkV+"/jobs/query/"+id+"/results?maxRecords=100000", ',')
		var got []string
		for _, r := range rows[1:] {
			got = append(got, r[0])
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: Bulk query gave %d rows, REST %d, or another order", q, len(got), len(want))
		}
	}
}

// TestBulkQueryPagesAcrossChunks: the results are stored in chunks of 2000
// rows; a page that starts inside one chunk and runs into the next holds
// the rows of both. maxRecords=0 is refused, and a locator at the very end
// gives an empty last page.
func TestBulkQueryPagesAcrossChunks(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	c := newBulk(t, s)
	var sb strings.Builder
	sb.WriteString("Name\n")
	for i := range 2500 {
		sb.WriteString("Chunked " + strconv.Itoa(i) + "\n")
	}
	if _, info := c.ingest(map[string]any{"object": "Account", "operation": "insert"}, sb.String()); num(info["numberRecordsProcessed"]) != 2500 || num(info["numberRecordsFailed"]) != 0 {
		t.Fatalf("ingest: %v", info)
	}
	id := c.queryJob("query", "SELECT Id FROM Account")
	total := num(c.wait("query", id)["numberRecordsProcessed"])
	if total != 2750 {
		t.Fatalf("%d rows; want the 250 sample accounts and 2500 more", total)
	}
	seen := map[string]bool{}
	locator := ""
	for _, want := range []int{1500, 1250} { // rows 0-1499 in chunk 1; 1500-1999 of chunk 1 and all of chunk 2
		path := bulkV + "/jobs/query/" + id + "/results?maxRecords=1500"
		if locator != "" {
			path += "&locator=" + url.QueryEscape(locator)
		}
		r := c.do("GET", path, nil, false)
		rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
		if r.status != 200 || err != nil {
			t.Fatalf("page: %d %v", r.status, err)
		}
		if n := r.header.Get("Sforce-NumberOfRecords"); len(rows)-1 != want || n != strconv.Itoa(want) {
			t.Fatalf("page after %q: %d rows, Sforce-NumberOfRecords %s; want %d", locator, len(rows)-1, n, want)
		}
		for _, row := range rows[1:] {
			if seen[row[0]] {
				t.Fatalf("row twice: %v", row)
			}
			seen[row[0]] = true
		}
		locator = r.header.Get("Sforce-Locator")
	}
	if locator != "null" || len(seen) != total {
		t.Fatalf("locator %q after %d rows", locator, len(seen))
	}
	c.wantErr(c.do("GET", bulkV+"/jobs/query/"+id+"/results?maxRecords=0", nil, false), 400, "INVALIDREQUEST")
	// A locator at the end ("2750"): an empty last page.
	r := c.do("GET", bulkV+"/jobs/query/"+id+"/results?locator="+url.QueryEscape("Mjc1MA=="), nil, false)
	if r.status != 200 || r.header.Get("Sforce-NumberOfRecords") != "0" || r.header.Get("Sforce-Locator") != "null" {
		t.Fatalf("locator at the end: %d %v %s", r.status, r.header, r.body)
	}
}

// TestBulkInsertStoresWhatRESTCreates: an insert job's records (validated,
// completed and encoded while the chunk before is written) read back
// exactly as the records REST creates from the same values, but for their
// ids and timestamps: the same coercions, defaults and derived fields.
func TestBulkInsertStoresWhatRESTCreates(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	c := newBulk(t, s)
	tests := []struct {
		object string
		header []string
		rows   [][]string
	}{
		{"Account", []string{"Name", "NumberOfEmployees", "AnnualRevenue", "Industry", "Description", "Phone", "Website"}, [][]string{
			{"Same A", "12", "1500.50", "Energy", `quote " and, comma`, "+1 555", "https://example.com/a"},
			{"Same B", "", "", "", "ünïcödé ✓", "", ""},
			{"Same C", " 7 ", "1e3", "Retail", "line\nbreak", "", ""},
		}},
		{"Contact", []string{"FirstName", "LastName", "Email", "Birthdate", "MailingLatitude"}, [][]string{
			{"Ada", "Lovelace", "ada@example.com", "1815-12-10", "51.5"},
			{"", "Hopper", "", "", ""},
		}},
		{"Opportunity", []string{"Name", "StageName", "CloseDate", "Amount", "IsPrivate"}, [][]string{
			{"Deal won", "Closed Won", "2026-03-31", "1000", "true"},
			{"Deal open", "Prospecting", "2026-11-15", "", ""},
		}},
	}
	skip := map[string]bool{"Id": true, "CreatedDate": true, "LastModifiedDate": true, "SystemModstamp": true, "attributes": true}
	for _, tc := range tests {
		var data strings.Builder
		w := csv.NewWriter(&data)
		_ = w.Write(tc.header)
		_ = w.WriteAll(tc.rows)
		id, info := c.ingest(map[string]any{"object": tc.object, "operation": "insert"}, data.String())
		if info["state"] != "JobComplete" || num(info["numberRecordsFailed"]) != 0 {
			t.Fatalf("%s: %v, failed %q", tc.object, info, c.results(id, "failedResults"))
		}
		ok := c.results(id, "successfulResults")
		for i, row := range tc.rows {
			body := map[string]any{}
			for k, name := range tc.header {
				if row[k] != "" {
					body[name] = row[k]
				}
			}
			status, raw := s.Do(t, "POST", v+"/sobjects/"+tc.object, body)
			if status != 201 {
				t.Fatalf("%s REST create: %d %s", tc.object, status, raw)
			}
			var created struct{ ID string }
			if err := json.Unmarshal(raw, &created); err != nil {
				t.Fatal(err)
			}
			get := func(id string) map[string]any {
				status, raw := s.Do(t, "GET", v+"/sobjects/"+tc.object+"/"+id, nil)
				if status != 200 {
					t.Fatalf("GET %s: %d %s", id, status, raw)
				}
				var rec map[string]any
				if err := json.Unmarshal(raw, &rec); err != nil {
					t.Fatal(err)
				}
				if rec["Id"] != id {
					t.Fatalf("GET %s: the record has Id %v", id, rec["Id"])
				}
				for k := range skip {
					delete(rec, k)
				}
				return rec
			}
			bulk, rest := get(ok[i+1][0]), get(created.ID)
			if !reflect.DeepEqual(bulk, rest) {
				t.Errorf("%s row %d: bulk stored\n%v\nREST created\n%v", tc.object, i, bulk, rest)
			}
		}
	}
}

// TestBulkShortRows: a row with fewer cells than the header (the CSV
// reader allows it) leaves the missing fields out, as empty cells do: an
// insert stores the row, a relationship column past its end names no
// parent, and an update whose Id column is past its end fails that row
// with MISSING_ARGUMENT. No cell past a row's end is ever read.
func TestBulkShortRows(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	c := newBulk(t, s)
	id, info := c.ingest(map[string]any{"object": "Account", "operation": "insert"}, "Name,Description,External_Id__c\nShort One\nShort Two,two\n")
	if info["state"] != "JobComplete" || num(info["numberRecordsProcessed"]) != 2 || num(info["numberRecordsFailed"]) != 0 {
		t.Fatalf("insert of short rows: %v", info)
	}
	ok := c.results(id, "successfulResults")
	if len(ok) != 3 || ok[1][2] != "Short One" || ok[2][3] != "two" {
		t.Fatalf("successfulResults: %q", ok)
	}
	acc := ok[1][0]
	_, info = c.ingest(map[string]any{"object": "Contact", "operation": "insert"}, "LastName,Account.External_Id__c\nShorty\n")
	if info["state"] != "JobComplete" || num(info["numberRecordsProcessed"]) != 1 || num(info["numberRecordsFailed"]) != 0 {
		t.Fatalf("insert with the relationship column past the row's end: %v", info)
	}
	if kids := c.soql(false, "SELECT AccountId FROM Contact WHERE LastName = 'Shorty'"); len(kids) != 1 || kids[0]["AccountId"] != nil {
		t.Fatalf("contact: %v", kids)
	}
	id, info = c.ingest(map[string]any{"object": "Account", "operation": "update"}, "Name,Id\nNo Id\nRenamed,"+acc+"\n")
	if info["state"] != "JobComplete" || num(info["numberRecordsProcessed"]) != 2 || num(info["numberRecordsFailed"]) != 1 {
		t.Fatalf("update with the Id column past a row's end: %v", info)
	}
	if failed := c.results(id, "failedResults"); len(failed) != 2 || !strings.HasPrefix(failed[1][1], "MISSING_ARGUMENT:") {
		t.Fatalf("failedResults: %q", failed)
	}
}

// TestBulkJobFaultAtAChunkBoundary: a job failure injected after exactly
// 200 rows (a chunk) ends the job after those 200, not a chunk later.
func TestBulkJobFaultAtAChunkBoundary(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	c := newBulk(t, s)
	var b strings.Builder
	b.WriteString("Name\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "Boundary %d\n", i)
	}
	s.AddFault(t, emulator.Fault{FailJobAfterRows: 200, Times: 1})
	id, info := c.ingest(map[string]any{"object": "Account", "operation": "insert"}, b.String())
	if info["state"] != "Failed" || num(info["numberRecordsProcessed"]) != 200 || !strings.Contains(info["errorMessage"].(string), "injected fault") {
		t.Fatalf("failed job: %v", info)
	}
	if rows := c.results(id, "unprocessedrecords"); len(rows) != 801 || rows[1][0] != "Boundary 200" {
		t.Fatalf("unprocessed: %d rows, first %q", len(rows)-1, rows[1])
	}
}

// TestBulkResultsAcrossTransactions: transactions of which one has no
// successful row and another no failed row still store every result once,
// in order: 5,000 rows that succeed, 5,000 that fail, then one of each.
func TestBulkResultsAcrossTransactions(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	c := newBulk(t, s)
	c.patience = 5 * time.Minute
	var b strings.Builder
	b.WriteString("Name,NumberOfEmployees\n")
	for i := range 5000 {
		b.WriteString("Good " + strconv.Itoa(i) + "," + strconv.Itoa(i) + "\n")
	}
	for i := range 5000 {
		b.WriteString("Bad " + strconv.Itoa(i) + ",many\n")
	}
	b.WriteString("Last Good,1\nLast Bad,many\n")
	id, info := c.ingest(map[string]any{"object": "Account", "operation": "insert"}, b.String())
	if info["state"] != "JobComplete" || num(info["numberRecordsProcessed"]) != 10_002 || num(info["numberRecordsFailed"]) != 5001 {
		t.Fatalf("info: %v", info)
	}
	ok := c.results(id, "successfulResults")
	if len(ok)-1 != 5001 || ok[5000][2] != "Good 4999" || ok[5001][2] != "Last Good" {
		t.Fatalf("%d successful rows, last %q", len(ok)-1, ok[len(ok)-1])
	}
	bad := c.results(id, "failedResults")
	if len(bad)-1 != 5001 || bad[1][2] != "Bad 0" || bad[5001][2] != "Last Bad" {
		t.Fatalf("%d failed rows, last %q", len(bad)-1, bad[len(bad)-1])
	}
}
