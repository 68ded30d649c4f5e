package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// MaxToolingRecords bounds the rows one Tooling API query returns.
const MaxToolingRecords = 2000

// ToolingQueryInput is the input of salesforce_tooling_query.
type ToolingQueryInput struct {
	SOQL         string `json:"soql" jsonschema_description:"A SOQL query on Tooling API objects; for example SELECT Id, Name, ApiVersion FROM ApexClass ORDER BY Name"`
	MaxRecords   int    `json:"max_records,omitempty" jsonschema:"description=The most rows to return (1 to 2000; default 200)"`
	RecordFormat string `json:"record_format,omitempty" enum:"rows,objects" jsonschema:"description=objects: records as objects (default rows)"`
}

// Validate checks the input.
func (in ToolingQueryInput) Validate() error {
	if strings.TrimSpace(in.SOQL) == "" {
		return inputErrorf("soql", "is required")
	}
	if in.MaxRecords < 0 || in.MaxRecords > MaxToolingRecords {
		return inputErrorf("max_records", "%d is outside 1..%d", in.MaxRecords, MaxToolingRecords)
	}
	return checkRecordFormat(in.RecordFormat)
}

// ToolingQueryOutput is a Tooling API query's rows.
type ToolingQueryOutput struct {
	// TotalSize is how many rows the query matches.
	TotalSize int `json:"total_size"`
	Returned  int `json:"returned"`
	// Done is false when rows remain beyond max_records.
	Done bool `json:"done"`
	// EntityTypeName is the object queried, as Salesforce names it.
	EntityTypeName string `json:"entity_type_name,omitempty"`
	Table
	Records []json.RawMessage `json:"records,omitzero"`
}

// RecordTable returns the records as a table.
func (o ToolingQueryOutput) RecordTable() Table { return tableOf(o.Table, o.Records) }

// ToolingQueryOp declares salesforce_tooling_query.
func ToolingQueryOp() Operation[ToolingQueryInput, ToolingQueryOutput] {
	return Operation[ToolingQueryInput, ToolingQueryOutput]{Meta: Meta{
		Name:        "salesforce_tooling_query",
		Title:       "Query the Tooling API",
		Description: "Run a SOQL query on the Tooling API (metadata such as ApexClass, ApexTrigger, CustomObject, CustomField, ValidationRule, FlowDefinition) and return up to max_records rows (default 200).",
		ReadOnly:    true, Idempotent: true, OpenWorld: true, Toolset: ToolsetAPI,
	}, Run: ToolingQuery}
}

// toolingPage is one page of a Tooling API query.
type toolingPage struct {
	TotalSize      int               `json:"totalSize"`
	Done           bool              `json:"done"`
	NextRecordsURL string            `json:"nextRecordsUrl"`
	EntityTypeName string            `json:"entityTypeName"`
	Records        []json.RawMessage `json:"records"`
}

// ToolingQuery runs a Tooling API query, reading pages until max_records.
func ToolingQuery(ctx context.Context, c *salesforce.Client, in ToolingQueryInput) (ToolingQueryOutput, error) {
	if err := in.Validate(); err != nil {
		return ToolingQueryOutput{}, err
	}
	limit := maxRecords(in.MaxRecords)
	g := GuardFrom(ctx)
	var out ToolingQueryOutput
	records := []json.RawMessage{}
	path, query := "/services/data/v"+c.APIVersion()+"/tooling/query", url.Values{"q": {in.SOQL}}
	for {
		res, err := c.Raw(ctx, "GET", path, query, nil)
		if err != nil {
			return ToolingQueryOutput{}, err
		}
		var page toolingPage
		if err := json.Unmarshal(res.Body, &page); err != nil {
			return ToolingQueryOutput{}, fmt.Errorf("decode tooling query page: %w", err)
		}
		out.TotalSize, out.EntityTypeName = page.TotalSize, page.EntityTypeName
		consumed := 0
		for _, rec := range page.Records {
			if len(records) == limit {
				break
			}
			consumed++
			if g != nil {
				if rec = g.FilterRecord(rec); rec == nil {
					continue
				}
			}
			records = append(records, StripAttributes(rec))
		}
		if consumed < len(page.Records) || page.Done || page.NextRecordsURL == "" || len(records) == limit {
			out.Done = page.Done && consumed == len(page.Records)
			break
		}
		next, err := CleanAPIPath(page.NextRecordsURL, c.APIVersion())
		if err != nil {
			return ToolingQueryOutput{}, fmt.Errorf("tooling query next page %q: %w", page.NextRecordsURL, err)
		}
		path, query = next, nil
	}
	out.Table, out.Records = tableOrObjects(in.RecordFormat == RecordFormatObjects, records)
	out.Returned = len(records)
	return out, nil
}
