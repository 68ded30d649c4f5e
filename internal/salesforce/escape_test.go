package salesforce

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

// patternChar is one decoded character of a SOQL string literal; wildcard
// marks an unescaped % or _ (meaningful only in a LIKE pattern).
type patternChar struct {
	b        byte
	wildcard bool
}

// readSOQLString reads the string literal that starts s, the way Salesforce's
// SOQL lexer does, and returns its decoded characters and the number of bytes
// it spans, closing quote included. like admits LIKE's \% and \_ escapes.
// It is written from the SOQL reference, independently of escape.go.
func readSOQLString(s string, like bool) ([]patternChar, int, error) {
	if s == "" || s[0] != '\'' {
		return nil, 0, errors.New("no opening quote")
	}
	var out []patternChar
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\'':
			return out, i + 1, nil
		case '\\':
			i++
			if i == len(s) {
				return nil, 0, errors.New("backslash at end of input")
			}
			var d byte
			switch s[i] {
			case 'n', 'N':
				d = '\n'
			case 'r', 'R':
				d = '\r'
			case 't', 'T':
				d = '\t'
			case 'b', 'B':
				d = '\b'
			case 'f', 'F':
				d = '\f'
			case '"', '\'', '\\':
				d = s[i]
			case '%', '_':
				if !like {
					return nil, 0, fmt.Errorf("\\%c outside LIKE", s[i])
				}
				d = s[i]
			default:
				return nil, 0, fmt.Errorf("invalid escape \\%c", s[i])
			}
			out = append(out, patternChar{b: d})
		default:
			out = append(out, patternChar{b: c, wildcard: like && (c == '%' || c == '_')})
		}
	}
	return nil, 0, errors.New("unterminated literal")
}

var escapeSeeds = []string{
	"", "plain", "O'Brien", `'`, `\`, `\'`, `\\'`, `'\`, `''`,
	"' OR Name != '", "x' OR Id != null OR Name = 'y", `\' OR 1=1 --`,
	"line\nbreak", "\r\n\t\b\f", "\x00\x01\x1f\x7f", `"quoted"`,
	"50% off_now", `\%\_`, "%", "_", "é'ü\\ø", "\xff'\xfe", "日本語'",
}

func FuzzQuoteSOQL(f *testing.F) {
	for _, s := range escapeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := QuoteSOQL(s)
		chars, n, err := readSOQLString(out, false)
		if err != nil {
			t.Fatalf("QuoteSOQL(%q) = %q does not lex: %v", s, out, err)
		}
		if n != len(out) {
			t.Fatalf("QuoteSOQL(%q) = %q: the literal ends at byte %d of %d, the rest escapes it", s, out, n, len(out))
		}
		if got := decoded(chars); got != s {
			t.Fatalf("QuoteSOQL(%q) = %q decodes to %q", s, out, got)
		}
		if strings.ContainsAny(out, "\n\r\t\b\f") {
			t.Fatalf("QuoteSOQL(%q) = %q keeps a raw control character", s, out)
		}
	})
}

func FuzzEscapeLike(f *testing.F) {
	for _, s := range escapeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// The documented use: wildcards around the escaped term.
		out := "'%" + EscapeLike(s) + "%'"
		chars, n, err := readSOQLString(out, true)
		if err != nil {
			t.Fatalf("pattern %q does not lex: %v", out, err)
		}
		if n != len(out) {
			t.Fatalf("pattern %q: the literal ends at byte %d of %d", out, n, len(out))
		}
		if len(chars) < 2 || !chars[0].wildcard || !chars[len(chars)-1].wildcard {
			t.Fatalf("pattern %q lost its own wildcards", out)
		}
		inner := chars[1 : len(chars)-1]
		for _, c := range inner {
			if c.wildcard {
				t.Fatalf("EscapeLike(%q) = %q leaves a wildcard unescaped", s, EscapeLike(s))
			}
		}
		if got := decoded(inner); got != s {
			t.Fatalf("EscapeLike(%q) decodes to %q", s, got)
		}
	})
}

func decoded(chars []patternChar) string {
	b := make([]byte, len(chars))
	for i, c := range chars {
		b[i] = c.b
	}
	return string(b)
}

func TestQuoteSOQLExamples(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, quote, like string }{
		{"Acme", `'Acme'`, `Acme`},
		{"O'Brien", `'O\'Brien'`, `O\'Brien`},
		{`C:\dir`, `'C:\\dir'`, `C:\\dir`},
		{"a\nb\tc", `'a\nb\tc'`, `a\nb\tc`},
		{`say "hi"`, `'say \"hi\"'`, `say \"hi\"`},
		{"50%_off", `'50%_off'`, `50\%\_off`},
	}
	for _, tt := range tests {
		if got := QuoteSOQL(tt.in); got != tt.quote {
			t.Errorf("QuoteSOQL(%q) = %s, want %s", tt.in, got, tt.quote)
		}
		if got := EscapeLike(tt.in); got != tt.like {
			t.Errorf("EscapeLike(%q) = %s, want %s", tt.in, got, tt.like)
		}
	}
}

// The tokenizer itself must catch the mistakes it exists to catch.
func TestReadSOQLStringCatchesBreakouts(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{`'O'Brien'`, `'a\'`, `'a\q'`, `'unterminated`} {
		chars, n, err := readSOQLString(bad, false)
		if err == nil && n == len(bad) {
			t.Errorf("%s lexed as one literal (%q)", bad, decoded(chars))
		}
	}
}

// TestQueryParamAsQueryEscape: queryParam writes what url.Values' Encode
// writes for one parameter, for every byte and for random text.
func TestQueryParamAsQueryEscape(t *testing.T) {
	check := func(v string) {
		t.Helper()
		want := url.Values{"q": {v}}.Encode()
		if got := queryParam("q", v); got != want {
			t.Errorf("queryParam(q, %q) = %q, want %q", v, got, want)
		}
	}
	for b := range 256 {
		check(string([]byte{byte(b)}))
	}
	for _, v := range []string{"", "SELECT Id, Name FROM Account WHERE Name = 'Acme' AND Amount > 10", "é€😀", "a+b=c&d/e?f#g%h~i_j.k-l", strings.Repeat(" ", 10)} {
		check(v)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		check(string(b))
	}
}
