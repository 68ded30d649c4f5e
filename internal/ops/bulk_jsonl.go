package ops

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Records given as JSON (JSON lines from a file, or the records argument of
// an MCP tool) become Bulk CSV on the fly: one object per row, nested objects
// flattened to relationship columns (Account.External_Id__c), null written
// as #N/A (Bulk's "set this field to null"), a missing key as an empty cell
// (leave the field as it is). Arrays have no CSV form and are refused.

// bulkNull is how a Bulk CSV cell sets a field to null.
const bulkNull = "#N/A"

// flattenJSONRecord calls set for every leaf of one JSON object, dotted
// names for nested objects. "attributes" keys are skipped, as Salesforce
// skips them.
func flattenJSONRecord(raw []byte, set func(name, value string)) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	if dec.More() {
		return fmt.Errorf("more than one JSON value")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("not a JSON object")
	}
	return flattenValue("", obj, set)
}

func flattenValue(prefix string, obj map[string]any, set func(name, value string)) error {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys) // map order is random; the header order comes from sortColumns
	for _, k := range keys {
		if k == "attributes" {
			continue
		}
		name := prefix + k
		switch x := obj[k].(type) {
		case nil:
			set(name, bulkNull)
		case string:
			set(name, x)
		case json.Number:
			set(name, x.String())
		case float64:
			set(name, fmt.Sprint(x))
		case bool:
			set(name, fmt.Sprint(x))
		case map[string]any:
			if err := flattenValue(name+".", x, set); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: a list has no CSV form; give one value", name)
		}
	}
	return nil
}

// JSONRows yields JSON objects one at a time with the line they came from;
// io.EOF at the end.
type JSONRows func() (raw []byte, line int, err error)

// JSONLines reads one JSON object per line; blank lines are skipped.
func JSONLines(r io.Reader) JSONRows {
	br := bufio.NewReaderSize(r, 64<<10)
	line := 0
	var buf []byte
	return func() ([]byte, int, error) {
		for {
			buf = buf[:0]
			for {
				chunk, err := br.ReadSlice('\n')
				buf = append(buf, chunk...)
				if err == bufio.ErrBufferFull {
					continue
				}
				if err != nil && err != io.EOF {
					return nil, line, err
				}
				line++
				if b := bytes.TrimSpace(bytes.TrimPrefix(buf, utf8BOM)); len(b) > 0 {
					return b, line, nil
				}
				if err == io.EOF {
					return nil, line, io.EOF
				}
				break
			}
		}
	}
}

// ScanJSONRows reads every row once and returns the columns they use (in
// the order first seen, Id first), and the row count.
func ScanJSONRows(next JSONRows) ([]string, int64, error) {
	var cols []string
	seen := map[string]bool{}
	var rows int64
	for {
		raw, line, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, rows, err
		}
		if err := flattenJSONRecord(raw, func(name, _ string) {
			if !seen[name] {
				seen[name] = true
				cols = append(cols, name)
			}
		}); err != nil {
			return nil, rows, &CSVError{line, err.Error()}
		}
		rows++
	}
	if rows == 0 || len(cols) == 0 {
		return nil, 0, ErrNoRows
	}
	// Id first: people read the files this produces.
	sort.SliceStable(cols, func(i, j int) bool { return strings.EqualFold(cols[i], "Id") && !strings.EqualFold(cols[j], "Id") })
	return cols, rows, nil
}

// JSONToCSV converts rows to CSV with the given header, as a stream.
func JSONToCSV(next JSONRows, header []string) io.Reader {
	idx := make(map[string]int, len(header))
	for i, h := range header {
		idx[h] = i
	}
	c := &jsonCSV{next: next, header: header, idx: idx, cells: make([]string, len(header))}
	c.w = csv.NewWriter(&c.buf)
	_ = c.w.Write(header)
	c.w.Flush()
	return c
}

type jsonCSV struct {
	next   JSONRows
	header []string
	idx    map[string]int
	cells  []string
	buf    bytes.Buffer
	w      *csv.Writer
	err    error
}

func (c *jsonCSV) Read(p []byte) (int, error) {
	for c.buf.Len() == 0 {
		if c.err != nil {
			return 0, c.err
		}
		raw, line, err := c.next()
		if err != nil {
			c.err = err
			continue
		}
		clear(c.cells)
		var unknown string
		if err := flattenJSONRecord(raw, func(name, value string) {
			i, ok := c.idx[name]
			if !ok {
				unknown = name
				return
			}
			c.cells[i] = value
		}); err != nil {
			c.err = &CSVError{line, err.Error()}
			continue
		}
		if unknown != "" {
			c.err = &CSVError{line, fmt.Sprintf("%s is not one of the columns %s", unknown, strings.Join(c.header, ", "))}
			continue
		}
		_ = c.w.Write(c.cells)
		c.w.Flush()
	}
	return c.buf.Read(p)
}
