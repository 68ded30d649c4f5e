package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Kind is the JSON type a flattened Field came from.
type Kind uint8

// The kinds of Field values.
const (
	KindNull   Kind = iota // JSON null, or a parent relationship with no fields
	KindString             // Value is the unquoted string
	KindNumber             // Value is the number as Salesforce wrote it
	KindBool               // Value is "true" or "false"
	KindJSON               // Value is compact JSON: a child subquery result or an array
)

// Field is one cell of a flattened record.
type Field struct {
	Key   string // dotted path: "Name", "Account.Name", "Account.Owner.Email"
	Value string // the cell's text; "" for KindNull
	Kind  Kind
}

// Flatten turns one Salesforce record into cells, in the order its keys
// appear, appending to dst (pass dst[:0] to reuse a slice):
//
//   - "attributes" objects are dropped at every level;
//   - a parent relationship ({"Account":{"Name":"X"}}) becomes "Account.Name";
//     a null parent ("Account":null) stays a single KindNull "Account" cell;
//   - a child subquery result ({"totalSize":..,"done":..,"records":[..]}) and
//     any array become one KindJSON cell holding the compact JSON;
//   - compound fields (addresses, geolocations) are objects and flatten like
//     parents: "BillingAddress.city".
//
// Key order is kept because the record is read as a token stream, never
// through a map.
func Flatten(dst []Field, record []byte) ([]Field, error) {
	dec := json.NewDecoder(bytes.NewReader(record))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return dst, fmt.Errorf("record: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return dst, errors.New("record: not a JSON object")
	}
	dst, _, err = flattenObject(dec, record, "", dst)
	if err != nil {
		return dst, fmt.Errorf("record: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return dst, errors.New("record: trailing data after the object")
	}
	return dst, nil
}

// flattenObject reads the members of an object whose '{' was just read, up to
// and including its '}'. It reports whether the object looks like a query
// result (has "records" and "totalSize" members).
func flattenObject(dec *json.Decoder, src []byte, prefix string, dst []Field) (_ []Field, isQueryResult bool, err error) {
	var sawRecords, sawTotal bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return dst, false, err
		}
		key, ok := tok.(string)
		if !ok {
			return dst, false, fmt.Errorf("unexpected %v where a key belongs", tok)
		}
		switch key {
		case "records":
			sawRecords = true
		case "totalSize":
			sawTotal = true
		}
		if key == "attributes" {
			if err := skipValue(dec); err != nil {
				return dst, false, err
			}
			continue
		}
		path := key
		if prefix != "" {
			path = prefix + key
		}
		start := dec.InputOffset()
		tok, err = dec.Token()
		if err != nil {
			return dst, false, err
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				before := len(dst)
				var child bool
				dst, child, err = flattenObject(dec, src, path+".", dst)
				if err != nil {
					return dst, false, err
				}
				switch {
				case child:
					dst = dst[:before]
					dst = append(dst, Field{Key: path, Value: compactJSON(src[start:dec.InputOffset()]), Kind: KindJSON})
				case len(dst) == before: // {} or only attributes: nothing to show
					dst = append(dst, Field{Key: path, Kind: KindNull})
				}
			case '[':
				if err := skipRest(dec); err != nil {
					return dst, false, err
				}
				dst = append(dst, Field{Key: path, Value: compactJSON(src[start:dec.InputOffset()]), Kind: KindJSON})
			default:
				return dst, false, fmt.Errorf("unexpected %v", v)
			}
		case string:
			dst = append(dst, Field{Key: path, Value: v, Kind: KindString})
		case json.Number:
			dst = append(dst, Field{Key: path, Value: string(v), Kind: KindNumber})
		case bool:
			s := "false"
			if v {
				s = "true"
			}
			dst = append(dst, Field{Key: path, Value: s, Kind: KindBool})
		case nil:
			dst = append(dst, Field{Key: path, Kind: KindNull})
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return dst, false, err
	}
	return dst, sawRecords && sawTotal, nil
}

// skipValue reads and discards the next value.
func skipValue(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') {
		return skipRest(dec)
	}
	return nil
}

// skipRest discards the rest of an object or array whose opening was just read.
func skipRest(dec *json.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
		}
	}
	return nil
}

// compactJSON compacts a value's source text; raw starts right after its key,
// so the ':' and blanks before the value are dropped.
func compactJSON(raw []byte) string {
	raw = bytes.TrimLeft(raw, " \t\r\n:")
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return string(raw)
	}
	return buf.String()
}
