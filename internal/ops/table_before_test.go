package ops

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestTableOfAsBefore: TableOf gives the table its map-based predecessor
// (tableOfBefore, kept here as the reference) gave, row for row, nil rows
// and all, for records alike and unlike: new columns late, other orders,
// empty records, parents null or not, duplicates, wide tables (the map),
// and text that is not an object.
func TestTableOfAsBefore(t *testing.T) {
	wideA, wideB := wideRecord(40, false), wideRecord(40, true)
	cases := [][]string{
		{},
		{`{}`},
		{`{}`, `{}`},
		{`{}`, `{"a":1}`, `{}`},
		{`{"a":1,"b":"x"}`},
		{`{"a":1,"b":"x"}`, `{"a":2,"b":"y"}`},
		{`{"a":1,"b":"x"}`, `{"b":"y","a":2}`},
		{`{"a":1}`, `{"a":2,"c":3}`, `{"c":4,"d":5,"a":6}`},
		{`{"a":1,"a":2}`, `{"a":3}`},
		{`{"Id":"1","Account":{"attributes":{"type":"Account"},"Name":"A","Owner":{"Name":"O"}}}`, `{"Id":"2","Account":null}`, `{"Account":{"Name":"B"},"Id":"3"}`},
		{`{"Id":"1","Contacts":{"totalSize":1,"done":true,"records":[{"Name":"c"}]}}`, `{"Id":"2","Contacts":null}`},
		{`{"Parent":{}}`, `{"Parent":{"X":1}}`},
		{`[1,2]`, `"x"`, `{"a":1}`, `not json`, `{"a":1,"b":`, `{"b":2}`},
		{` { "a" : 1 , "b" : [ 1 , "]" ] } `, `{"a":"\u0041","b\u0041":2}`},
		{wideA, wideB, wideA, wideB},
		{wideA, `{"z":1}`, wideB},
		{`{"x":1}`, wideA},
	}
	for _, recs := range cases {
		raw := make([]json.RawMessage, len(recs))
		for i, r := range recs {
			raw[i] = json.RawMessage(r)
		}
		got, want := TableOf(raw), tableOfBefore(raw)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %#v\nwant %#v", strings.Join(recs, " "), got, want)
			continue
		}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if string(gj) != string(wj) {
			t.Errorf("%s:\n got %s\nwant %s", strings.Join(recs, " "), gj, wj)
		}
	}
}

// wideRecord is a record of n fields, in reverse order when reversed.
func wideRecord(n int, reversed bool) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := range n {
		k := i
		if reversed {
			k = n - 1 - i
		}
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"F%d":%d`, k, k)
	}
	b.WriteByte('}')
	return b.String()
}

// TestTableOfRowsApart: the rows share one array, and padding one of them
// or appending to it leaves the others as they are.
func TestTableOfRowsApart(t *testing.T) {
	tab := TableOf([]json.RawMessage{json.RawMessage(`{"a":1}`), json.RawMessage(`{"a":2}`), json.RawMessage(`{"a":3,"b":4}`)})
	tab.Rows[0] = append(tab.Rows[0], Cell("9"))
	if got := string(tab.Rows[1][0]); got != "2" || len(tab.Rows[1]) != 2 || tab.Rows[1][1] != nil {
		t.Errorf("row 1 after appending to row 0: %q", tab.Rows[1])
	}
}

// tableOfBefore is TableOf as it was before the builder (the reference).
func tableOfBefore(records []json.RawMessage) Table {
	t := Table{Columns: []string{}, Rows: make([][]Cell, 0, len(records))}
	index := map[string]int{}
	// Column names are built in name and looked up without a string: a
	// page of 2 000 records of ten fields made 20 000 strings for names
	// it already had. Only a new column's name becomes a string.
	name := make([]byte, 0, 64)
	for _, rec := range records {
		// A row has room for the columns seen so far, usually all of them.
		// (Before any column it stays nil: a table of empty records has
		// null rows, as it always had.)
		var row []Cell
		if len(t.Columns) > 0 {
			row = make([]Cell, 0, len(t.Columns))
		}
		flattenBefore(rec, name, func(col []byte, v []byte) {
			i, ok := index[string(col)]
			if !ok {
				c := string(col)
				i = len(t.Columns)
				index[c] = i
				t.Columns = append(t.Columns, c)
			}
			for len(row) <= i {
				row = append(row, nil)
			}
			row[i] = Cell(v)
		})
		t.Rows = append(t.Rows, row)
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

// flattenBefore (with tableOfBefore) is the reference: flatten calls cell with each field of the JSON object raw, its column
// name prefix followed by the field's name, in order. A value that is not
// an object of fields becomes one cell. col is written in prefix's spare
// capacity and holds its bytes only until cell returns.
func flattenBefore(raw json.RawMessage, prefix []byte, cell func(col []byte, v []byte)) {
	jsonMembers(raw, func(key []byte, v []byte) {
		name := append(prefix, key...)
		if isParentRecord(v) {
			flattenBefore(v, append(name, '.'), cell)
			return
		}
		cell(name, v)
	})
}
