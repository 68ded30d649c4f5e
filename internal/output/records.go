package output

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sfmcp/sfmcp/internal/iostreams"
)

// RecordFormat is how a RecordWriter prints records.
type RecordFormat int

// The record formats.
const (
	// RecordsCSV is RFC 4180 CSV (LF line endings) with a header row of
	// flattened keys; see Flatten for how records become cells.
	RecordsCSV RecordFormat = iota
	// RecordsJSON is a JSON array of the records exactly as Salesforce sent
	// them, indented like WriteJSON and written as the records arrive.
	RecordsJSON
	// RecordsJSONLines is one compact record per line.
	RecordsJSONLines
	// RecordsTable is aligned columns for a terminal.
	RecordsTable
	// RecordsJQ runs a jq expression over the RecordsJSON array. jq needs the
	// whole input, so this format holds every record in memory until Close.
	RecordsJQ
)

// Defaults for RecordOptions.
const (
	DefaultHoldBack  = 1000 // CSV records held back while a null-only column may still turn out to be a parent
	DefaultTableRows = 500  // table rows measured before column widths are fixed
)

// RecordOptions tune a RecordWriter. The zero value works.
type RecordOptions struct {
	// Columns fixes the CSV/table header (e.g. the SOQL select list, dotted:
	// "Account.Name"): a projection, so other keys are left out without a
	// warning. Empty means learn it from the records.
	Columns []string
	// Union makes the CSV/table header the union of every record's keys, for
	// outputs whose records differ in shape (several objects from one search,
	// structs that omit empty fields). The writer then holds every record
	// until Close, so use it only for outputs already held in memory.
	Union bool
	// TypeColumn, when set, adds a first column of that name holding each
	// record's object type (its attributes.type), so rows of different
	// objects in one table stay tellable apart.
	TypeColumn string
	// HoldBack bounds how many records CSV output holds back, before writing
	// the header, while some column has only been seen as null and so may
	// still turn out to be a parent relationship (Account → Account.Name).
	// Zero means DefaultHoldBack.
	HoldBack int
	// TableRows is how many rows a table buffers to size its columns; later
	// rows reuse those widths and are truncated with "…". Zero means DefaultTableRows.
	TableRows int
	// Width is the terminal width tables fit into; zero means no limit.
	Width int
	// Color styles the table header.
	Color iostreams.ColorScheme
	// JQ is the expression for RecordsJQ, with Context bounding its run.
	JQ      *JQ
	Context context.Context
	// Warn is told, once per key, about values a CSV or table cannot show
	// because their column appeared after the header was written.
	Warn func(message string)
}

// RecordWriter writes a stream of Salesforce records in one format.
//
// CSV, JSON and JSON lines use constant memory however many records pass
// (apart from the bounded CSV hold-back described in RecordOptions). A table
// buffers its first TableRows rows to size the columns. Call Close at the end.
//
// How the CSV/table header is chosen: it starts from the first record's
// flattened keys. A key that is null in every record seen so far might be a
// null parent relationship ("Account":null) rather than a field; CSV output
// holds records back (at most HoldBack) until each such key has been seen
// non-null, so that "Account" can become "Account.Name" before the header is
// written. If a new key still arrives after the header is out, its value goes
// into the cell of its nearest ancestor column as a JSON object
// ("Account" → {"Name":"X"}); a key with no such column is left out and
// reported through Warn. Passing Columns avoids all guessing.
type RecordWriter struct {
	format RecordFormat
	opts   RecordOptions
	out    io.Writer
	buf    *bufio.Writer // JSON, JSON lines and table
	csv    *csv.Writer

	cols    *columns
	frozen  bool      // header decided and written
	pending [][]Field // records held back before the header
	fields  []Field   // scratch for Flatten
	row     []string  // scratch for one output row
	widths  []int     // table column widths, fixed at freeze
	extras  map[string][]Field
	warned  map[string]bool

	scratch bytes.Buffer // JSON re-indenting / compacting
	jq      bytes.Buffer // RecordsJQ: the whole array
	count   int
	closed  bool
}

// NewRecordWriter returns a writer of records to w in format.
func NewRecordWriter(w io.Writer, format RecordFormat, opts RecordOptions) *RecordWriter {
	if opts.HoldBack <= 0 {
		opts.HoldBack = DefaultHoldBack
	}
	if opts.TableRows <= 0 {
		opts.TableRows = DefaultTableRows
	}
	if opts.Context == nil {
		opts.Context = context.Background()
	}
	if opts.TypeColumn != "" && len(opts.Columns) > 0 && !slices.Contains(opts.Columns, opts.TypeColumn) {
		opts.Columns = append([]string{opts.TypeColumn}, opts.Columns...)
	}
	rw := &RecordWriter{format: format, opts: opts, out: w, cols: newColumns(opts.Columns)}
	switch format {
	case RecordsCSV:
		rw.csv = csv.NewWriter(w)
	default:
		rw.buf = bufio.NewWriterSize(w, 32*1024)
	}
	return rw
}

// Count is how many records have been written.
func (rw *RecordWriter) Count() int { return rw.count }

// Write adds one record: a JSON object as Salesforce returns it.
func (rw *RecordWriter) Write(record json.RawMessage) error {
	if rw.closed {
		return fmt.Errorf("record writer: write after Close")
	}
	rw.count++
	switch rw.format {
	case RecordsJSON:
		if rw.count == 1 {
			rw.buf.WriteString("[\n  ")
		} else {
			rw.buf.WriteString(",\n  ")
		}
		rw.scratch.Reset()
		if err := json.Indent(&rw.scratch, record, "  ", "  "); err != nil {
			return fmt.Errorf("record %d: %w", rw.count, err)
		}
		_, err := rw.buf.Write(rw.scratch.Bytes())
		return err
	case RecordsJSONLines:
		rw.scratch.Reset()
		if err := json.Compact(&rw.scratch, record); err != nil {
			return fmt.Errorf("record %d: %w", rw.count, err)
		}
		rw.scratch.WriteByte('\n')
		_, err := rw.buf.Write(rw.scratch.Bytes())
		return err
	case RecordsJQ:
		if rw.count == 1 {
			rw.jq.WriteByte('[')
		} else {
			rw.jq.WriteByte(',')
		}
		if err := json.Compact(&rw.jq, record); err != nil {
			return fmt.Errorf("record %d: %w", rw.count, err)
		}
		return nil
	}

	fields := rw.fields[:0]
	if rw.opts.TypeColumn != "" {
		fields = append(fields, Field{Key: rw.opts.TypeColumn, Value: recordType(record), Kind: KindString})
	}
	fields, err := Flatten(fields, record)
	rw.fields = fields
	if err != nil {
		return fmt.Errorf("record %d: %w", rw.count, err)
	}
	if rw.frozen {
		return rw.emit(fields)
	}
	if len(rw.opts.Columns) == 0 {
		rw.cols.learn(fields)
	}
	rw.pending = append(rw.pending, slices.Clone(fields))
	if rw.readyForHeader() {
		return rw.freeze()
	}
	return nil
}

// WriteValue adds any value that marshals to a JSON object (a struct or a
// map), so lists that are not query results print the same way.
func (rw *RecordWriter) WriteValue(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return rw.Write(data)
}

// recordType is a record's attributes.type, or "" when it has none.
func recordType(record []byte) string {
	var r struct {
		Attributes struct {
			Type string `json:"type"`
		} `json:"attributes"`
	}
	_ = json.Unmarshal(record, &r) // Flatten reports a malformed record
	return r.Attributes.Type
}

func (rw *RecordWriter) readyForHeader() bool {
	if rw.opts.Union {
		return false // Close writes the header, once every key is known
	}
	if rw.format == RecordsTable {
		return len(rw.pending) >= rw.opts.TableRows
	}
	return len(rw.opts.Columns) > 0 || len(rw.cols.unresolved) == 0 || len(rw.pending) >= rw.opts.HoldBack
}

// freeze writes the header and the held-back rows.
func (rw *RecordWriter) freeze() error {
	rw.frozen = true
	header := rw.cols.names
	rw.row = make([]string, len(header))
	switch rw.format {
	case RecordsCSV:
		if len(header) > 0 {
			if err := rw.csv.Write(header); err != nil {
				return err
			}
		}
	case RecordsTable:
		rw.widths = make([]int, len(header))
		for i, h := range header {
			rw.widths[i] = min(displayWidth(h), MaxColumnWidth)
		}
		for _, fields := range rw.pending {
			for i, c := range rw.cells(fields) {
				rw.widths[i] = max(rw.widths[i], min(displayWidth(cleanCell(c)), MaxColumnWidth))
			}
		}
		fitWidths(rw.widths, rw.opts.Width)
		if len(header) > 0 {
			if err := writeAligned(rw.buf, header, rw.widths, rw.opts.Color.Bold); err != nil {
				return err
			}
		}
	}
	pending := rw.pending
	rw.pending = nil
	for _, fields := range pending {
		if err := rw.emit(fields); err != nil {
			return err
		}
	}
	return nil
}

func (rw *RecordWriter) emit(fields []Field) error {
	row := rw.cells(fields)
	if len(row) == 0 {
		return nil
	}
	if rw.format == RecordsCSV {
		return rw.csv.Write(row)
	}
	return writeAligned(rw.buf, row, rw.widths, nil)
}

// cells lays a record's fields out along the header, in rw.row.
func (rw *RecordWriter) cells(fields []Field) []string {
	row := rw.row[:len(rw.cols.names)]
	if rw.cols.sameKeys(fields) {
		for i := range fields {
			row[i] = fields[i].Value
		}
		return row
	}
	clear(row)
	clear(rw.extras)
	for _, f := range fields {
		if i, ok := rw.cols.index[f.Key]; ok {
			row[i] = f.Value
			continue
		}
		if anc, ok := rw.cols.ancestorColumn(f.Key); ok {
			if rw.extras == nil {
				rw.extras = map[string][]Field{}
			}
			f.Key = f.Key[len(anc)+1:]
			rw.extras[anc] = append(rw.extras[anc], f)
			continue
		}
		if f.Kind != KindNull && len(rw.opts.Columns) == 0 && !rw.warned[f.Key] {
			if rw.warned == nil {
				rw.warned = map[string]bool{}
			}
			rw.warned[f.Key] = true
			if rw.opts.Warn != nil {
				rw.opts.Warn(fmt.Sprintf("column %q first appeared after the header was written; its values are left out (use --json to see every field)", f.Key))
			}
		}
	}
	for anc, fs := range rw.extras {
		row[rw.cols.index[anc]] = fieldsJSON(fs)
	}
	return row
}

// fieldsJSON renders flattened fields as one JSON object, for a cell.
func fieldsJSON(fs []Field) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.Key)
		b.Write(k)
		b.WriteByte(':')
		switch f.Kind {
		case KindNull:
			b.WriteString("null")
		case KindString:
			v, _ := json.Marshal(f.Value)
			b.Write(v)
		default:
			b.WriteString(f.Value)
		}
	}
	b.WriteByte('}')
	return b.String()
}

// Flush pushes buffered output to the underlying writer; call it between
// pages so a slow query still shows progress downstream.
func (rw *RecordWriter) Flush() error {
	if rw.csv != nil {
		rw.csv.Flush()
		return rw.csv.Error()
	}
	return rw.buf.Flush()
}

// Close writes whatever is held back (header, buffered rows, the closing
// bracket, jq results) and flushes. It does not close the underlying writer.
func (rw *RecordWriter) Close() error {
	if rw.closed {
		return nil
	}
	rw.closed = true
	switch rw.format {
	case RecordsJSON:
		if rw.count == 0 {
			rw.buf.WriteString("[]\n")
		} else {
			rw.buf.WriteString("\n]\n")
		}
	case RecordsJSONLines:
	case RecordsJQ:
		if rw.count == 0 {
			rw.jq.WriteByte('[')
		}
		rw.jq.WriteByte(']')
		if rw.opts.JQ == nil {
			return fmt.Errorf("record writer: RecordsJQ without an expression")
		}
		if err := rw.opts.JQ.RunJSON(rw.opts.Context, rw.buf, rw.jq.Bytes()); err != nil {
			return err
		}
	default:
		if !rw.frozen {
			if err := rw.freeze(); err != nil {
				return err
			}
		}
	}
	return rw.Flush()
}
