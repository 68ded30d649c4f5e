package mcpserver

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"strings"
	"unicode/utf8"
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
	jsonMembers(raw, func(key string, v []byte) {
		name := prefix + key
		if isParentRecord(v) {
			flatten(v, name+".", row, col)
			return
		}
		col(name)
		row[name] = cell(v)
	})
}

// isParentRecord is true for a nested object that is a record's fields,
// not a subquery result (which has "records") or other structure.
func isParentRecord(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || v[0] != '{' {
		return false
	}
	records := false
	ok := jsonMembers(v, func(key string, _ []byte) { records = records || key == "records" })
	return ok && !records
}

// jsonMembers calls fn with each member of the JSON object raw, in order:
// its name unquoted and its value as written. It reports false when raw is
// not a well-formed object (fn may have seen the members before the fault).
// It runs for every record of every result, so it scans bytes rather than
// decode tokens.
func jsonMembers(raw []byte, fn func(name string, value []byte)) bool {
	s := jsonScan{in: raw}
	s.space()
	if !s.next('{') {
		return false
	}
	for first := true; ; first = false {
		s.space()
		if s.next('}') {
			s.space()
			return s.i == len(raw)
		}
		if !first && !s.next(',') {
			return false
		}
		s.space()
		start := s.i
		if !s.str() {
			return false
		}
		name, ok := unquote(raw[start:s.i])
		s.space()
		if !ok || !s.next(':') {
			return false
		}
		s.space()
		vs := s.i
		if !s.value() {
			return false
		}
		fn(name, raw[vs:s.i])
	}
}

// jsonScan moves through JSON text; each method reports false, without
// reading past the end, where the text is not what it expects.
type jsonScan struct {
	in []byte
	i  int
}

func (s *jsonScan) space() {
	for s.i < len(s.in) && (s.in[s.i] == ' ' || s.in[s.i] == '\t' || s.in[s.i] == '\n' || s.in[s.i] == '\r') {
		s.i++
	}
}

func (s *jsonScan) next(c byte) bool {
	if s.i < len(s.in) && s.in[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str moves past a string.
func (s *jsonScan) str() bool {
	if !s.next('"') {
		return false
	}
	for s.i < len(s.in) {
		switch s.in[s.i] {
		case '"':
			s.i++
			return true
		case '\\':
			s.i++
		}
		s.i++
	}
	return false
}

// value moves past one value: a string, an object or array (strings in it
// skipped whole, so their brackets do not count), or a scalar.
func (s *jsonScan) value() bool {
	if s.i >= len(s.in) {
		return false
	}
	switch s.in[s.i] {
	case '"':
		return s.str()
	case '{', '[':
		depth := 0
		for s.i < len(s.in) {
			switch s.in[s.i] {
			case '"':
				if !s.str() {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return true
				}
			}
			s.i++
		}
		return false
	}
	start := s.i
	for s.i < len(s.in) {
		switch s.in[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return s.i > start
		}
		s.i++
	}
	return s.i > start
}

// unquote returns the text of a JSON string: its bytes between the quotes
// when it has no escapes, else decoded.
func unquote(q []byte) (string, bool) {
	if len(q) < 2 {
		return "", false
	}
	if bytes.IndexByte(q, '\\') < 0 && utf8.Valid(q) {
		return string(q[1 : len(q)-1]), true
	}
	var str string
	return str, json.Unmarshal(q, &str) == nil
}

// cell is a JSON value as CSV text: strings unquoted, null empty, numbers
// and booleans as written, anything else compact JSON.
func cell(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	switch {
	case len(v) == 0, bytes.Equal(v, []byte("null")):
		return ""
	case v[0] == '"':
		if s, ok := unquote(v); ok {
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
