package soql

import (
	"sort"
	"strconv"
	"strings"

	"github.com/sfmcp/sfmcp/internal/emulator/schema"
)

type groupSpec struct {
	fr   *fieldRef
	get  getter
	cls  class  // class of the grouped value
	key  string // key in the group record
	text string // normalized expression: the field path, or FN(path)
	flag string // key of the GROUPING() flag in the group record
}

type aggSpec struct {
	fn   string // COUNT, COUNT_DISTINCT, SUM, AVG, MIN, MAX
	fr   *fieldRef
	get  getter
	cls  class // class of the argument
	key  string
	text string // normalized text, to find the same aggregate in HAVING / ORDER BY
}

type aggOut struct {
	key   string // output key
	src   string // key in the group record
	field *schema.Field
}

type aggPlan struct {
	groups []*groupSpec
	sets   [][]bool // ROLLUP/CUBE grouping sets: which groups each set keeps; nil for a plain GROUP BY
	aggs   []*aggSpec
	out    []aggOut
	having predFn
	order  []sortSpec
}

func (c *compiler) compileAggregate(q *Query, qn *queryNode, sc scope, isChild bool) *Error {
	for _, it := range qn.items {
		if it.fn == "COUNT" && it.arg == "" {
			if len(qn.items) > 1 || len(qn.groupBy) > 0 {
				return c.errAt(it.pos, CodeMalformed, "COUNT() can only be used alone in the SELECT list and without GROUP BY")
			}
			if isChild {
				return c.errAt(it.pos, CodeMalformed, "COUNT() is not supported in subqueries")
			}
			if len(qn.orderBy) > 0 {
				return c.errAt(qn.orderBy[0].expr.pos, CodeMalformed, "COUNT() and ORDER BY may not be used together")
			}
			q.countOnly = true
			return nil
		}
	}
	if isChild {
		return c.errAt(qn.items[0].pos, CodeMalformed, "Aggregate functions are not supported in subqueries")
	}
	plan := &aggPlan{}
	q.agg = plan
	for i, e := range qn.groupBy {
		g := &groupSpec{key: "\x00g" + strconv.Itoa(i), flag: "\x00G" + strconv.Itoa(i)}
		if e.fn != "" {
			if !isDateFn(e.fn) {
				return c.errAt(e.pos, CodeMalformed, "unexpected token: '"+e.fn+"'")
			}
			s, err := c.compileScalar(sc, e, "GROUP BY")
			if err != nil {
				return err
			}
			g.fr, g.get, g.cls, g.text = s.fr, s.get, s.cls, s.text
		} else {
			fr, err := c.resolvePath(sc, e.path, e.pos)
			if err != nil {
				return err
			}
			if !fr.leaf.Groupable {
				return c.errAt(e.pos, CodeInvalidField, "field '"+fr.leaf.Name+"' can not be grouped in a query call")
			}
			g.fr, g.get, g.cls, g.text = fr, fr.getter(), fr.cls, fr.key()
		}
		if plan.findText(g.text) != nil {
			return c.errAt(e.pos, CodeMalformed, "duplicate field in GROUP BY: "+e.String())
		}
		plan.groups = append(plan.groups, g)
	}
	switch qn.groupFn {
	case "ROLLUP":
		if len(plan.groups) > 3 {
			return c.errAt(qn.groupAt, CodeMalformed, "GROUP BY ROLLUP can have at most 3 fields")
		}
		for n := len(plan.groups); n >= 0; n-- {
			set := make([]bool, len(plan.groups))
			for i := range n {
				set[i] = true
			}
			plan.sets = append(plan.sets, set)
		}
	case "CUBE":
		if len(plan.groups) > 3 {
			return c.errAt(qn.groupAt, CodeMalformed, "GROUP BY CUBE can have at most 3 fields")
		}
		for m := (1 << len(plan.groups)) - 1; m >= 0; m-- {
			set := make([]bool, len(plan.groups))
			for i := range set {
				set[i] = m&(1<<(len(set)-1-i)) != 0
			}
			plan.sets = append(plan.sets, set)
		}
	}
	exprN := 0
	aliases := map[string]bool{}
	for _, it := range qn.items {
		if it.alias != "" {
			if aliases[strings.ToLower(it.alias)] {
				return c.errAt(it.aliasAt, CodeMalformed, "duplicate alias: "+it.alias)
			}
			aliases[strings.ToLower(it.alias)] = true
		}
		e := it.expr
		if it.fn == "" {
			e = exprNode{pos: it.pos, path: it.path}
		}
		if e.fn == "FORMAT" && e.inner != nil {
			e = *e.inner // FORMAT(MIN(Amount)): the emulated org formats nothing
		} else if e.fn == "FORMAT" || e.fn == "CONVERTCURRENCY" {
			e = exprNode{pos: e.argPos, path: e.path}
		}
		switch {
		case it.sub != nil:
			return c.errAt(it.pos, CodeMalformed, "Subqueries are not supported in aggregate queries")
		case it.fn == "GROUPING":
			if plan.sets == nil {
				return c.errAt(it.pos, CodeMalformed, "GROUPING() can only be used with GROUP BY ROLLUP or GROUP BY CUBE")
			}
			fr, err := c.resolvePath(sc, it.arg, it.argAt)
			if err != nil {
				return err
			}
			g := plan.findGroup(fr)
			if g == nil {
				return c.errAt(it.argAt, CodeMalformed, "GROUPING() argument must be a GROUP BY field: "+it.arg)
			}
			key := it.alias
			if key == "" {
				key = "expr" + strconv.Itoa(exprN)
				exprN++
			}
			plan.out = append(plan.out, aggOut{key: key, src: g.flag})
			q.meta = append(q.meta, &ColumnMeta{Aggregate: true, ColumnName: key, DisplayName: key, NumberType: true, JoinColumns: []*ColumnMeta{}})
		case e.fn == "" || isDateFn(e.fn):
			var g *groupSpec
			var leaf *schema.Field
			if e.fn == "" {
				fr, err := c.resolvePath(sc, e.path, e.pos)
				if err != nil {
					return err
				}
				g, leaf = plan.findGroup(fr), fr.leaf
			} else {
				s, err := c.compileScalar(sc, e, "SELECT")
				if err != nil {
					return err
				}
				g = plan.findText(s.text)
			}
			if g == nil {
				return c.errAt(it.pos, CodeMalformed, "Field must be grouped or aggregated: "+e.String())
			}
			key := it.alias
			if key == "" && leaf != nil {
				key = leaf.Name
			} else if key == "" {
				key = "expr" + strconv.Itoa(exprN)
				exprN++
			}
			plan.out = append(plan.out, aggOut{key: key, src: g.key, field: leaf})
			if leaf != nil {
				m := fieldMeta(g.fr)
				m.ColumnName = key
				q.meta = append(q.meta, m)
			} else {
				q.meta = append(q.meta, &ColumnMeta{Aggregate: true, ColumnName: key, DisplayName: key, NumberType: g.cls == clsNumber, JoinColumns: []*ColumnMeta{}})
			}
		case aggregateFns[e.fn]:
			if e.inner != nil {
				return c.errAt(e.inner.pos, CodeMalformed, "unexpected token: '"+e.inner.fn+"'")
			}
			a, err := c.aggSpec(plan, sc, exprNode{pos: e.pos, fn: e.fn, path: e.path}, e.argPos)
			if err != nil {
				return err
			}
			key := it.alias
			if key == "" {
				key = "expr" + strconv.Itoa(exprN)
				exprN++
			}
			var f *schema.Field
			if a.fr != nil && (a.fn == "MIN" || a.fn == "MAX" || a.fn == "SUM") {
				f = a.fr.leaf
			}
			plan.out = append(plan.out, aggOut{key: key, src: a.key, field: f})
			q.meta = append(q.meta, aggMeta(a, key, it.arg))
		default:
			return c.errAt(it.pos, CodeMalformed, "unexpected token: '"+it.fn+"'")
		}
	}
	res := func(e exprNode) (operand, *Error) {
		if e.fn == "GROUPING" {
			fr, err := c.resolvePath(sc, e.path, e.argPos)
			if err != nil {
				return operand{}, err
			}
			g := plan.findGroup(fr)
			if g == nil || plan.sets == nil {
				return operand{}, c.errAt(e.pos, CodeMalformed, "GROUPING() argument must be a GROUP BY ROLLUP or CUBE field: "+e.path)
			}
			key := g.flag
			return operand{get: func(_ *evalCtx, r Record) any { return r[key] }, cls: clsNumber, name: e.String()}, nil
		}
		if isDateFn(e.fn) {
			s, err := c.compileScalar(sc, e, "HAVING")
			if err != nil {
				return operand{}, err
			}
			g := plan.findText(s.text)
			if g == nil {
				return operand{}, c.errAt(e.pos, CodeMalformed, "Field must be grouped or aggregated: "+e.String())
			}
			key := g.key
			return operand{get: func(_ *evalCtx, r Record) any { return r[key] }, cls: g.cls, name: e.String()}, nil
		}
		if e.fn == "" {
			fr, err := c.resolvePath(sc, e.path, e.pos)
			if err != nil {
				return operand{}, err
			}
			g := plan.findGroup(fr)
			if g == nil {
				return operand{}, c.errAt(e.pos, CodeMalformed, "Field must be grouped or aggregated: "+fr.leaf.Name)
			}
			key := g.key
			return operand{get: func(_ *evalCtx, r Record) any { return r[key] }, cls: fr.cls, name: fr.leaf.Name}, nil
		}
		if !aggregateFns[e.fn] {
			return operand{}, c.errAt(e.pos, CodeMalformed, "unexpected token: '"+e.fn+"'")
		}
		a, err := c.aggSpec(plan, sc, e, e.pos)
		if err != nil {
			return operand{}, err
		}
		key := a.key
		cls := clsNumber
		if a.fn == "MIN" || a.fn == "MAX" {
			cls = a.cls
		}
		return operand{get: func(_ *evalCtx, r Record) any { return r[key] }, cls: cls, name: e.String()}, nil
	}
	if qn.having != nil {
		h, err := c.compileCond(qn.having, res)
		if err != nil {
			return err
		}
		plan.having = h
	}
	for _, o := range qn.orderBy {
		op, err := res(o.expr)
		if err != nil {
			return err
		}
		if op.field == nil && o.expr.fn == "" && o.expr.path != "" {
			// A grouped field sorts like the field: picklists in their
			// defined order.
			if fr, err := c.resolvePath(sc, o.expr.path, o.expr.pos); err == nil {
				op.field = fr.leaf
			}
		}
		plan.order = append(plan.order, orderSpec(op, o.desc, o.nullsLast))
	}
	return nil
}

func (p *aggPlan) findGroup(fr *fieldRef) *groupSpec { return p.findText(fr.key()) }

func (p *aggPlan) findText(text string) *groupSpec {
	for _, g := range p.groups {
		if g.text == text {
			return g
		}
	}
	return nil
}

func (c *compiler) aggSpec(plan *aggPlan, sc scope, e exprNode, argAt int) (*aggSpec, *Error) {
	a := &aggSpec{fn: e.fn, cls: clsNumber}
	if e.path == "" {
		if e.fn != "COUNT" {
			return nil, c.errAt(argAt, CodeMalformed, "unexpected token: ')'")
		}
		a.text = "COUNT()"
	} else {
		fr, err := c.resolvePath(sc, e.path, argAt)
		if err != nil {
			return nil, err
		}
		a.fr, a.get, a.cls = fr, fr.getter(), fr.cls
		a.text = e.fn + "(" + fr.key() + ")"
		ok := true
		switch e.fn {
		case "SUM", "AVG":
			ok = fr.cls == clsNumber
		case "MIN", "MAX":
			ok = fr.cls != clsBool && fr.cls != clsMulti && fr.cls != clsOther
		}
		if !ok || (e.fn != "COUNT" && e.fn != "COUNT_DISTINCT" && !fr.leaf.Aggregatable) {
			return nil, c.errAt(argAt, CodeInvalidField, "field "+fr.leaf.Name+" does not support aggregate operator "+e.fn)
		}
	}
	for _, have := range plan.aggs {
		if have.text == a.text {
			return have, nil
		}
	}
	a.key = "\x00a" + strconv.Itoa(len(plan.aggs))
	plan.aggs = append(plan.aggs, a)
	return a, nil
}

type aggAcc struct {
	n        int64
	sum      float64
	best     any // MIN/MAX: raw value
	bestKey  any
	distinct map[string]struct{}
}

type groupState struct {
	vals []any
	set  []bool // the grouping set this group belongs to
	accs []aggAcc
}

func groupKeyPart(cls class, v any) string {
	k := sortKey(cls, v)
	switch x := k.(type) {
	case nil:
		return "\x00"
	case string:
		return "s" + x
	case float64:
		return "f" + strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return "b" + strconv.FormatBool(x)
	}
	return "?"
}

func (q *Query) execAggregate(ec *evalCtx) ([]*Row, error) {
	plan := q.agg
	groups := map[string]*groupState{}
	var order []*groupState
	var kb strings.Builder
	sets := plan.sets
	if sets == nil {
		all := make([]bool, len(plan.groups))
		for i := range all {
			all[i] = true
		}
		sets = [][]bool{all}
	}
	err := ec.src.Scan(ec.ctx, q.obj.Name, ec.opts.All, func(r Record) error {
		if q.where != nil && !q.where(ec, r) {
			return ec.err
		}
		vals := make([]any, len(plan.groups))
		for i, g := range plan.groups {
			vals[i] = g.get(ec, r)
		}
		for si, set := range sets {
			kb.Reset()
			kb.WriteString(strconv.Itoa(si))
			kb.WriteByte(0x1e)
			for i, g := range plan.groups {
				if set[i] {
					kb.WriteString(groupKeyPart(g.cls, vals[i]))
				}
				kb.WriteByte(0x1f)
			}
			gs := groups[kb.String()]
			if gs == nil {
				kept := make([]any, len(vals))
				for i := range vals {
					if set[i] {
						kept[i] = vals[i]
					}
				}
				gs = &groupState{vals: kept, set: set, accs: make([]aggAcc, len(plan.aggs))}
				groups[kb.String()] = gs
				order = append(order, gs)
			}
			plan.accumulate(ec, gs, r)
		}
		return ec.err
	})
	if err == nil {
		err = ec.err
	}
	if err != nil {
		return nil, err
	}
	return q.aggRows(ec, order)
}

// accumulate adds record r to the aggregates of group gs.
func (plan *aggPlan) accumulate(ec *evalCtx, gs *groupState, r Record) {
	for i, a := range plan.aggs {
		acc := &gs.accs[i]
		if a.fr == nil {
			acc.n++
			continue
		}
		v := a.get(ec, r)
		if isNull(v) {
			continue
		}
		switch a.fn {
		case "COUNT":
			acc.n++
		case "COUNT_DISTINCT":
			if acc.distinct == nil {
				acc.distinct = map[string]struct{}{}
			}
			acc.distinct[groupKeyPart(a.cls, v)] = struct{}{}
		case "SUM", "AVG":
			if f, ok := toFloat(v); ok {
				acc.sum += f
				acc.n++
			}
		case "MIN", "MAX":
			k := sortKey(a.cls, v)
			c := 0
			if acc.bestKey != nil {
				c = compareKeys(k, acc.bestKey)
			}
			if acc.bestKey == nil || (a.fn == "MIN" && c < 0) || (a.fn == "MAX" && c > 0) {
				acc.best, acc.bestKey = v, k
			}
		}
	}
}

// aggRows turns the groups into AggregateResult rows: HAVING, ORDER BY, OFFSET, LIMIT.
func (q *Query) aggRows(ec *evalCtx, order []*groupState) ([]*Row, error) {
	plan := q.agg
	if len(order) == 0 && len(plan.groups) == 0 {
		order = append(order, &groupState{accs: make([]aggAcc, len(plan.aggs))})
	}
	type grow struct {
		rec  Record
		keys []any
	}
	rows := make([]grow, 0, len(order))
	for _, gs := range order {
		rec := make(Record, len(plan.groups)+len(plan.aggs))
		for i, g := range plan.groups {
			rec[g.key] = gs.vals[i]
			if gs.set != nil && !gs.set[i] {
				rec[g.flag] = int64(1)
			} else {
				rec[g.flag] = int64(0)
			}
		}
		for i, a := range plan.aggs {
			acc := gs.accs[i]
			var v any
			switch a.fn {
			case "COUNT":
				v = acc.n
			case "COUNT_DISTINCT":
				v = int64(len(acc.distinct))
			case "SUM":
				if acc.n > 0 {
					v = acc.sum
				}
			case "AVG":
				if acc.n > 0 {
					v = acc.sum / float64(acc.n)
				}
			case "MIN", "MAX":
				v = acc.best
			}
			rec[a.key] = v
		}
		if plan.having != nil && !plan.having(ec, rec) {
			continue
		}
		gr := grow{rec: rec}
		if len(plan.order) > 0 {
			gr.keys = sortKeys(ec, plan.order, rec)
		}
		rows = append(rows, gr)
	}
	if ec.err != nil {
		return nil, ec.err
	}
	if len(plan.order) > 0 {
		sort.SliceStable(rows, func(i, j int) bool { return compareRows(plan.order, rows[i].keys, rows[j].keys) < 0 })
	}
	lo, hi := window(len(rows), q.offset, q.limit)
	out := make([]*Row, 0, hi-lo)
	for _, gr := range rows[lo:hi] {
		row := newRow(len(plan.out) + 1)
		attrs := newRow(1)
		attrs.add("type", "AggregateResult")
		row.add("attributes", attrs)
		for _, o := range plan.out {
			row.add(o.key, outValue(o.field, gr.rec[o.src]))
		}
		out = append(out, row)
	}
	return out, nil
}

// window returns the [lo, hi) slice bounds after OFFSET and LIMIT (-1: none).
func window(n, offset, limit int) (int, int) {
	lo := 0
	if offset > 0 {
		lo = min(offset, n)
	}
	hi := n
	if limit >= 0 && lo+limit < hi {
		hi = lo + limit
	}
	return lo, hi
}
