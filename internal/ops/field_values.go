package ops

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// SObjectDescriber is the part of the client a FieldTyper needs.
type SObjectDescriber interface {
	DescribeSObject(ctx context.Context, name string) (*salesforce.SObjectDescribe, error)
}

// FieldTyper turns field values given as text (Field=value on a command
// line) into the JSON values an object's fields take, by the object's
// describe. The describe is fetched once, and only when some text could
// mean something other than text (a number or a boolean).
type FieldTyper struct {
	d       SObjectDescriber
	sobject string
	types   map[string]string // lower-cased field name → describe type
}

// NewFieldTyper returns a FieldTyper for sobject's fields.
func NewFieldTyper(d SObjectDescriber, sobject string) *FieldTyper {
	return &FieldTyper{d: d, sobject: sobject}
}

// Value returns text as field's value: "" is null (clears the field),
// number, currency and percent fields get numbers, checkboxes booleans,
// anything else the text as given. Text that does not fit its field is an
// *InputError.
func (t *FieldTyper) Value(ctx context.Context, field, text string) (any, error) {
	if text == "" {
		return nil, nil
	}
	if t.types == nil && needsTypes(text) {
		desc, err := t.d.DescribeSObject(ctx, t.sobject)
		if err != nil {
			return nil, err
		}
		t.types = make(map[string]string, len(desc.Fields))
		for _, f := range desc.Fields {
			t.types[strings.ToLower(f.Name)] = f.Type
		}
	}
	arg := field + "=" + text
	switch t.types[strings.ToLower(field)] {
	case "int":
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, inputErrorf(arg, "%s is a whole-number field", field)
		}
		return n, nil
	case "double", "currency", "percent":
		if _, err := strconv.ParseFloat(text, 64); err != nil {
			return nil, inputErrorf(arg, "%s is a number field", field)
		}
		return json.Number(text), nil
	case "boolean":
		b, err := strconv.ParseBool(text)
		if err != nil {
			return nil, inputErrorf(arg, "%s is a checkbox (true or false)", field)
		}
		return b, nil
	}
	return text, nil
}

// needsTypes reports whether text could mean something other than text, so
// that the object's describe must decide.
func needsTypes(text string) bool {
	if _, err := strconv.ParseFloat(text, 64); err == nil {
		return true
	}
	switch strings.ToLower(text) {
	case "true", "false":
		return true
	}
	return false
}
