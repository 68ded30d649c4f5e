package sfid

import (
	"errors"
	"strings"
	"testing"
)

// The reference below re-derives the rules from the documented algorithm,
// deliberately in a different style from sfid.go, so the fuzz test compares
// two readings of the specification rather than the code with itself.

const refAlnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// refChecksum: per 5-character chunk, bit j is set when character j is an
// upper-case ASCII letter; 0..25 map to 'A'..'Z' and 26..31 to '0'..'5'.
func refChecksum(id15 string) string {
	var sb strings.Builder
	for chunk := 0; chunk < 15; chunk += 5 {
		v := 0
		for j := 4; j >= 0; j-- {
			v <<= 1
			if strings.IndexByte(refAlnum[10:36], id15[chunk+j]) >= 0 {
				v |= 1
			}
		}
		if v < 26 {
			sb.WriteByte(byte('A' + v))
		} else {
			sb.WriteByte(byte('0' + v - 26))
		}
	}
	return sb.String()
}

// refNormalize is the specification: 15 or 18 ASCII letters and digits, and
// for 18 the last 3 are the checksum of the first 15.
func refNormalize(s string) (string, bool) {
	if len(s) != 15 && len(s) != 18 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(refAlnum, s[i]) < 0 {
			return "", false
		}
	}
	want := s[:15] + refChecksum(s[:15])
	if len(s) == 18 && s != want {
		return "", false
	}
	return want, true
}

func FuzzNormalize(f *testing.F) {
	for _, id := range realIDs {
		f.Add(id)
		f.Add(id[:15])
		f.Add(strings.ToLower(id))
		f.Add(id[:17] + "X")
	}
	for _, s := range []string{"", "001", "0012300000bVTq1AAG ", " 0012300000bVTq1", "0012300000bVTq/", "001230000..VTq1",
		"00123000\x000bVTq1AAG", "0012300000bVTqé", "ÀÀÀÀÀÀÀ1", "aaaaaaaaaaaaaaa", "ZZZZZZZZZZZZZZZ", "ZZZZZZZZZZZZZZZ555"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Normalize(s)
		want, ok := refNormalize(s)
		if ok != (err == nil) {
			t.Fatalf("Normalize(%q) = %q, %v; the specification says valid=%v", s, got, err, ok)
		}
		if !ok {
			if got != "" || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Normalize(%q) = %q, %v; want \"\" and ErrInvalid", s, got, err)
			}
			if Valid(s) || Prefix(s) != "" || Equal(s, s) {
				t.Fatalf("Valid/Prefix/Equal accept invalid %q", s)
			}
		} else {
			if got != want {
				t.Fatalf("Normalize(%q) = %q, want %q", s, got, want)
			}
			checkValid(t, s, got)
		}

		// Most random inputs are invalid; also build a well-formed id from the
		// input's bytes so the valid space is explored as hard.
		if len(s) >= 15 {
			var b [15]byte
			for i := range b {
				b[i] = refAlnum[int(s[i])%len(refAlnum)]
			}
			id15 := string(b[:])
			id18, err := Normalize(id15)
			if err != nil {
				t.Fatalf("Normalize(%q) = %v", id15, err)
			}
			checkValid(t, id15, id18)
			// Every other checksum must be refused.
			wrong := []byte(id18)
			wrong[15+int(s[0])%3] = refAlnum[(strings.IndexByte(refAlnum, wrong[15+int(s[0])%3])+1+int(s[1])%61)%62]
			if Valid(string(wrong)) {
				t.Fatalf("%q passes with a wrong checksum (right: %q)", wrong, id18)
			}
			// Ids that differ only in case are different records: their
			// 18-character forms must differ even ignoring case.
			if other := flipCase(id15); other != id15 {
				o18, _ := Normalize(other)
				if strings.EqualFold(o18, id18) {
					t.Fatalf("%q and %q collide case-insensitively as %q, %q", id15, other, id18, o18)
				}
			}
		}
	})
}

func checkValid(t *testing.T, in, id18 string) {
	t.Helper()
	if len(id18) != 18 || id18[:15] != in[:15] {
		t.Fatalf("Normalize(%q) = %q", in, id18)
	}
	if again, err := Normalize(id18); err != nil || again != id18 {
		t.Fatalf("Normalize(%q) = %q, %v; 18 → 18 must be stable", id18, again, err)
	}
	if from15, err := Normalize(id18[:15]); err != nil || from15 != id18 {
		t.Fatalf("Normalize(%q) = %q, %v; 15 → 18 must round trip to %q", id18[:15], from15, err, id18)
	}
	if !Valid(in) || Prefix(in) != in[:3] || !Equal(in, id18) || !Equal(id18[:15], in) {
		t.Fatalf("Valid/Prefix/Equal disagree with Normalize on %q", in)
	}
}

func flipCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = c - 32
			return string(b)
		case c >= 'A' && c <= 'Z':
			b[i] = c + 32
			return string(b)
		}
	}
	return s
}
