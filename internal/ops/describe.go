package ops

import (
	"context"
	"encoding/json"
	"sort"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// FieldSummary is the trimmed describe of one field: what an agent or a
// person needs to read and write it. JSON names follow Salesforce's describe.
type FieldSummary struct {
	Name           string   `json:"name"`
	Label          string   `json:"label"`
	Type           string   `json:"type"`
	Length         int      `json:"length,omitempty"`
	Nillable       bool     `json:"nillable"`
	Createable     bool     `json:"createable"`
	Updateable     bool     `json:"updateable"`
	ExternalID     bool     `json:"externalId,omitempty"`
	ReferenceTo    []string `json:"referenceTo,omitempty"`
	PicklistValues []string `json:"picklistValues,omitempty"` // active values only
}

func trimFields(fields []salesforce.FieldDescribe) []FieldSummary {
	out := make([]FieldSummary, 0, len(fields))
	for _, f := range fields {
		s := FieldSummary{
			Name: f.Name, Label: f.Label, Type: f.Type, Length: f.Length,
			Nillable: f.Nillable, Createable: f.Createable, Updateable: f.Updateable,
			ExternalID: f.ExternalID, ReferenceTo: f.ReferenceTo,
		}
		for _, p := range f.PicklistValues {
			if p.Active {
				s.PicklistValues = append(s.PicklistValues, p.Value)
			}
		}
		out = append(out, s)
	}
	return out
}

// DescribeObjectInput is the input of salesforce_describe_object.
type DescribeObjectInput struct {
	SObject string `json:"sobject" jsonschema:"description=The object's API name; for example Account"`
	Full    bool   `json:"full,omitempty" jsonschema:"description=Return Salesforce's whole describe (often hundreds of KB) instead of the trimmed summary"`
}

// Validate checks the input.
func (in DescribeObjectInput) Validate() error { return checkName("sobject", in.SObject) }

// DescribeObjectOutput is an object's describe: trimmed by default, or with
// Describe holding Salesforce's whole answer (and Fields left out) when full.
type DescribeObjectOutput struct {
	Name        string          `json:"name"`
	Label       string          `json:"label"`
	LabelPlural string          `json:"labelPlural,omitempty"`
	KeyPrefix   string          `json:"keyPrefix,omitempty"`
	Custom      bool            `json:"custom"`
	Createable  bool            `json:"createable"`
	Updateable  bool            `json:"updateable"`
	Deletable   bool            `json:"deletable"`
	Queryable   bool            `json:"queryable"`
	Fields      []FieldSummary  `json:"fields,omitempty"`
	Describe    json.RawMessage `json:"describe,omitempty"`
}

// DescribeObjectOp declares salesforce_describe_object.
func DescribeObjectOp() Operation[DescribeObjectInput, DescribeObjectOutput] {
	return Operation[DescribeObjectInput, DescribeObjectOutput]{Meta: Meta{
		Name:        "salesforce_describe_object",
		Title:       "Describe an object",
		Description: "Describe an object: its label, key prefix and fields with their types and active picklist values. full=true returns Salesforce's whole describe.",
		ReadOnly:    true, Idempotent: true, OpenWorld: true, Toolset: ToolsetMetadata,
	}, Run: DescribeObject}
}

// DescribeObject describes one object.
func DescribeObject(ctx context.Context, c *salesforce.Client, in DescribeObjectInput) (DescribeObjectOutput, error) {
	if err := in.Validate(); err != nil {
		return DescribeObjectOutput{}, err
	}
	d, err := c.DescribeSObject(ctx, in.SObject)
	if err != nil {
		return DescribeObjectOutput{}, explainSObject(ctx, c, in.SObject, err)
	}
	out := DescribeObjectOutput{
		Name: d.Name, Label: d.Label, LabelPlural: d.LabelPlural, KeyPrefix: d.KeyPrefix,
		Custom: d.Custom, Createable: d.Createable, Updateable: d.Updateable, Deletable: d.Deletable, Queryable: d.Queryable,
	}
	g := GuardFrom(ctx)
	if in.Full {
		out.Describe = d.Raw
		if g != nil && len(g.DenyFields) > 0 {
			// The whole describe cannot be trimmed field by field safely
			// (layouts, relationships and more name fields too).
			return DescribeObjectOutput{}, &GuardError{Message: "full describes are not served while fields are hidden (--deny-fields); ask without full"}
		}
	} else {
		out.Fields = g.filterFields(d.Name, trimFields(d.Fields))
	}
	return out, nil
}

// ListObjectsInput is the input of salesforce_list_objects (it has no arguments).
type ListObjectsInput struct{}

// Validate checks the input.
func (ListObjectsInput) Validate() error { return nil }

// ObjectSummary is one object of the org.
type ObjectSummary struct {
	Name       string `json:"name"`
	Label      string `json:"label"`
	KeyPrefix  string `json:"keyPrefix,omitempty"`
	Custom     bool   `json:"custom"`
	Queryable  bool   `json:"queryable"`
	Createable bool   `json:"createable"`
	Updateable bool   `json:"updateable"`
	Deletable  bool   `json:"deletable"`
}

// ListObjectsOutput lists the org's objects, sorted by name.
type ListObjectsOutput struct {
	Count   int             `json:"count"`
	Objects []ObjectSummary `json:"objects"`
}

// ListObjectsOp declares salesforce_list_objects.
func ListObjectsOp() Operation[ListObjectsInput, ListObjectsOutput] {
	return Operation[ListObjectsInput, ListObjectsOutput]{Meta: Meta{
		Name:        "salesforce_list_objects",
		Title:       "List objects",
		Description: "List the org's objects (standard and custom) with their labels, key prefixes and what can be done with them.",
		ReadOnly:    true, Idempotent: true, OpenWorld: true, Toolset: ToolsetMetadata,
	}, Run: ListObjects}
}

// ListObjects lists the org's objects.
func ListObjects(ctx context.Context, c *salesforce.Client, _ ListObjectsInput) (ListObjectsOutput, error) {
	g, err := c.DescribeGlobal(ctx)
	if err != nil {
		return ListObjectsOutput{}, err
	}
	out := ListObjectsOutput{Objects: make([]ObjectSummary, 0, len(g.SObjects))}
	guard := GuardFrom(ctx)
	for _, o := range g.SObjects {
		if !guard.ObjectAllowed(o.Name) {
			continue
		}
		out.Objects = append(out.Objects, ObjectSummary{
			Name: o.Name, Label: o.Label, KeyPrefix: o.KeyPrefix, Custom: o.Custom,
			Queryable: o.Queryable, Createable: o.Createable, Updateable: o.Updateable, Deletable: o.Deletable,
		})
	}
	sort.Slice(out.Objects, func(i, j int) bool { return out.Objects[i].Name < out.Objects[j].Name })
	out.Count = len(out.Objects)
	return out, nil
}

// GetObjectFieldsInput is the input of salesforce_get_object_fields.
type GetObjectFieldsInput struct {
	SObject string `json:"sobject" jsonschema:"description=The object's API name; for example Contact"`
}

// Validate checks the input.
func (in GetObjectFieldsInput) Validate() error { return checkName("sobject", in.SObject) }

// ObjectFieldsOutput lists an object's fields.
type ObjectFieldsOutput struct {
	SObject string         `json:"sobject"`
	Count   int            `json:"count"`
	Fields  []FieldSummary `json:"fields"`
}

// GetObjectFieldsOp declares salesforce_get_object_fields.
func GetObjectFieldsOp() Operation[GetObjectFieldsInput, ObjectFieldsOutput] {
	return Operation[GetObjectFieldsInput, ObjectFieldsOutput]{Meta: Meta{
		Name:        "salesforce_get_object_fields",
		Title:       "List an object's fields",
		Description: "List an object's fields with their types and active picklist values.",
		ReadOnly:    true, Idempotent: true, OpenWorld: true, Toolset: ToolsetMetadata,
	}, Run: GetObjectFields}
}

// GetObjectFields lists one object's fields.
func GetObjectFields(ctx context.Context, c *salesforce.Client, in GetObjectFieldsInput) (ObjectFieldsOutput, error) {
	if err := in.Validate(); err != nil {
		return ObjectFieldsOutput{}, err
	}
	d, err := c.DescribeSObject(ctx, in.SObject)
	if err != nil {
		return ObjectFieldsOutput{}, explainSObject(ctx, c, in.SObject, err)
	}
	fields := GuardFrom(ctx).filterFields(d.Name, trimFields(d.Fields))
	return ObjectFieldsOutput{SObject: d.Name, Count: len(fields), Fields: fields}, nil
}

// LimitsInput is the input of salesforce_limits (it has no arguments).
type LimitsInput struct{}

// Validate checks the input.
func (LimitsInput) Validate() error { return nil }

// Limit is one org limit. Name is like "DailyApiRequests", or
// "DailyApiRequests.Salesforce CLI" for a per-app breakdown.
type Limit struct {
	Name      string `json:"name"`
	Max       int64  `json:"max"`
	Remaining int64  `json:"remaining"`
	Used      int64  `json:"used"`
}

// LimitsOutput lists the org's limits sorted by name.
type LimitsOutput struct {
	Limits []Limit `json:"limits"`
}

// LimitsOp declares salesforce_limits.
func LimitsOp() Operation[LimitsInput, LimitsOutput] {
	return Operation[LimitsInput, LimitsOutput]{Meta: Meta{
		Name:        "salesforce_limits",
		Title:       "Show org limits",
		Description: "Show the org's limits (daily API requests, data storage, ...) with max, remaining and used.",
		ReadOnly:    true, Idempotent: true, OpenWorld: true, Toolset: ToolsetLimits,
	}, Run: Limits}
}

// Limits reads the org's limits.
func Limits(ctx context.Context, c *salesforce.Client, _ LimitsInput) (LimitsOutput, error) {
	m, err := c.Limits(ctx)
	if err != nil {
		return LimitsOutput{}, err
	}
	out := LimitsOutput{Limits: []Limit{}}
	var add func(prefix string, m map[string]salesforce.LimitValue)
	add = func(prefix string, m map[string]salesforce.LimitValue) {
		for name, v := range m {
			out.Limits = append(out.Limits, Limit{Name: prefix + name, Max: v.Max, Remaining: v.Remaining, Used: v.Max - v.Remaining})
			if len(v.Sub) > 0 {
				add(prefix+name+".", v.Sub)
			}
		}
	}
	add("", m)
	sort.Slice(out.Limits, func(i, j int) bool { return out.Limits[i].Name < out.Limits[j].Name })
	return out, nil
}
