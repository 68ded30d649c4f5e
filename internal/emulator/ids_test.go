package emulator_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/sfid"
)

// TestGeneratedIDsPassChecksum is a property test: every id the generator
// makes, for any prefix and sequence number, is 18 characters, keeps its
// prefix and passes the checksum; its 15-character form normalizes back.
func TestGeneratedIDsPassChecksum(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	prefixes := []string{"001", "003", "00Q", "006", "005", "00D", "500", "701", "750", "751", "01g", "a01"}
	for i := 0; i < 20000; i++ {
		p := prefixes[rng.IntN(len(prefixes))]
		seq := rng.Uint64N(62 * 62 * 62 * 62 * 62 * 62 * 62 * 62 * 62)
		id, err := sfid.New(p, "EMU", seq)
		if err != nil {
			t.Fatalf("New(%s, %d): %v", p, seq, err)
		}
		if len(id) != 18 || id[:3] != p || !sfid.Valid(id) {
			t.Fatalf("New(%s, %d) = %q is not a valid 18-character id", p, seq, id)
		}
		if n, err := sfid.Normalize(id[:15]); err != nil || n != id {
			t.Fatalf("Normalize(%q) = %q, %v; want %q", id[:15], n, err, id)
		}
	}
}

// TestFixtureIDsValidate checks every 18-character id found in the real
// recorded Salesforce responses (shared/fixtures/salesforce, gathered into
// testdata/fixture-ids.txt) passes our checksum, in both lengths.
func TestFixtureIDsValidate(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "fixture-ids.txt"))
	if err != nil {
		t.Fatal(err)
	}
	ids := strings.Fields(string(raw))
	if len(ids) < 50 {
		t.Fatalf("only %d fixture ids", len(ids))
	}
	for _, id := range ids {
		if !sfid.Valid(id) {
			t.Errorf("%s fails the checksum", id)
		}
		if n, err := sfid.Normalize(id[:15]); err != nil || n != id {
			t.Errorf("Normalize(%s) = %s, %v", id[:15], n, err)
		}
	}
}
