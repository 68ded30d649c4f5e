package mcpserver

import (
	"bytes"
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
	summary := summaryOf(out, -1)
	b.Grow(len(summary) + len(" correlation_id=") + len(cid) + 1 + csvSizeHint(records))
	b.WriteString(summary)
	b.WriteString(" correlation_id=")
	b.WriteString(cid)
	b.WriteByte('\n')
	writeTableCSV(&b, records)
	return b.String()
}

// tableCSV is a table as CSV (writeTableCSV).
func tableCSV(t ops.Table) string {
	var b strings.Builder
	b.Grow(csvSizeHint(t))
	writeTableCSV(&b, t)
	return b.String()
}

// csvSizeHint is a first guess of the size of t's CSV: its names' length
// a line.
func csvSizeHint(t ops.Table) int {
	n := 0
	for _, c := range t.Columns {
		n += len(c) + 1
	}
	return n * (len(t.Rows) + 1)
}

// writeTableCSV writes a table as CSV: the columns, then one line a row,
// each value as ops.Cell.Text gives it (null is an empty cell, a subquery's
// rows stay JSON in their cell). The text is encoding/csv's (TestTableCSV
// compares them), written without its 4 kB buffer a call, and each value
// through one scratch buffer (Cell.AppendText) instead of a string a cell.
func writeTableCSV(b *strings.Builder, t ops.Table) {
	var scratch []byte
	writeCSVLine(b, &scratch, len(t.Columns), func(dst []byte, i int) []byte { return append(dst, t.Columns[i]...) })
	for _, row := range t.Rows {
		writeCSVLine(b, &scratch, len(t.Columns), func(dst []byte, i int) []byte {
			if i < len(row) {
				return row[i].AppendText(dst)
			}
			return dst
		})
	}
}

// writeCSVLine writes one CSV record of n fields as encoding/csv's Writer
// does with its defaults (comma, "\n" line ends); field appends field i's
// text to dst, and *scratch is the buffer it appends to, kept for the
// next line.
func writeCSVLine(b *strings.Builder, scratch *[]byte, n int, field func(dst []byte, i int) []byte) {
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		*scratch = field((*scratch)[:0], i)
		f := *scratch
		if !csvNeedsQuotes(f) {
			b.Write(f)
			continue
		}
		b.WriteByte('"')
		for len(f) > 0 {
			j := bytes.IndexByte(f, '"')
			if j < 0 {
				b.Write(f)
				break
			}
			b.Write(f[:j+1])
			b.WriteByte('"')
			f = f[j+1:]
		}
		b.WriteByte('"')
	}
	b.WriteByte('\n')
}

// csvNeedsQuotes is encoding/csv's fieldNeedsQuotes for a comma.
func csvNeedsQuotes(f []byte) bool {
	if len(f) == 0 {
		return false
	}
	if string(f) == `\.` || bytes.ContainsAny(f, ",\"\r\n") {
		return true
	}
	r, _ := utf8.DecodeRune(f)
	return unicode.IsSpace(r)
}
