package soql

import (
	"strconv"
	"strings"
)

// ---- AST ----

type selectItem struct {
	pos     int
	path    string // field path as written (Account.Owner.Name)
	fn      string // aggregate / function name, upper case (COUNT, SUM, FIELDS, ...)
	arg     string // function argument path ("" for COUNT())
	argAt   int    // position of the argument
	alias   string // alias as written
	aliasAt int
	sub     *queryNode // child subquery
	typ     *typeofNode
	expr    exprNode // the whole function call when fn != ""
}

// typeofNode is TYPEOF rel WHEN Obj THEN f1, f2 ... [ELSE f3, ...] END.
type typeofNode struct {
	rel    string
	relPos int
	whens  []typeofWhen
	others []token // ELSE fields
}

type typeofWhen struct {
	obj    token
	fields []token
}

type queryNode struct {
	text     string
	items    []selectItem
	from     string
	fromPos  int
	alias    string
	where    *condNode
	groupBy  []exprNode
	groupFn  string // "", ROLLUP or CUBE
	groupAt  int
	scope    token // USING SCOPE value (kind tEOF when absent)
	having   *condNode
	orderBy  []orderNode
	limit    int // -1 when absent
	limitAt  int
	offset   int // -1 when absent
	offsetAt int
}

// exprNode is a condition operand or sort/group key: a field path or a function of one.
type exprNode struct {
	pos    int
	path   string
	fn     string    // "" for a plain field, else COUNT, SUM, ... (upper case)
	argPos int       // position of the argument (of ')' for COUNT())
	inner  *exprNode // a function argument: FORMAT(MIN(x)), HOUR_IN_DAY(convertTimezone(x))
	geo    *geoArg   // DISTANCE(field, GEOLOCATION(lat, lon), 'unit')
}

// geoArg is the rest of a DISTANCE call.
type geoArg struct {
	lat, lon float64
	unit     string
	unitPos  int
}

func (e exprNode) String() string {
	if e.fn == "" {
		return e.path
	}
	if e.inner != nil {
		return e.fn + "(" + e.inner.String() + ")"
	}
	return e.fn + "(" + e.path + ")"
}

// leaf returns the innermost argument of a (possibly nested) function call.
func (e exprNode) leaf() exprNode {
	for e.inner != nil {
		e = *e.inner
	}
	return e
}

type orderNode struct {
	expr       exprNode
	desc       bool
	nullsLast  bool
	nullsGiven bool
}

type condKind int

const (
	cAnd condKind = iota
	cOr
	cNot
	cCmp
)

type condNode struct {
	kind  condKind
	kids  []*condNode
	left  exprNode
	op    string // = != < <= > >= LIKE IN NOTIN INCLUDES EXCLUDES
	opPos int
	vals  []valueNode // one value, or the list of IN/INCLUDES
	semi  *queryNode  // IN (SELECT ...)
}

type valKind int

const (
	vNull valKind = iota
	vString
	vNumber
	vBool
	vDate
	vDateTime
	vDateLit
)

type valueNode struct {
	kind valKind
	pos  int
	raw  string // raw token text (string literal without quotes)
	num  float64
	b    bool
	n    int // the N of LAST_N_DAYS:N
}

// ---- parser ----

type parser struct {
	text string
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekAt(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

func (p *parser) unexpected(t token) *Error {
	return posError(p.text, t.pos, CodeMalformed, "unexpected token: '"+t.shown()+"'")
}

func (p *parser) expect(s string) (token, *Error) {
	t := p.next()
	if !t.is(s) {
		return t, p.unexpected(t)
	}
	return t, nil
}

// reserved words that end a clause; they cannot be aliases.
var reserved = map[string]bool{
	"select": true, "from": true, "where": true, "and": true, "or": true, "not": true, "in": true, "like": true,
	"includes": true, "excludes": true, "null": true, "true": true, "false": true, "order": true, "by": true,
	"limit": true, "offset": true, "group": true, "having": true, "with": true, "for": true, "using": true,
	"asc": true, "desc": true, "nulls": true, "typeof": true, "when": true, "then": true, "else": true, "end": true,
	"update": true, "view": true, "reference": true, "tracking": true, "viewstat": true,
}

func isReserved(t token) bool { return t.kind == tIdent && reserved[strings.ToLower(t.text)] }

var aggregateFns = map[string]bool{"COUNT": true, "COUNT_DISTINCT": true, "SUM": true, "AVG": true, "MIN": true, "MAX": true}

// parseQuery parses SELECT ... up to (not including) a closing ')' or EOF.
func (p *parser) parseQuery() (*queryNode, *Error) {
	q := &queryNode{text: p.text, limit: -1, offset: -1}
	if _, err := p.expect("SELECT"); err != nil {
		return nil, err
	}
	for {
		it, err := p.parseSelectItem()
		if err != nil {
			return nil, err
		}
		q.items = append(q.items, it)
		if !p.peek().is(",") {
			break
		}
		p.next()
	}
	if _, err := p.expect("FROM"); err != nil {
		return nil, err
	}
	t := p.next()
	// Group and Order are objects as well as keywords: after FROM they name the object.
	if t.kind != tIdent || (isReserved(t) && !t.is("GROUP") && !t.is("ORDER")) {
		return nil, p.unexpected(t)
	}
	q.from, q.fromPos = t.text, t.pos
	if t := p.peek(); t.kind == tIdent && !isReserved(t) && !strings.Contains(t.text, ".") {
		q.alias = t.text
		p.next()
	}
	if p.peek().is("USING") {
		p.next()
		if _, err := p.expect("SCOPE"); err != nil {
			return nil, err
		}
		t := p.next()
		if t.kind != tIdent {
			return nil, p.unexpected(t)
		}
		q.scope = t
	}
	if p.peek().is("WHERE") {
		p.next()
		c, err := p.parseCond()
		if err != nil {
			return nil, err
		}
		q.where = c
	}
	if p.peek().is("WITH") {
		if err := p.parseWith(); err != nil {
			return nil, err
		}
	}
	if p.peek().is("GROUP") {
		p.next()
		if _, err := p.expect("BY"); err != nil {
			return nil, err
		}
		if t := p.peek(); (t.is("ROLLUP") || t.is("CUBE")) && p.peekAt(1).is("(") {
			q.groupFn, q.groupAt = strings.ToUpper(t.text), t.pos
			p.next()
			p.next()
		}
		for {
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			q.groupBy = append(q.groupBy, e)
			if !p.peek().is(",") {
				break
			}
			p.next()
		}
		if q.groupFn != "" {
			if _, err := p.expect(")"); err != nil {
				return nil, err
			}
		}
		if p.peek().is("HAVING") {
			p.next()
			c, err := p.parseCond()
			if err != nil {
				return nil, err
			}
			q.having = c
		}
	}
	if err := p.parseOrderBy(q); err != nil {
		return nil, err
	}
	if err := p.parseLimitOffset(q); err != nil {
		return nil, err
	}
	if p.peek().is("FOR") {
		p.next()
		t := p.next()
		if !(t.is("VIEW") || t.is("REFERENCE") || t.is("UPDATE")) {
			return nil, p.unexpected(t)
		}
		for p.peek().is(",") {
			p.next()
			if t := p.next(); !(t.is("VIEW") || t.is("REFERENCE") || t.is("UPDATE")) {
				return nil, p.unexpected(t)
			}
		}
	}
	if p.peek().is("UPDATE") {
		p.next()
		if t := p.next(); !(t.is("TRACKING") || t.is("VIEWSTAT")) {
			return nil, p.unexpected(t)
		}
	}
	return q, nil
}

func (p *parser) parseSelectItem() (selectItem, *Error) {
	t := p.peek()
	if t.is("(") {
		p.next()
		sub, err := p.parseQuery()
		if err != nil {
			return selectItem{}, err
		}
		if _, err := p.expect(")"); err != nil {
			return selectItem{}, err
		}
		return selectItem{pos: t.pos, sub: sub}, nil
	}
	if t.is("TYPEOF") && p.peekAt(1).kind == tIdent {
		p.next()
		return p.parseTypeof(t.pos)
	}
	if t.kind != tIdent || (isReserved(t) && !p.peekAt(1).is("(")) {
		return selectItem{}, p.unexpected(t)
	}
	it := selectItem{pos: t.pos}
	if p.peekAt(1).is("(") {
		e, err := p.parseExpr(true)
		if err != nil {
			return selectItem{}, err
		}
		it.expr, it.fn, it.arg, it.argAt = e, e.fn, e.path, e.argPos
	} else {
		p.next()
		it.path = t.text
	}
	if a := p.peek(); a.kind == tIdent && !isReserved(a) && !strings.Contains(a.text, ".") {
		it.alias, it.aliasAt = a.text, a.pos
		p.next()
	}
	return it, nil
}

// parseExpr parses a field path or FN(arg), where arg is a path or another
// call (FORMAT(MIN(x)), HOUR_IN_DAY(convertTimezone(x))), or DISTANCE's
// arguments. inSelect allows COUNT() and FIELDS(ALL).
func (p *parser) parseExpr(inSelect ...bool) (exprNode, *Error) {
	return p.parseCall(len(inSelect) > 0 && inSelect[0], false)
}

// knownFns are the functions SOQL has; any other name before '(' is a syntax error.
var knownFns = map[string]bool{"COUNT": true, "COUNT_DISTINCT": true, "SUM": true, "AVG": true, "MIN": true, "MAX": true,
	"FIELDS": true, "GROUPING": true, "TOLABEL": true, "CONVERTCURRENCY": true, "FORMAT": true, "DISTANCE": true,
	"CONVERTTIMEZONE": true, "CALENDAR_MONTH": true, "CALENDAR_QUARTER": true, "CALENDAR_YEAR": true, "DAY_IN_MONTH": true,
	"DAY_IN_WEEK": true, "DAY_IN_YEAR": true, "DAY_ONLY": true, "FISCAL_MONTH": true, "FISCAL_QUARTER": true,
	"FISCAL_YEAR": true, "HOUR_IN_DAY": true, "WEEK_IN_MONTH": true, "WEEK_IN_YEAR": true}

// parseCall parses a path or a call; inSelect allows COUNT() and FIELDS(),
// inDateFn allows convertTimezone().
func (p *parser) parseCall(inSelect, inDateFn bool) (exprNode, *Error) {
	t := p.next()
	if t.kind != tIdent || (isReserved(t) && !p.peek().is("(")) {
		return exprNode{}, p.unexpected(t)
	}
	if !p.peek().is("(") {
		return exprNode{pos: t.pos, path: t.text}, nil
	}
	if strings.Contains(t.text, ".") {
		return exprNode{}, p.unexpected(p.peek())
	}
	e := exprNode{pos: t.pos, fn: strings.ToUpper(t.text)}
	if !knownFns[e.fn] || (e.fn == "CONVERTTIMEZONE" && !inDateFn) || (e.fn == "FIELDS" && !inSelect) {
		return exprNode{}, p.unexpected(t)
	}
	p.next()
	a := p.peek()
	e.argPos = a.pos
	if e.fn == "FIELDS" {
		if !(a.is("ALL") || a.is("STANDARD") || a.is("CUSTOM")) {
			return exprNode{}, p.unexpected(a)
		}
	}
	switch {
	case a.is(")") && e.fn == "COUNT":
		p.next()
		return e, nil
	case a.kind == tIdent && (!isReserved(a) || p.peekAt(1).is("(")):
		if p.peekAt(1).is("(") {
			in, err := p.parseCall(inSelect, isDateFn(e.fn))
			if err != nil {
				return exprNode{}, err
			}
			e.inner = &in
			e.path = in.leaf().path
		} else {
			p.next()
			e.path = a.text
		}
	default:
		return exprNode{}, p.unexpected(p.next())
	}
	if e.fn == "DISTANCE" {
		g, err := p.parseGeo()
		if err != nil {
			return exprNode{}, err
		}
		e.geo = g
	}
	if _, err := p.expect(")"); err != nil {
		return exprNode{}, err
	}
	return e, nil
}

// parseGeo parses ", GEOLOCATION(lat, lon), 'unit'" of a DISTANCE call.
func (p *parser) parseGeo() (*geoArg, *Error) {
	g := &geoArg{}
	if _, err := p.expect(","); err != nil {
		return nil, err
	}
	if _, err := p.expect("GEOLOCATION"); err != nil {
		return nil, err
	}
	if _, err := p.expect("("); err != nil {
		return nil, err
	}
	for i, dst := range []*float64{&g.lat, &g.lon} {
		if i == 1 {
			if _, err := p.expect(","); err != nil {
				return nil, err
			}
		}
		v, err := p.parseValue()
		if err != nil {
			return nil, err
		}
		if v.kind != vNumber {
			return nil, posError(p.text, v.pos, CodeMalformed, "unexpected token: '"+v.raw+"'")
		}
		*dst = v.num
	}
	if _, err := p.expect(")"); err != nil {
		return nil, err
	}
	if _, err := p.expect(","); err != nil {
		return nil, err
	}
	u := p.next()
	if u.kind != tString {
		return nil, p.unexpected(u)
	}
	g.unit, g.unitPos = u.text, u.pos
	return g, nil
}

// withFilters are the documented WITH clauses besides DATA CATEGORY.
var withFilters = map[string]bool{"security_enforced": true, "user_mode": true, "system_mode": true}

// parseWith parses WITH SECURITY_ENFORCED | USER_MODE | SYSTEM_MODE or
// WITH DATA CATEGORY group AT|ABOVE|BELOW|ABOVE_OR_BELOW cat|(cat, ...) [AND ...].
func (p *parser) parseWith() *Error {
	p.next()
	t := p.next()
	if t.kind == tIdent && withFilters[strings.ToLower(t.text)] {
		return nil
	}
	if !t.is("DATA") {
		return p.unexpected(t)
	}
	if _, err := p.expect("CATEGORY"); err != nil {
		return err
	}
	for {
		g := p.next()
		if g.kind != tIdent || isReserved(g) {
			return p.unexpected(g)
		}
		op := p.next()
		if !(op.is("AT") || op.is("ABOVE") || op.is("BELOW") || op.is("ABOVE_OR_BELOW")) {
			return p.unexpected(op)
		}
		if p.peek().is("(") {
			p.next()
			for {
				if c := p.next(); c.kind != tIdent || isReserved(c) {
					return p.unexpected(c)
				}
				if !p.peek().is(",") {
					break
				}
				p.next()
			}
			if _, err := p.expect(")"); err != nil {
				return err
			}
		} else if c := p.next(); c.kind != tIdent || isReserved(c) {
			return p.unexpected(c)
		}
		if !p.peek().is("AND") {
			return nil
		}
		p.next()
	}
}

// parseCond parses a condition. Salesforce refuses a mix of AND and OR
// without parentheses: the first connector decides and the other one is an
// unexpected token.
func (p *parser) parseCond() (*condNode, *Error) {
	first, err := p.parseCondTerm()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	var kind condKind
	switch {
	case t.is("AND"):
		kind = cAnd
	case t.is("OR"):
		kind = cOr
	default:
		return first, nil
	}
	n := &condNode{kind: kind, kids: []*condNode{first}}
	for {
		t := p.peek()
		if (kind == cAnd && t.is("OR")) || (kind == cOr && t.is("AND")) {
			return nil, p.unexpected(t)
		}
		if !(t.is("AND") || t.is("OR")) {
			return n, nil
		}
		p.next()
		c, err := p.parseCondTerm()
		if err != nil {
			return nil, err
		}
		n.kids = append(n.kids, c)
	}
}

func (p *parser) parseCondTerm() (*condNode, *Error) {
	t := p.peek()
	if t.is("NOT") {
		p.next()
		c, err := p.parseCondTerm()
		if err != nil {
			return nil, err
		}
		return &condNode{kind: cNot, kids: []*condNode{c}}, nil
	}
	if t.is("(") {
		p.next()
		c, err := p.parseCond()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		return c, nil
	}
	left, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	n := &condNode{kind: cCmp, left: left}
	op := p.next()
	n.opPos = op.pos
	switch {
	case op.kind == tPunct && (op.text == "=" || op.text == "!=" || op.text == "<>" || op.text == "<" || op.text == "<=" || op.text == ">" || op.text == ">="):
		n.op = op.text
		if n.op == "<>" {
			n.op = "!="
		}
		v, err := p.parseValue()
		if err != nil {
			return nil, err
		}
		n.vals = []valueNode{v}
		return n, nil
	case op.is("LIKE"):
		n.op = "LIKE"
		v, err := p.parseValue()
		if err != nil {
			return nil, err
		}
		n.vals = []valueNode{v}
		return n, nil
	case op.is("NOT"):
		if _, err := p.expect("IN"); err != nil {
			return nil, err
		}
		n.op = "NOTIN"
	case op.is("IN"):
		n.op = "IN"
	case op.is("INCLUDES"):
		n.op = "INCLUDES"
	case op.is("EXCLUDES"):
		n.op = "EXCLUDES"
	default:
		return nil, p.unexpected(op)
	}
	if _, err := p.expect("("); err != nil {
		return nil, err
	}
	if p.peek().is("SELECT") && (n.op == "IN" || n.op == "NOTIN") {
		sub, err := p.parseQuery()
		if err != nil {
			return nil, err
		}
		n.semi = sub
	} else {
		for {
			v, err := p.parseValue()
			if err != nil {
				return nil, err
			}
			n.vals = append(n.vals, v)
			if !p.peek().is(",") {
				break
			}
			p.next()
		}
	}
	if _, err := p.expect(")"); err != nil {
		return nil, err
	}
	return n, nil
}

func (p *parser) parseValue() (valueNode, *Error) {
	t := p.next()
	switch t.kind {
	case tString:
		return valueNode{kind: vString, pos: t.pos, raw: t.text}, nil
	case tNumber:
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return valueNode{}, p.unexpected(t)
		}
		return valueNode{kind: vNumber, pos: t.pos, raw: t.text, num: f}, nil
	case tDate:
		return valueNode{kind: vDate, pos: t.pos, raw: t.text}, nil
	case tDateTime:
		return valueNode{kind: vDateTime, pos: t.pos, raw: t.text}, nil
	case tPunct:
		if t.text == "-" || t.text == "+" {
			n := p.next()
			if n.kind != tNumber {
				return valueNode{}, p.unexpected(n)
			}
			f, err := strconv.ParseFloat(n.text, 64)
			if err != nil {
				return valueNode{}, p.unexpected(n)
			}
			if t.text == "-" {
				f = -f
			}
			return valueNode{kind: vNumber, pos: t.pos, raw: t.text + n.text, num: f}, nil
		}
	case tIdent:
		switch {
		case t.is("null"):
			return valueNode{kind: vNull, pos: t.pos, raw: t.text}, nil
		case t.is("true"), t.is("false"):
			return valueNode{kind: vBool, pos: t.pos, raw: t.text, b: t.is("true")}, nil
		}
		name := strings.ToUpper(t.text)
		if _, ok := dateLiteral(name); ok {
			return valueNode{kind: vDateLit, pos: t.pos, raw: name}, nil
		}
		if _, ok := dateLiteralN(name); ok {
			if _, err := p.expect(":"); err != nil {
				return valueNode{}, err
			}
			nt := p.next()
			if nt.kind != tNumber || strings.ContainsAny(nt.text, ".eE") {
				return valueNode{}, p.unexpected(nt)
			}
			n, err := strconv.Atoi(nt.text)
			if err != nil || n > 1000000 {
				return valueNode{}, posError(p.text, nt.pos, CodeOutOfRange, "Date literal value is out of range: "+nt.text)
			}
			return valueNode{kind: vDateLit, pos: t.pos, raw: name, n: n}, nil
		}
	}
	return valueNode{}, p.unexpected(t)
}

func (p *parser) parseOrderBy(q *queryNode) *Error {
	if p.peek().is("ORDER") {
		p.next()
		if _, err := p.expect("BY"); err != nil {
			return err
		}
		for {
			e, err := p.parseExpr()
			if err != nil {
				return err
			}
			o := orderNode{expr: e}
			if p.peek().is("ASC") {
				p.next()
			} else if p.peek().is("DESC") {
				p.next()
				o.desc = true
			}
			o.nullsLast = o.desc
			if p.peek().is("NULLS") {
				p.next()
				t := p.next()
				switch {
				case t.is("FIRST"):
					o.nullsLast = false
				case t.is("LAST"):
					o.nullsLast = true
				default:
					return p.unexpected(t)
				}
				o.nullsGiven = true
			}
			q.orderBy = append(q.orderBy, o)
			if !p.peek().is(",") {
				break
			}
			p.next()
		}
	}
	return nil
}

func (p *parser) parseLimitOffset(q *queryNode) *Error {
	for p.peek().is("LIMIT") || p.peek().is("OFFSET") {
		kw := p.next()
		t := p.next()
		if t.kind != tNumber || strings.ContainsAny(t.text, ".eE") {
			return p.unexpected(t)
		}
		n, err := strconv.Atoi(t.text)
		if err != nil {
			return posError(p.text, t.pos, CodeOutOfRange, "For input string: \""+t.text+"\"")
		}
		if kw.is("LIMIT") {
			if q.limit >= 0 || q.offset >= 0 {
				return p.unexpected(kw)
			}
			q.limit, q.limitAt = n, t.pos
		} else {
			if q.offset >= 0 {
				return p.unexpected(kw)
			}
			q.offset, q.offsetAt = n, t.pos
		}
	}
	return nil
}

func (p *parser) parseTypeof(pos int) (selectItem, *Error) {
	rel := p.next()
	if rel.kind != tIdent || isReserved(rel) {
		return selectItem{}, p.unexpected(rel)
	}
	n := &typeofNode{rel: rel.text, relPos: rel.pos}
	fields := func() ([]token, *Error) {
		var out []token
		for {
			f := p.next()
			if f.kind != tIdent || isReserved(f) {
				return nil, p.unexpected(f)
			}
			out = append(out, f)
			if !p.peek().is(",") {
				return out, nil
			}
			p.next()
		}
	}
	for p.peek().is("WHEN") {
		p.next()
		obj := p.next()
		if obj.kind != tIdent || (isReserved(obj) && !obj.is("GROUP") && !obj.is("ORDER")) {
			return selectItem{}, p.unexpected(obj)
		}
		if _, err := p.expect("THEN"); err != nil {
			return selectItem{}, err
		}
		fs, err := fields()
		if err != nil {
			return selectItem{}, err
		}
		n.whens = append(n.whens, typeofWhen{obj: obj, fields: fs})
	}
	if len(n.whens) == 0 {
		return selectItem{}, p.unexpected(p.peek())
	}
	if p.peek().is("ELSE") {
		p.next()
		fs, err := fields()
		if err != nil {
			return selectItem{}, err
		}
		n.others = fs
	}
	if _, err := p.expect("END"); err != nil {
		return selectItem{}, err
	}
	return selectItem{pos: pos, typ: n}, nil
}
