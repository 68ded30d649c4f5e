package output

import (
	"encoding/csv"
	"io"
	"strings"
	"unicode"

	"golang.org/x/text/width"

	"github.com/sfmcp/sfmcp/internal/iostreams"
)

// MaxColumnWidth caps a table column on a terminal; longer cells end in "…".
const MaxColumnWidth = 50

// minColumnWidth is how narrow fitting a table to the terminal may make a column.
const minColumnWidth = 6

// Table prints rows for people: aligned columns with a bold header on a
// terminal. Off a terminal it prints CSV with the header row, the one rule
// every command follows (see cmdutil.Exporter). Use RecordWriter for query
// results.
type Table struct {
	ios    *iostreams.IOStreams
	header []string
	rows   [][]string
}

// NewTable starts a table written to ios.Out.
func NewTable(ios *iostreams.IOStreams, header ...string) *Table {
	return &Table{ios: ios, header: header}
}

// AddRow adds one row; missing cells are empty.
func (t *Table) AddRow(cells ...string) { t.rows = append(t.rows, cells) }

// Render writes the table.
func (t *Table) Render() error {
	out := t.ios.Out
	if !t.ios.IsStdoutTTY() {
		w := csv.NewWriter(out)
		if err := w.Write(t.header); err != nil {
			return err
		}
		for _, row := range t.rows {
			if err := w.Write(row); err != nil {
				return err
			}
		}
		w.Flush()
		return w.Error()
	}
	n := len(t.header)
	for _, r := range t.rows {
		n = max(n, len(r))
	}
	widths := make([]int, n)
	measure := func(row []string) {
		for i, c := range row {
			widths[i] = max(widths[i], min(displayWidth(cleanCell(c)), MaxColumnWidth))
		}
	}
	measure(t.header)
	for _, r := range t.rows {
		measure(r)
	}
	fitWidths(widths, t.ios.TerminalWidth())
	if len(t.header) > 0 {
		if err := writeAligned(out, t.header, widths, t.ios.ColorScheme().Bold); err != nil {
			return err
		}
	}
	for _, r := range t.rows {
		if err := writeAligned(out, r, widths, nil); err != nil {
			return err
		}
	}
	return nil
}

// KeyValue is one line of a key/value listing.
type KeyValue struct {
	Key, Value string
}

// WriteKeyValues prints pairs (record get, lead get, bulk status): "Key
// value" lines with aligned, bold keys on a terminal. Off a terminal the
// pairs are one CSV row under a header of the keys, as the same record would
// print from a query. Values are never truncated.
func WriteKeyValues(ios *iostreams.IOStreams, pairs []KeyValue) error {
	if !ios.IsStdoutTTY() {
		w := csv.NewWriter(ios.Out)
		keys := make([]string, len(pairs))
		values := make([]string, len(pairs))
		for i, p := range pairs {
			keys[i], values[i] = p.Key, p.Value
		}
		if err := w.Write(keys); err != nil {
			return err
		}
		if err := w.Write(values); err != nil {
			return err
		}
		w.Flush()
		return w.Error()
	}
	cs := ios.ColorScheme()
	w := 0
	for _, p := range pairs {
		w = max(w, displayWidth(p.Key))
	}
	var b strings.Builder
	for _, p := range pairs {
		b.Reset()
		b.WriteString(cs.Bold(p.Key))
		b.WriteString(strings.Repeat(" ", w-displayWidth(p.Key)+2))
		b.WriteString(p.Value)
		b.WriteByte('\n')
		if _, err := io.WriteString(ios.Out, b.String()); err != nil {
			return err
		}
	}
	return nil
}

// fitWidths narrows the widest columns until the table (two spaces between
// columns) fits total, but no column below minColumnWidth.
func fitWidths(widths []int, total int) {
	if total <= 0 || len(widths) == 0 {
		return
	}
	sum := 2 * (len(widths) - 1)
	for _, w := range widths {
		sum += w
	}
	for sum > total {
		widest := 0
		for i, w := range widths {
			if w > widths[widest] {
				widest = i
			}
		}
		if widths[widest] <= minColumnWidth {
			return // cannot fit: let the terminal wrap
		}
		widths[widest]--
		sum--
	}
}

// writeAligned writes one row padded to widths; the last cell is not padded.
func writeAligned(w io.Writer, row []string, widths []int, style func(string) string) error {
	var b strings.Builder
	for i, wd := range widths {
		c := ""
		if i < len(row) {
			c = truncate(cleanCell(row[i]), wd)
		}
		if i > 0 {
			b.WriteString("  ")
		}
		pad := wd - displayWidth(c)
		if style != nil {
			c = style(c)
		}
		b.WriteString(c)
		if i < len(widths)-1 && pad > 0 {
			b.WriteString(strings.Repeat(" ", pad))
		}
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

// cleanCell puts a cell on one line.
func cleanCell(s string) string {
	if !strings.ContainsAny(s, "\t\r\n") {
		return s
	}
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace(s)
}

// displayWidth is how many terminal cells s occupies: East Asian wide and
// fullwidth characters take two, combining marks and controls none.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

func runeWidth(r rune) int {
	switch {
	case r < 0x20 || r == 0x7f:
		return 0
	case r < 0x7f:
		return 1
	case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || r == 0x200b:
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// truncate shortens s to at most w cells, ending in "…" when it cut.
func truncate(s string, w int) string {
	if displayWidth(s) <= w {
		return s
	}
	if w <= 0 {
		return ""
	}
	n := 0
	for i, r := range s {
		rw := runeWidth(r)
		if n+rw > w-1 {
			return strings.TrimRight(s[:i], " ") + "…"
		}
		n += rw
	}
	return s
}
