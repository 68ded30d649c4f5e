package h1

import (
	"strings"

	"golang.org/x/net/http/httpguts"
)

// isToken reports whether s is a non-empty RFC 9110 token, as methods and
// header names must be: the server checks the bytes of a head, the client
// a request's strings.
func isToken[T ~string | ~[]byte](s T) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !httpguts.IsTokenRune(rune(s[i])) {
			return false
		}
	}
	return true
}

// hasToken reports whether the comma-separated list v holds token, in any
// case, as net/http reads Connection.
func hasToken(v, token string) bool {
	for v != "" {
		var part string
		part, v, _ = strings.Cut(v, ",")
		if strings.EqualFold(strings.Trim(part, " \t"), token) {
			return true
		}
	}
	return false
}
