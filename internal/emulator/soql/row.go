package soql

import (
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf8"
)

// Row is an ordered JSON object: keys keep their insertion order when marshalled.
// Values are nil, string, bool, float64, int64, int, *Row, []*Row, or anything
// encoding/json can marshal.
type Row struct {
	keys []string
	vals []any
}

// NewRow returns an empty Row.
func NewRow() *Row { return &Row{} }

func newRow(n int) *Row { return &Row{keys: make([]string, 0, n), vals: make([]any, 0, n)} }

// add appends key without looking for an existing one.
func (r *Row) add(k string, v any) {
	r.keys = append(r.keys, k)
	r.vals = append(r.vals, v)
}

// Set sets key to v, keeping the key's place when it is already there.
func (r *Row) Set(k string, v any) *Row {
	for i, have := range r.keys {
		if have == k {
			r.vals[i] = v
			return r
		}
	}
	r.add(k, v)
	return r
}

// Get returns the value of key, or nil.
func (r *Row) Get(k string) any {
	for i, have := range r.keys {
		if have == k {
			return r.vals[i]
		}
	}
	return nil
}

// Has reports whether key is present (even with a null value).
func (r *Row) Has(k string) bool {
	for _, have := range r.keys {
		if have == k {
			return true
		}
	}
	return false
}

// Keys returns the keys in order.
func (r *Row) Keys() []string { return append([]string(nil), r.keys...) }

// Len returns the number of keys.
func (r *Row) Len() int { return len(r.keys) }

// MarshalJSON encodes the row with its keys in order.
func (r *Row) MarshalJSON() ([]byte, error) {
	return r.AppendJSON(nil)
}

// AppendJSON appends the row's JSON encoding to b.
func (r *Row) AppendJSON(b []byte) ([]byte, error) {
	if r == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '{')
	for i, k := range r.keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		var err error
		b, err = appendValue(b, r.vals[i])
		if err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case float64:
		return appendFloat(b, x), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case *Row:
		return x.AppendJSON(b)
	case []*Row:
		b = append(b, '[')
		for i, r := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = r.AppendJSON(b); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

// appendFloat formats like encoding/json.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string without HTML escaping (as Salesforce does).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
