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
// It is one allocation: the summary is written on the stack first, and the
// CSV's size is bounded before anything is written (csvSizeBound).
func recordsText(cid string, out any, records ops.Table) string {
	var stack [256]byte
	summary := appendSummary(stack[:0], out, -1)
	var b strings.Builder
	b.Grow(len(summary) + len(" correlation_id=") + len(cid) + 1 + csvSizeBound(records))
	b.Write(summary)
	b.WriteString(" correlation_id=")
	b.WriteString(cid)
	b.WriteByte('\n')
	writeTableCSV(&b, records)
	return b.String()
}

// tableCSV is a table as CSV (writeTableCSV).
func tableCSV(t ops.Table) string {
	var b strings.Builder
	b.Grow(csvSizeBound(t))
	writeTableCSV(&b, t)
	return b.String()
}

// csvSizeBound is at least the size of t's CSV (for well-formed JSON cells),
// so its builder is sized once: a string's CSV field is never longer than
// its JSON (its quotes are dropped or kept, an escape is at least as long
// as what it stands for, and a doubled quote was an escaped one), a number
// or boolean is as written, null is empty, and an object or list is at most
// its JSON with each quote doubled, quoted. A column name is bounded the
// same way.
func csvSizeBound(t ops.Table) int {
	n := 0
	for _, c := range t.Columns {
		n += len(c) + strings.Count(c, `"`) + 3 // quoted, and a comma or line end
	}
	cells := 0
	for _, row := range t.Rows {
		for _, c := range row {
			if len(c) > 0 && (c[0] == '{' || c[0] == '[') {
				cells += len(c) + bytes.Count(c, []byte{'"'}) + 2
				continue
			}
			cells += len(c)
		}
	}
	// Each line has a comma or line end a column, missing cells included.
	return n + 1 + cells + len(t.Rows)*max(len(t.Columns), 1)
}

// writeTableCSV writes a table as CSV: the columns, then one line a row,
// each value as ops.Cell.Text gives it (null is an empty cell, a subquery's
// rows stay JSON in their cell). The text is encoding/csv's (TestTableCSV
// compares them), written without its 4 kB buffer a call, and each value
// from the cell's own bytes (Cell.PlainText) or, when it must be decoded,
// through one scratch buffer (Cell.AppendText), instead of a string a
// cell; the buffer starts on the stack, so a table of short values
// allocates nothing here.
func writeTableCSV(b *strings.Builder, t ops.Table) {
	var stack [256]byte
	scratch := stack[:0]
	for i, c := range t.Columns {
		if i > 0 {
			b.WriteByte(',')
		}
		scratch = append(scratch[:0], c...)
		writeCSVField(b, scratch)
	}
	b.WriteByte('\n')
	for _, row := range t.Rows {
		for i := range t.Columns {
			if i > 0 {
				b.WriteByte(',')
			}
			if i >= len(row) {
				continue
			}
			if f, ok := row[i].PlainText(); ok {
				writeCSVField(b, f) // most values, from the cell's own bytes
				continue
			}
			scratch = row[i].AppendText(scratch[:0])
			writeCSVField(b, scratch)
		}
		b.WriteByte('\n')
	}
}

// writeCSVField writes one CSV field's text f as encoding/csv's Writer
// does with its defaults (comma, "\n" line ends): quoted, with its quotes
// doubled, when it needs to be.
func writeCSVField(b *strings.Builder, f []byte) {
	if !csvNeedsQuotes(f) {
		b.Write(f)
		return
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

// csvNeedsQuotes is encoding/csv's fieldNeedsQuotes for a comma.
func csvNeedsQuotes(f []byte) bool {
	if len(f) == 0 {
		return false
	}
	if string(f) == `\.` {
		return true
	}
	// A loop, not bytes.ContainsAny: that decodes each byte as a rune and
	// searches the set for it, a tenth of a page's CSV time.
	for _, c := range f {
		if c == ',' || c == '"' || c == '\r' || c == '\n' {
			return true
		}
	}
	r, _ := utf8.DecodeRune(f)
	return unicode.IsSpace(r)
}
