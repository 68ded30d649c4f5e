package ops

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestTableOf(t *testing.T) {
	tab := TableOf([]json.RawMessage{
		json.RawMessage(`{"Id":"1","Name":"A, \"B\"","Owner":{"Name":"O","Manager":{"Name":"M"}},"N":2.50,"X":null,"Cases":{"totalSize":1,"done":true,"records":[{"S":"s"}]}}`),
		json.RawMessage(`{"Id":"2","Name":"C","Owner":null,"Extra":true}`),
		json.RawMessage(`{ "Id" : "3" , "N" : -1e3 }`),
	})
	got, _ := json.Marshal(tab)
	want := `{"columns":["Id","Name","Owner.Name","Owner.Manager.Name","N","X","Cases","Owner","Extra"],"rows":[` +
		`["1","A, \"B\"","O","M",2.50,null,{"totalSize":1,"done":true,"records":[{"S":"s"}]},null,null],` +
		`["2","C",null,null,null,null,null,null,true],` +
		`["3",null,null,null,-1e3,null,null,null,null]]}`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for _, tc := range []struct{ cell, text string }{
		{`"a\"b\n"`, "a\"b\n"}, {`null`, ""}, {``, ""}, {`2.50`, "2.50"}, {`true`, "true"},
		{`{ "records" : [ 1 ] }`, `{"records":[1]}`}, {`"\u00e9"`, "é"},
	} {
		if got := Cell(tc.cell).Text(); got != tc.text {
			t.Errorf("Cell(%s).Text() = %q; want %q", tc.cell, got, tc.text)
		}
	}
	// No records: empty lists, not null, so the result says there are none.
	if got, _ := json.Marshal(TableOf(nil)); string(got) != `{"columns":[],"rows":[]}` {
		t.Errorf("no records: %s", got)
	}
}

func TestCheckRecordFormat(t *testing.T) {
	for f, ok := range map[string]bool{"": true, "rows": true, "objects": true, "Objects": false, "csv": false} {
		if err := checkRecordFormat(f); (err == nil) != ok {
			t.Errorf("%q: %v", f, err)
		}
	}
}

// TestTableOfNames: column names built in one buffer come out as they did
// when each was its own string: escaped names, names past the buffer's
// first 64 bytes, nested parents beside one another, duplicates, empty
// records, and columns first seen in a later record.
func TestTableOfNames(t *testing.T) {
	long := strings.Repeat("L", 70)
	for _, tc := range []struct {
		name    string
		records []string
		want    string
	}{
		{name: "escaped name is the same column", records: []string{`{"Name":"a"}`, `{"N\u0061me":"b","\u00c9t\u00e9":1}`},
			want: `{"columns":["Name","Été"],"rows":[["a",null],["b",1]]}`},
		{name: "long nested names", records: []string{`{"` + long + `":{"` + long + `":{"X":1},"Y":2},"Z":3}`, `{"Z":4,"` + long + `":{"Y":5}}`},
			want: `{"columns":["` + long + `.` + long + `.X","` + long + `.Y","Z"],"rows":[[1,2,3],[null,5,4]]}`},
		{name: "sibling parents", records: []string{`{"Owner":{"Name":"o"},"Account":{"Name":"a","Owner":{"Name":"ao"}},"Name":"n"}`},
			want: `{"columns":["Owner.Name","Account.Name","Account.Owner.Name","Name"],"rows":[["o","a","ao","n"]]}`},
		{name: "duplicate member", records: []string{`{"A":1,"A":2}`},
			want: `{"columns":["A"],"rows":[[2]]}`},
		{name: "only empty records", records: []string{`{}`, `{}`},
			want: `{"columns":[],"rows":[null,null]}`},
		{name: "empty record after columns", records: []string{`{"A":1}`, `{}`},
			want: `{"columns":["A"],"rows":[[1],[null]]}`},
		{name: "empty record before columns", records: []string{`{}`, `{"A":1,"B":2}`, `{"B":3,"C":4}`},
			want: `{"columns":["A","B","C"],"rows":[[null,null,null],[1,2,null],[null,3,4]]}`},
		{name: "subquery is a cell", records: []string{`{"Cases":{"records":[{"S":"s"}]},"Id":"1"}`},
			want: `{"columns":["Cases","Id"],"rows":[[{"records":[{"S":"s"}]},"1"]]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs := make([]json.RawMessage, len(tc.records))
			for i, r := range tc.records {
				recs[i] = json.RawMessage(r)
			}
			got, err := json.Marshal(TableOf(recs))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestTableOfAllocations: a page's column names are one string, not one a
// record, and the rows are one array.
func TestTableOfAllocations(t *testing.T) {
	recs := make([]json.RawMessage, 200)
	for i := range recs {
		recs[i] = json.RawMessage(fmt.Sprintf(`{"Id":"001%03d","Name":"N%d","Owner":{"Name":"O","Email":"o@example.com"},"Amount":%d,"Stage":"Won","Closed":true,"Type":null,"Region":"EMEA","Score":1.5}`, i, i, i))
	}
	allocs := testing.AllocsPerRun(20, func() { _ = TableOf(recs) })
	// The rows (one array), the columns, their names (one string) and the
	// list of rows.
	if limit := 4.0; allocs > limit {
		t.Errorf("TableOf of %d records: %.0f allocations, want at most %.0f", len(recs), allocs, limit)
	}
}

// BenchmarkTableOf is one page of 2 000 records of ten fields as a table.
//
//	go test -run '^$' -bench BenchmarkTableOf -benchmem ./internal/ops/
func BenchmarkTableOf(b *testing.B) {
	recs := make([]json.RawMessage, 2000)
	for i := range recs {
		recs[i] = json.RawMessage(fmt.Sprintf(`{"Id":"001%06d","Name":"N%d","Owner":{"Name":"O","Email":"o@example.com"},"Amount":%d,"Stage":"Won","Closed":true,"Type":null,"Region":"EMEA","Score":1.5}`, i, i, i))
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = TableOf(recs)
	}
}

// TestCellAppendText: AppendText appends what Text returns, for every kind
// of value and for text Text passes through as it is.
func TestCellAppendText(t *testing.T) {
	for _, c := range []string{``, ` `, `null`, ` null `, `nul`, `"`, `""`, `"a"`, ` "a b" `, `"abc`, `"a\"b\n"`, `"\u00e9"`,
		`"é日本"`, "\"\xff\"", `0`, `-1.5e3`, `2.50`, `true`, `false`, `{ "a" : [ 1 , "]" ] }`, `[1, 2]`, `{"a":`, `[`, `x y`} {
		want := Cell(c).Text()
		if got := string(Cell(c).AppendText(nil)); got != want {
			t.Errorf("Cell(%q).AppendText(nil) = %q; Text() = %q", c, got, want)
		}
		if got := string(Cell(c).AppendText([]byte("pre|"))); got != "pre|"+want {
			t.Errorf("Cell(%q).AppendText(pre|) = %q; want %q", c, got, "pre|"+want)
		}
		// PlainText, where it answers, is Text without a copy.
		if got, ok := Cell(c).PlainText(); ok && string(got) != want {
			t.Errorf("Cell(%q).PlainText() = %q; Text() = %q", c, got, want)
		}
	}
}

// TestTrimSpace: trimSpace is bytes.TrimSpace, Unicode spaces and bytes
// that are not UTF-8 included.
func TestTrimSpace(t *testing.T) {
	for _, v := range []string{"", " ", "a", " a ", "\ta\n", "\va\f", "\ra", "a\u00a0", "\u0085a", "\u00a0", "\u2028x\u3000",
		"\xc2", "a\xc2", "\xa0a", "\xc2\xa0", "\x1fa\x1f", "a b", "\x7f", "é", "1.5", `"x"`, "null\u00a0"} {
		if got, want := string(trimSpace([]byte(v))), string(bytes.TrimSpace([]byte(v))); got != want {
			t.Errorf("trimSpace(%q) = %q; want %q", v, got, want)
		}
	}
}

// FuzzAppendUnescaped: where appendUnescaped decodes a JSON string, it is
// what json.Unmarshal decodes; where it declines, dst is as it was.
func FuzzAppendUnescaped(f *testing.F) {
	for _, s := range []string{`"a\"b"`, `"\\\/\b\f\n\r\t"`, `"\u0041"`, `"a\"`, `"\x"`, "\"\x01\"", `"a"b"`, `""`, `"`, "\"\xff\"", `"é\n"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got, ok := appendUnescaped([]byte("pre|"), []byte(q))
		if !ok {
			if string(got) != "pre|" {
				t.Fatalf("%q: declined, but dst is %q", q, got)
			}
			return
		}
		var want string
		if err := json.Unmarshal([]byte(q), &want); err != nil {
			t.Fatalf("%q: decoded as %q; Unmarshal: %v", q, got[4:], err)
		}
		if string(got) != "pre|"+want {
			t.Fatalf("%q: %q; Unmarshal %q", q, got[4:], want)
		}
	})
}
