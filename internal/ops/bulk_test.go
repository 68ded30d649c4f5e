package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The bounded (MCP) bulk operations against the emulator.
func TestBulkToolsAgainstEmulator(t *testing.T) {
	t.Parallel()
	_, c := newOrg(t)
	ctx := context.Background()

	out, err := BulkInsert(ctx, c, BulkInsertInput{SObject: "Account", Records: []map[string]any{
		{"Name": "Bulk A", "External_Id__c": "BT-1", "NumberOfEmployees": 5},
		{"Name": "Bulk B", "External_Id__c": "BT-2", "Description": "a, \"quoted\"\nvalue"},
		{"Name": "Bulk C", "NumberOfEmployees": "many"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !out.Done || len(out.JobIDs) != 1 || out.Records != 3 || out.Successful != 2 || out.Failed != 1 || out.Unprocessed != 0 {
		t.Fatalf("insert: %+v", out)
	}
	if len(out.FailedRecords) != 1 || out.FailedRecords[0].Fields["Name"] != "Bulk C" || !strings.Contains(out.FailedRecords[0].Error, "NumberOfEmployees") {
		t.Errorf("failed records %+v", out.FailedRecords)
	}

	st, err := BulkJobStatus(ctx, c, BulkJobStatusInput{JobID: out.JobIDs[0]})
	if err != nil || st.State != "JobComplete" || st.Successful != 2 || st.Failed != 1 || len(st.FailedRecords) != 1 {
		t.Errorf("status %+v %v", st, err)
	}

	up, err := BulkUpsert(ctx, c, BulkUpsertInput{SObject: "Account", ExternalIDField: "External_Id__c", Records: []map[string]any{
		{"External_Id__c": "BT-1", "Name": "Bulk A2"}, {"External_Id__c": "BT-3", "Name": "Bulk D"},
	}})
	if err != nil || up.Successful != 2 {
		t.Fatalf("upsert %+v %v", up, err)
	}

	q, err := BulkQuery(ctx, c, BulkQueryInput{SObject: "Account", SOQL: "SELECT Id, Name, Description FROM Account WHERE Name LIKE 'Bulk%' ORDER BY Name", MaxRecords: 2, RecordFormat: RecordFormatObjects})
	if err != nil {
		t.Fatal(err)
	}
	if q.TotalRecords != 3 || q.Returned != 2 || !q.Truncated || q.Rows != nil || q.Records[0]["Name"] != "Bulk A2" || q.Records[1]["Description"] != "a, \"quoted\"\nvalue" {
		t.Fatalf("query %+v", q)
	}
	// The default form: the same rows as a table, values as the CSV gives them.
	rows, err := BulkQuery(ctx, c, BulkQueryInput{SObject: "Account", SOQL: "SELECT Id, Name, Description FROM Account WHERE Name LIKE 'Bulk%' ORDER BY Name", MaxRecords: 2})
	if err != nil || rows.Records != nil || fmt.Sprint(rows.Columns) != "[Id Name Description]" || len(rows.Rows) != 2 ||
		string(rows.Rows[0][1]) != `"Bulk A2"` || string(rows.Rows[1][2]) != `"a, \"quoted\"\nvalue"` {
		t.Fatalf("query as rows %+v %v", rows, err)
	}
	if a, b := mustMarshal(t, rows.RecordTable()), mustMarshal(t, q.RecordTable()); a != b {
		t.Errorf("the two forms' tables differ:\n%s\n%s", a, b)
	}

	var ids []string
	q, _ = BulkQuery(ctx, c, BulkQueryInput{SObject: "Account", SOQL: "SELECT Id FROM Account WHERE Name LIKE 'Bulk%'"})
	for _, r := range q.Rows {
		var id string
		_ = json.Unmarshal(r[0], &id)
		ids = append(ids, id)
	}
	del, err := BulkDelete(ctx, c, BulkDeleteInput{SObject: "Account", RecordIDs: ids})
	if err != nil || del.Successful != 3 {
		t.Fatalf("delete %+v %v", del, err)
	}
	q, _ = BulkQuery(ctx, c, BulkQueryInput{SObject: "Account", SOQL: "SELECT Id FROM Account WHERE Name LIKE 'Bulk%'", IncludeDeleted: true})
	if q.TotalRecords != 3 {
		t.Errorf("queryAll after delete: %d", q.TotalRecords)
	}

	// Bad input: refused before any job.
	_, err = BulkUpdate(ctx, c, BulkUpdateInput{SObject: "Account", Records: []map[string]any{{"Name": "x"}}})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Field != "records" {
		t.Errorf("update without Id: %v", err)
	}
	_, err = BulkInsert(ctx, c, BulkInsertInput{SObject: "Account", Records: []map[string]any{{"Nope__c": "x"}}})
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), `"Nope__c" is not a field of Account`) {
		t.Errorf("unknown field: %v", err)
	}
}
