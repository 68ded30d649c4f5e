package output

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

func writeRecords(t *testing.T, format RecordFormat, opts RecordOptions, records ...string) string {
	t.Helper()
	var buf bytes.Buffer
	rw := NewRecordWriter(&buf, format, opts)
	for _, r := range records {
		if err := rw.Write(json.RawMessage(r)); err != nil {
			t.Fatal(err)
		}
	}
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestRecordsCSV(t *testing.T) {
	tests := []struct {
		name    string
		opts    RecordOptions
		records []string
		want    string
	}{
		{
			name: "header from the first record, parents flattened",
			records: []string{
				`{"attributes":{"type":"Contact"},"Id":"003A","Name":"Ann","Account":{"attributes":{"type":"Account"},"Name":"Acme"}}`,
				`{"attributes":{"type":"Contact"},"Id":"003B","Name":"Bo","Account":{"attributes":{"type":"Account"},"Name":"Beta"}}`,
			},
			want: "Id,Name,Account.Name\n003A,Ann,Acme\n003B,Bo,Beta\n",
		},
		{
			name: "quoting of commas, quotes, newlines; unicode untouched",
			records: []string{
				`{"A":"x, y","B":"say \"hi\"","C":"line1\nline2","D":"Zoë 日本 🚀"}`,
			},
			want: "A,B,C,D\n\"x, y\",\"say \"\"hi\"\"\",\"line1\nline2\",Zoë 日本 🚀\n",
		},
		{
			name: "later null parent leaves its cells empty",
			records: []string{
				`{"Id":"1","Account":{"Name":"Acme","Owner":{"Name":"O"}},"Phone":"5"}`,
				`{"Id":"2","Account":null,"Phone":"6"}`,
				`{"Id":"3","Account":{"Name":"B","Owner":null},"Phone":"7"}`,
			},
			want: "Id,Account.Name,Account.Owner.Name,Phone\n1,Acme,O,5\n2,,,6\n3,B,,7\n",
		},
		{
			name: "first record's null parent becomes columns once seen",
			records: []string{
				`{"Id":"1","Account":null,"Phone":"5"}`,
				`{"Id":"2","Account":null,"Phone":null}`,
				`{"Id":"3","Account":{"Name":"B","Industry":"Tech"},"Phone":"7"}`,
				`{"Id":"4","Account":null,"Phone":"8"}`,
			},
			want: "Id,Account.Name,Account.Industry,Phone\n1,,,5\n2,,,\n3,B,Tech,7\n4,,,8\n",
		},
		{
			name: "a column null everywhere stays one column",
			records: []string{
				`{"Id":"1","Fax":null}`,
				`{"Id":"2","Fax":null}`,
			},
			want: "Id,Fax\n1,\n2,\n",
		},
		{
			name: "parent seen only after the hold-back goes into the ancestor cell as JSON",
			opts: RecordOptions{HoldBack: 1},
			records: []string{
				`{"Id":"1","Account":null}`,
				`{"Id":"2","Account":{"Name":"B, Inc","Owner":{"Name":"O"},"Employees":5,"Active":null}}`,
			},
			want: "Id,Account\n1,\n2,\"{\"\"Name\"\":\"\"B, Inc\"\",\"\"Owner.Name\"\":\"\"O\"\",\"\"Employees\"\":5,\"\"Active\"\":null}\"\n",
		},
		{
			name: "child subquery is a JSON cell",
			records: []string{
				`{"Name":"Acme","Contacts":{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Contact"},"LastName":"Li"}]}}`,
				`{"Name":"Beta","Contacts":null}`,
			},
			want: "Name,Contacts\nAcme,\"{\"\"totalSize\"\":1,\"\"done\"\":true,\"\"records\"\":[{\"\"attributes\"\":{\"\"type\"\":\"\"Contact\"\"},\"\"LastName\"\":\"\"Li\"\"}]}\"\nBeta,\n",
		},
		{
			name:    "explicit columns",
			opts:    RecordOptions{Columns: []string{"Name", "Account.Name"}},
			records: []string{`{"Name":"Ann","Account":null}`, `{"Name":"Bo","Account":{"Name":"X"}}`},
			want:    "Name,Account.Name\nAnn,\nBo,X\n",
		},
		{
			name:    "explicit columns, no records: header only",
			opts:    RecordOptions{Columns: []string{"Id", "Name"}},
			records: nil,
			want:    "Id,Name\n",
		},
		{
			name: "no records, no columns: nothing",
			want: "",
		},
		{
			name: "keys in a different order per record follow the header",
			records: []string{
				`{"A":"1","B":"2"}`,
				`{"B":"4","A":"3"}`,
			},
			want: "A,B\n1,2\n3,4\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := writeRecords(t, RecordsCSV, tt.opts, tt.records...)
			if got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			if got == "" {
				return
			}
			rows, err := csv.NewReader(strings.NewReader(got)).ReadAll()
			if err != nil {
				t.Fatalf("output is not valid CSV: %v", err)
			}
			for _, r := range rows {
				if len(r) != len(rows[0]) {
					t.Fatalf("ragged CSV: %q", rows)
				}
			}
		})
	}
}

func TestRecordsCSVWarnsAboutLostColumns(t *testing.T) {
	var warnings []string
	opts := RecordOptions{HoldBack: 1, Warn: func(m string) { warnings = append(warnings, m) }}
	got := writeRecords(t, RecordsCSV, opts, `{"Id":"1"}`, `{"Id":"2","Extra":"x"}`, `{"Id":"3","Extra":"y"}`)
	if got != "Id\n1\n2\n3\n" {
		t.Errorf("got %q", got)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], `"Extra"`) {
		t.Errorf("warnings = %q, want one about Extra", warnings)
	}
	// Fixed columns are a projection: nothing to warn about.
	warnings = nil
	opts = RecordOptions{Columns: []string{"Id"}, Warn: func(m string) { warnings = append(warnings, m) }}
	if got := writeRecords(t, RecordsCSV, opts, `{"Id":"1","Extra":"x"}`); got != "Id\n1\n" || len(warnings) != 0 {
		t.Errorf("projection: %q %q", got, warnings)
	}
}

// TestRecordsUnion: records of different shapes (one search over several
// objects, structs that omit empty fields) share one header, the union of
// their keys, after a column naming each record's object; no value is lost.
func TestRecordsUnion(t *testing.T) {
	for _, format := range []RecordFormat{RecordsCSV, RecordsTable} {
		var warnings []string
		opts := RecordOptions{Union: true, TypeColumn: "sobject", HoldBack: 1, TableRows: 1, Warn: func(m string) { warnings = append(warnings, m) }}
		got := writeRecords(t, format, opts,
			`{"attributes":{"type":"Account"},"Id":"001","Name":"Acme"}`,
			`{"attributes":{"type":"Contact"},"Id":"003","LastName":"Ng","Email":"ng@x.org"}`,
			`{"attributes":{"type":"Lead"},"Id":"00Q","LeadSource":"Web"}`)
		want := "sobject,Id,LeadSource,LastName,Email,Name\nAccount,001,,,,Acme\nContact,003,,Ng,ng@x.org,\nLead,00Q,Web,,,\n"
		if format == RecordsTable {
			want = "sobject  Id   LeadSource  LastName  Email     Name\nAccount  001                                  Acme\nContact  003              Ng        ng@x.org  \nLead     00Q  Web                             \n"
		}
		if got != want || len(warnings) != 0 {
			t.Errorf("format %d: got\n%s\nwant\n%s\nwarnings %q", format, got, want, warnings)
		}
	}
}

func TestRecordsJSON(t *testing.T) {
	records := []string{
		`{"attributes":{"type":"Account"},"Name":"A <b> & \"c\"","N":1.10}`,
		`{"Name":"日本","Account":null,"Contacts":{"totalSize":0,"done":true,"records":[]}}`,
	}
	got := writeRecords(t, RecordsJSON, RecordOptions{}, records...)
	raws := make([]json.RawMessage, len(records))
	for i, r := range records {
		raws[i] = json.RawMessage(r)
	}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(raws); err != nil {
		t.Fatal(err)
	}
	if got != want.String() {
		t.Errorf("got\n%s\nwant\n%s", got, want.String())
	}
	if !json.Valid([]byte(got)) {
		t.Error("invalid JSON")
	}

	if got := writeRecords(t, RecordsJSON, RecordOptions{}); got != "[]\n" {
		t.Errorf("no records: %q", got)
	}
}

func TestRecordsJSONLines(t *testing.T) {
	got := writeRecords(t, RecordsJSONLines, RecordOptions{}, "{\n \"a\": 1\n}", `{"b":"x y"}`)
	if got != "{\"a\":1}\n{\"b\":\"x y\"}\n" {
		t.Errorf("got %q", got)
	}
}

func TestRecordsJQ(t *testing.T) {
	q, err := CompileJQ(`.[] | select(.N > 1) | .Name`)
	if err != nil {
		t.Fatal(err)
	}
	got := writeRecords(t, RecordsJQ, RecordOptions{JQ: q, Context: context.Background()},
		`{"Name":"one","N":1}`, `{"Name":"two","N":2}`, `{"Name":"three","N":3}`)
	if got != "two\nthree\n" {
		t.Errorf("got %q", got)
	}
	q, _ = CompileJQ(`length`)
	if got := writeRecords(t, RecordsJQ, RecordOptions{JQ: q}); got != "0\n" {
		t.Errorf("no records: %q", got)
	}
}

func TestRecordsTable(t *testing.T) {
	opts := RecordOptions{Width: 40}
	got := writeRecords(t, RecordsTable, opts,
		`{"Id":"001","Name":"Acme","Account":null}`,
		`{"Id":"002","Name":"A very long company name that will not fit","Account":{"Name":"日本語の会社"}}`,
		`{"Id":"003","Name":"Multi\nline","Account":null}`,
	)
	want := "" +
		"Id   Name                   Account.Name\n" +
		"001  Acme                   \n" +
		"002  A very long company…   日本語の会社\n" +
		"003  Multi line             \n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if w := displayWidth(line); w > 40 {
			t.Errorf("line wider than the terminal (%d): %q", w, line)
		}
	}
}

func TestRecordsTableKeepsWidthsAfterBuffer(t *testing.T) {
	got := writeRecords(t, RecordsTable, RecordOptions{TableRows: 2},
		`{"Id":"1","Name":"ab"}`, `{"Id":"2","Name":"abc"}`, `{"Id":"3","Name":"abcdefgh"}`)
	want := "Id  Name\n1   ab\n2   abc\n3   abc…\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

// lineCounter counts CSV lines without keeping them.
type lineCounter struct {
	lines int
	bytes int
	last  []byte
}

func (c *lineCounter) Write(p []byte) (int, error) {
	c.lines += bytes.Count(p, []byte{'\n'})
	c.bytes += len(p)
	if i := bytes.LastIndexByte(bytes.TrimSuffix(p, []byte{'\n'}), '\n'); i >= 0 {
		c.last = append(c.last[:0], p[i+1:]...)
	}
	return len(p), nil
}

func record(i int) []byte {
	return fmt.Appendf(nil, `{"attributes":{"type":"Contact","url":"/services/data/v66.0/sobjects/Contact/003%015d"},"Id":"003%015d","Name":"Person, %d","Email":"p%d@example.com","Account":{"attributes":{"type":"Account"},"Name":"Acme \"%d\""},"Amount":%d.5}`, i, i, i, i, i%7, i)
}

// TestRecordsCSVStreams writes 200,000 records and checks that the heap does
// not grow with them: output goes straight through.
func TestRecordsCSVStreams(t *testing.T) {
	const n = 200_000
	var out lineCounter
	rw := NewRecordWriter(&out, RecordsCSV, RecordOptions{})

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	peak := uint64(0)
	for i := range n {
		if err := rw.Write(record(i)); err != nil {
			t.Fatal(err)
		}
		if i%20_000 == 0 {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
		}
	}
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)

	if out.lines != n+1 {
		t.Fatalf("lines = %d, want %d", out.lines, n+1)
	}
	wantLast := fmt.Sprintf("003%015d,\"Person, %d\",p%d@example.com,\"Acme \"\"%d\"\"\",%d.5\n", n-1, n-1, n-1, (n-1)%7, n-1)
	if string(out.last) != wantLast {
		t.Fatalf("last line = %q, want %q", out.last, wantLast)
	}
	// The output is ~20 MB; a writer that kept it (or the records) would grow
	// the heap by that much. Allow generous slack for the runtime.
	const slack = 4 << 20
	if peak > before.HeapAlloc+slack {
		t.Fatalf("heap grew from %d to %d bytes while streaming %d bytes", before.HeapAlloc, peak, out.bytes)
	}
}

func TestRecordsJSONStreams(t *testing.T) {
	const n = 50_000
	var out lineCounter
	rw := NewRecordWriter(&out, RecordsJSONLines, RecordOptions{})
	for i := range n {
		if err := rw.Write(record(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	if out.lines != n {
		t.Fatalf("lines = %d", out.lines)
	}
}

func TestWriteValue(t *testing.T) {
	type limit struct {
		Name      string `json:"name"`
		Max       int    `json:"max"`
		Remaining int    `json:"remaining"`
	}
	var buf bytes.Buffer
	rw := NewRecordWriter(&buf, RecordsCSV, RecordOptions{})
	for _, l := range []limit{{"DailyApiRequests", 15000, 14998}, {"DataStorageMB", 5, 5}} {
		if err := rw.WriteValue(l); err != nil {
			t.Fatal(err)
		}
	}
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "name,max,remaining\nDailyApiRequests,15000,14998\nDataStorageMB,5,5\n" {
		t.Errorf("got %q", got)
	}
}

func BenchmarkRecordsCSV(b *testing.B) {
	recs := make([][]byte, 1000)
	size := 0
	for i := range recs {
		recs[i] = record(i)
		size += len(recs[i])
	}
	b.SetBytes(int64(size / len(recs)))
	b.ReportAllocs()
	rw := NewRecordWriter(io.Discard, RecordsCSV, RecordOptions{})
	for i := 0; b.Loop(); i++ {
		if err := rw.Write(recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := rw.Close(); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkRecordsJSON(b *testing.B) {
	rec := record(42)
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	rw := NewRecordWriter(io.Discard, RecordsJSON, RecordOptions{})
	for b.Loop() {
		if err := rw.Write(rec); err != nil {
			b.Fatal(err)
		}
	}
	_ = rw.Close()
}
