package salesforce

import (
	"encoding/json"
	"errors"

	"github.com/sfmcp/sfmcp/internal/jsonscan"
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
// array. It only finds where each element ends (jsonscan), so text must be
// valid JSON; anything else it does not expect gives !ok, never a panic.
// Each element's capacity ends with it: an append to one record copies it
// rather than write over the next.
func splitArray(text []byte) (elems []json.RawMessage, ok bool) {
	i := jsonscan.SkipSpace(text, 0)
	if i >= len(text) || text[i] != '[' {
		return nil, false
	}
	i = jsonscan.SkipSpace(text, i+1)
	if i < len(text) && text[i] == ']' {
		return []json.RawMessage{}, jsonscan.SkipSpace(text, i+1) == len(text)
	}
	elems = make([]json.RawMessage, 0, 8)
	for {
		end := jsonscan.SkipValue(text, i)
		if end < 0 {
			return nil, false
		}
		elems = append(elems, json.RawMessage(text[i:end:end]))
		i = jsonscan.SkipSpace(text, end)
		if i >= len(text) {
			return nil, false // no closing bracket
		}
		switch text[i] {
		case ',':
			i = jsonscan.SkipSpace(text, i+1)
		case ']':
			return elems, jsonscan.SkipSpace(text, i+1) == len(text)
		default:
			return nil, false
		}
	}
}
