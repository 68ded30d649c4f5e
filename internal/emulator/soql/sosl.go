package soql

import (
	"context"
	"strings"
	"unicode"

	"github.com/sfmcp/sfmcp/internal/emulator/schema"
)

// Search is a compiled SOSL search. It is safe for concurrent use.
type Search struct {
	term    string
	groups  [][]searchWord // OR of ANDs
	scope   string         // ALL, NAME, EMAIL, PHONE
	targets []*searchTarget
	limit   int
}

type searchTarget struct {
	q      *Query
	fields []string // canonical names of the fields searched
}

type searchWord struct {
	neg   bool
	match func(string) bool // gets a lower-cased field value
}

// CompileSearch parses a SOSL search and checks it against sch. Errors are *Error.
func CompileSearch(text string, sch *schema.Schema) (*Search, error) {
	s, err := compileSearch(text, sch)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func compileSearch(text string, sch *schema.Schema) (*Search, *Error) {
	const noTerm = "No search term found. The search term must be enclosed in braces."
	trimmed := strings.TrimLeft(text, " \t\r\n")
	start := len(text) - len(trimmed)
	if len(trimmed) < 4 || !strings.EqualFold(trimmed[:4], "FIND") {
		return nil, posError(text, start, CodeMalformedSearch, noTerm)
	}
	i := start + 4
	for i < len(text) && strings.ContainsRune(" \t\r\n", rune(text[i])) {
		i++
	}
	if i >= len(text) || (text[i] != '{' && text[i] != '\'') {
		return nil, posError(text, i, CodeMalformedSearch, noTerm)
	}
	closer := byte('}')
	if text[i] == '\'' {
		closer = '\''
	}
	open := i
	var term strings.Builder
	j := i + 1
	for ; j < len(text) && text[j] != closer; j++ {
		if text[j] == '\\' && j+1 < len(text) {
			j++
		}
		term.WriteByte(text[j])
	}
	if j >= len(text) {
		return nil, posError(text, open, CodeMalformedSearch, noTerm)
	}
	s := &Search{term: term.String(), scope: "ALL", limit: 2000}
	if err := s.parseTerm(); err != nil {
		return nil, posError(text, open+1, CodeMalformedSearch, err.Error())
	}
	// Lex the rest with the term blanked out so positions stay right.
	rest := []byte(text)
	for k := 0; k <= j; k++ {
		rest[k] = ' '
	}
	toks, lerr := lex(string(rest))
	if lerr != nil {
		lerr.Message = strings.Replace(lerr.Message, string(rest), text, 1)
		return nil, lerr
	}
	p := &parser{text: text, toks: toks}
	c := &compiler{text: text, sch: sch, sh: &shared{sch: sch}}
	if p.peek().is("IN") {
		p.next()
		t := p.next()
		switch {
		case t.is("ALL"), t.is("NAME"), t.is("EMAIL"), t.is("PHONE"), t.is("SIDEBAR"):
			s.scope = strings.ToUpper(t.text)
		default:
			return nil, searchErr(p.unexpected(t))
		}
		if _, err := p.expect("FIELDS"); err != nil {
			return nil, searchErr(err)
		}
	}
	if p.peek().is("RETURNING") {
		p.next()
		for {
			st, err := c.parseTarget(p, s.scope)
			if err != nil {
				return nil, err
			}
			s.targets = append(s.targets, st)
			if !p.peek().is(",") {
				break
			}
			p.next()
		}
	} else {
		for _, o := range sch.Objects() {
			if !o.Searchable || o.Field("Id") == nil {
				continue
			}
			q, err := c.compileQuery(&queryNode{text: text, items: []selectItem{{path: "Id"}}, from: o.Name, limit: -1, offset: -1}, nil)
			if err != nil {
				return nil, err
			}
			s.targets = append(s.targets, &searchTarget{q: q, fields: searchFields(o, s.scope)})
		}
	}
	for p.peek().is("WITH") {
		p.next()
		if t := p.next(); t.kind != tIdent {
			return nil, searchErr(p.unexpected(t))
		}
		if p.peek().is("=") {
			p.next()
			p.next()
		}
	}
	if p.peek().is("LIMIT") {
		p.next()
		t := p.next()
		n, err := atoiToken(t)
		if err != nil {
			return nil, searchErr(p.unexpected(t))
		}
		s.limit = min(n, 2000)
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, searchErr(p.unexpected(t))
	}
	return s, nil
}

func searchErr(e *Error) *Error {
	if e.Code == CodeMalformed {
		e.Code = CodeMalformedSearch
	}
	return e
}

func (c *compiler) parseTarget(p *parser, scope string) (*searchTarget, *Error) {
	t := p.next()
	if t.kind != tIdent || isReserved(t) {
		return nil, searchErr(p.unexpected(t))
	}
	qn := &queryNode{text: c.text, from: t.text, fromPos: t.pos, limit: -1, offset: -1}
	if p.peek().is("(") {
		p.next()
		for {
			it, err := p.parseSelectItem()
			if err != nil {
				return nil, searchErr(err)
			}
			if it.sub != nil || (it.fn != "" && it.fn != "TOLABEL" && it.fn != "FORMAT") {
				return nil, searchErr(p.unexpected(t))
			}
			qn.items = append(qn.items, it)
			if !p.peek().is(",") {
				break
			}
			p.next()
		}
		if p.peek().is("WHERE") {
			p.next()
			cond, err := p.parseCond()
			if err != nil {
				return nil, searchErr(err)
			}
			qn.where = cond
		}
		if err := p.parseOrderBy(qn); err != nil {
			return nil, searchErr(err)
		}
		if err := p.parseLimitOffset(qn); err != nil {
			return nil, searchErr(err)
		}
		if _, err := p.expect(")"); err != nil {
			return nil, searchErr(err)
		}
	}
	if len(qn.items) == 0 {
		qn.items = []selectItem{{pos: t.pos, path: "Id"}}
	}
	q, err := c.compileQuery(qn, nil)
	if err != nil {
		return nil, err
	}
	if q.agg != nil || q.countOnly || len(q.subs) > 0 {
		return nil, c.errAt(t.pos, CodeMalformedSearch, "Aggregates and subqueries are not supported in RETURNING")
	}
	return &searchTarget{q: q, fields: searchFields(q.obj, scope)}, nil
}

func atoiToken(t token) (int, error) {
	if t.kind != tNumber || strings.ContainsAny(t.text, ".eE") || len(t.text) > 9 {
		return 0, errBadNumber
	}
	n := 0
	for _, c := range t.text {
		n = n*10 + int(c-'0')
	}
	return n, nil
}

type searchError string

func (e searchError) Error() string { return string(e) }

const errBadNumber = searchError("bad number")

func searchFields(o *schema.Object, scope string) []string {
	var out []string
	for _, f := range o.Fields {
		ok := false
		switch scope {
		case "NAME":
			ok = f.NameField || f.Name == "Name" || f.Name == "FirstName" || f.Name == "LastName"
		case "EMAIL":
			ok = f.Type == "email"
		case "PHONE":
			ok = f.Type == "phone"
		default:
			switch f.Type {
			case "string", "textarea", "email", "phone", "url", "picklist", "multipicklist", "combobox":
				ok = true
			}
		}
		if ok {
			out = append(out, f.Name)
		}
	}
	return out
}

// parseTerm reads the search term: words and "quoted phrases" joined by
// AND, OR and AND NOT (plain juxtaposition means AND); * and ? are wildcards.
func (s *Search) parseTerm() error {
	var words []string
	var quoted []bool
	t := s.term
	for i := 0; i < len(t); {
		switch {
		case t[i] == ' ' || t[i] == '\t' || t[i] == '(' || t[i] == ')':
			i++
		case t[i] == '"':
			j := strings.IndexByte(t[i+1:], '"')
			if j < 0 {
				j = len(t) - i - 1
			}
			words = append(words, t[i+1:i+1+j])
			quoted = append(quoted, true)
			i += j + 2
		default:
			j := i
			for j < len(t) && t[j] != ' ' && t[j] != '\t' && t[j] != '(' && t[j] != ')' && t[j] != '"' {
				j++
			}
			words = append(words, t[i:j])
			quoted = append(quoted, false)
			i = j
		}
	}
	cur := []searchWord{}
	neg := false
	total := 0
	for k, w := range words {
		if !quoted[k] {
			switch strings.ToUpper(w) {
			case "OR":
				if len(cur) > 0 {
					s.groups = append(s.groups, cur)
				}
				cur, neg = []searchWord{}, false
				continue
			case "AND":
				continue
			case "NOT":
				neg = true
				continue
			}
		}
		lw := strings.ToLower(w)
		if strings.Trim(lw, "*?") == "" {
			continue
		}
		total += len(strings.Trim(lw, "*?"))
		cur = append(cur, searchWord{neg: neg, match: wordMatcher(lw)})
		neg = false
	}
	if len(cur) > 0 {
		s.groups = append(s.groups, cur)
	}
	if len(s.groups) == 0 || total < 2 {
		return searchError("search term must be longer than one character: " + s.term)
	}
	return nil
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// wordMatcher matches a lower-cased term against a lower-cased value: a
// plain word must equal one of the value's words (a trailing * makes it a
// prefix); a term with punctuation or spaces must occur in the value.
func wordMatcher(w string) func(string) bool {
	simple := true
	for _, r := range w {
		if !isWordRune(r) && r != '*' && r != '?' {
			simple = false
		}
	}
	like := strings.NewReplacer("%", "\x00%", "_", "\x00_", "*", "%", "?", "_").Replace(w)
	if !simple {
		m := compileLike("%" + like + "%")
		return m
	}
	m := compileLike(like)
	return func(v string) bool {
		for _, tok := range strings.FieldsFunc(v, func(r rune) bool { return !isWordRune(r) }) {
			if m(tok) {
				return true
			}
		}
		return false
	}
}

func (s *Search) matches(fields []string, r Record) bool {
	vals := make([]string, 0, len(fields))
	for _, f := range fields {
		if v, ok := r[f].(string); ok && v != "" {
			vals = append(vals, strings.ToLower(v))
		}
	}
	hit := func(w searchWord) bool {
		for _, v := range vals {
			if w.match(v) {
				return true
			}
		}
		return false
	}
	for _, g := range s.groups {
		ok := true
		for _, w := range g {
			if hit(w) == w.neg {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// Execute runs the search and returns the searchRecords entries, each with
// its attributes, in RETURNING order.
func (s *Search) Execute(ctx context.Context, src Source, opts Options) ([]*Row, error) {
	out := []*Row{}
	for _, t := range s.targets {
		if len(out) >= s.limit {
			break
		}
		ec := newEvalCtx(ctx, src, opts, t.q.sh)
		ec.opts.All = false
		fields := t.fields
		ids, err := t.q.matchIDs(ec, func(r Record) bool { return s.matches(fields, r) })
		if err != nil {
			return nil, err
		}
		if room := s.limit - len(out); len(ids) > room {
			ids = ids[:room]
		}
		rows, err := t.q.Page(ctx, src, ids, ec.opts)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}
