package ops

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestStripAttributes(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"flat", `{"attributes":{"type":"Account","url":"/x"},"Id":"001","Name":"A"}`, `{"Id":"001","Name":"A"}`},
		{"nested parent and subquery", `{"attributes":{"type":"Contact"},"Id":"003","Account":{"attributes":{"type":"Account"},"Name":"A"},` +
			`"Cases":{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Case"},"Subject":"s"}]}}`,
			`{"Id":"003","Account":{"Name":"A"},"Cases":{"totalSize":1,"done":true,"records":[{"Subject":"s"}]}}`},
		{"keeps order, numbers and nulls", `{"Z":1.50,"attributes":{},"A":null,"B":[true,"x\u003c"]}`, `{"Z":1.50,"A":null,"B":[true,"x\u003c"]}`},
		{"a value named attributes stays", `{"Name":"attributes"}`, `{"Name":"attributes"}`},
		{"not JSON", `{"attributes":`, `{"attributes":`},
		{"whitespace, escapes, last member", "{ \"N\\\"a\" : \"x\\\\\" , \"L\" : [ 1 , { \"attributes\" : [ ] , \"k\" : -2e3 } , [ ] ] ,\n \"attributes\" : { \"u\" : \"}\" } }",
			`{"N\"a":"x\\","L":[1,{"k":-2e3},[]]}`},
		{"only attributes", `{"attributes":{"type":"A"}}`, `{}`},
		{"an escaped name is another name", `{"attribute\u0073":1,"attributes":2}`, `{"attribute\u0073":1}`},
		{"escaped quotes and backslash runs in one string", `{"attributes":1,"T":"a\"b\\\"c\\\\","U":"\\"}`, `{"T":"a\"b\\\"c\\\\","U":"\\"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(StripAttributes(json.RawMessage(tc.in)))
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// FuzzStripAttributes: for any valid JSON, StripAttributes gives valid JSON
// that decodes to the input's value without its attributes members.
func FuzzStripAttributes(f *testing.F) {
	for _, s := range []string{`{"attributes":{"url":"/a\"b\\"},"Id":"x\\"}`, `[{"a\"ttributes":1,"attributes":2}]`,
		`{"n":"\\\"attributes\\\"","attributes":"\\\"","x":{"attributes":null,"y":"\\\\"}}`, `"attributes"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		// A name escaped into "attributes" (\u0073) is a name of its own
		// to StripAttributes, which matches names as written.
		if !json.Valid([]byte(in)) || strings.Contains(in, `\u`) {
			return
		}
		out := StripAttributes(json.RawMessage(in))
		got, err := decodeNumbers(out)
		if err != nil {
			t.Fatalf("%s -> %s: %v", in, out, err)
		}
		want, _ := decodeNumbers([]byte(in))
		if !reflect.DeepEqual(got, dropAttributes(want)) {
			t.Fatalf("%s -> %s", in, out)
		}
	})
}

// decodeNumbers decodes JSON with its numbers as written (1E700 too).
func decodeNumbers(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	return v, d.Decode(&v)
}

func dropAttributes(v any) any {
	switch v := v.(type) {
	case map[string]any:
		delete(v, "attributes")
		for k, e := range v {
			v[k] = dropAttributes(e)
		}
	case []any:
		for i, e := range v {
			v[i] = dropAttributes(e)
		}
	}
	return v
}

// BenchmarkStripAttributesLongText is one record with 128 KiB of text whose
// line breaks are escapes (a Case description, an email body): the time a
// byte must not grow with the string's escapes.
//
//	go test -run '^$' -bench BenchmarkStripAttributesLongText -benchmem ./internal/ops/
func BenchmarkStripAttributesLongText(b *testing.B) {
	line := strings.Repeat("x", 38) + `\n`
	rec := json.RawMessage(`{"attributes":{"type":"Case","url":"/x"},"Id":"500","Description":"` +
		strings.Repeat(line, 128<<10/len(line)) + `\"end\\"}`)
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		if out := StripAttributes(rec); len(out) >= len(rec) {
			b.Fatal("attributes not stripped")
		}
	}
}
