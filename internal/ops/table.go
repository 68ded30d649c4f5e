package ops

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// Records as a table: every tool that returns query records (query,
// query_all, query_more, tooling_query, bulk_query, search) gives them by
// default as one list of column names and one row of values per record,
// instead of one JSON object per record that repeats every field name. For
// a narrow query the names are most of the bytes, and the agent pays for
// each. record_format "objects" gives the records as objects instead.

// Record formats (the record_format argument).
const (
	RecordFormatRows    = "rows"
	RecordFormatObjects = "objects"
)

// checkRecordFormat checks a record_format argument.
func checkRecordFormat(f string) error {
	switch f {
	case "", RecordFormatRows, RecordFormatObjects:
		return nil
	}
	return inputErrorf("record_format", "%q is not rows or objects", clip(f, 40))
}

// Table is records as columns and rows. Columns are every field of any
// record in the order first seen; a parent record's fields are dotted
// columns (Account.Name), and a child subquery's result (or any list) is one
// cell. A row holds one JSON value per column, typed as Salesforce sent it
// (numbers stay numbers), null where the record has no such field.
type Table struct {
	Columns []string `json:"columns,omitzero"`
	Rows    [][]Cell `json:"rows,omitzero"`
}

// Cell is one value of a Table row: JSON as Salesforce sent it.
type Cell json.RawMessage

// MarshalJSON writes the value, or null for an absent one.
func (c Cell) MarshalJSON() ([]byte, error) {
	if len(c) == 0 {
		return []byte("null"), nil
	}
	return c, nil
}

// Text is the value as CSV text: strings unquoted, null empty, numbers and
// booleans as written, anything else compact JSON.
func (c Cell) Text() string {
	v := bytes.TrimSpace(c)
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

// AppendText appends c's Text to dst, without a string between for the
// common values: a string without escapes, a number, a boolean, null.
func (c Cell) AppendText(dst []byte) []byte {
	if t, ok := c.PlainText(); ok {
		return append(dst, t...)
	}
	if v := trimSpace(c); len(v) > 0 && v[0] == '"' {
		if out, ok := appendUnescaped(dst, v); ok {
			return out
		}
	}
	return append(dst, c.Text()...)
}

// appendUnescaped appends the text of the JSON string q, quotes included,
// as json.Unmarshal decodes it (FuzzAppendUnescaped compares them), when
// its escapes are one letter (\" \\ \/ \b \f \n \r \t): a name with a
// quote in it is decoded here without a string or Unmarshal's reflection.
// It reports false, dst unchanged, for anything else (\u escapes, text
// that is not UTF-8 or not a JSON string).
func appendUnescaped(dst, q []byte) ([]byte, bool) {
	if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' || !utf8.Valid(q) {
		return dst, false
	}
	start := len(dst)
	in := q[1 : len(q)-1]
	for {
		i := bytes.IndexByte(in, '\\')
		if i < 0 {
			i = len(in)
		}
		for _, c := range in[:i] {
			if c < 0x20 || c == '"' {
				return dst[:start], false
			}
		}
		dst = append(dst, in[:i]...)
		if i == len(in) {
			return dst, true
		}
		if i+1 == len(in) {
			return dst[:start], false
		}
		var c byte
		switch in[i+1] {
		case '"', '\\', '/':
			c = in[i+1]
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		default:
			return dst[:start], false
		}
		dst = append(dst, c)
		in = in[i+2:]
	}
}

// PlainText is c's Text as c's own bytes, without a copy, for the common
// values (a string without escapes, a number, a boolean, null); ok is false
// for the others, which need decoding (Text, AppendText).
func (c Cell) PlainText() (text []byte, ok bool) {
	v := trimSpace(c)
	switch {
	case len(v) == 0, string(v) == "null":
		return nil, true
	case v[0] == '"':
		if len(v) >= 2 && bytes.IndexByte(v, '\\') < 0 && utf8.Valid(v) {
			return v[1 : len(v)-1], true
		}
		return nil, false
	case v[0] == '{' || v[0] == '[':
		return nil, false
	}
	return v, true
}

// trimSpace is bytes.TrimSpace without its rune decoding for the usual
// value, which starts and ends with a byte that is ASCII and not a space
// (and so begins and ends with a rune that is not a space).
func trimSpace(v []byte) []byte {
	if len(v) > 0 && notSpaceASCII(v[0]) && notSpaceASCII(v[len(v)-1]) {
		return v
	}
	return bytes.TrimSpace(v)
}

func notSpaceASCII(c byte) bool {
	return c < utf8.RuneSelf && c != ' ' && (c < '\t' || c > '\r')
}

// Tabular is a result that holds records, in either form.
type Tabular interface {
	// RecordTable returns the records as a table (made from the objects
	// when they were asked for as objects).
	RecordTable() Table
}

// TableOf makes the table of records (JSON objects).
func TableOf(records []json.RawMessage) Table {
	t := Table{Columns: []string{}, Rows: make([][]Cell, 0, len(records))}
	if len(records) == 0 {
		return t
	}
	// The first record's cells and names are counted first, so that the
	// columns, their names and the rows are each one allocation when the
	// records are alike, as a query's are.
	first, nameBytes := countCells(records[0], 0)
	var b tableBuilder
	if first > 0 {
		b.columns = make([]string, 0, first)
		b.names.Grow(nameBytes)
	}
	var nameBuf [128]byte // a column's dotted name, built on the stack
	for ri, rec := range records {
		// A row is a slice of one array of the rows still to come, with
		// room for the columns seen so far (usually all of them). (Before
		// any column a row stays nil: a table of empty records has null
		// rows, as it always had.)
		n := len(b.columns)
		if ri == 0 {
			n = first
		}
		b.row = nil
		if n > 0 {
			if len(b.cells) < n {
				b.cells = make([]Cell, (len(records)-ri)*n)
			}
			b.row, b.cells = b.cells[:0:n], b.cells[n:]
		}
		b.last = -1
		b.flatten(rec, nameBuf[:0])
		t.Rows = append(t.Rows, b.row)
	}
	if len(b.columns) > 0 {
		t.Columns = b.columns
	}
	// Rows made before a column first appeared are shorter: pad them.
	for i, row := range t.Rows {
		for len(row) < len(t.Columns) {
			row = append(row, nil)
		}
		t.Rows[i] = row
	}
	return t
}

// countCells counts the cells flatten makes of the record raw and the
// bytes of their column names, prefix bytes before each.
func countCells(raw json.RawMessage, prefix int) (cells, nameBytes int) {
	jsonMembers(raw, func(key []byte, v []byte) {
		if isParentRecord(v) {
			c, n := countCells(v, prefix+len(key)+1)
			cells, nameBytes = cells+c, nameBytes+n
			return
		}
		cells++
		nameBytes += prefix + len(key)
	})
	return cells, nameBytes
}

// tableBuilder is TableOf's state. Column names are looked up without a
// string: a record's next column is nearly always the one after its last
// (Salesforce writes every record's fields in the query's order), a few
// are scanned, and only a wide table whose records differ in order gets a
// map. A page of 2 000 records of ten fields made 20 000 strings and map
// look-ups for names it already had, and a row was an allocation each.
type tableBuilder struct {
	columns []string
	names   strings.Builder // every column's name; columns are parts of it
	index   map[string]int  // the columns by name, once a wide table's records differ in order
	last    int             // the column of the current record's previous cell
	row     []Cell          // the current record's row
	cells   []Cell          // room for the rows to come
}

// scanColumns is how many columns are scanned for a name before a map of
// them is made.
const scanColumns = 16

// flatten adds each field of the JSON object raw to the row, its column
// name prefix followed by the field's name, in order. A value that is not
// an object of fields becomes one cell. The name is written in prefix's
// spare capacity.
func (b *tableBuilder) flatten(raw json.RawMessage, prefix []byte) {
	jsonMembers(raw, func(key []byte, v []byte) {
		name := append(prefix, key...)
		if isParentRecord(v) {
			b.flatten(v, append(name, '.'))
			return
		}
		b.cell(name, v)
	})
}

// cell sets column col of the row to v, adding the column when it is new.
func (b *tableBuilder) cell(col []byte, v []byte) {
	i := b.find(col)
	if i < 0 {
		// The builder's text so far is a string that later writes leave
		// as it is: the name is a part of it, not a string of its own.
		start := b.names.Len()
		b.names.Write(col)
		c := b.names.String()[start:]
		i = len(b.columns)
		b.columns = append(b.columns, c)
		if b.index != nil {
			b.index[c] = i
		}
	}
	b.last = i
	for len(b.row) <= i {
		b.row = append(b.row, nil)
	}
	b.row[i] = Cell(v)
}

// find returns the column named col, or -1.
func (b *tableBuilder) find(col []byte) int {
	n := len(b.columns)
	if i := b.last + 1; i < n && b.columns[i] == string(col) {
		return i
	}
	if b.index == nil && n > scanColumns {
		b.index = make(map[string]int, n)
		for i, c := range b.columns {
			b.index[c] = i
		}
	}
	if b.index != nil {
		if i, ok := b.index[string(col)]; ok {
			return i
		}
		return -1
	}
	for i, c := range b.columns {
		if c == string(col) {
			return i
		}
	}
	return -1
}

// tableOrObjects sets the records of a result in the asked form.
func tableOrObjects(objects bool, records []json.RawMessage) (Table, []json.RawMessage) {
	if objects {
		if records == nil {
			records = []json.RawMessage{}
		}
		return Table{}, records
	}
	return TableOf(records), nil
}

// tableOf returns t, or the table of records when they were asked for as objects.
func tableOf(t Table, records []json.RawMessage) Table {
	if records != nil {
		return TableOf(records)
	}
	return t
}

// isParentRecord is true for a nested object that is a record's fields,
// not a subquery result (which has "records") or other structure.
func isParentRecord(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || v[0] != '{' {
		return false
	}
	records := false
	ok := jsonMembers(v, func(key []byte, _ []byte) { records = records || string(key) == "records" })
	return ok && !records
}

// jsonMembers calls fn with each member of the JSON object raw, in order:
// its name unquoted (raw's own bytes when it has no escape; fn must not
// keep or change them) and its value as written. It reports false when raw is
// not a well-formed object (fn may have seen the members before the fault).
// It runs for every record of every result, so it scans bytes rather than
// decode tokens.
func jsonMembers(raw []byte, fn func(name []byte, value []byte)) bool {
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
		name, ok := unquoteBytes(raw[start:s.i])
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

// unquoteBytes is unquote without a copy of a string with no escape: q's
// own bytes between the quotes.
func unquoteBytes(q []byte) ([]byte, bool) {
	if len(q) < 2 {
		return nil, false
	}
	if bytes.IndexByte(q, '\\') < 0 && utf8.Valid(q) {
		return q[1 : len(q)-1], true
	}
	s, ok := unquote(q)
	return []byte(s), ok
}
