package sfid

import (
	"errors"
	"testing"
)

// Real 18-character ids taken from recorded Salesforce responses
// (/work/shared/fixtures/salesforce).
var realIDs = []string{
	"0012300000bVTq1AAG", "0012300000bVTphAAG", "00390000001TdgeAAC", "0015500001QdQWfAAN",
	"0019H00000H1RMDQA3", "0019H00000H28uBQAR", "7509H0000016GUXQA2", "7519H000001XiCzQAK",
	"750P0000006HoQuIAK", "751P0000007qkgtIAA", "001000000000001AAA",
}

func TestNormalizeRealIDs(t *testing.T) {
	t.Parallel()
	for _, id := range realIDs {
		got, err := Normalize(id)
		if err != nil || got != id {
			t.Errorf("Normalize(%q) = %q, %v", id, got, err)
		}
		got, err = Normalize(id[:15])
		if err != nil || got != id {
			t.Errorf("Normalize(%q) = %q, %v; want %q", id[:15], got, err, id)
		}
		if Checksum(id[:15]) != id[15:] {
			t.Errorf("Checksum(%q) = %q, want %q", id[:15], Checksum(id[:15]), id[15:])
		}
	}
}

func TestNormalizeRejects(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, id string }{
		{"empty", ""},
		{"too short", "001"},
		{"16 chars", "0012300000bVTq1A"},
		{"17 chars", "0012300000bVTq1AA"},
		{"19 chars", "0012300000bVTq1AAGX"},
		{"wrong checksum", "0012300000bVTq1AAH"},
		{"checksum of another case", "0012300000BVTq1AAG"},
		{"lower-case checksum", "0012300000bVTq1aag"},
		{"space", "0012300000bVTq 1AAG"[:18]},
		{"slash", "001230000/bVTq1"},
		{"dot dot", "001230000..VTq1"},
		{"unicode", "0012300000bVTqé"},
		{"NUL", "0012300000bVTq\x00"},
		{"percent", "0012300000b%2F1"},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.id)
		if err == nil || got != "" || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Normalize(%q) = %q, %v; want ErrInvalid", tt.name, tt.id, got, err)
		}
		if Valid(tt.id) || Prefix(tt.id) != "" || Equal(tt.id, tt.id) {
			t.Errorf("%s: Valid/Prefix/Equal accept %q", tt.name, tt.id)
		}
	}
}

func TestPrefixAndEqual(t *testing.T) {
	t.Parallel()
	if p := Prefix("00390000001TdgeAAC"); p != "003" {
		t.Errorf("Prefix = %q", p)
	}
	if !Equal("00390000001Tdge", "00390000001TdgeAAC") {
		t.Error("15 and 18 forms of one id are not Equal")
	}
	if Equal("00390000001Tdge", "00390000001TDGE") {
		t.Error("ids differing only in case are Equal")
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prefix, pod string
		seq         uint64
		want        string
		wantErr     bool
	}{
		{"001", "000", 1, "001000000000001AAA", false},
		{"00Q", "000", 0, "00Q000000000000EAA", false},
		{"003", "5g0", 61, "0035g000000000zAAA", false},
		{"001", "000", 62*62*62*62*62*62*62*62*62 - 1, "001000zzzzzzzzzAAA", false},
		{"001", "000", 62 * 62 * 62 * 62 * 62 * 62 * 62 * 62 * 62, "", true},
		{"01", "000", 1, "", true},
		{"001", "0000", 1, "", true},
		{"0/1", "000", 1, "", true},
	}
	for _, tt := range tests {
		got, err := New(tt.prefix, tt.pod, tt.seq)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("New(%q, %q, %d) = %q, %v; want %q", tt.prefix, tt.pod, tt.seq, got, err, tt.want)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("New error %v does not wrap ErrInvalid", err)
		}
	}
	a, _ := New("001", "000", 12345)
	b, _ := New("001", "000", 12345)
	if a != b || !Valid(a) {
		t.Errorf("New is not deterministic or not valid: %q %q", a, b)
	}
}
