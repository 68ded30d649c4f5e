//go:build go1.27

package ops

import (
	"encoding/json"
	jsonv2 "encoding/json/v2"
)

// decodeArgs decodes args (not empty, not null) into in. A call's arguments
// are one JSON value, and for one value json.Decoder's Decode is exactly
// v2's Unmarshal with v1's options and unknown members refused (what
// encoding/json's v2_stream.go does once it has read the value): the same
// names matched without case, duplicates, nulls and values. This skips the
// Decoder, its reader and its joined options, three allocations a call.
// What Unmarshal refuses (a fault, or text after the value, which Decode
// ignores) goes to the Decoder, whose errors the *InputError messages are
// made from.
func decodeArgs(args json.RawMessage, in any) error {
	if jsonv2.Unmarshal(args, in, json.DefaultOptionsV1(), jsonv2.RejectUnknownMembers(true)) == nil {
		return nil
	}
	return decodeArgsStream(args, in)
}
