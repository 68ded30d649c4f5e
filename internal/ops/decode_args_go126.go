//go:build !go1.27

package ops

import "encoding/json"

// decodeArgs decodes args (not empty, not null) into in. Before Go 1.27
// there is no encoding/json/v2 to decode without a Decoder.
func decodeArgs(args json.RawMessage, in any) error {
	return decodeArgsStream(args, in)
}
