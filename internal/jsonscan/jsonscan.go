// Package jsonscan finds where JSON tokens end without decoding them: the
// hot paths that only need a value's bytes (a request's members, a query
// page's records, a record without its attributes) skip over the rest.
// Each function takes the text and the index a token starts at and returns
// the index just past it, or -1 when the text ends first; none validates
// more than that, so callers that need valid JSON check it themselves
// (json.Valid) or let a decoder refuse it later.
package jsonscan

import "bytes"

// SkipSpace returns the index of the first byte at or after i that is not
// JSON's insignificant white space.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// SkipString returns the end of the JSON string whose opening quote is
// b[i], or -1. It jumps from quote to quote (record URLs and text fields
// are long strings); a quote after an odd run of backslashes is escaped.
// Each byte is looked at about once, however many escapes the string has.
func SkipString(b []byte, i int) int {
	for j := i + 1; ; {
		q := bytes.IndexByte(b[j:], '"')
		if q < 0 {
			return -1
		}
		q += j
		backslashes := 0
		for k := q - 1; k > i && b[k] == '\\'; k-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return q + 1
		}
		j = q + 1
	}
}

// SkipValue returns the end of the JSON value that starts at b[i], or -1:
// a string, an object or array (to its matching close, strings inside
// skipped whole), or a number or literal (to the next delimiter).
func SkipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return SkipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end := SkipString(b, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	default: // a number, true, false or null
		j := i
		for j < len(b) && !isDelimiter(b[j]) {
			j++
		}
		if j == i {
			return -1
		}
		return j
	}
}

func isDelimiter(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}
