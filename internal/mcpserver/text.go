package mcpserver

import (
	"strings"
	"unicode"
	"unicode/utf8"

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
// stay JSON in their cell). The text is encoding/csv's (TestTableCSV
// compares them), written without its 4 kB buffer a call.
func tableCSV(t ops.Table) string {
	var b strings.Builder
	n := 0
	for _, c := range t.Columns {
		n += len(c) + 1
	}
	b.Grow(n * (len(t.Rows) + 1))
	writeCSVLine(&b, len(t.Columns), func(i int) string { return t.Columns[i] })
	for _, row := range t.Rows {
		writeCSVLine(&b, len(t.Columns), func(i int) string {
			if i < len(row) {
				return row[i].Text()
			}
			return ""
		})
	}
	return b.String()
}

// writeCSVLine writes one CSV record of n fields as encoding/csv's Writer
// does with its defaults (comma, "\n" line ends).
func writeCSVLine(b *strings.Builder, n int, field func(int) string) {
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		f := field(i)
		if !csvNeedsQuotes(f) {
			b.WriteString(f)
			continue
		}
		b.WriteByte('"')
		for len(f) > 0 {
			j := strings.IndexByte(f, '"')
			if j < 0 {
				b.WriteString(f)
				break
			}
			b.WriteString(f[:j+1])
			b.WriteByte('"')
			f = f[j+1:]
		}
		b.WriteByte('"')
	}
	b.WriteByte('\n')
}

// csvNeedsQuotes is encoding/csv's fieldNeedsQuotes for a comma.
func csvNeedsQuotes(f string) bool {
	if f == "" {
		return false
	}
	if f == `\.` || strings.ContainsAny(f, ",\"\r\n") {
		return true
	}
	r, _ := utf8.DecodeRuneInString(f)
	return unicode.IsSpace(r)
}
