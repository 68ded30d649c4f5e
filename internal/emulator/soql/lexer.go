package soql

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tDate
	tDateTime
	tPunct
)

type token struct {
	kind tokKind
	text string // raw source text (for strings: without the quotes, escapes not decoded)
	pos  int    // byte offset in the query text
}

// is reports whether t is the keyword or punctuation s (keywords ignore case).
func (t token) is(s string) bool {
	switch t.kind {
	case tIdent:
		return strings.EqualFold(t.text, s)
	case tPunct:
		return t.text == s
	}
	return false
}

// shown is how an error message names the token.
func (t token) shown() string {
	switch t.kind {
	case tEOF:
		return "<EOF>"
	case tString:
		return "'" + t.text + "'"
	}
	return t.text
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lex splits text into tokens. Errors are MALFORMED_QUERY *Errors.
func lex(text string) ([]token, *Error) {
	var toks []token
	i := 0
	for i < len(text) {
		c := text[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case isIdentStart(c):
			start := i
			for i < len(text) {
				for i < len(text) && isIdentChar(text[i]) {
					i++
				}
				if i+1 < len(text) && text[i] == '.' && isIdentStart(text[i+1]) {
					i++
					continue
				}
				break
			}
			toks = append(toks, token{tIdent, text[start:i], start})
		case isDigit(c) || (c == '.' && i+1 < len(text) && isDigit(text[i+1])):
			start := i
			if n := dateTokenLen(text[i:]); n > 0 {
				kind := tDate
				if n > 10 {
					kind = tDateTime
				}
				i += n
				toks = append(toks, token{kind, text[start:i], start})
				break
			}
			for i < len(text) && isDigit(text[i]) {
				i++
			}
			if i < len(text) && text[i] == '.' {
				i++
				for i < len(text) && isDigit(text[i]) {
					i++
				}
			}
			if i < len(text) && (text[i] == 'e' || text[i] == 'E') {
				j := i + 1
				if j < len(text) && (text[j] == '+' || text[j] == '-') {
					j++
				}
				if j < len(text) && isDigit(text[j]) {
					i = j
					for i < len(text) && isDigit(text[i]) {
						i++
					}
				}
			}
			if i < len(text) && isIdentStart(text[i]) {
				// 12abc: not a number Salesforce understands.
				end := i
				for end < len(text) && isIdentChar(text[end]) {
					end++
				}
				return nil, posError(text, start, CodeMalformed, "unexpected token: '"+text[start:end]+"'")
			}
			toks = append(toks, token{tNumber, text[start:i], start})
		case c == '\'':
			start := i
			i++
			for {
				if i >= len(text) {
					return nil, posError(text, start, CodeMalformed, "line 1:"+strconv.Itoa(start)+" mismatched character '<EOF>' expecting '''")
				}
				if text[i] == '\\' {
					if i+1 >= len(text) {
						i++
						continue
					}
					switch text[i+1] {
					case '\'', '"', '\\', 'n', 'r', 't', 'b', 'f', '_', '%':
						i += 2
					case 'u':
						if i+6 <= len(text) && isHex4(text[i+2:i+6]) {
							i += 6
						} else {
							return nil, posError(text, start, CodeMalformed, "Invalid string literal '"+text[start+1:min(len(text), i+2)]+"'. Illegal unicode escape sequence")
						}
					default:
						return nil, posError(text, start, CodeMalformed, "Invalid string literal '"+text[start+1:i+2]+"'. Illegal escape sequence '\\"+string(text[i+1])+"'")
					}
					continue
				}
				if text[i] == '\'' {
					break
				}
				i++
			}
			toks = append(toks, token{tString, text[start+1 : i], start})
			i++
		default:
			start := i
			two := ""
			if i+1 < len(text) {
				two = text[i : i+2]
			}
			switch two {
			case "!=", "<>", "<=", ">=":
				toks = append(toks, token{tPunct, two, start})
				i += 2
				continue
			}
			switch c {
			case '(', ')', ',', '=', '<', '>', ':', '-', '+', '{', '}':
				toks = append(toks, token{tPunct, string(c), start})
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(text[i:])
			_ = size
			return nil, posError(text, start, CodeMalformed, "unexpected token: '"+string(r)+"'")
		}
	}
	toks = append(toks, token{tEOF, "", len(text)})
	return toks, nil
}

func isHex4(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
			return false
		}
	}
	return len(s) == 4
}

// dateTokenLen returns the length of an unquoted date (2024-01-31) or
// datetime (2024-01-31T10:00:00Z, ...+01:00, ...+0100, .000+0000) at the
// start of s, or 0.
func dateTokenLen(s string) int {
	digits := func(at, n int) bool {
		if at+n > len(s) {
			return false
		}
		for k := at; k < at+n; k++ {
			if !isDigit(s[k]) {
				return false
			}
		}
		return true
	}
	if !(digits(0, 4) && len(s) > 4 && s[4] == '-' && digits(5, 2) && len(s) > 7 && s[7] == '-' && digits(8, 2)) {
		return 0
	}
	if len(s) == 10 || s[10] != 'T' {
		if len(s) > 10 && isIdentChar(s[10]) {
			return 0
		}
		return 10
	}
	// hh:mm:ss
	if !(digits(11, 2) && len(s) > 13 && s[13] == ':' && digits(14, 2) && len(s) > 16 && s[16] == ':' && digits(17, 2)) {
		return 0
	}
	n := 19
	if n < len(s) && s[n] == '.' {
		n++
		for n < len(s) && isDigit(s[n]) {
			n++
		}
	}
	if n >= len(s) {
		return 0
	}
	switch s[n] {
	case 'Z', 'z':
		return n + 1
	case '+', '-':
		if digits(n+1, 2) && n+3 < len(s) && s[n+3] == ':' && digits(n+4, 2) {
			return n + 6
		}
		if digits(n+1, 4) {
			return n + 5
		}
	}
	return 0
}

// decodeString turns the raw text of a string literal into its value. In
// LIKE patterns \% and \_ stay escaped (as \x00% and \x00_) so the matcher
// can tell them from wildcards.
func decodeString(raw string, like bool) string {
	if !strings.Contains(raw, "\\") {
		return raw
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			b.WriteByte(c)
			continue
		}
		i++
		switch raw[i] {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case '_', '%':
			if like {
				b.WriteByte(0)
			} else {
				b.WriteByte('\\')
			}
			b.WriteByte(raw[i])
		case 'u':
			if i+5 <= len(raw) {
				if v, err := strconv.ParseUint(raw[i+1:i+5], 16, 32); err == nil {
					b.WriteRune(rune(v))
					i += 4
					continue
				}
			}
			b.WriteByte('u')
		default:
			b.WriteByte(raw[i])
		}
	}
	return b.String()
}
