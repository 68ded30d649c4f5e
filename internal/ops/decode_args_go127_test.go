//go:build go1.27

package ops

import (
	"encoding/json"
	"testing"
)

// TestDecodeArgsAllocations: a call's arguments decode without a Decoder.
func TestDecodeArgsAllocations(t *testing.T) {
	args := json.RawMessage(`{"soql":"SELECT Id, Name FROM Account","max_records":10}`)
	var in QueryInput
	allocs := testing.AllocsPerRun(100, func() {
		in = QueryInput{}
		if err := DecodeArgs(args, &in); err != nil {
			t.Fatal(err)
		}
	})
	// The SOQL string is the one allocation.
	if allocs > 1 {
		t.Errorf("DecodeArgs: %.0f allocations, want at most 1", allocs)
	}
}
