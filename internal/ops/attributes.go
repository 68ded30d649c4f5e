package ops

import (
	"bytes"
	"encoding/json"
)

// StripAttributes returns a record without the "attributes" objects that
// Salesforce puts on every record, nested ones included (relationship
// parents, subquery rows). They repeat the object type and the record's URL
// and are more than half of a narrow query's bytes; an agent that wants them
// asks with attributes=true. Key order and values are kept as sent. A value
// that is not valid JSON is returned unchanged.
func StripAttributes(rec json.RawMessage) json.RawMessage {
	if !hasAttributes(rec) {
		return rec
	}
	return json.RawMessage(appendStripped(make([]byte, 0, len(rec)), rec))
}

// hasAttributes reports whether StripAttributes changes rec: it is valid
// JSON that names attributes.
func hasAttributes(rec json.RawMessage) bool {
	return bytes.Contains(rec, []byte(`"attributes"`)) && json.Valid(rec)
}

// appendStripped appends rec (for which hasAttributes holds) without its
// attributes to dst, never more bytes than rec has.
func appendStripped(dst []byte, rec json.RawMessage) []byte {
	s := stripper{in: rec, out: dst, skip: `"attributes"`}
	s.value(true)
	return s.out
}

// stripper copies one valid JSON value without the object members whose
// name is skip (as written, quotes included), at any depth. Names and
// scalars are copied byte for byte, escapes included; whitespace between
// tokens is dropped. It runs on every record of every query page, so it
// scans bytes instead of decoding tokens: the input was checked with
// json.Valid, which is all the scanning below relies on.
type stripper struct {
	in   []byte
	i    int
	out  []byte
	skip string
}

func (s *stripper) space() {
	for s.i < len(s.in) {
		switch s.in[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// str moves past the string that starts at s.i. It jumps from quote to
// quote (IndexByte, not a loop a byte: record URLs and text fields are
// long strings); a quote after an odd run of backslashes is escaped and
// the string goes on. Each byte is looked at about once, however many
// escapes the string has (searching again from each escape was quadratic
// in a long text field's line breaks).
func (s *stripper) str() {
	start := s.i + 1 // after the opening quote
	s.i = start
	for {
		q := s.i + bytes.IndexByte(s.in[s.i:], '"')
		backslashes := 0
		for j := q - 1; j >= start && s.in[j] == '\\'; j-- {
			backslashes++
		}
		s.i = q + 1
		if backslashes%2 == 0 {
			return
		}
	}
}

// value copies (or, without write, skips) the value at s.i.
func (s *stripper) value(write bool) {
	s.space()
	switch c := s.in[s.i]; c {
	case '{', '[':
		s.i++
		if write {
			s.out = append(s.out, c)
		}
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		first := true
		for {
			s.space()
			if s.in[s.i] == end {
				s.i++
				break
			}
			if s.in[s.i] == ',' {
				s.i++
				s.space()
			}
			if c == '[' {
				if write && !first {
					s.out = append(s.out, ',')
				}
				first = false
				s.value(write)
				continue
			}
			start := s.i
			s.str()
			name := s.in[start:s.i]
			s.space()
			s.i++ // ':'
			if string(name) == s.skip {
				s.value(false)
				continue
			}
			if write {
				if !first {
					s.out = append(s.out, ',')
				}
				s.out = append(append(s.out, name...), ':')
			}
			first = false
			s.value(write)
		}
		if write {
			s.out = append(s.out, end)
		}
	case '"':
		start := s.i
		s.str()
		if write {
			s.out = append(s.out, s.in[start:s.i]...)
		}
	default: // a number, true, false or null
		start := s.i
		for s.i < len(s.in) {
			switch s.in[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				goto done
			}
			s.i++
		}
	done:
		if write {
			s.out = append(s.out, s.in[start:s.i]...)
		}
	}
}
