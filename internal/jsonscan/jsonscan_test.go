package jsonscan

import (
	"encoding/json"
	"testing"
)

func TestSkip(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		at, want   int
	}{
		{"string", `"abc",1`, 0, 5},
		{"escaped quote", `"a\"b" `, 0, 6},
		{"backslash run before the quote", `"a\\\\"x`, 0, 7},
		{"odd run: the quote is escaped", `"a\\\"b"`, 0, 8},
		{"unterminated string", `"abc`, 0, -1},
		{"escaped last quote", `"abc\"`, 0, -1},
		{"object with strings holding brackets", `{"a":"}]","b":[1,{"c":"\""}]} x`, 0, 29},
		{"array", `[1, [2], "]"],`, 0, 13},
		{"unclosed array", `[1, 2`, 0, -1},
		{"number", `-12.5e3}`, 0, 7},
		{"literal before space", `true ,`, 0, 4},
		{"nothing there", `,`, 0, -1},
		{"past the end", `1`, 1, -1},
		{"inside", `{"k": null}`, 6, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := SkipValue([]byte(tc.text), tc.at); got != tc.want {
				t.Errorf("SkipValue(%q, %d) = %d, want %d", tc.text, tc.at, got, tc.want)
			}
		})
	}
	if got := SkipSpace([]byte(" \t\r\n x"), 0); got != 5 {
		t.Errorf("SkipSpace = %d, want 5", got)
	}
}

// FuzzSkipValue: on valid JSON, SkipValue ends each value exactly where the
// decoder does.
func FuzzSkipValue(f *testing.F) {
	for _, s := range []string{`"a\\"`, `{"a":["\"]",{}]}`, `[1,2.5e-3,true,null]`, `"\u0022"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid([]byte(s)) {
			return
		}
		b := []byte(s)
		i := SkipSpace(b, 0)
		end := SkipValue(b, i)
		if end < 0 || SkipSpace(b, end) != len(b) || !json.Valid(b[i:end]) {
			t.Fatalf("SkipValue(%q) = %d", s, end)
		}
	})
}
