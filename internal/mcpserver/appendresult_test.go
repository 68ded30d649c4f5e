package mcpserver

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestAppendJSONString: a text is encoded as encoding/json's Marshal
// encodes it, or left to Marshal (invalid UTF-8).
func TestAppendJSONString(t *testing.T) {
	var all strings.Builder
	for c := range 0x80 {
		all.WriteByte(byte(c))
	}
	for _, s := range []string{"", "a", all.String(), "ok: total_size=2 correlation_id=x\nId,Name\n1,\"A, \"\"B\"\"\"\n",
		"<a href=\"x\">&amp;</a>", "\u2028\u2029\u2027\u202a", "\xe2\x80", "\xe2", "a\xe2\x80\xa8", "é日本🙂\ufffd",
		"\x7f\x00\x1f", `\u0041\\`, "\xff", "a\xe2\x80", "\xed\xa0\x80", "tab\there"} {
		want, _ := json.Marshal(s)
		got, ok := appendJSONString([]byte("pre"), s)
		if !ok {
			if !utf8.ValidString(s) && string(got) == "pre" {
				continue
			}
			t.Errorf("%q: refused", s)
			continue
		}
		if string(got) != "pre"+string(want) {
			t.Errorf("%q:\n got %s\nwant %s", s, got[3:], want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("a\n\"<>&\u2028\x01é")
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := appendJSONString(nil, s)
		if ok != utf8.ValidString(s) {
			t.Fatalf("%q: ok %v", s, ok)
		}
		if want, _ := json.Marshal(s); ok && string(got) != string(want) {
			t.Fatalf("%q:\n got %s\nwant %s", s, got, want)
		}
	})
}
