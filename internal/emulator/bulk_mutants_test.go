package emulator_test

import (
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// These tests pin down behaviour of the Bulk ingest rows that the gremlins
// run of bulk_ingest.go (issue #19) found unchecked: the words of a failed
// row, which rows keep their sf__Id, the Id column in inserts and upserts,
// and values that start with a quote.

// TestBulkFailedRowWrongType: a value of the wrong type fails its row with
// INVALID_TYPE_ON_FIELD_IN_RECORD naming the field's label and the value of
// its own column, on both the insert path (the rows prepared together) and
// the one-row path of updates; a failed update keeps its record's id as
// sf__Id, a failed insert has none.
func TestBulkFailedRowWrongType(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	c := newBulk(t, s)
	want := "INVALID_TYPE_ON_FIELD_IN_RECORD:Employees: value not of required type: many:NumberOfEmployees --"
	id, info := c.ingest(map[string]any{"object": "Account", "operation": "insert"}, "Name,NumberOfEmployees,Description\nFine,3,first\nCounted,many,second\n")
	if info["state"] != "JobComplete" || num(info["numberRecordsProcessed"]) != 2 || num(info["numberRecordsFailed"]) != 1 {
		t.Fatalf("insert: %v", info)
	}
	bad := c.results(id, "failedResults")
	if len(bad) != 2 || bad[1][0] != "" || bad[1][1] != want || bad[1][3] != "many" {
		t.Fatalf("insert failedResults: %q", bad)
	}
	acc := c.results(id, "successfulResults")[1][0]

	id, info = c.ingest(map[string]any{"object": "Account", "operation": "update"}, "Id,NumberOfEmployees,Description\n"+acc+",many,third\n")
	if info["state"] != "JobComplete" || num(info["numberRecordsFailed"]) != 1 {
		t.Fatalf("update: %v", info)
	}
	bad = c.results(id, "failedResults")
	if len(bad) != 2 || bad[1][0] != acc || bad[1][1] != want {
		t.Fatalf("update failedResults: %q", bad)
	}
}

// TestBulkUpsertFailures: an upsert whose external id matches several
// records fails with DUPLICATE_EXTERNAL_ID; its other errors keep their own
// code.
func TestBulkUpsertFailures(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	c := newBulk(t, s)
	id, info := c.ingest(map[string]any{"object": "Contact", "operation": "insert"}, "LastName,Email\nTwin One,twin@example.com\nTwin Two,twin@example.com\n")
	if num(info["numberRecordsFailed"]) != 0 {
		t.Fatalf("insert: %v", info)
	}
	twins := c.results(id, "successfulResults")
	data := "Email,LastName\ntwin@example.com,Which\nnew@example.com,\n"
	id, info = c.ingest(map[string]any{"object": "Contact", "operation": "upsert", "externalIdFieldName": "Email"}, data)
	if info["state"] != "JobComplete" || num(info["numberRecordsProcessed"]) != 2 || num(info["numberRecordsFailed"]) != 2 {
		t.Fatalf("upsert: %v", info)
	}
	bad := c.results(id, "failedResults")
	if len(bad) != 3 {
		t.Fatalf("failedResults: %q", bad)
	}
	if want := "DUPLICATE_EXTERNAL_ID:Email: more than one record found for external id field: " + twins[1][0] + "," + twins[2][0] + ":Email --"; bad[1][0] != "" || bad[1][1] != want {
		t.Fatalf("duplicate row: %q, want %q", bad[1], want)
	}
	if bad[2][0] != "" || !strings.HasPrefix(bad[2][1], "REQUIRED_FIELD_MISSING:") {
		t.Fatalf("row without LastName: %q", bad[2])
	}
}

// TestBulkUpsertIgnoresIdColumn: an upsert by an external id field leaves
// an Id column out, null or not: the external id names the record.
func TestBulkUpsertIgnoresIdColumn(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	c := newBulk(t, s)
	id, info := c.ingest(map[string]any{"object": "Account", "operation": "insert"}, "Name,External_Id__c\nFirst,EXT-1\nOther,EXT-2\n")
	if num(info["numberRecordsFailed"]) != 0 {
		t.Fatalf("insert: %v", info)
	}
	ids := c.results(id, "successfulResults")
	first, other := ids[1][0], ids[2][0]
	data := "Name,External_Id__c,Id\nRenamed,EXT-1," + other + "\nCreated,EXT-3,#N/A\n"
	id, info = c.ingest(map[string]any{"object": "Account", "operation": "upsert", "externalIdFieldName": "External_Id__c"}, data)
	if info["state"] != "JobComplete" || num(info["numberRecordsProcessed"]) != 2 || num(info["numberRecordsFailed"]) != 0 {
		t.Fatalf("upsert: %v, failed %q", info, c.results(id, "failedResults"))
	}
	ok := c.results(id, "successfulResults")
	if len(ok) != 3 || ok[1][0] != first || ok[1][1] != "false" || ok[2][1] != "true" {
		t.Fatalf("successfulResults: %q", ok)
	}
	got := c.soql(false, "SELECT Name FROM Account WHERE Id IN ('"+first+"','"+other+"') ORDER BY External_Id__c")
	if len(got) != 2 || got[0]["Name"] != "Renamed" || got[1]["Name"] != "Other" {
		t.Fatalf("accounts: %v", got)
	}
}

// TestBulkInsertIdColumn: an insert may hold an Id column only empty or
// #N/A, whether its rows are prepared together (no relationship column) or
// one by one (a relationship column).
func TestBulkInsertIdColumn(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	c := newBulk(t, s)
	const want = "INVALID_FIELD:cannot specify Id in an insert call:Id --"
	for _, tc := range []struct{ object, header, tail string }{
		{"Account", "Name,Id", ""},
		{"Contact", "LastName,Id,ReportsTo.Email", ","},
	} {
		data := tc.header + "\nNull Id,#N/A" + tc.tail + "\nGiven Id,003000000000001AAA" + tc.tail + "\n"
		id, info := c.ingest(map[string]any{"object": tc.object, "operation": "insert"}, data)
		if info["state"] != "JobComplete" || num(info["numberRecordsProcessed"]) != 2 || num(info["numberRecordsFailed"]) != 1 {
			t.Fatalf("%s: %v", tc.object, info)
		}
		if ok := c.results(id, "successfulResults"); len(ok) != 2 || ok[1][2] != "Null Id" {
			t.Fatalf("%s successfulResults: %q", tc.object, ok)
		}
		if bad := c.results(id, "failedResults"); len(bad) != 2 || bad[1][0] != "" || bad[1][1] != want {
			t.Fatalf("%s failedResults: %q", tc.object, bad)
		}
	}
}

// TestBulkInsertParentOnlyRow: a row whose only value is a relationship
// column naming an earlier row of the job finds that parent (the pending
// rows are stored first), so it fails for its missing LastName, not for a
// parent not found.
func TestBulkInsertParentOnlyRow(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	c := newBulk(t, s)
	data := "LastName,Email,ReportsTo.Email\nBoss,boss@example.com,\n,,BOSS@example.com\n"
	id, info := c.ingest(map[string]any{"object": "Contact", "operation": "insert"}, data)
	if info["state"] != "JobComplete" || num(info["numberRecordsProcessed"]) != 2 || num(info["numberRecordsFailed"]) != 1 {
		t.Fatalf("info: %v", info)
	}
	bad := c.results(id, "failedResults")
	if len(bad) != 2 || !strings.HasPrefix(bad[1][1], "REQUIRED_FIELD_MISSING:") || bad[1][4] != "BOSS@example.com" {
		t.Fatalf("failedResults: %q", bad)
	}
}

// TestBulkResultsLeadingQuote: values that start with a double quote come
// back quoted as CSV needs (the quote doubled) in successful rows, prepared
// or not, and in failed rows.
func TestBulkResultsLeadingQuote(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	c := newBulk(t, s)
	const v = `"quoted" first`
	id, info := c.ingest(map[string]any{"object": "Account", "operation": "insert"}, "Name,Description\n\"\"\"Quoted\"\"\",\"\"\"quoted\"\" first\"\n")
	if num(info["numberRecordsFailed"]) != 0 {
		t.Fatalf("insert: %v", info)
	}
	ok := c.results(id, "successfulResults")
	if len(ok) != 2 || ok[1][2] != `"Quoted"` || ok[1][3] != v {
		t.Fatalf("insert successfulResults: %q", ok)
	}
	acc := ok[1][0]
	data := "Id,Description,NumberOfEmployees\n" + acc + ",\"\"\"quoted\"\" first\",\n" + acc + ",\"\"\"quoted\"\" first\",many\n"
	id, info = c.ingest(map[string]any{"object": "Account", "operation": "update"}, data)
	if num(info["numberRecordsProcessed"]) != 2 || num(info["numberRecordsFailed"]) != 1 {
		t.Fatalf("update: %v", info)
	}
	raw := c.do("GET", bulkV+"/jobs/ingest/"+id+"/successfulResults", nil, false)
	if !strings.Contains(string(raw.body), `,"""quoted"" first",`) {
		t.Fatalf("raw successfulResults: %q", raw.body)
	}
	if ok = c.results(id, "successfulResults"); len(ok) != 2 || ok[1][0] != acc || ok[1][3] != v {
		t.Fatalf("update successfulResults: %q", ok)
	}
	if bad := c.results(id, "failedResults"); len(bad) != 2 || bad[1][3] != v || bad[1][4] != "many" {
		t.Fatalf("update failedResults: %q", bad)
	}
}
