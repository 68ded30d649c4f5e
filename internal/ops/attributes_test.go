package ops

import (
	"encoding/json"
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
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(StripAttributes(json.RawMessage(tc.in)))
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
