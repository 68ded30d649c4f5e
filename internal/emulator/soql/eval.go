package soql

import (
	"context"
	"strings"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/schema"
	"github.com/sfmcp/sfmcp/internal/sfid"
)

// class is how the engine compares the values of a field type.
type class int

const (
	clsOther class = iota
	clsString
	clsID
	clsNumber
	clsBool
	clsDate
	clsDateTime
	clsMulti
)

func classOf(f *schema.Field) class {
	switch f.Type {
	case "id", "reference":
		return clsID
	case "string", "textarea", "email", "phone", "url", "picklist", "combobox", "encryptedstring", "time":
		return clsString
	case "multipicklist":
		return clsMulti
	case "int", "double", "currency", "percent", "long":
		return clsNumber
	case "boolean":
		return clsBool
	case "date":
		return clsDate
	case "datetime":
		return clsDateTime
	}
	return clsOther
}

func (c class) String() string {
	switch c {
	case clsString, clsMulti, clsID:
		return "string"
	case clsNumber:
		return "double"
	case clsBool:
		return "boolean"
	case clsDate:
		return "date"
	case clsDateTime:
		return "dateTime"
	}
	return "anyType"
}

// shared is the state common to a query and all its subqueries: things each
// execution computes once (date literal ranges, semi-join id sets).
type shared struct {
	sch   *schema.Schema
	dates []valueNode
	semis []*semiJoin
}

type semiJoin struct {
	q     *Query
	field string // canonical id/reference field the subquery selects
}

// evalCtx is the per-execution state the compiled closures read.
type evalCtx struct {
	ctx     context.Context
	src     Source
	opts    Options
	sh      *shared
	parents map[string]Record
	err     error
	dates   [][2]string // lo/hi as dates; hi exclusive
	dtimes  [][2]string // lo/hi as datetimes
	dset    []bool
	semiSet []map[string]struct{}
}

func newEvalCtx(ctx context.Context, src Source, opts Options, sh *shared) *evalCtx {
	if opts.APIVersion == "" {
		opts.APIVersion = "62.0"
	}
	return &evalCtx{ctx: ctx, src: src, opts: opts, sh: sh, parents: map[string]Record{},
		dates: make([][2]string, len(sh.dates)), dtimes: make([][2]string, len(sh.dates)), dset: make([]bool, len(sh.dates)),
		semiSet: make([]map[string]struct{}, len(sh.semis))}
}

func (ec *evalCtx) fail(err error) {
	if ec.err == nil {
		ec.err = err
	}
}

// parent returns the record with id (any object), nil when there is none,
// it is deleted outside queryAll, or a lookup failed.
func (ec *evalCtx) parent(id string) Record {
	key := normID(id)
	if r, ok := ec.parents[key]; ok {
		return r
	}
	r, err := ec.src.Get(ec.ctx, id)
	if err != nil {
		ec.fail(err)
		return nil
	}
	if r != nil && !ec.opts.All {
		if del, _ := r["IsDeleted"].(bool); del {
			r = nil
		}
	}
	if len(ec.parents) > 200000 {
		clear(ec.parents)
	}
	ec.parents[key] = r
	return r
}

func (ec *evalCtx) dateRange(i int, datetime bool) (string, string) {
	if !ec.dset[i] {
		now := ec.opts.Now
		if now.IsZero() {
			now = time.Now().UTC()
		}
		r := ec.sh.dates[i].dayRange(now)
		ec.dates[i] = [2]string{r.lo.Format(dateLayout), r.hi.Format(dateLayout)}
		ec.dtimes[i] = [2]string{fmtDateTime(r.lo), fmtDateTime(r.hi)}
		ec.dset[i] = true
	}
	if datetime {
		return ec.dtimes[i][0], ec.dtimes[i][1]
	}
	return ec.dates[i][0], ec.dates[i][1]
}

// semi returns the id set of semi-join i, running its subquery on first use.
func (ec *evalCtx) semi(i int) map[string]struct{} {
	if s := ec.semiSet[i]; s != nil {
		return s
	}
	sj := ec.sh.semis[i]
	set := map[string]struct{}{}
	sub := newEvalCtx(ec.ctx, ec.src, ec.opts, ec.sh)
	sub.parents = ec.parents
	err := ec.src.Scan(ec.ctx, sj.q.obj.Name, ec.opts.All, func(r Record) error {
		if sj.q.where != nil && !sj.q.where(sub, r) {
			return sub.err
		}
		if v, ok := r[sj.field].(string); ok && v != "" {
			set[normID(v)] = struct{}{}
		}
		return sub.err
	})
	if err == nil {
		err = sub.err
	}
	if err != nil {
		ec.fail(err)
	}
	ec.semiSet[i] = set
	return set
}

// normID returns the 18-character form of a valid id, else id unchanged.
func normID(id string) string {
	if len(id) == 15 {
		if n, err := sfid.Normalize(id); err == nil {
			return n
		}
	}
	return id
}

func isNull(v any) bool {
	if v == nil {
		return true
	}
	s, ok := v.(string)
	return ok && s == ""
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float32:
		return float64(x), true
	case string:
		return 0, false
	}
	return 0, false
}

// compareFold compares strings ignoring case.
func compareFold(a, b string) int {
	if strings.EqualFold(a, b) {
		return 0
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

// sortKey turns a value into what ORDER BY compares: lower-cased strings,
// float64 numbers, bools, nil for null.
func sortKey(cls class, v any) any {
	if isNull(v) {
		return nil
	}
	switch cls {
	case clsString, clsMulti:
		if s, ok := v.(string); ok {
			return strings.ToLower(s)
		}
	case clsNumber:
		if f, ok := toFloat(v); ok {
			return f
		}
	case clsID:
		if s, ok := v.(string); ok {
			return normID(s)
		}
	}
	return v
}

// compareKeys compares two non-nil sort keys of the same class.
func compareKeys(a, b any) int {
	switch x := a.(type) {
	case string:
		y, _ := b.(string)
		return strings.Compare(x, y)
	case float64:
		y, _ := b.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case int64:
		y, _ := b.(int64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case bool:
		y, _ := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	}
	return 0
}

type sortSpec struct {
	get       getter
	cls       class
	desc      bool
	nullsLast bool
	// rank orders a picklist by its defined values (lower-cased value →
	// position), as Salesforce sorts picklists; nil for other fields.
	rank map[string]int
}

// orderSpec is the sort spec of an ORDER BY item on op.
func orderSpec(op operand, desc, nullsLast bool) sortSpec {
	s := sortSpec{get: op.get, cls: op.cls, desc: desc, nullsLast: nullsLast}
	if op.field != nil && op.field.Type == "picklist" && len(op.field.PicklistValues) > 0 {
		s.rank = make(map[string]int, len(op.field.PicklistValues))
		for i, pv := range op.field.PicklistValues {
			s.rank[strings.ToLower(pv.Value)] = i
		}
	}
	return s
}

// compareRows orders two rows of sort keys by specs.
func compareRows(specs []sortSpec, a, b []any) int {
	for i, s := range specs {
		x, y := a[i], b[i]
		switch {
		case x == nil && y == nil:
			continue
		case x == nil:
			if s.nullsLast {
				return 1
			}
			return -1
		case y == nil:
			if s.nullsLast {
				return -1
			}
			return 1
		}
		c := compareKeys(x, y)
		if c != 0 {
			if s.desc {
				return -c
			}
			return c
		}
	}
	return 0
}

func sortKeys(ec *evalCtx, specs []sortSpec, r Record) []any {
	keys := make([]any, len(specs))
	for i, s := range specs {
		keys[i] = sortKey(s.cls, s.get(ec, r))
		if k, ok := keys[i].(string); ok && s.rank != nil {
			// Values outside the picklist (inactive, unrestricted) sort
			// after its defined ones.
			pos, known := s.rank[k]
			if !known {
				pos = len(s.rank)
			}
			keys[i] = float64(pos)
		}
	}
	return keys
}
