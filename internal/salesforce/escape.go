package salesforce

import "strings"

// soqlEscaper covers every escape a SOQL string literal knows. Backslash and
// the single quote are what could end a literal early; the rest keep control
// characters out of the query text.
var soqlEscaper = strings.NewReplacer(
	`\`, `\\`,
	`'`, `\'`,
	`"`, `\"`,
	"\n", `\n`,
	"\r", `\r`,
	"\t", `\t`,
	"\b", `\b`,
	"\f", `\f`,
)

// likeEscaper adds LIKE's wildcards to soqlEscaper's set.
var likeEscaper = strings.NewReplacer(
	`\`, `\\`,
	`'`, `\'`,
	`"`, `\"`,
	"\n", `\n`,
	"\r", `\r`,
	"\t", `\t`,
	"\b", `\b`,
	"\f", `\f`,
	`%`, `\%`,
	`_`, `\_`,
)

// QuoteSOQL returns s as a quoted SOQL string literal, 'like this', with every
// character that could end or bend the literal escaped. Build queries with it
// instead of pasting values between quotes:
//
//	"SELECT Id FROM Lead WHERE Email = " + salesforce.QuoteSOQL(email)
func QuoteSOQL(s string) string {
	return "'" + soqlEscaper.Replace(s) + "'"
}

// EscapeLike escapes s for use inside the quotes of a LIKE pattern: as
// QuoteSOQL, and also % and _ so they match themselves. It returns no quotes,
// so the caller can add wildcards around it:
//
//	"SELECT Id FROM Account WHERE Name LIKE '%" + salesforce.EscapeLike(term) + "%'"
func EscapeLike(s string) string {
	return likeEscaper.Replace(s)
}

// queryParam returns name + "=" + url.QueryEscape(value), as url.Values
// encodes one parameter, in one allocation rather than three: every query
// sends its SOQL this way.
func queryParam(name, value string) string {
	n := len(name) + 1
	for i := 0; i < len(value); i++ {
		if b := value[i]; unreservedByte(b) || b == ' ' {
			n++
		} else {
			n += 3
		}
	}
	var sb strings.Builder
	sb.Grow(n)
	sb.WriteString(name)
	sb.WriteByte('=')
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(value); i++ {
		switch b := value[i]; {
		case unreservedByte(b):
			sb.WriteByte(b)
		case b == ' ':
			sb.WriteByte('+')
		default:
			sb.WriteByte('%')
			sb.WriteByte(hex[b>>4])
			sb.WriteByte(hex[b&15])
		}
	}
	return sb.String()
}
