package soql

import (
	"context"
	"fmt"
	"strconv"

	"github.com/sfmcp/sfmcp/internal/emulator/schema"
)

// AppendPage is Page writing JSON: it appends the records with these ids,
// comma-separated, to b, byte for byte as Page's rows would marshal, without
// building them first (a query page is most of the emulator's work, and
// the rows were garbage the moment they were written). It returns b and
// how many records it wrote.
func (q *Query) AppendPage(ctx context.Context, src Source, ids []string, opts Options, b []byte) ([]byte, int, error) {
	if q.agg != nil || q.countOnly {
		return b, 0, fmt.Errorf("soql: AppendPage called on an aggregate query")
	}
	ec := newEvalCtx(ctx, src, opts, q.sh)
	recs := make([]Record, 0, len(ids))
	for _, id := range ids {
		r, err := src.Get(ctx, id)
		if err != nil {
			return b, 0, err
		}
		if r != nil {
			recs = append(recs, r)
		}
	}
	subRows := q.subRows(ec, recs)
	if ec.err != nil {
		return b, 0, ec.err
	}
	prefix := "/services/data/v" + opts.APIVersion + "/sobjects/"
	for i, r := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = ec.appendRecord(b, prefix, q.cols, r, q.obj.Name, subRows, i); err != nil {
			return b, 0, err
		}
	}
	if ec.err != nil {
		return b, 0, ec.err
	}
	return b, len(recs), nil
}

// appendRecord is renderRecord writing JSON; the two must agree (see
// TestAppendPageMatchesPage).
func (ec *evalCtx) appendRecord(b []byte, prefix string, cols []*outCol, r Record, typ string, subRows [][][]*Row, i int) ([]byte, error) {
	id, _ := r["Id"].(string)
	b = append(b, `{"attributes":{"type":`...)
	b = appendString(b, typ)
	b = append(b, `,"url":"`...)
	// The url's parts are an API version, an object name and an id: nothing
	// in them needs escaping.
	b = append(b, prefix...)
	b = append(b, typ...)
	b = append(b, '/')
	b = append(b, id...)
	b = append(b, `"}`...)
	var err error
	for _, c := range cols {
		b = append(b, ',')
		b = appendString(b, c.key)
		b = append(b, ':')
		switch c.kind {
		case colField:
			name, f := c.field.Name, c.field
			if c.poly != nil {
				if len(id) < 3 {
					b = append(b, "null"...)
					continue
				}
				n, ok := c.poly[id[:3]]
				if !ok {
					b = append(b, "null"...)
					continue
				}
				name = n
			}
			if c.compound != nil {
				b, err = appendValue(b, compoundOf(c.compound, r))
			} else {
				b, err = appendField(b, f, r[name])
			}
		case colRel:
			pid, _ := r[c.rel.Name].(string)
			if pid == "" {
				b = append(b, "null"...)
				continue
			}
			p := ec.parent(pid)
			if p == nil {
				b = append(b, "null"...)
				continue
			}
			kids := c.kids
			if c.typeOf != nil {
				if k, ok := c.typeOf[pid[:min(3, len(pid))]]; ok {
					kids = k
				}
			}
			b, err = ec.appendRecord(b, prefix, kids, p, ec.typeOf(p, c.targets), nil, 0)
		case colExpr:
			b, err = appendValue(b, c.get(ec, r))
		case colSub:
			rows := subRows[c.subIndex][i]
			if len(rows) == 0 {
				b = append(b, "null"...)
				continue
			}
			b = append(b, `{"totalSize":`...)
			b = strconv.AppendInt(b, int64(len(rows)), 10)
			b = append(b, `,"done":true,"records":`...)
			b, err = appendValue(b, rows)
			b = append(b, '}')
		}
		if err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// appendField appends outValue(f, v) without boxing an int64.
func appendField(b []byte, f *schema.Field, v any) ([]byte, error) {
	if x, ok := v.(string); ok {
		return appendString(b, x), nil
	}
	return appendValue(b, outValue(f, v))
}
