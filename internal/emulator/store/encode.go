package store

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// appendRecord appends rec as a JSON object, keys sorted, to buf. It writes
// what json.Marshal would decode back to the same record (it leaves <, >
// and & unescaped, which JSON does not require) at a fraction of its cost:
// a Bulk insert of a million rows spent more time in json.Marshal than in
// SQLite. Values other than strings, bools, integral float64s and nil go
// through json.Marshal. keys are the sorted keys of the record encoded
// before (or nil): records of one Bulk insert mostly have the same fields,
// and checking that they do costs less than sorting them again. The keys of
// rec are returned for the next call.
func appendRecord(buf []byte, keys []string, rec Record) ([]byte, []string, error) {
	if !sameKeys(keys, rec) {
		keys = keys[:0]
		for k := range rec {
			keys = append(keys, k)
		}
		slices.Sort(keys)
	}
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, k)
		buf = append(buf, ':')
		var err error
		if buf, err = appendValue(buf, rec[k]); err != nil {
			return buf, keys, err
		}
	}
	return append(buf, '}'), keys, nil
}

// RecordEncoder appends records as Insert would store them, keys sorted,
// and says where each one's Id value starts. A Bulk insert encodes its
// records before their ids are known, with a placeholder Id of the same
// length, and writes the real ids over it (EncodedRecord): the encoding
// runs on another goroutine than the transaction that numbers and stores
// the records. Records of one Bulk insert mostly have the same fields, so
// the encoder keeps the sorted keys of the record before and each key's
// encoding: checking that a record has those keys costs less than sorting
// and escaping them again. The zero value is ready to use.
type RecordEncoder struct {
	keys  []string
	heads [][]byte // heads[i] is what precedes the value of keys[i]: `{"Key":` or `,"Key":`
}

// Encode appends rec to buf and returns where the Id's value starts in buf
// (-1 when rec has no plain ASCII string Id).
func (e *RecordEncoder) Encode(buf []byte, rec Record) (out []byte, idAt int, err error) {
	start := len(buf)
	if len(e.keys) == len(rec) {
		if out, idAt, ok, err := e.encode(buf, rec); ok || err != nil {
			return out, idAt, err
		}
		buf = buf[:start] // a key is missing: these are other fields
	}
	e.keys = e.keys[:0]
	for k := range rec {
		e.keys = append(e.keys, k)
	}
	slices.Sort(e.keys)
	e.heads = e.heads[:0]
	for i, k := range e.keys {
		var h []byte
		if i == 0 {
			h = append(h, '{')
		} else {
			h = append(h, ',')
		}
		h = appendString(h, k)
		e.heads = append(e.heads, append(h, ':'))
	}
	out, idAt, _, err = e.encode(buf, rec)
	return out, idAt, err
}

// encode is Encode with the encoder's keys, which must be as many as rec
// has; ok is false when one of them is not in rec.
func (e *RecordEncoder) encode(buf []byte, rec Record) (out []byte, idAt int, ok bool, err error) {
	idAt = -1
	if len(e.keys) == 0 {
		buf = append(buf, '{')
	}
	for i, k := range e.keys {
		v, found := rec[k]
		if !found {
			return buf, -1, false, nil
		}
		buf = append(buf, e.heads[i]...)
		if id, isString := v.(string); isString && k == "Id" && plainASCII(id) {
			idAt = len(buf) + 1
		}
		if buf, err = appendValue(buf, v); err != nil {
			return buf, -1, false, err
		}
	}
	return append(buf, '}'), idAt, true, nil
}

// plainASCII reports whether appendString writes s as it is, between quotes.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func appendValue(buf []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case string:
		return appendString(buf, x), nil
	case bool:
		return strconv.AppendBool(buf, x), nil
	case float64:
		// Integral values below 1e21 are written as integers by
		// json.Marshal too; the others take its exact rules.
		if x == math.Trunc(x) && math.Abs(x) < 1e21 {
			return strconv.AppendFloat(buf, x, 'f', -1, 64), nil
		}
	}
	data, err := json.Marshal(v)
	if err != nil {
		return buf, err
	}
	return append(buf, data...), nil
}

// appendString writes s as a JSON string: plain printable ASCII as it is,
// anything else through json.Marshal (escapes, invalid UTF-8).
func appendString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			data, _ := json.Marshal(s) // a string always encodes
			return append(buf, data...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// sameKeys reports whether rec has exactly the keys in keys.
func sameKeys(keys []string, rec Record) bool {
	if len(keys) != len(rec) {
		return false
	}
	for _, k := range keys {
		if _, ok := rec[k]; !ok {
			return false
		}
	}
	return true
}
