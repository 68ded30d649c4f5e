package ops

import (
	"bytes"
	"encoding/json"

	"github.com/sfmcp/sfmcp/internal/jsonscan"
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

// value copies the value at s.i without its skip members or, without
// write, skips it whole.
func (s *stripper) value(write bool) {
	s.i = jsonscan.SkipSpace(s.in, s.i)
	c := s.in[s.i]
	if !write || (c != '{' && c != '[') {
		// A scalar copied byte for byte, or any value skipped.
		start := s.i
		s.i = jsonscan.SkipValue(s.in, s.i)
		if write {
			s.out = append(s.out, s.in[start:s.i]...)
		}
		return
	}
	s.i++
	s.out = append(s.out, c)
	end := byte('}')
	if c == '[' {
		end = ']'
	}
	first := true
	for {
		s.i = jsonscan.SkipSpace(s.in, s.i)
		if s.in[s.i] == end {
			s.i++
			break
		}
		if s.in[s.i] == ',' {
			s.i = jsonscan.SkipSpace(s.in, s.i+1)
		}
		if c == '[' {
			if !first {
				s.out = append(s.out, ',')
			}
			first = false
			s.value(true)
			continue
		}
		start := s.i
		s.i = jsonscan.SkipString(s.in, s.i)
		name := s.in[start:s.i]
		s.i = jsonscan.SkipSpace(s.in, s.i) + 1 // past ':'
		if string(name) == s.skip {
			s.value(false)
			continue
		}
		if !first {
			s.out = append(s.out, ',')
		}
		s.out = append(append(s.out, name...), ':')
		first = false
		s.value(true)
	}
	s.out = append(s.out, end)
}
