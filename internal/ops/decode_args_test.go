package ops

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// TestDecodeArgsAsDecoder: DecodeArgs (v2's Unmarshal first, the Decoder for
// what it refuses) accepts, fills and refuses every input as the Decoder
// alone (decodeArgsStream) does, with the same error text: the names
// matched without case, duplicates (the last wins), null, wrong types,
// unknown arguments, bad JSON and text after the value.
func TestDecodeArgsAsDecoder(t *testing.T) {
	inputs := []string{
		``, ` `, `null`, ` null `, `{}`, ` { } `,
		`{"soql":"SELECT Id FROM Account"}`,
		`{"soql":"SELECT Id FROM Account","max_records":5,"include_deleted":true,"attributes":true,"record_format":"objects"}`,
		// Names as v1 matches them: any case, and the Kelvin sign folds to k.
		`{"SOQL":"a"}`, `{"Soql":"a","MAX_RECORDS":3}`, `{"max_recordſ":3}`, `{"include_deleted":true,"INCLUDE_DELETED":false}`,
		// Duplicates, null values.
		`{"soql":"a","soql":"b"}`, `{"soql":null}`, `{"max_records":null,"soql":"a"}`,
		// Unknown arguments, with and without others.
		`{"limit":3}`, `{"soql":"a","limit":3}`, `{"soql_":"a"}`, `{"":1}`,
		// Wrong types.
		`{"soql":1}`, `{"soql":true}`, `{"soql":["a"]}`, `{"soql":{"a":1}}`,
		`{"max_records":"5"}`, `{"max_records":1.5}`, `{"max_records":1e3}`, `{"max_records":99999999999999999999}`,
		`{"include_deleted":"true"}`, `{"include_deleted":1}`, `{"soql":1,"limit":2}`, `{"limit":2,"soql":1}`,
		// Not an object.
		`[]`, `[1]`, `"soql"`, `3`, `true`,
		// Not JSON, or more than one value.
		`{`, `{"soql":}`, `{"soql":"a",}`, `{"soql":"a"`, `{soql:"a"}`, `nul`,
		`{"soql":"a"} x`, `{"soql":"a"}{"max_records":2}`, `{"soql":"a"} {"limit":1}`, `{} []`,
		// Escapes and odd text.
		`{"so\u0071l":"a\u00e9\n"}`, "{\"soql\":\"\xff\"}", `{"soql":"a\ud800"}`,
	}
	for _, in := range inputs {
		t.Run(in, func(t *testing.T) {
			compareDecode[QueryInput](t, in)
			compareDecode[GetRecordInput](t, in)
			compareDecode[CreateRecordInput](t, in)
		})
	}
	// The inputs of other shapes: a FieldList's own UnmarshalJSON, a map.
	for _, in := range []string{
		`{"sobject":"Account","record_id":"001000000000001AAA","fields":["Name","Phone"]}`,
		`{"sobject":"Account","record_id":"001000000000001AAA","fields":"Name, Phone"}`,
		`{"sobject":"Account","fields":3}`, `{"fields":{"a":1}}`, `{"fields":null}`,
		`{"sobject":"Account","data":{"Name":"A","Name":"B","n":null,"x":[1,{"y":2}]}}`,
		`{"sobject":"Account","data":[1]}`, `{"data":{"Name":"A"},"data":{"Phone":"1"}}`,
		`{"data":{"Name":"A"}} {"data":{"Phone":"1"}}`,
	} {
		t.Run(in, func(t *testing.T) {
			compareDecode[GetRecordInput](t, in)
			compareDecode[CreateRecordInput](t, in)
		})
	}
}

// compareDecode decodes in into a fresh In with DecodeArgs and with the
// Decoder, and compares the errors and, where both succeed, the values.
func compareDecode[In any](t *testing.T, in string) {
	t.Helper()
	var got, want In
	gotErr := DecodeArgs(json.RawMessage(in), &got)
	wantErr := error(nil)
	if t := bytes.TrimSpace([]byte(in)); len(t) > 0 && string(t) != "null" {
		wantErr = decodeArgsStream(json.RawMessage(in), &want)
	}
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("%T: DecodeArgs: %v; Decoder: %v", got, gotErr, wantErr)
	}
	if gotErr != nil {
		var ie *InputError
		if !errorAs(gotErr, &ie) {
			t.Errorf("%T: error %v (%T) is not an *InputError", got, gotErr, gotErr)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%T: DecodeArgs gave %+v; Decoder %+v", got, got, want)
	}
}

func errorAs(err error, target **InputError) bool {
	ie, ok := err.(*InputError)
	*target = ie
	return ok
}

// TestDecodeArgsMessages pins the messages an agent reads for bad arguments.
func TestDecodeArgsMessages(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"limit":3}`, "limit: is not an argument of this operation"},
		{`{"soql":1}`, "soql: must be a string, not a JSON number"},
		{`{"max_records":"5"}`, "max_records: must be an integer, not a JSON string"},
		{`{"include_deleted":1}`, "include_deleted: must be true or false, not a JSON number"},
		{`[1]`, "arguments: must be a JSON object"},
		{`{"SOQL":"a","Max_Records":2}`, ""},
		{`{"soql":"a"} trailing`, ""},
	} {
		var in QueryInput
		err := DecodeArgs(json.RawMessage(c.in), &in)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("DecodeArgs(%s) = %q; want %q", c.in, got, c.want)
		}
	}
}
