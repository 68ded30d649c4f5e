// Package output renders command results the same way for every command:
// JSON (--json), gojq expressions over that JSON (--jq), CSV (--csv), and
// tables for people on a terminal.
//
// JSON is always indented with two spaces and ends with a newline, whether
// stdout is a terminal or a pipe: what a person sees is byte for byte what a
// script gets. Struct fields keep their declared order, map keys are sorted
// (encoding/json), and HTML characters are not escaped.
//
// Record lists (query results) go through RecordWriter, which streams: CSV,
// JSON and JSON lines use constant memory whatever the number of rows.
package output

import (
	"bytes"
	"encoding/json"
	"io"
)

// WriteJSON writes v as indented JSON followed by a newline.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteRawJSON re-indents already-encoded JSON the way WriteJSON would print it.
func WriteRawJSON(w io.Writer, data []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, data, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}
