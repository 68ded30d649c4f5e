package salesforce

import (
	"bytes"
	"encoding/json"
	"errors"
)

// queryPage is what a query response decodes into: a QueryResult whose
// records are decoded by rawArray. Its Records shadows QueryResult's (the
// shallower field wins, for encoding/json as for any Go selector), and the
// two live in one allocation, so &page.QueryResult costs nothing more.
type queryPage struct {
	QueryResult
	Records rawArray `json:"records"`
}

// rawArray decodes a JSON array into its elements' raw text, as
// []json.RawMessage does, but copies the array once and slices the
// elements out of the copy: one allocation for the text of a page's
// records rather than one per record, and the slice made at its size
// rather than grown.
type rawArray []json.RawMessage

// errNotArray is rawArray's refusal of anything but an array or null;
// the caller decodes again as []json.RawMessage for encoding/json's error.
var errNotArray = errors.New("not a JSON array")

// UnmarshalJSON is given valid JSON (encoding/json checks the whole input
// before it decodes any of it), which is all splitting the array needs.
func (a *rawArray) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*a = nil // as for a slice
		return nil
	}
	text := make([]byte, len(data)) // json.Unmarshaler must not keep data
	copy(text, data)
	elems, ok := splitArray(text)
	if !ok {
		return errNotArray
	}
	*a = elems
	return nil
}

// splitArray returns the elements of the JSON array text as subslices of
// it, without the white space around them; ok is false if text is not an
// array. It only finds where each element ends, at a comma or the closing
// bracket outside any string and any nested array or object, so text must
// be valid JSON; anything else it does not expect gives !ok, never a panic.
// Each element's capacity ends with it: an append to one record copies it
// rather than write over the next.
func splitArray(text []byte) (elems []json.RawMessage, ok bool) {
	i := skipJSONSpace(text, 0)
	if i >= len(text) || text[i] != '[' {
		return nil, false
	}
	i = skipJSONSpace(text, i+1)
	if i < len(text) && text[i] == ']' {
		return []json.RawMessage{}, skipJSONSpace(text, i+1) == len(text)
	}
	elems = make([]json.RawMessage, 0, 8)
	start, depth := i, 0
	for i < len(text) {
		switch text[i] {
		case '"':
			// The string ends at the next quote not escaped, one after an
			// even run of backslashes.
			for {
				q := bytes.IndexByte(text[i+1:], '"')
				if q < 0 {
					return nil, false
				}
				i += 1 + q
				bs := 0
				for j := i - 1; j >= 0 && text[j] == '\\'; j-- {
					bs++
				}
				if bs%2 == 0 {
					break
				}
			}
		case '[', '{':
			depth++
		case '}':
			depth--
		case ']':
			if depth > 0 {
				depth--
				break
			}
			fallthrough
		case ',':
			if depth > 0 {
				break
			}
			end := i
			for end > start && isJSONSpace(text[end-1]) {
				end--
			}
			if end == start {
				return nil, false // an empty element: "[1,,2]"
			}
			elems = append(elems, json.RawMessage(text[start:end:end]))
			if text[i] == ']' {
				return elems, skipJSONSpace(text, i+1) == len(text)
			}
			start = skipJSONSpace(text, i+1)
			i = start - 1
		}
		i++
	}
	return nil, false // no closing bracket
}

// skipJSONSpace returns the index of the first byte at or after i that is
// not JSON's insignificant white space.
func skipJSONSpace(text []byte, i int) int {
	for i < len(text) && isJSONSpace(text[i]) {
		i++
	}
	return i
}

// isJSONSpace reports JSON's insignificant white space.
func isJSONSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r'
}
