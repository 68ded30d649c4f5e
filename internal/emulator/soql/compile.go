package soql

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/schema"
	"github.com/sfmcp/sfmcp/internal/sfid"
)

// Record is one stored record: canonical field names (exactly as in schema)
// to values. Values are nil, string, float64, bool. Date fields hold
// "2006-01-02", datetime fields "2006-01-02T15:04:05.000+0000" (always UTC).
// Every record has "Id" (18 chars) and "IsDeleted" (bool).
type Record map[string]any

// Source is the data the engine reads. The emulator's SQLite store implements it.
type Source interface {
	// Scan calls fn for every record of object (canonical name) in insertion order;
	// records with IsDeleted=true only when all is true. Returning an error from fn
	// stops the scan with that error.
	Scan(ctx context.Context, object string, all bool, fn func(Record) error) error
	// Get returns the record with this id (15 or 18 chars, any object, deleted or
	// not), or nil, nil when there is none.
	Get(ctx context.Context, id string) (Record, error)
}

// Options are the per-call settings.
type Options struct {
	All        bool      // queryAll: include deleted rows
	Now        time.Time // for date literals (TODAY, LAST_N_DAYS:n, ...); UTC
	APIVersion string    // "62.0", used in attributes.url
}

type getter func(ec *evalCtx, r Record) any
type predFn func(ec *evalCtx, r Record) bool

// Query is a compiled SOQL query. It is safe for concurrent use.
type Query struct {
	text   string
	sh     *shared
	obj    *schema.Object
	cols   []*outCol // plain queries: the output tree
	where  predFn
	order  []sortSpec
	limit  int // -1: none
	offset int // -1: none

	countOnly bool
	agg       *aggPlan

	subs        []*Query // child subqueries, in SELECT order
	relName     string   // child subquery: the relationship name (Contacts)
	parentField string   // child subquery: the field on the child that points at the parent

	meta []*colMeta // for Columns
}

// Object returns the canonical name of the FROM object.
func (q *Query) Object() string { return q.obj.Name }

// IsAggregate reports whether the query answers AggregateResult rows.
func (q *Query) IsAggregate() bool { return q.agg != nil }

// IsCountOnly reports whether the query is SELECT COUNT() FROM ...
func (q *Query) IsCountOnly() bool { return q.countOnly }

// fieldRef is a resolved field path: reference fields to follow, then a leaf field.
type fieldRef struct {
	hops     []*schema.Field
	leaf     *schema.Field     // representative leaf (the first polymorphic target's)
	polyLeaf map[string]string // polymorphic last hop: key prefix -> canonical field name
	compound map[string]string // an address or geolocation leaf: value key -> component field
	cls      class
}

// compoundOf assembles a compound field's value from its components, as
// Salesforce returns BillingAddress: null when no part is set.
func compoundOf(parts map[string]string, r Record) any {
	out := make(map[string]any, len(parts))
	set := false
	for key, name := range parts {
		out[key] = r[name]
		set = set || r[name] != nil
	}
	if !set {
		return nil
	}
	return out
}

func (fr *fieldRef) value(ec *evalCtx, r Record) any {
	cur := r
	for _, h := range fr.hops {
		id, _ := cur[h.Name].(string)
		if id == "" {
			return nil
		}
		cur = ec.parent(id)
		if cur == nil {
			return nil
		}
	}
	if fr.polyLeaf != nil {
		id, _ := cur["Id"].(string)
		if len(id) < 3 {
			return nil
		}
		name, ok := fr.polyLeaf[id[:3]]
		if !ok {
			return nil
		}
		return cur[name]
	}
	if fr.compound != nil {
		return compoundOf(fr.compound, cur)
	}
	return cur[fr.leaf.Name]
}

func (fr *fieldRef) getter() getter {
	if fr.compound != nil {
		return fr.value
	}
	if len(fr.hops) == 0 {
		name := fr.leaf.Name
		return func(_ *evalCtx, r Record) any { return r[name] }
	}
	return fr.value
}

// key identifies the path independent of how it was written.
func (fr *fieldRef) key() string {
	var b strings.Builder
	for _, h := range fr.hops {
		b.WriteString(strings.ToLower(h.Name))
		b.WriteByte('.')
	}
	b.WriteString(strings.ToLower(fr.leaf.Name))
	return b.String()
}

type compiler struct {
	text      string
	sch       *schema.Schema
	sh        *shared
	subDepth  int // child subqueries being compiled (nested up to maxSubDepth)
	semiDepth int // semi-join subqueries being compiled
}

// scopeAllowed reports whether USING SCOPE name is valid on o: one of the
// object's describe supportedScopes, or of the documented values when the
// describe lists none.
func scopeAllowed(o *schema.Object, name string) bool {
	if len(o.Scopes) == 0 {
		return scopes[strings.ToLower(name)]
	}
	for _, s := range o.Scopes {
		if strings.EqualFold(s, name) {
			return true
		}
	}
	return false
}

// maxSubDepth is how deep child subqueries nest: five levels of
// parent-to-child relationships (API 58.0 and later).
const maxSubDepth = 5

// scopes are the documented USING SCOPE values.
var scopes = map[string]bool{"delegated": true, "everything": true, "mine": true, "mine_and_my_groups": true,
	"my_territory": true, "my_team_territory": true, "team": true, "scopingrule": true}

func (c *compiler) errAt(pos int, code, msg string) *Error { return posError(c.text, pos, code, msg) }

// Compile parses text and checks it against sch. Errors are *Error.
func Compile(text string, sch *schema.Schema) (*Query, error) {
	q, err := compileText(text, sch)
	if err != nil {
		return nil, err
	}
	return q, nil
}

func compileText(text string, sch *schema.Schema) (*Query, *Error) {
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	p := &parser{text: text, toks: toks}
	qn, err := p.parseQuery()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.unexpected(t)
	}
	if err := checkSubDepth(text, qn, 0); err != nil {
		return nil, err
	}
	c := &compiler{text: text, sch: sch, sh: &shared{sch: sch}}
	return c.compileQuery(qn, nil)
}

// scope is what names resolve against.
type scope struct {
	obj   *schema.Object
	alias string
}

// resolvePath resolves a field path written at pos against sc.
func (c *compiler) resolvePath(sc scope, path string, pos int) (*fieldRef, *Error) {
	parts := strings.Split(path, ".")
	if len(parts) > 1 && ((sc.alias != "" && strings.EqualFold(parts[0], sc.alias)) ||
		(strings.EqualFold(parts[0], sc.obj.Name) && sc.obj.ParentRelationship(parts[0]) == nil)) {
		parts = parts[1:]
	}
	if len(parts)-1 > 5 {
		return nil, c.errAt(pos, CodeMalformed, "SOQL statements cannot query more than 5 levels of relationships")
	}
	fr := &fieldRef{}
	obj := sc.obj
	var targets []*schema.Object
	for i, part := range parts[:len(parts)-1] {
		var rel *schema.Field
		if obj != nil {
			rel = obj.ParentRelationship(part)
		}
		if rel == nil {
			return nil, c.errAt(pos, CodeInvalidField, msgNoRelationship(part))
		}
		targets = targets[:0]
		for _, name := range rel.ReferenceTo {
			if o := c.sch.Object(name); o != nil {
				targets = append(targets, o)
			}
		}
		if len(targets) == 0 {
			return nil, c.errAt(pos, CodeInvalidField, msgNoRelationship(part))
		}
		fr.hops = append(fr.hops, rel)
		if len(targets) > 1 {
			if i != len(parts)-2 {
				return nil, c.errAt(pos, CodeInvalidField, msgNoRelationship(parts[i+1]))
			}
			obj = nil
		} else {
			obj = targets[0]
		}
	}
	leafName := parts[len(parts)-1]
	if obj != nil {
		fr.leaf = obj.Field(leafName)
		if fr.leaf == nil {
			return nil, c.errAt(pos, CodeInvalidField, msgNoField(leafName, obj.Name))
		}
	} else {
		fr.polyLeaf = map[string]string{}
		for _, o := range targets {
			if f := o.Field(leafName); f != nil {
				if fr.leaf == nil {
					fr.leaf = f
				}
				fr.polyLeaf[o.KeyPrefix] = f.Name
			}
		}
		if fr.leaf == nil {
			return nil, c.errAt(pos, CodeInvalidField, msgNoField(leafName, "Name"))
		}
	}
	fr.cls = classOf(fr.leaf)
	if obj != nil {
		fr.compound = obj.CompoundParts(fr.leaf)
	}
	return fr, nil
}

func (c *compiler) compileQuery(qn *queryNode, parent *schema.Object) (*Query, *Error) {
	q := &Query{text: c.text, sh: c.sh, limit: qn.limit, offset: qn.offset}
	if parent != nil {
		rel := parent.ChildRelationship(qn.from)
		if rel == nil {
			return nil, c.errAt(qn.fromPos, CodeInvalidType, msgNoChildRelationship(qn.from))
		}
		q.obj = c.sch.Object(rel.ChildSObject)
		q.relName = rel.RelationshipName
		if f := q.obj.Field(rel.Field); f != nil {
			q.parentField = f.Name
		} else {
			q.parentField = rel.Field
		}
	} else {
		q.obj = c.sch.Object(qn.from)
		if q.obj == nil {
			return nil, c.errAt(qn.fromPos, CodeInvalidType, msgNoObject(qn.from))
		}
	}
	if qn.offset > 2000 {
		return nil, c.errAt(qn.offsetAt, CodeOutOfRange, "Maximum SOQL offset allowed is 2000")
	}
	if qn.scope.kind == tIdent && !scopeAllowed(q.obj, qn.scope.text) {
		return nil, c.errAt(qn.scope.pos, CodeMalformed, "Invalid scope:"+qn.scope.text)
	}
	sc := scope{obj: q.obj, alias: qn.alias}

	aggregate := len(qn.groupBy) > 0
	for _, it := range qn.items {
		lf := it.expr.leaf()
		if aggregateFns[it.fn] || isDateFn(it.fn) || it.fn == "GROUPING" || (it.expr.inner != nil && aggregateFns[lf.fn]) ||
			(it.fn == "FORMAT" && it.expr.inner != nil && aggregateFns[it.expr.inner.fn]) {
			aggregate = true
		}
	}
	if qn.where != nil {
		if err := c.checkSemiPlacement(qn.where, true); err != nil {
			return nil, err
		}
		w, err := c.compileCond(qn.where, c.plainResolver(sc))
		if err != nil {
			return nil, err
		}
		q.where = w
	}
	if aggregate {
		if err := c.compileAggregate(q, qn, sc, parent != nil); err != nil {
			return nil, err
		}
		return q, nil
	}
	if qn.having != nil {
		return nil, c.errAt(qn.having.firstPos(), CodeMalformed, "HAVING can only be used with GROUP BY")
	}

	if err := c.compileSelect(q, qn, sc, parent); err != nil {
		return nil, err
	}
	for _, o := range qn.orderBy {
		op, err := c.plainResolver(sc)(o.expr)
		if err != nil {
			return nil, err
		}
		if op.field != nil && !op.field.Sortable {
			return nil, c.errAt(o.expr.pos, CodeInvalidField, "field '"+op.field.Name+"' can not be sorted in a query call")
		}
		q.order = append(q.order, orderSpec(op, o.desc, o.nullsLast))
	}
	return q, nil
}

// checkSubDepth refuses child subqueries nested deeper than maxSubDepth,
// before any name in them is resolved.
func checkSubDepth(text string, qn *queryNode, depth int) *Error {
	for _, it := range qn.items {
		if it.sub == nil {
			continue
		}
		if depth >= maxSubDepth {
			return posError(text, it.pos, CodeMalformed, "SOQL statements cannot query more than 5 levels of child relationships")
		}
		if err := checkSubDepth(text, it.sub, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// checkSemiPlacement refuses semi- and anti-joins where Salesforce does:
// under OR, or below the top-level AND of the WHERE clause (inside
// parentheses with another connector, under NOT).
func (c *compiler) checkSemiPlacement(n *condNode, top bool) *Error {
	switch n.kind {
	case cCmp:
		if n.semi != nil && !top {
			return c.errAt(n.left.pos, CodeMalformed, "Semi join sub-selects are only allowed at the top level WHERE expressions and not in nested WHERE expressions.")
		}
	case cOr:
		for _, k := range n.kids {
			if k.kind == cCmp && k.semi != nil && top {
				return c.errAt(k.left.pos, CodeMalformed, "Semi join sub-selects are not allowed with the 'OR' operator")
			}
			if err := c.checkSemiPlacement(k, false); err != nil {
				return err
			}
		}
	case cAnd:
		for _, k := range n.kids {
			if err := c.checkSemiPlacement(k, top && k.kind == cCmp); err != nil {
				return err
			}
		}
	case cNot:
		return c.checkSemiPlacement(n.kids[0], false)
	}
	return nil
}

func (n *condNode) firstPos() int {
	for n.kind != cCmp && len(n.kids) > 0 {
		n = n.kids[0]
	}
	return n.left.pos
}

// operand is a resolved condition operand or sort key.
type operand struct {
	get   getter
	cls   class
	field *schema.Field // nil for aggregates
	name  string
}

type resolver func(e exprNode) (operand, *Error)

func (c *compiler) plainResolver(sc scope) resolver {
	return func(e exprNode) (operand, *Error) {
		if e.fn != "" {
			sc, err := c.compileScalar(sc, e, "WHERE")
			if err != nil {
				return operand{}, err
			}
			return operand{get: sc.get, cls: sc.cls, name: e.String()}, nil
		}
		fr, err := c.resolvePath(sc, e.path, e.pos)
		if err != nil {
			return operand{}, err
		}
		return operand{get: fr.getter(), cls: fr.cls, field: fr.leaf, name: fr.leaf.Name}, nil
	}
}

// ---- SELECT list of plain queries ----

type colKind int

const (
	colField colKind = iota
	colRel
	colSub
	colExpr // a computed value: DISTANCE(...)
)

// outCol is one key of an output record.
type outCol struct {
	kind     colKind
	key      string
	field    *schema.Field     // colField: the field (representative when polymorphic)
	poly     map[string]string // colField under a polymorphic relationship: key prefix -> field name
	compound map[string]string // colField of an address or geolocation: value key -> component field
	rel      *schema.Field     // colRel: the reference field
	targets  []*schema.Object  // colRel: possible objects
	kids     []*outCol
	sub      *Query // colSub
	subIndex int
	typeOf   map[string][]*outCol // colRel from TYPEOF: key prefix -> the WHEN fields
	get      getter               // colExpr
}

func findCol(cols []*outCol, kind colKind, key string) *outCol {
	for _, c := range cols {
		if c.kind == kind && strings.EqualFold(c.key, key) {
			return c
		}
	}
	return nil
}

func (c *compiler) addPathCol(cols *[]*outCol, fr *fieldRef) {
	cur := cols
	for _, h := range fr.hops {
		key := h.RelationshipName
		col := findCol(*cur, colRel, key)
		if col == nil {
			col = &outCol{kind: colRel, key: key, rel: h}
			for _, name := range h.ReferenceTo {
				if o := c.sch.Object(name); o != nil {
					col.targets = append(col.targets, o)
				}
			}
			*cur = append(*cur, col)
		}
		cur = &col.kids
	}
	if findCol(*cur, colField, fr.leaf.Name) == nil {
		*cur = append(*cur, &outCol{kind: colField, key: fr.leaf.Name, field: fr.leaf, poly: fr.polyLeaf, compound: fr.compound})
	}
}

func (c *compiler) compileSelect(q *Query, qn *queryNode, sc scope, parent *schema.Object) *Error {
	exprN := 0
	for _, it := range qn.items {
		switch {
		case it.sub != nil:
			if c.subDepth >= maxSubDepth {
				return c.errAt(it.pos, CodeMalformed, "SOQL statements cannot query more than 5 levels of child relationships")
			}
			c.subDepth++
			sub, err := c.compileQuery(it.sub, q.obj)
			c.subDepth--
			if err != nil {
				return err
			}
			if sub.agg != nil || sub.countOnly {
				return c.errAt(it.pos, CodeMalformed, "Aggregate functions are not supported in subqueries")
			}
			if findCol(q.cols, colSub, sub.relName) != nil {
				return c.errAt(it.pos, CodeMalformed, "duplicate field selected: "+sub.relName)
			}
			q.cols = append(q.cols, &outCol{kind: colSub, key: sub.relName, sub: sub, subIndex: len(q.subs)})
			q.subs = append(q.subs, sub)
			q.meta = append(q.meta, subMeta(sub))
		case it.typ != nil:
			col, err := c.compileTypeof(it.typ, q.obj)
			if err != nil {
				return err
			}
			q.cols = append(q.cols, col)
			m := relMeta(col.rel)
			q.meta = append(q.meta, m)
		case it.fn == "FIELDS":
			which := strings.ToUpper(it.arg)
			if which != "ALL" && which != "STANDARD" && which != "CUSTOM" {
				return c.errAt(it.argAt, CodeMalformed, "unexpected token: '"+it.arg+"'")
			}
			if which != "STANDARD" && (qn.limit < 0 || qn.limit > 200) {
				return c.errAt(it.pos, CodeMalformed, "The SOQL FIELDS function must have a LIMIT of at most 200")
			}
			for _, f := range q.obj.Fields {
				if f.Type == "address" || f.Type == "location" || (which == "STANDARD" && f.Custom) || (which == "CUSTOM" && !f.Custom) {
					continue
				}
				fr := &fieldRef{leaf: f, cls: classOf(f)}
				if findCol(q.cols, colField, f.Name) == nil {
					q.meta = append(q.meta, fieldMeta(fr))
				}
				c.addPathCol(&q.cols, fr)
			}
		case it.fn == "DISTANCE":
			s, err := c.compileScalar(sc, it.expr, "SELECT")
			if err != nil {
				return err
			}
			key := it.alias
			if key == "" {
				key = "expr" + strconv.Itoa(exprN)
				exprN++
			}
			if findCol(q.cols, colExpr, key) != nil {
				return c.errAt(it.aliasAt, CodeMalformed, "duplicate alias: "+key)
			}
			q.cols = append(q.cols, &outCol{kind: colExpr, key: key, get: s.get})
			q.meta = append(q.meta, &ColumnMeta{ColumnName: key, DisplayName: key, NumberType: true, JoinColumns: []*ColumnMeta{}})
		case it.fn != "":
			e := it.expr
			if e.fn == "FORMAT" && e.inner != nil && e.inner.fn == "CONVERTCURRENCY" {
				e = *e.inner
			}
			if e.fn == "TOLABEL" || e.fn == "FORMAT" || e.fn == "CONVERTCURRENCY" {
				if _, err := c.compileScalar(sc, e, "SELECT"); err != nil {
					return err
				}
				fr, err := c.resolvePath(sc, e.path, e.argPos)
				if err != nil {
					return err
				}
				c.addPathCol(&q.cols, fr)
				q.meta = append(q.meta, fieldMeta(fr))
				continue
			}
			return c.errAt(it.pos, CodeMalformed, "unexpected token: '"+it.fn+"'")
		default:
			fr, err := c.resolvePath(sc, it.path, it.pos)
			if err != nil {
				return err
			}
			if it.alias != "" {
				return c.errAt(it.aliasAt, CodeMalformed, "unexpected token: '"+it.alias+"'")
			}
			c.addPathCol(&q.cols, fr)
			addMeta(&q.meta, fr)
		}
	}
	return nil
}

// ---- WHERE / HAVING ----

func (c *compiler) compileCond(n *condNode, res resolver) (predFn, *Error) {
	switch n.kind {
	case cAnd, cOr:
		kids := make([]predFn, len(n.kids))
		for i, k := range n.kids {
			p, err := c.compileCond(k, res)
			if err != nil {
				return nil, err
			}
			kids[i] = p
		}
		if n.kind == cAnd {
			return func(ec *evalCtx, r Record) bool {
				for _, k := range kids {
					if !k(ec, r) {
						return false
					}
				}
				return true
			}, nil
		}
		return func(ec *evalCtx, r Record) bool {
			for _, k := range kids {
				if k(ec, r) {
					return true
				}
			}
			return false
		}, nil
	case cNot:
		k, err := c.compileCond(n.kids[0], res)
		if err != nil {
			return nil, err
		}
		return func(ec *evalCtx, r Record) bool { return !k(ec, r) }, nil
	}
	op, err := res(n.left)
	if err != nil {
		return nil, err
	}
	if op.field != nil && !op.field.Filterable {
		return nil, c.errAt(n.left.pos, CodeInvalidField, "field '"+op.field.Name+"' can not be filtered in a query call")
	}
	return c.compileCmp(n, op)
}

// lit is a compiled literal: eq and cmp get a non-null record value.
type lit struct {
	null bool
	eq   func(ec *evalCtx, v any) bool
	cmp  func(ec *evalCtx, v any) int
}

func (c *compiler) typeErr(v valueNode, op operand) *Error {
	if op.cls == clsString || op.cls == clsID || op.cls == clsMulti {
		return c.errAt(v.pos, CodeInvalidField, "value of filter criterion for field '"+op.name+"' must be of type string and should be enclosed in quotes")
	}
	t := op.cls.String()
	if op.field != nil && op.field.Type == "int" {
		t = "integer"
	}
	return c.errAt(v.pos, CodeInvalidField, "value of filter criterion for field '"+op.name+"' must be of type "+t+" and should not be enclosed in quotes")
}

func strRangeCmp(v, lo, hi string) int {
	switch {
	case v < lo:
		return -1
	case v >= hi:
		return 1
	}
	return 0
}

func (c *compiler) compileLit(v valueNode, op operand) (lit, *Error) {
	if v.kind == vNull {
		return lit{null: true}, nil
	}
	switch op.cls {
	case clsString:
		if v.kind != vString {
			return lit{}, c.typeErr(v, op)
		}
		s := decodeString(v.raw, false)
		return lit{
			eq: func(_ *evalCtx, x any) bool { xs, _ := x.(string); return strings.EqualFold(xs, s) },
			cmp: func(_ *evalCtx, x any) int {
				xs, _ := x.(string)
				return compareFold(xs, s)
			},
		}, nil
	case clsMulti:
		if v.kind != vString {
			return lit{}, c.typeErr(v, op)
		}
		want := splitMulti(decodeString(v.raw, false))
		return lit{
			eq: func(_ *evalCtx, x any) bool {
				xs, _ := x.(string)
				got := splitMulti(xs)
				if len(got) != len(want) {
					return false
				}
				for k := range want {
					if _, ok := got[k]; !ok {
						return false
					}
				}
				return true
			},
			cmp: func(_ *evalCtx, x any) int { xs, _ := x.(string); return compareFold(xs, v.raw) },
		}, nil
	case clsID:
		if v.kind != vString {
			return lit{}, c.typeErr(v, op)
		}
		s := decodeString(v.raw, false)
		if s == "" {
			return lit{null: true}, nil
		}
		n, err := sfid.Normalize(s)
		if err != nil {
			return lit{}, c.errAt(v.pos, CodeInvalidFilter, "invalid ID field: "+s)
		}
		return lit{
			eq:  func(_ *evalCtx, x any) bool { xs, _ := x.(string); return xs == n || normID(xs) == n },
			cmp: func(_ *evalCtx, x any) int { xs, _ := x.(string); return strings.Compare(normID(xs), n) },
		}, nil
	case clsNumber:
		if v.kind != vNumber {
			return lit{}, c.typeErr(v, op)
		}
		f := v.num
		return lit{
			eq: func(_ *evalCtx, x any) bool { xf, ok := toFloat(x); return ok && xf == f },
			cmp: func(_ *evalCtx, x any) int {
				xf, _ := toFloat(x)
				switch {
				case xf < f:
					return -1
				case xf > f:
					return 1
				}
				return 0
			},
		}, nil
	case clsBool:
		if v.kind != vBool {
			return lit{}, c.typeErr(v, op)
		}
		b := v.b
		return lit{
			eq:  func(_ *evalCtx, x any) bool { xb, _ := x.(bool); return xb == b },
			cmp: func(_ *evalCtx, x any) int { xb, _ := x.(bool); return compareKeys(xb, b) },
		}, nil
	case clsDate, clsDateTime:
		dt := op.cls == clsDateTime
		var lo, hi string
		switch v.kind {
		case vDate:
			d, err := time.Parse(dateLayout, v.raw)
			if err != nil {
				return lit{}, c.errAt(v.pos, CodeMalformed, "invalid date: "+v.raw)
			}
			if dt {
				// A date value is not a dateTime: Salesforce refuses it (date
				// literals such as TODAY are fine, they are ranges).
				return lit{}, c.typeErr(v, op)
			}
			lo, hi = v.raw, d.AddDate(0, 0, 1).Format(dateLayout)
		case vDateTime:
			t, ok := parseDateTime(v.raw)
			if !ok {
				return lit{}, c.errAt(v.pos, CodeMalformed, "invalid dateTime: "+v.raw)
			}
			if !dt {
				return lit{}, c.typeErr(v, op)
			}
			lo = fmtDateTime(t)
			hi = lo + "\x00" // the smallest string above lo: a point range
		case vDateLit:
			idx := len(c.sh.dates)
			c.sh.dates = append(c.sh.dates, v)
			return lit{
				eq: func(ec *evalCtx, x any) bool {
					xs, _ := x.(string)
					lo, hi := ec.dateRange(idx, dt)
					return strRangeCmp(xs, lo, hi) == 0
				},
				cmp: func(ec *evalCtx, x any) int {
					xs, _ := x.(string)
					lo, hi := ec.dateRange(idx, dt)
					return strRangeCmp(xs, lo, hi)
				},
			}, nil
		default:
			return lit{}, c.typeErr(v, op)
		}
		return lit{
			eq:  func(_ *evalCtx, x any) bool { xs, _ := x.(string); return strRangeCmp(xs, lo, hi) == 0 },
			cmp: func(_ *evalCtx, x any) int { xs, _ := x.(string); return strRangeCmp(xs, lo, hi) },
		}, nil
	}
	return lit{}, c.errAt(v.pos, CodeInvalidField, "field '"+op.name+"' can not be filtered in a query call")
}

func splitMulti(s string) map[string]struct{} {
	out := map[string]struct{}{}
	for _, p := range strings.Split(s, ";") {
		p = strings.ToLower(strings.TrimSpace(p))
		if p != "" {
			out[p] = struct{}{}
		}
	}
	return out
}

func (c *compiler) compileCmp(n *condNode, op operand) (predFn, *Error) {
	get := op.get
	switch n.op {
	case "IN", "NOTIN":
		neg := n.op == "NOTIN"
		if n.semi != nil {
			return c.compileSemi(n, op, neg)
		}
		lits := make([]lit, len(n.vals))
		hasNull := false
		for i, v := range n.vals {
			l, err := c.compileLit(v, op)
			if err != nil {
				return nil, err
			}
			lits[i] = l
			hasNull = hasNull || l.null
		}
		// A list of plain strings on a string field: one map lookup per row.
		if op.cls == clsString && !hasNull {
			set := map[string]struct{}{}
			for _, v := range n.vals {
				set[strings.ToLower(decodeString(v.raw, false))] = struct{}{}
			}
			return func(ec *evalCtx, r Record) bool {
				x, _ := get(ec, r).(string)
				if x == "" {
					return neg
				}
				_, ok := set[strings.ToLower(x)]
				return ok != neg
			}, nil
		}
		return func(ec *evalCtx, r Record) bool {
			x := get(ec, r)
			null := isNull(x)
			for _, l := range lits {
				if l.null {
					if null {
						return !neg
					}
					continue
				}
				if !null && l.eq(ec, x) {
					return !neg
				}
			}
			return neg
		}, nil
	case "INCLUDES", "EXCLUDES":
		if op.cls != clsMulti {
			return nil, c.errAt(n.opPos, CodeInvalidFilter, "includes or excludes operator only valid on multipicklist field")
		}
		var groups []map[string]struct{}
		for _, v := range n.vals {
			if v.kind != vString {
				return nil, c.typeErr(v, op)
			}
			groups = append(groups, splitMulti(decodeString(v.raw, false)))
		}
		neg := n.op == "EXCLUDES"
		return func(ec *evalCtx, r Record) bool {
			x, _ := get(ec, r).(string)
			have := splitMulti(x)
			for _, g := range groups {
				all := len(g) > 0
				for k := range g {
					if _, ok := have[k]; !ok {
						all = false
						break
					}
				}
				if all {
					return !neg
				}
			}
			return neg
		}, nil
	case "LIKE":
		if op.cls != clsString && op.cls != clsID {
			return nil, c.errAt(n.opPos, CodeInvalidFilter, "invalid operator on field '"+op.name+"': LIKE can only be used with string fields")
		}
		v := n.vals[0]
		if v.kind == vNull {
			return func(ec *evalCtx, r Record) bool { return isNull(get(ec, r)) }, nil
		}
		if v.kind != vString {
			return nil, c.typeErr(v, op)
		}
		m := compileLike(decodeString(v.raw, true))
		return func(ec *evalCtx, r Record) bool {
			x, _ := get(ec, r).(string)
			return x != "" && m(x)
		}, nil
	}
	l, err := c.compileLit(n.vals[0], op)
	if err != nil {
		return nil, err
	}
	if l.null {
		switch n.op {
		case "=":
			return func(ec *evalCtx, r Record) bool { return isNull(get(ec, r)) }, nil
		case "!=":
			return func(ec *evalCtx, r Record) bool { return !isNull(get(ec, r)) }, nil
		}
		return nil, c.errAt(n.vals[0].pos, CodeInvalidFilter, "invalid operator on null value: "+n.op)
	}
	if op.cls == clsBool {
		// Booleans are never null on Salesforce: a missing value is false.
		eq := l.eq
		switch n.op {
		case "=":
			return func(ec *evalCtx, r Record) bool { return eq(ec, get(ec, r)) }, nil
		case "!=":
			return func(ec *evalCtx, r Record) bool { return !eq(ec, get(ec, r)) }, nil
		}
		return nil, c.errAt(n.opPos, CodeInvalidFilter, "invalid operator on boolean field: "+n.op)
	}
	eq, cmp := l.eq, l.cmp
	if op.cls == clsMulti && n.op != "=" && n.op != "!=" {
		return nil, c.errAt(n.opPos, CodeInvalidFilter, "invalid operator on multipicklist field")
	}
	switch n.op {
	case "=":
		return func(ec *evalCtx, r Record) bool { x := get(ec, r); return !isNull(x) && eq(ec, x) }, nil
	case "!=":
		return func(ec *evalCtx, r Record) bool { x := get(ec, r); return isNull(x) || !eq(ec, x) }, nil
	}
	var test func(int) bool
	switch n.op {
	case "<":
		test = func(c int) bool { return c < 0 }
	case "<=":
		test = func(c int) bool { return c <= 0 }
	case ">":
		test = func(c int) bool { return c > 0 }
	case ">=":
		test = func(c int) bool { return c >= 0 }
	default:
		return nil, c.errAt(n.opPos, CodeMalformed, "unexpected token: '"+n.op+"'")
	}
	return func(ec *evalCtx, r Record) bool {
		x := get(ec, r)
		return !isNull(x) && test(cmp(ec, x))
	}, nil
}

func (c *compiler) compileSemi(n *condNode, op operand, neg bool) (predFn, *Error) {
	if op.cls != clsID {
		return nil, c.errAt(n.left.pos, CodeInvalidField, "Invalid field for semi/anti join: "+op.name)
	}
	if c.semiDepth > 0 {
		return nil, c.errAt(n.left.pos, CodeMalformed, "Nesting of semi join sub-selects is not supported")
	}
	c.semiDepth++
	sub, err := c.compileQuery(n.semi, nil)
	c.semiDepth--
	if err != nil {
		return nil, err
	}
	if sub.agg != nil || sub.countOnly || len(sub.subs) > 0 || len(sub.cols) != 1 || sub.cols[0].kind != colField || classOf(sub.cols[0].field) != clsID {
		return nil, c.errAt(n.opPos, CodeMalformed, "The selected field in a semi join subquery must be a single Id or reference field")
	}
	idx := len(c.sh.semis)
	c.sh.semis = append(c.sh.semis, &semiJoin{q: sub, field: sub.cols[0].field.Name})
	get := op.get
	return func(ec *evalCtx, r Record) bool {
		x, _ := get(ec, r).(string)
		if x == "" {
			return neg
		}
		_, ok := ec.semi(idx)[normID(x)]
		return ok != neg
	}, nil
}

// compileLike turns a LIKE pattern (escaped wildcards marked by a NUL byte)
// into a case-insensitive matcher.
func compileLike(pat string) func(string) bool {
	type elem struct {
		r    rune
		kind byte // 'c' char, '_' one, '%' any
	}
	var els []elem
	rs := []rune(strings.ToLower(pat))
	for i := 0; i < len(rs); i++ {
		switch {
		case rs[i] == 0 && i+1 < len(rs):
			i++
			els = append(els, elem{rs[i], 'c'})
		case rs[i] == '%':
			if len(els) == 0 || els[len(els)-1].kind != '%' {
				els = append(els, elem{0, '%'})
			}
		case rs[i] == '_':
			els = append(els, elem{0, '_'})
		default:
			els = append(els, elem{rs[i], 'c'})
		}
	}
	return func(s string) bool {
		str := []rune(strings.ToLower(s))
		// iterative wildcard matching with backtracking to the last %
		pi, si, star, mark := 0, 0, -1, 0
		for si < len(str) {
			if pi < len(els) && (els[pi].kind == '_' || (els[pi].kind == 'c' && els[pi].r == str[si])) {
				pi++
				si++
				continue
			}
			if pi < len(els) && els[pi].kind == '%' {
				star, mark = pi, si
				pi++
				continue
			}
			if star >= 0 {
				pi = star + 1
				mark++
				si = mark
				continue
			}
			return false
		}
		for pi < len(els) && els[pi].kind == '%' {
			pi++
		}
		return pi == len(els)
	}
}

func (c *compiler) compileTypeof(n *typeofNode, obj *schema.Object) (*outCol, *Error) {
	rel := obj.ParentRelationship(n.rel)
	if rel == nil {
		return nil, c.errAt(n.relPos, CodeInvalidField, msgNoRelationship(n.rel))
	}
	col := &outCol{kind: colRel, key: rel.RelationshipName, rel: rel, typeOf: map[string][]*outCol{}}
	for _, name := range rel.ReferenceTo {
		if o := c.sch.Object(name); o != nil {
			col.targets = append(col.targets, o)
		}
	}
	for _, w := range n.whens {
		o := c.sch.Object(w.obj.text)
		if o == nil {
			return nil, c.errAt(w.obj.pos, CodeInvalidType, msgNoObject(w.obj.text))
		}
		var kids []*outCol
		for _, f := range w.fields {
			fr, err := c.resolvePath(scope{obj: o}, f.text, f.pos)
			if err != nil {
				return nil, err
			}
			c.addPathCol(&kids, fr)
		}
		col.typeOf[o.KeyPrefix] = kids
	}
	for _, f := range n.others {
		fr := &fieldRef{polyLeaf: map[string]string{}}
		for _, o := range col.targets {
			if lf := o.Field(f.text); lf != nil {
				if fr.leaf == nil {
					fr.leaf = lf
				}
				fr.polyLeaf[o.KeyPrefix] = lf.Name
			}
		}
		if fr.leaf == nil {
			return nil, c.errAt(f.pos, CodeInvalidField, msgNoField(f.text, "Name"))
		}
		fr.cls = classOf(fr.leaf)
		c.addPathCol(&col.kids, fr)
	}
	return col, nil
}
