package mcpserver

import (
	"bytes"
	"encoding/csv"
	"strings"

	"github.com/sfmcp/sfmcp/internal/ops"
)

// The text of a result is what a model reads, so it is kept small: a result
// that holds records (a query page, a search) shows them as CSV, one header
// line and one line per record, instead of repeating structuredContent's
// JSON. The 2025-11-25 specification says a tool returning structured
// content SHOULD also return the serialized JSON as text "for backwards
// compatibility"; the CSV carries the same values, and clients that want
// the JSON read structuredContent, which keeps every record whole.

// recordsOf returns the records of a result that holds some (a query page,
// a search, a bulk query's rows), as a table whichever form they were
// returned in.
func recordsOf(out any) (ops.Table, bool) {
	t, ok := out.(ops.Tabular)
	if !ok {
		return ops.Table{}, false
	}
	tab := t.RecordTable()
	return tab, len(tab.Rows) > 0
}

// recordsText is the text of a result with records: one line of its other
// fields (the summary, with strings of any length, such as the
// next_records_url cursor, and the correlation_id), then the records as CSV.
func recordsText(cid string, out any, records ops.Table) string {
	var b strings.Builder
	b.WriteString(summaryOf(out, -1))
	b.WriteString(" correlation_id=")
	b.WriteString(cid)
	b.WriteByte('\n')
	b.WriteString(tableCSV(records))
	return b.String()
}

// tableCSV writes a table as CSV: the columns, then one line a row, each
// value as ops.Cell.Text gives it (null is an empty cell, a subquery's rows
// stay JSON in their cell).
func tableCSV(t ops.Table) string {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(t.Columns)
	line := make([]string, len(t.Columns))
	for _, row := range t.Rows {
		for i := range line {
			line[i] = ""
			if i < len(row) {
				line[i] = row[i].Text()
			}
		}
		_ = w.Write(line)
	}
	w.Flush()
	return buf.String()
}
