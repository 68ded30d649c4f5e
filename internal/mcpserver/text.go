package mcpserver

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"strings"
)

// The text of a result is what a model reads, so it is kept small: a result
// that holds records (a query page, a search) shows them as CSV, one header
// line and one line per record, instead of repeating structuredContent's
// JSON. The 2025-11-25 specification says a tool returning structured
// content SHOULD also return the serialized JSON as text "for backwards
// compatibility"; the CSV carries the same values, and clients that want
// the JSON read structuredContent, which keeps every record whole.

// recordsOf returns out's "records" field when it is a non-empty list of
// JSON records.
func recordsOf(out any) ([]json.RawMessage, bool) {
	v := reflect.ValueOf(out)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil, false
	}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name, _, skip := jsonName(f)
		if skip || !f.IsExported() || name != "records" {
			continue
		}
		recs, ok := v.Field(i).Interface().([]json.RawMessage)
		return recs, ok && len(recs) > 0
	}
	return nil, false
}

// recordsText is the text of a result with records: one line of its other
// fields (the summary, with strings of any length, such as the
// next_records_url cursor, and the correlation_id), then the records as CSV.
func recordsText(cid string, out any, records []json.RawMessage) string {
	var b strings.Builder
	b.WriteString(summaryOf(out, -1))
	b.WriteString(" correlation_id=")
	b.WriteString(cid)
	b.WriteByte('\n')
	b.WriteString(recordsCSV(records))
	return b.String()
}

// recordsCSV writes records as CSV. Columns are every field of any record
// in the order first seen; a parent record's fields are dotted columns
// (Account.Name), a subquery's rows and any other list stay JSON in their
// cell, and null is an empty cell.
func recordsCSV(records []json.RawMessage) string {
	var cols []string
	seen := map[string]bool{}
	rows := make([]map[string]string, 0, len(records))
	for _, rec := range records {
		row := map[string]string{}
		flatten(rec, "", row, func(col string) {
			if !seen[col] {
				seen[col] = true
				cols = append(cols, col)
			}
		})
		rows = append(rows, row)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(cols)
	line := make([]string, len(cols))
	for _, row := range rows {
		for i, c := range cols {
			line[i] = row[c]
		}
		_ = w.Write(line)
	}
	w.Flush()
	return buf.String()
}

// flatten adds the fields of one JSON object to row under prefix, calling
// col for each column in order. A value that is not an object of fields
// becomes one cell.
func flatten(raw json.RawMessage, prefix string, row map[string]string, col func(string)) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return
		}
		key, _ := kt.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return
		}
		name := prefix + key
		if isParentRecord(v) {
			flatten(v, name+".", row, col)
			continue
		}
		col(name)
		row[name] = cell(v)
	}
}

// isParentRecord is true for a nested object that is a record's fields,
// not a subquery result (which has "records") or other structure.
func isParentRecord(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || v[0] != '{' {
		return false
	}
	var probe struct {
		Records json.RawMessage `json:"records"`
	}
	return json.Unmarshal(v, &probe) == nil && probe.Records == nil
}

// cell is a JSON value as CSV text: strings unquoted, null empty, numbers
// and booleans as written, anything else compact JSON.
func cell(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	switch {
	case len(v) == 0, bytes.Equal(v, []byte("null")):
		return ""
	case v[0] == '"':
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	case v[0] == '{' || v[0] == '[':
		var buf bytes.Buffer
		if json.Compact(&buf, v) == nil {
			return buf.String()
		}
	}
	return string(v)
}
