package store

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

// TestAppendRecord: the fast encoder writes what json.Unmarshal reads back
// as the same record, for every kind of value a record holds, and reuses
// the previous record's key order only when the keys are the same.
func TestAppendRecord(t *testing.T) {
	recs := []Record{
		{"Id": "001EMU000000001YBA", "Name": "Plain", "IsDeleted": false, "NumberOfEmployees": float64(42), "Owner": nil},
		{"Id": "001EMU000000002YBA", "Name": "Plain", "IsDeleted": true, "NumberOfEmployees": float64(-7), "Owner": nil},
		{"Id": "x", "Name": "quote \" backslash \\ newline \n tab \t <b>&amp;</b>", "Amount": 12.5, "Tiny": 1e-9, "Huge": 1e22},
		{"Name": "ünïcödé ✓ \u2028", "Bad": "\xff\xfe", "Nested": map[string]any{"a": []any{1.0, "b"}}, "Zero": math.Copysign(0, -1)},
		{},
	}
	var keys []string
	var buf []byte
	for _, rec := range recs {
		var err error
		buf, keys, err = appendRecord(buf[:0], keys, rec)
		if err != nil {
			t.Fatal(err)
		}
		var got, want Record
		if err := json.Unmarshal(buf, &got); err != nil {
			t.Fatalf("%s: %v", buf, err)
		}
		std, _ := json.Marshal(rec)
		if err := json.Unmarshal(std, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("appendRecord wrote %s, which reads back as %v; json.Marshal gives %v", buf, got, want)
		}
		if len(keys) != len(rec) {
			t.Errorf("keys %v for a record of %d fields", keys, len(rec))
		}
	}
}
