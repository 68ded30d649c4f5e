package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// SearchInput is the input of salesforce_search.
type SearchInput struct {
	SOSL         string `json:"sosl" jsonschema_description:"The SOSL search; for example FIND {Acme} IN NAME FIELDS RETURNING Account(Id, Name)"`
	RecordFormat string `json:"record_format,omitempty" enum:"rows,objects" jsonschema:"description=objects: records as objects (default rows)"`
}

// Validate checks the input.
func (in SearchInput) Validate() error {
	if strings.TrimSpace(in.SOSL) == "" {
		return inputErrorf("sosl", "is required")
	}
	return checkRecordFormat(in.RecordFormat)
}

// SearchOutput is what a search found: records of several objects. As a
// table, the sobject column names each row's object; as objects, each
// record's attributes.type.
type SearchOutput struct {
	Count int `json:"count"`
	Table
	Records []json.RawMessage `json:"records,omitzero"`
}

// RecordTable returns the records as a table.
func (o SearchOutput) RecordTable() Table { return tableOf(o.Table, o.Records) }

// SearchOp declares salesforce_search.
func SearchOp() Operation[SearchInput, SearchOutput] {
	return Operation[SearchInput, SearchOutput]{Meta: Meta{
		Name:        "salesforce_search",
		Title:       "Run a SOSL search",
		Description: "Search text across objects with SOSL (FIND ... RETURNING ...). The sobject column names each row's object.",
		ReadOnly:    true, Idempotent: true, OpenWorld: true, Toolset: ToolsetQuery,
	}, Run: Search}
}

// Search runs a SOSL search.
func Search(ctx context.Context, c *salesforce.Client, in SearchInput) (SearchOutput, error) {
	if err := in.Validate(); err != nil {
		return SearchOutput{}, err
	}
	rows, err := c.Search(ctx, in.SOSL)
	if err != nil {
		return SearchOutput{}, err
	}
	if g := GuardFrom(ctx); g != nil {
		kept := rows[:0]
		for _, r := range rows {
			if r = g.FilterRecord(r); r != nil {
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	out := SearchOutput{Count: len(rows)}
	if in.RecordFormat == RecordFormatObjects {
		_, out.Records = tableOrObjects(true, rows)
	} else {
		out.Table = searchTable(rows, c.APIVersion())
	}
	return out, nil
}

// searchTable is the table of search results, which are of several
// objects: the first column, sobject (as the CLI's search output names it),
// is each record's object instead of its attributes. Their url is the
// record's own REST path, rebuilt from the object, the Id and the API
// version; where it is not, the url stays, as an attributes.url column.
func searchTable(rows []json.RawMessage, apiVersion string) Table {
	types := make([]Cell, len(rows))
	urls := make([]Cell, len(rows))
	stripped := make([]json.RawMessage, len(rows))
	needURL := false
	for i, r := range rows {
		var rec struct {
			Attributes struct {
				Type string `json:"type"`
				URL  string `json:"url"`
			} `json:"attributes"`
			ID string `json:"Id"`
		}
		_ = json.Unmarshal(r, &rec)
		if a := rec.Attributes; a.Type != "" {
			types[i] = stringCell(a.Type)
			if a.URL != "" {
				urls[i] = stringCell(a.URL)
			}
			needURL = needURL || a.URL != "/services/data/v"+apiVersion+"/sobjects/"+a.Type+"/"+rec.ID
		}
		stripped[i] = StripAttributes(r)
	}
	t := TableOf(stripped)
	lead := []string{"sobject"}
	if needURL {
		lead = append(lead, "attributes.url")
	}
	t.Columns = append(lead, t.Columns...)
	for i, row := range t.Rows {
		cells := []Cell{types[i]}
		if needURL {
			cells = append(cells, urls[i])
		}
		t.Rows[i] = append(cells, row...)
	}
	return t
}

// FieldList is a list of field names. From JSON it accepts an array of names
// or one comma-separated string, since clients of the old server sent both.
type FieldList []string

// UnmarshalJSON accepts ["Name","Phone"], "Name,Phone" or null.
func (l *FieldList) UnmarshalJSON(b []byte) error {
	var list []string
	if err := json.Unmarshal(b, &list); err == nil {
		*l = list
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("fields: want a list of field names or a comma-separated string")
	}
	*l = SplitFields(s)
	return nil
}

// SplitFields splits "Name, Phone,,Email" into its names.
func SplitFields(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// GetRecordInput is the input of salesforce_get_record.
type GetRecordInput struct {
	SObject  string    `json:"sobject" jsonschema:"description=The object's API name; for example Account or Invoice__c"`
	RecordID string    `json:"record_id" jsonschema:"description=The record's 15- or 18-character id"`
	Fields   FieldList `json:"fields,omitempty" jsonschema:"description=Field API names to return; parent fields as paths like Account.Name (default: all fields)"`
}

// Validate checks the input.
func (in GetRecordInput) Validate() error {
	if err := checkName("sobject", in.SObject); err != nil {
		return err
	}
	if err := checkID("record_id", in.RecordID); err != nil {
		return err
	}
	for _, f := range in.Fields {
		if err := checkFieldPath("fields", f); err != nil {
			return err
		}
	}
	return nil
}

// checkFieldPath accepts a field API name or a relationship path of them
// (Account.Name, Account.Owner.Email).
func checkFieldPath(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return inputErrorf(field, "is required")
	}
	for _, part := range strings.Split(v, ".") {
		if !apiName.MatchString(part) {
			return inputErrorf(field, "%q is not a field API name or a path of them like Account.Name", clip(v, 60))
		}
	}
	return nil
}

// RecordOutput is one record.
type RecordOutput struct {
	Record json.RawMessage `json:"record"`
}

// GetRecordOp declares salesforce_get_record.
func GetRecordOp() Operation[GetRecordInput, RecordOutput] {
	return Operation[GetRecordInput, RecordOutput]{Meta: Meta{
		Name:        "salesforce_get_record",
		Title:       "Get a record",
		Description: "Get one record by object and id; fields limits the answer to those fields.",
		ReadOnly:    true, Idempotent: true, OpenWorld: true, Toolset: ToolsetRecords,
	}, Run: GetRecord}
}

// GetRecord reads one record.
func GetRecord(ctx context.Context, c *salesforce.Client, in GetRecordInput) (RecordOutput, error) {
	if err := in.Validate(); err != nil {
		return RecordOutput{}, err
	}
	if slices.ContainsFunc(in.Fields, func(f string) bool { return strings.Contains(f, ".") }) {
		return getRecordByQuery(ctx, c, in)
	}
	raw, err := c.GetRecord(ctx, in.SObject, strings.TrimSpace(in.RecordID), in.Fields)
	if err != nil {
		return RecordOutput{}, explainSObject(ctx, c, in.SObject, err)
	}
	if g := GuardFrom(ctx); g != nil {
		if raw = g.FilterRecord(raw); raw == nil {
			return RecordOutput{}, g.CheckObject(in.SObject)
		}
	}
	return RecordOutput{Record: raw}, nil
}

// getRecordByQuery reads a record whose fields include relationship paths
// (Account.Name), which the sObject Rows resource does not take: a SOQL
// query by id returns the same record shape, parents nested.
func getRecordByQuery(ctx context.Context, c *salesforce.Client, in GetRecordInput) (RecordOutput, error) {
	id := strings.TrimSpace(in.RecordID)
	soql := "SELECT " + strings.Join(in.Fields, ", ") + " FROM " + in.SObject +
		" WHERE Id = " + salesforce.QuoteSOQL(id) + " LIMIT 1"
	page, err := c.QueryFirstPage(ctx, soql, salesforce.QueryOptions{})
	if err != nil {
		return RecordOutput{}, explainSObject(ctx, c, in.SObject, fmt.Errorf("get %s %s: %w", in.SObject, id, err))
	}
	if len(page.Records) == 0 {
		return RecordOutput{}, &salesforce.APIError{StatusCode: http.StatusNotFound, ErrorCode: "NOT_FOUND",
			Message: "The requested resource does not exist"}
	}
	rec := page.Records[0]
	if g := GuardFrom(ctx); g != nil {
		if rec = g.FilterRecord(rec); rec == nil {
			return RecordOutput{}, g.CheckObject(in.SObject)
		}
	}
	return RecordOutput{Record: rec}, nil
}

func checkData(data map[string]any, required bool) error {
	if required && len(data) == 0 {
		return inputErrorf("data", "needs at least one field")
	}
	for k := range data {
		if err := checkName("data", k); err != nil {
			return err
		}
	}
	return nil
}

// CreateRecordInput is the input of salesforce_create_record.
type CreateRecordInput struct {
	SObject string         `json:"sobject" jsonschema:"description=The object's API name; for example Account"`
	Data    map[string]any `json:"data" jsonschema:"description=Field values keyed by field API name (for example Name or Industry)"`
}

// Validate checks the input.
func (in CreateRecordInput) Validate() error {
	if err := checkName("sobject", in.SObject); err != nil {
		return err
	}
	return checkData(in.Data, true)
}

// SaveOutput says which record a create, update or delete wrote.
type SaveOutput struct {
	ID      string `json:"id"`
	Success bool   `json:"success"`
}

// CreateRecordOp declares salesforce_create_record.
func CreateRecordOp() Operation[CreateRecordInput, SaveOutput] {
	return Operation[CreateRecordInput, SaveOutput]{Meta: Meta{
		Name:        "salesforce_create_record",
		Title:       "Create a record",
		Description: "Create one record and return its id.",
		ReadOnly:    false, Destructive: false, Idempotent: false, OpenWorld: true, Toolset: ToolsetRecords,
	}, Run: CreateRecord}
}

// CreateRecord inserts one record.
func CreateRecord(ctx context.Context, c *salesforce.Client, in CreateRecordInput) (SaveOutput, error) {
	if err := in.Validate(); err != nil {
		return SaveOutput{}, err
	}
	id, err := c.CreateRecord(ctx, in.SObject, in.Data)
	if err != nil {
		return SaveOutput{}, explainSObject(ctx, c, in.SObject, err)
	}
	return SaveOutput{ID: id, Success: true}, nil
}

// UpdateRecordInput is the input of salesforce_update_record.
type UpdateRecordInput struct {
	SObject  string         `json:"sobject" jsonschema:"description=The object's API name; for example Account"`
	RecordID string         `json:"record_id" jsonschema:"description=The record's 15- or 18-character id"`
	Data     map[string]any `json:"data" jsonschema:"description=The fields to change by API name; null clears a field"`
}

// Validate checks the input.
func (in UpdateRecordInput) Validate() error {
	if err := checkName("sobject", in.SObject); err != nil {
		return err
	}
	if err := checkID("record_id", in.RecordID); err != nil {
		return err
	}
	return checkData(in.Data, true)
}

// UpdateRecordOp declares salesforce_update_record.
func UpdateRecordOp() Operation[UpdateRecordInput, SaveOutput] {
	return Operation[UpdateRecordInput, SaveOutput]{Meta: Meta{
		Name:        "salesforce_update_record",
		Title:       "Update a record",
		Description: "Change the given fields of one record; other fields keep their values.",
		ReadOnly:    false, Destructive: true, Idempotent: true, OpenWorld: true, Toolset: ToolsetRecords,
	}, Run: UpdateRecord}
}

// UpdateRecord changes fields of one record.
func UpdateRecord(ctx context.Context, c *salesforce.Client, in UpdateRecordInput) (SaveOutput, error) {
	if err := in.Validate(); err != nil {
		return SaveOutput{}, err
	}
	id := strings.TrimSpace(in.RecordID)
	if err := c.UpdateRecord(ctx, in.SObject, id, in.Data); err != nil {
		return SaveOutput{}, explainSObject(ctx, c, in.SObject, err)
	}
	return SaveOutput{ID: id, Success: true}, nil
}

// DeleteRecordInput is the input of salesforce_delete_record.
type DeleteRecordInput struct {
	SObject  string `json:"sobject" jsonschema:"description=The object's API name; for example Account"`
	RecordID string `json:"record_id" jsonschema:"description=The record's 15- or 18-character id"`
}

// Validate checks the input.
func (in DeleteRecordInput) Validate() error {
	if err := checkName("sobject", in.SObject); err != nil {
		return err
	}
	return checkID("record_id", in.RecordID)
}

// DeleteRecordOp declares salesforce_delete_record.
func DeleteRecordOp() Operation[DeleteRecordInput, SaveOutput] {
	return Operation[DeleteRecordInput, SaveOutput]{Meta: Meta{
		Name:        "salesforce_delete_record",
		Title:       "Delete a record",
		Description: "Delete one record (it goes to the recycle bin; salesforce_query_all still finds it).",
		ReadOnly:    false, Destructive: true, Idempotent: false, OpenWorld: true, Toolset: ToolsetRecords,
	}, Run: DeleteRecord}
}

// DeleteRecord deletes one record.
func DeleteRecord(ctx context.Context, c *salesforce.Client, in DeleteRecordInput) (SaveOutput, error) {
	if err := in.Validate(); err != nil {
		return SaveOutput{}, err
	}
	id := strings.TrimSpace(in.RecordID)
	if err := c.DeleteRecord(ctx, in.SObject, id); err != nil {
		return SaveOutput{}, explainSObject(ctx, c, in.SObject, err)
	}
	return SaveOutput{ID: id, Success: true}, nil
}

// UpsertRecordInput is the input of salesforce_upsert_record.
type UpsertRecordInput struct {
	SObject         string         `json:"sobject" jsonschema:"description=The object's API name; for example Account"`
	ExternalIDField string         `json:"external_id_field" jsonschema:"description=The external id field that identifies the record; for example External_Id__c"`
	Data            map[string]any `json:"data" jsonschema:"description=Field values by API name; must include the external id field's value unless external_id_value is given"`
	ExternalIDValue string         `json:"external_id_value,omitempty" jsonschema:"description=The external id value (default: data's value for external_id_field)"`
}

// Validate checks the input.
func (in UpsertRecordInput) Validate() error {
	if err := checkName("sobject", in.SObject); err != nil {
		return err
	}
	if err := checkName("external_id_field", in.ExternalIDField); err != nil {
		return err
	}
	if err := checkData(in.Data, in.ExternalIDValue == ""); err != nil {
		return err
	}
	if _, err := in.value(); err != nil {
		return err
	}
	return nil
}

// value is the external id value: ExternalIDValue, else data's entry for the field.
func (in UpsertRecordInput) value() (string, error) {
	if v := strings.TrimSpace(in.ExternalIDValue); v != "" {
		return v, nil
	}
	for k, v := range in.Data {
		if !strings.EqualFold(k, in.ExternalIDField) {
			continue
		}
		switch v := v.(type) {
		case string:
			if strings.TrimSpace(v) != "" {
				return strings.TrimSpace(v), nil
			}
		case float64, int, int64, json.Number:
			return fmt.Sprint(v), nil
		}
	}
	return "", inputErrorf("data", "has no value for the external id field %s (or give external_id_value)", in.ExternalIDField)
}

// UpsertOutput says which record an upsert wrote and whether it was new.
type UpsertOutput struct {
	ID      string `json:"id"`
	Created bool   `json:"created"`
	Success bool   `json:"success"`
}

// UpsertRecordOp declares salesforce_upsert_record.
func UpsertRecordOp() Operation[UpsertRecordInput, UpsertOutput] {
	return Operation[UpsertRecordInput, UpsertOutput]{Meta: Meta{
		Name:        "salesforce_upsert_record",
		Title:       "Create or update a record by external id",
		Description: "Create the record whose external id field has the given value, or update it if it exists; returns the id and whether it was created.",
		ReadOnly:    false, Destructive: true, Idempotent: true, OpenWorld: true, Toolset: ToolsetRecords,
	}, Run: UpsertRecord}
}

// UpsertRecord creates or updates one record by external id.
func UpsertRecord(ctx context.Context, c *salesforce.Client, in UpsertRecordInput) (UpsertOutput, error) {
	if err := in.Validate(); err != nil {
		return UpsertOutput{}, err
	}
	value, _ := in.value()
	// The key travels in the URL; Salesforce rejects it in the body too.
	data := make(map[string]any, len(in.Data))
	for k, v := range in.Data {
		if !strings.EqualFold(k, in.ExternalIDField) {
			data[k] = v
		}
	}
	res, err := c.UpsertRecord(ctx, in.SObject, in.ExternalIDField, value, data)
	if err != nil {
		return UpsertOutput{}, explainSObject(ctx, c, in.SObject, err)
	}
	return UpsertOutput{ID: res.ID, Created: res.Created, Success: true}, nil
}
