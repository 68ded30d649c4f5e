package salesforce

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// queryBodies are query responses, odd ones included: decodeQueryResult
// must make of each what json.Unmarshal into a QueryResult makes.
var queryBodies = []string{
	`{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Account"},"Id":"001","Name":"Acme"}]}`,
	`{"totalSize":0,"done":true,"records":[]}`,
	`{"totalSize":3,"done":false,"nextRecordsUrl":"/services/data/v62.0/query/01gxx-2000","records":[ {"a":1} ,` + "\n\t" + `{"b":[1,2,{"c":"]"}]}, null ]}`,
	`{"records":[1,-2.5e3,"s",true,false,null,[],{},[[]],{"":{}}]}`,
	`{"records":["a,b","c]d","e}f","g\"h","i\\","j\\\"k","\u005d"]}`,
	`{"records":null,"totalSize":2}`,
	`{"Records":[{"x":1}],"DONE":true,"TotalSize":1}`,
	`{"records":[{"x":1}],"records":[{"y":2},{"z":3}]}`,
	`{"records":[{"x":"é😀"}]}`,
	`{"records":["\\\\",1,"\\\\\\\"],[{",{"a":"\\\"}]"}]}`,
	"{\"records\":[\"\xff\xfe\"]}",
	`{"totalSize":1}`,
	` { "records" : [ { } ] } `,
	// encoding/json refuses these; the error must be its own.
	`{"records":{"x":1}}`,
	`{"records":"x"}`,
	`{"records":1}`,
	`{"records":[1,,2]}`,
	`{"records":[1,2}`,
	`{"totalSize":"1","records":[]}`,
	`{"done":1,"records":[{"a":1}]}`,
	`[]`,
	`null`,
	``,
	`{"records":[1]} x`,
	`{"records":["unterminated]}`,
}

func TestDecodeQueryResultAsUnmarshal(t *testing.T) {
	for _, body := range queryBodies {
		checkDecodeQueryResult(t, []byte(body))
	}
	// A page of 2000 records, each its own.
	var b strings.Builder
	b.WriteString(`{"totalSize":2000,"done":true,"records":[`)
	for i := range 2000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"attributes":{"type":"Account"},"Id":"001` + strings.Repeat("x", i%7) + `","N":` + strings.Repeat("[", i%3) + strings.Repeat("]", i%3) + `}`)
	}
	b.WriteString(`]}`)
	checkDecodeQueryResult(t, []byte(b.String()))
}

// TestDecodeQueryResultRecordsApart: each record's capacity ends with it,
// so appending to one leaves the next as it was.
func TestDecodeQueryResultRecordsApart(t *testing.T) {
	res, err := decodeQueryResult([]byte(`{"records":[{"a":1},{"b":2}]}`))
	if err != nil {
		t.Fatal(err)
	}
	_ = append(res.Records[0], `xxxxxxxx`...)
	if string(res.Records[1]) != `{"b":2}` {
		t.Fatalf("second record %q after an append to the first", res.Records[1])
	}
}

func FuzzDecodeQueryResult(f *testing.F) {
	for _, body := range queryBodies {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkDecodeQueryResult(t, body) })
}

func checkDecodeQueryResult(t *testing.T, body []byte) {
	t.Helper()
	got, err := decodeQueryResult(body)
	var want QueryResult
	wantErr := json.Unmarshal(body, &want)
	if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
		t.Fatalf("%q: error %v, want %v", body, err, wantErr)
	}
	if err != nil {
		return
	}
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("%q:\n got %#v\nwant %#v", body, *got, want)
	}
}
