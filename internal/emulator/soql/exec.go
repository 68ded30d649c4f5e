package soql

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/sfmcp/sfmcp/internal/emulator/schema"
)

// Result is what Execute found.
type Result struct {
	Object    string   // canonical FROM object
	TotalSize int      // records (or aggregate rows, or the COUNT()) after OFFSET/LIMIT
	CountOnly bool     // SELECT COUNT() FROM ...: TotalSize only, no records
	IDs       []string // non-aggregate queries: matching record ids, in final order
	Rows      []*Row   // aggregate queries: the AggregateResult rows, ready to encode
}

var errStop = errors.New("soql: enough rows")

// Execute runs the query: WHERE, ORDER BY, OFFSET, LIMIT, GROUP BY/HAVING, aggregates.
func (q *Query) Execute(ctx context.Context, src Source, opts Options) (*Result, error) {
	ec := newEvalCtx(ctx, src, opts, q.sh)
	res := &Result{Object: q.obj.Name}
	switch {
	case q.countOnly:
		n := 0
		err := src.Scan(ctx, q.obj.Name, opts.All, func(r Record) error {
			if q.where == nil || q.where(ec, r) {
				n++
			}
			return ec.err
		})
		if err == nil {
			err = ec.err
		}
		if err != nil {
			return nil, err
		}
		lo, hi := window(n, q.offset, q.limit)
		res.CountOnly, res.TotalSize = true, hi-lo
		return res, nil
	case q.agg != nil:
		rows, err := q.execAggregate(ec)
		if err != nil {
			return nil, err
		}
		res.Rows, res.TotalSize = rows, len(rows)
		return res, nil
	}
	ids, err := q.matchIDs(ec, nil)
	if err != nil {
		return nil, err
	}
	res.IDs, res.TotalSize = ids, len(ids)
	return res, nil
}

// matchIDs scans the FROM object and returns the ids of the matching records
// in final order. extra, when set, is one more filter (SOSL's search term).
func (q *Query) matchIDs(ec *evalCtx, extra func(Record) bool) ([]string, error) {
	stopAt := math.MaxInt
	if len(q.order) == 0 && q.limit >= 0 {
		stopAt = q.limit + max(q.offset, 0)
	}
	type keyed struct {
		id   string
		keys []any
	}
	var ids []string
	var rows []keyed
	n := 0
	err := ec.src.Scan(ec.ctx, q.obj.Name, ec.opts.All, func(r Record) error {
		if n >= stopAt {
			return errStop
		}
		if q.where != nil && !q.where(ec, r) {
			return ec.err
		}
		if extra != nil && !extra(r) {
			return nil
		}
		id, _ := r["Id"].(string)
		if len(q.order) > 0 {
			rows = append(rows, keyed{id, sortKeys(ec, q.order, r)})
		} else {
			ids = append(ids, id)
		}
		n++
		return ec.err
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	if err == nil {
		err = ec.err
	}
	if err != nil {
		return nil, err
	}
	if len(q.order) > 0 {
		sort.SliceStable(rows, func(i, j int) bool { return compareRows(q.order, rows[i].keys, rows[j].keys) < 0 })
		ids = make([]string, len(rows))
		for i, k := range rows {
			ids[i] = k.id
		}
	}
	lo, hi := window(len(ids), q.offset, q.limit)
	return ids[lo:hi], nil
}

// Page renders the records with these ids (a slice of Result.IDs) exactly as
// Salesforce's REST query answers: attributes {type,url}, selected fields in
// SELECT order, parent relationships as nested objects (or null), child
// subqueries as nested query results (or null). Child records are read with
// one Scan of each child object per call.
func (q *Query) Page(ctx context.Context, src Source, ids []string, opts Options) ([]*Row, error) {
	if q.agg != nil || q.countOnly {
		return nil, fmt.Errorf("soql: Page called on an aggregate query")
	}
	ec := newEvalCtx(ctx, src, opts, q.sh)
	recs := make([]Record, 0, len(ids))
	for _, id := range ids {
		r, err := src.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if r != nil {
			recs = append(recs, r)
		}
	}
	rows := q.render(ec, recs)
	if ec.err != nil {
		return nil, ec.err
	}
	return rows, nil
}

// render turns records of q's object into output rows.
func (q *Query) render(ec *evalCtx, recs []Record) []*Row {
	subRows := q.subRows(ec, recs)
	if ec.err != nil {
		return nil
	}
	out := make([]*Row, len(recs))
	for i, r := range recs {
		out[i] = ec.renderRecord(q.cols, r, q.obj.Name, subRows, i)
	}
	return out
}

// subRows renders the child subqueries' rows of recs: per subquery, per
// record (nil when q has no subquery).
func (q *Query) subRows(ec *evalCtx, recs []Record) [][][]*Row {
	var subRows [][][]*Row // per subquery, per record
	if len(q.subs) > 0 {
		index := make(map[string][]int, len(recs))
		for i, r := range recs {
			id, _ := r["Id"].(string)
			k := normID(id)
			index[k] = append(index[k], i)
		}
		subRows = make([][][]*Row, len(q.subs))
		for si, sub := range q.subs {
			per := make([][]Record, len(recs))
			err := ec.src.Scan(ec.ctx, sub.obj.Name, ec.opts.All, func(r Record) error {
				pid, _ := r[sub.parentField].(string)
				if pid == "" {
					return nil
				}
				at, ok := index[normID(pid)]
				if !ok {
					return nil
				}
				if sub.where != nil && !sub.where(ec, r) {
					return ec.err
				}
				for _, i := range at {
					per[i] = append(per[i], r)
				}
				return ec.err
			})
			if err != nil {
				ec.fail(err)
				return nil
			}
			var flat []Record
			counts := make([]int, len(recs))
			for i, children := range per {
				if len(sub.order) > 0 {
					keys := make([][]any, len(children))
					for j, c := range children {
						keys[j] = sortKeys(ec, sub.order, c)
					}
					idx := make([]int, len(children))
					for j := range idx {
						idx[j] = j
					}
					sort.SliceStable(idx, func(a, b int) bool { return compareRows(sub.order, keys[idx[a]], keys[idx[b]]) < 0 })
					sorted := make([]Record, len(children))
					for j, k := range idx {
						sorted[j] = children[k]
					}
					children = sorted
				}
				lo, hi := window(len(children), sub.offset, sub.limit)
				flat = append(flat, children[lo:hi]...)
				counts[i] = hi - lo
			}
			rendered := sub.render(ec, flat)
			split := make([][]*Row, len(recs))
			at := 0
			for i, n := range counts {
				if n > 0 && at+n <= len(rendered) {
					split[i] = rendered[at : at+n]
				}
				at += n
			}
			subRows[si] = split
		}
	}
	return subRows
}

func (ec *evalCtx) attributes(typ, id string) *Row {
	a := newRow(2)
	a.add("type", typ)
	a.add("url", "/services/data/v"+ec.opts.APIVersion+"/sobjects/"+typ+"/"+id)
	return a
}

func (ec *evalCtx) renderRecord(cols []*outCol, r Record, typ string, subRows [][][]*Row, i int) *Row {
	row := newRow(len(cols) + 1)
	id, _ := r["Id"].(string)
	row.add("attributes", ec.attributes(typ, id))
	for _, c := range cols {
		switch c.kind {
		case colField:
			name, f := c.field.Name, c.field
			if c.poly != nil {
				if len(id) < 3 {
					row.add(c.key, nil)
					continue
				}
				n, ok := c.poly[id[:3]]
				if !ok {
					row.add(c.key, nil)
					continue
				}
				name = n
			}
			if c.compound != nil {
				row.add(c.key, compoundOf(c.compound, r))
				continue
			}
			row.add(c.key, outValue(f, r[name]))
		case colRel:
			pid, _ := r[c.rel.Name].(string)
			if pid == "" {
				row.add(c.key, nil)
				continue
			}
			p := ec.parent(pid)
			if p == nil {
				row.add(c.key, nil)
				continue
			}
			kids := c.kids
			if c.typeOf != nil {
				if k, ok := c.typeOf[pid[:min(3, len(pid))]]; ok {
					kids = k
				}
			}
			row.add(c.key, ec.renderRecord(kids, p, ec.typeOf(p, c.targets), nil, 0))
		case colExpr:
			row.add(c.key, c.get(ec, r))
		case colSub:
			rows := subRows[c.subIndex][i]
			if len(rows) == 0 {
				row.add(c.key, nil)
				continue
			}
			res := newRow(3)
			res.add("totalSize", len(rows))
			res.add("done", true)
			res.add("records", rows)
			row.add(c.key, res)
		}
	}
	return row
}

func (ec *evalCtx) typeOf(r Record, targets []*schema.Object) string {
	if len(targets) == 1 {
		return targets[0].Name
	}
	id, _ := r["Id"].(string)
	if len(id) >= 3 {
		if o := ec.sh.sch.ObjectByKeyPrefix(id[:3]); o != nil {
			return o.Name
		}
	}
	if len(targets) > 0 {
		return targets[0].Name
	}
	return ""
}

// outValue converts a stored value to its wire form: int fields as integers.
func outValue(f *schema.Field, v any) any {
	if f == nil || v == nil {
		return v
	}
	if f.Type == "int" {
		if x, ok := v.(float64); ok && x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
	}
	return v
}

// Streamable reports whether Stream can run q: a plain (not aggregate, not
// COUNT()) query without ORDER BY, whose matches come in scan order.
func (q *Query) Streamable() bool {
	return q.agg == nil && !q.countOnly && len(q.order) == 0
}

// Stream runs a Streamable query as Execute would and hands its matching
// ids to fn in order, at most chunk at a time, without holding them all: a
// Bulk query of a million records need not keep a million ids. fn may call
// back into src (the scan holds no connection while it runs).
func (q *Query) Stream(ctx context.Context, src Source, opts Options, chunk int, fn func(ids []string) error) error {
	if !q.Streamable() {
		return fmt.Errorf("soql: Stream called on a query that must be sorted or aggregated")
	}
	ec := newEvalCtx(ctx, src, opts, q.sh)
	skip := max(q.offset, 0)
	left := math.MaxInt // matches still wanted
	if q.limit >= 0 {
		left = q.limit
	}
	ids := make([]string, 0, chunk)
	flush := func() error {
		if len(ids) == 0 {
			return nil
		}
		err := fn(ids)
		ids = ids[:0]
		return err
	}
	err := src.Scan(ctx, q.obj.Name, opts.All, func(r Record) error {
		if left == 0 {
			return errStop
		}
		if q.where != nil && !q.where(ec, r) {
			return ec.err
		}
		if skip > 0 {
			skip--
			return nil
		}
		id, _ := r["Id"].(string)
		ids = append(ids, id)
		left--
		if len(ids) == chunk {
			return flush()
		}
		return ec.err
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	if err == nil {
		err = ec.err
	}
	if err != nil {
		return err
	}
	return flush()
}
