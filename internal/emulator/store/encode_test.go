package store

import (
	"encoding/json"
	"maps"
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

// TestEncodeRecord: RecordEncoder writes what appendRecord writes, and idAt
// is where the Id's characters start, so that writing another id of the
// same length there gives the record with that id; -1 when the Id is
// missing or not plain ASCII.
func TestEncodeRecord(t *testing.T) {
	tests := []struct {
		name   string
		rec    Record
		wantAt bool
	}{
		{"first key", Record{"Id": "000000000000000000", "Name": "A"}, true},
		{"middle key", Record{"A": "x", "Id": "000000000000000000", "Name": "\"Id\":\"", "Z": nil}, true},
		{"no id", Record{"Name": "A"}, false},
		{"id not a string", Record{"Id": nil, "Name": "A"}, false},
		{"id escaped", Record{"Id": "a\"b", "Name": "A"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, _, err := appendRecord(nil, nil, tc.rec)
			if err != nil {
				t.Fatal(err)
			}
			var e RecordEncoder
			got, at, err := e.Encode(nil, tc.rec)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("RecordEncoder wrote %s, appendRecord %s", got, want)
			}
			if (at >= 0) != tc.wantAt {
				t.Fatalf("idAt %d", at)
			}
			if at < 0 {
				return
			}
			copy(got[at:], "001EMU000000042YBA")
			rec := maps.Clone(tc.rec)
			rec["Id"] = "001EMU000000042YBA"
			want, _, _ = appendRecord(nil, nil, rec)
			if string(got) != string(want) {
				t.Errorf("with the id written at %d: %s, want %s", at, got, want)
			}
		})
	}
}

// TestRecordEncoderReuse: one encoder writes each of a run of records as
// appendRecord does alone, whether a record has the keys of the one before,
// as many other keys, or fewer.
func TestRecordEncoderReuse(t *testing.T) {
	recs := []Record{
		{"Id": "001EMU000000001YBA", "Name": "A", "IsDeleted": false},
		{"Id": "001EMU000000002YBA", "Name": "B", "IsDeleted": true},
		{"Id": "001EMU000000003YBA", "Name": "C", "Phone": "+1 555"},
		{"Id": "001EMU000000004YBA", "Name": "quote \" and ü"},
		{},
		{"Name": "no id", "Amount": 12.5, "Nested": map[string]any{"a": 1.0}},
		{"Id": "001EMU000000005YBA", "Name": "A", "IsDeleted": false},
	}
	var e RecordEncoder
	var buf []byte
	for i, rec := range recs {
		want, _, err := appendRecord(nil, nil, rec)
		if err != nil {
			t.Fatal(err)
		}
		buf = append(buf[:0], "prefix"...)
		got, at, err := e.Encode(buf, rec)
		if err != nil {
			t.Fatal(err)
		}
		if string(got[len("prefix"):]) != string(want) || string(got[:len("prefix")]) != "prefix" {
			t.Errorf("record %d: wrote %s, want prefix%s", i, got, want)
		}
		if _, hasID := rec["Id"]; hasID != (at >= 0) {
			t.Errorf("record %d: idAt %d", i, at)
		}
		if at >= 0 && string(got[at:at+18]) != rec["Id"] {
			t.Errorf("record %d: idAt %d points at %q", i, at, got[at:])
		}
	}
}
