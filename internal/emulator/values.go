package emulator

import (
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/schema"
	"github.com/sfmcp/sfmcp/internal/sfid"
)

// coerce turns a JSON value sent for field f into the value stored, or
// explains, as Salesforce would, why it cannot be.
func (o *Org) coerce(f *schema.Field, v any) (any, *apiError) {
	if v == nil {
		return nil, nil
	}
	bad := func() *apiError {
		return errf(400, "JSON_PARSER_ERROR", []string{f.Name},
			"Cannot deserialize instance of %s from %s value %s or request may be missing a required field", soapName(f), jsonKind(v), clipValue(v))
	}
	switch f.Type {
	case "string", "textarea", "email", "phone", "url", "picklist", "multipicklist", "combobox",
		"encryptedstring", "base64", "id", "reference":
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case float64:
			s = strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			s = strconv.FormatBool(x)
		default:
			return nil, bad()
		}
		t, aerr := o.checkText(f, s)
		switch {
		case aerr != nil:
			return nil, aerr
		case t == "":
			return nil, nil // Salesforce stores an empty string as null
		case t == s && isString(v):
			// v already holds the string: no new interface value (a
			// Bulk insert coerces every cell of every row).
			return v, nil
		}
		return t, nil
	case "boolean":
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			if b, err := strconv.ParseBool(x); err == nil {
				return b, nil
			}
		}
		return nil, bad()
	case "int":
		n, ok := number(v)
		if !ok || n != math.Trunc(n) {
			return nil, bad()
		}
		return n, nil
	case "double", "currency", "percent", "long":
		n, ok := number(v)
		if !ok {
			return nil, bad()
		}
		return n, nil
	case "date":
		s, ok := v.(string)
		if !ok {
			return nil, bad()
		}
		t, err := parseDate(s)
		if err != nil {
			return nil, bad()
		}
		return t.Format("2006-01-02"), nil
	case "datetime":
		s, ok := v.(string)
		if !ok {
			return nil, bad()
		}
		t, err := parseDateTime(s)
		if err != nil {
			return nil, bad()
		}
		return timestamp(t), nil
	case "time":
		s, ok := v.(string)
		if !ok {
			return nil, bad()
		}
		return s, nil
	default:
		return v, nil
	}
}

// checkText validates s as the value of the text-like field f and returns
// it as stored ("" for null).
func (o *Org) checkText(f *schema.Field, s string) (string, *apiError) {
	switch f.Type {
	case "reference":
		if s == "" {
			return "", nil
		}
		id, err := sfid.Normalize(s)
		if err != nil {
			return "", errf(400, "MALFORMED_ID", []string{f.Name}, "%s: id value of incorrect type: %s", f.Label, s)
		}
		target := o.schema.ObjectByKeyPrefix(id[:3])
		if target == nil || !contains(f.ReferenceTo, target.Name) {
			return "", errf(400, "FIELD_INTEGRITY_EXCEPTION", []string{f.Name}, "%s: id value of incorrect type: %s", f.Label, s)
		}
		return id, nil
	case "email":
		if s == "" {
			return "", nil
		}
		if a, err := mail.ParseAddress(s); err != nil || a.Address != s || !strings.Contains(s, "@") {
			return "", errf(400, "INVALID_EMAIL_ADDRESS", []string{f.Name}, "%s: invalid email address: %s", f.Label, s)
		}
	}
	if f.Length > 0 && len([]rune(s)) > f.Length {
		return "", errf(400, "STRING_TOO_LONG", []string{f.Name}, "%s: data value too large: %s (max length=%d)", f.Label, clipValue(s), f.Length)
	}
	return s, nil
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return 0, false
}

func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	t, err := parseDateTime(s)
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
}

var dateTimeLayouts = []string{
	"2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700", "2006-01-02T15:04:05.000Z07:00",
	"2006-01-02T15:04:05Z07:00", time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05.000",
	"2006-01-02",
}

func parseDateTime(s string) (time.Time, error) {
	for _, l := range dateTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a datetime: %q", s)
}

func soapName(f *schema.Field) string {
	switch f.Type {
	case "int":
		return "int"
	case "double", "currency", "percent":
		return "double"
	case "boolean":
		return "boolean"
	case "date":
		return "date"
	case "datetime":
		return "datetime"
	}
	return "string"
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "VALUE_STRING"
	case float64, json.Number:
		return "VALUE_NUMBER_FLOAT"
	case bool:
		return "VALUE_TRUE"
	case map[string]any:
		return "START_OBJECT"
	case []any:
		return "START_ARRAY"
	}
	return "VALUE_NULL"
}

func clipValue(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
