package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Guard limits what the operations may reach: AllowObjects (empty: any) are
// the only objects a call may read or write, and DenyFields are hidden from
// every result and refused in every query, filter and write. A deny entry is
// "Object.Field" or a bare "Field" (that field of every object).
//
// It is enforced twice. Before anything is sent, a query's text is checked:
// every object it names (FROM, subqueries and semi-joins, TYPEOF's WHEN,
// SOSL's RETURNING) and the objects its relationship paths lead to (from the
// describes) must be allowed, and no identifier may name a hidden field, so
// a WHERE clause cannot test one either. After the answer comes, every
// record in it (parents, subquery rows, search results: each carries its
// attributes.type) of an object not allowed is removed, and hidden fields
// are dropped.
type Guard struct {
	AllowObjects []string
	DenyFields   []string
}

type guardKey struct{}

// WithGuard returns ctx carrying g for the operations it is passed to.
func WithGuard(ctx context.Context, g *Guard) context.Context {
	if g == nil || g.empty() {
		return ctx
	}
	return context.WithValue(ctx, guardKey{}, g)
}

// GuardFrom returns ctx's guard, or nil.
func GuardFrom(ctx context.Context) *Guard {
	g, _ := ctx.Value(guardKey{}).(*Guard)
	return g
}

func (g *Guard) empty() bool { return len(g.AllowObjects) == 0 && len(g.DenyFields) == 0 }

// GuardError refuses a call that would reach a object or field the guard keeps out.
type GuardError struct{ Message string }

func (e *GuardError) Error() string { return e.Message }

// ObjectAllowed reports whether name may be read or written.
func (g *Guard) ObjectAllowed(name string) bool {
	if g == nil || len(g.AllowObjects) == 0 {
		return true
	}
	return slices.ContainsFunc(g.AllowObjects, func(a string) bool { return strings.EqualFold(a, name) })
}

// CheckObject refuses an object that is not allowed.
func (g *Guard) CheckObject(name string) error {
	if g.ObjectAllowed(name) {
		return nil
	}
	return &GuardError{Message: fmt.Sprintf("object %s is not allowed by this server (--allow-objects %s)", name, strings.Join(g.AllowObjects, ","))}
}

// FieldDenied reports whether field of object is hidden.
func (g *Guard) FieldDenied(object, field string) bool {
	if g == nil {
		return false
	}
	for _, d := range g.DenyFields {
		obj, f, dotted := strings.Cut(d, ".")
		if !dotted {
			f, obj = obj, ""
		}
		if strings.EqualFold(f, field) && (obj == "" || object == "" || strings.EqualFold(obj, object)) {
			return true
		}
	}
	return false
}

// CheckFields refuses hidden fields among names (written or asked for) of object.
func (g *Guard) CheckFields(object string, names []string) error {
	for _, n := range names {
		for seg := range strings.SplitSeq(n, ".") {
			if g.FieldDenied("", seg) && (g.FieldDenied(object, seg) || strings.Contains(n, ".")) {
				return &GuardError{Message: fmt.Sprintf("field %s is hidden by this server (--deny-fields)", n)}
			}
		}
	}
	return nil
}

// token is one word or punctuation of a SOQL or SOSL text; strings are skipped.
type token struct {
	text  string
	depth int // parentheses around it
}

func tokenize(s string) []token {
	var out []token
	depth := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\'':
			i++
			for i < len(s) && s[i] != '\'' {
				if s[i] == '\\' {
					i++
				}
				i++
			}
			i++
		case c == '{': // SOSL search term
			for i < len(s) && s[i] != '}' {
				if s[i] == '\\' {
					i++
				}
				i++
			}
			i++
		case c == '(':
			out = append(out, token{"(", depth})
			depth++
			i++
		case c == ')':
			depth--
			out = append(out, token{")", depth})
			i++
		case c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
			j := i
			for j < len(s) && (s[j] == '_' || s[j] == '.' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			out = append(out, token{s[i:j], depth})
			i = j
		case c == ',':
			out = append(out, token{",", depth})
			i++
		default:
			i++
		}
	}
	return out
}

// CheckSOQL checks a query's text before it is sent (see Guard).
func (g *Guard) CheckSOQL(ctx context.Context, c *salesforce.Client, soql string) error {
	return g.checkText(ctx, c, soql, "FROM")
}

// CheckSOSL checks a search's text before it is sent: its RETURNING objects
// must be allowed (and named, when objects are limited).
func (g *Guard) CheckSOSL(ctx context.Context, c *salesforce.Client, sosl string) error {
	return g.checkText(ctx, c, sosl, "RETURNING")
}

func (g *Guard) checkText(ctx context.Context, c *salesforce.Client, text, objectsAfter string) error {
	if g == nil {
		return nil
	}
	toks := tokenize(text)
	var objects []string // object names the text names
	aliases := map[string]bool{}
	var top string
	for i, t := range toks {
		up := strings.ToUpper(t.text)
		switch {
		case up == objectsAfter || up == "WHEN" || (objectsAfter == "RETURNING" && i > 0 && toks[i-1].text == "," && t.depth == 0 && returningSeen(toks[:i])):
			j := i
			if up == objectsAfter || up == "WHEN" {
				j = i + 1
			}
			if j < len(toks) && isWord(toks[j].text) {
				name := toks[j].text
				objects = append(objects, name)
				if up == "FROM" && toks[j].depth == 0 && top == "" {
					top = name
				}
				if up == "FROM" && j+1 < len(toks) && isWord(toks[j+1].text) && !isKeyword(toks[j+1].text) {
					aliases[strings.ToLower(toks[j+1].text)] = true
				}
			}
		}
		if isWord(t.text) && !isKeyword(t.text) {
			for seg := range strings.SplitSeq(t.text, ".") {
				if g.FieldDenied("", seg) {
					return &GuardError{Message: fmt.Sprintf("the query names %s, a field hidden by this server (--deny-fields)", t.text)}
				}
			}
		}
	}
	if len(g.AllowObjects) == 0 {
		return nil
	}
	if objectsAfter == "RETURNING" && len(objects) == 0 {
		return &GuardError{Message: "this server allows only some objects (--allow-objects): name them with RETURNING"}
	}
	// Object names; a subquery's FROM names a child relationship of the
	// top object instead, resolved through its describe.
	var bases []string
	for _, name := range objects {
		if g.ObjectAllowed(name) {
			bases = append(bases, name)
			continue
		}
		if top != "" && !strings.EqualFold(name, top) {
			if child, ok := childObject(ctx, c, top, name); ok {
				if err := g.CheckObject(child); err != nil {
					return err
				}
				bases = append(bases, child)
				continue
			}
		}
		return g.CheckObject(name)
	}
	// Relationship paths (Account.Owner.Name): each hop's target objects
	// must be allowed.
	for _, t := range toks {
		if !strings.Contains(t.text, ".") || isKeyword(t.text) {
			continue
		}
		segs := strings.Split(t.text, ".")
		if aliases[strings.ToLower(segs[0])] || slices.ContainsFunc(bases, func(b string) bool { return strings.EqualFold(b, segs[0]) }) {
			segs = segs[1:]
		}
		if err := g.checkPath(ctx, c, bases, segs[:len(segs)-1], t.text); err != nil {
			return err
		}
	}
	return nil
}

// checkPath follows relationship names from any of the base objects.
func (g *Guard) checkPath(ctx context.Context, c *salesforce.Client, bases, rels []string, path string) error {
	from := bases
	for _, rel := range rels {
		var next []string
		for _, b := range from {
			d, err := c.DescribeSObject(ctx, b)
			if err != nil {
				continue
			}
			for _, f := range d.Fields {
				if f.RelationshipName != "" && strings.EqualFold(f.RelationshipName, rel) {
					next = append(next, f.ReferenceTo...)
				}
			}
		}
		if len(next) == 0 {
			return &GuardError{Message: fmt.Sprintf("cannot tell which object %s leads to; with --allow-objects, relationship paths must be known relationships", path)}
		}
		for _, o := range next {
			if !g.ObjectAllowed(o) {
				return &GuardError{Message: fmt.Sprintf("%s reaches object %s, which is not allowed by this server (--allow-objects %s)", path, o, strings.Join(g.AllowObjects, ","))}
			}
		}
		from = next
	}
	return nil
}

// childObject resolves a child relationship name of parent.
func childObject(ctx context.Context, c *salesforce.Client, parent, rel string) (string, bool) {
	d, err := c.DescribeSObject(ctx, parent)
	if err != nil {
		return "", false
	}
	var raw struct {
		ChildRelationships []struct {
			RelationshipName string `json:"relationshipName"`
			ChildSObject     string `json:"childSObject"`
		} `json:"childRelationships"`
	}
	if json.Unmarshal(d.Raw, &raw) != nil {
		return "", false
	}
	for _, cr := range raw.ChildRelationships {
		if strings.EqualFold(cr.RelationshipName, rel) {
			return cr.ChildSObject, true
		}
	}
	return "", false
}

func returningSeen(toks []token) bool {
	return slices.ContainsFunc(toks, func(t token) bool { return strings.EqualFold(t.text, "RETURNING") })
}

func isWord(s string) bool { return s != "" && s != "(" && s != ")" && s != "," }

var soqlKeywords = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`SELECT FROM WHERE AND OR NOT IN INCLUDES EXCLUDES LIKE NULL TRUE FALSE ORDER BY ASC DESC NULLS FIRST LAST
		LIMIT OFFSET GROUP HAVING ROLLUP CUBE WITH SECURITY_ENFORCED USER_MODE SYSTEM_MODE FOR VIEW REFERENCE UPDATE TRACKING VIEWSTAT
		TYPEOF WHEN THEN ELSE END USING SCOPE FIND RETURNING ALL FIELDS SIDEBAR DIVISION SNIPPET
		NETWORK METADATA PRICEBOOKID HIGHLIGHT SPELL_CORRECTION TOLABEL FORMAT CONVERTCURRENCY COUNT COUNT_DISTINCT SUM AVG MIN MAX
		CALENDAR_MONTH CALENDAR_YEAR CALENDAR_QUARTER DAY_IN_MONTH DAY_IN_WEEK DAY_IN_YEAR DAY_ONLY FISCAL_MONTH FISCAL_QUARTER
		FISCAL_YEAR HOUR_IN_DAY WEEK_IN_MONTH WEEK_IN_YEAR GROUPING DISTANCE GEOLOCATION STANDARD CUSTOM ABOVE BELOW AT ABOVE_OR_BELOW`) {
		soqlKeywords[k] = true
	}
}

func isKeyword(s string) bool { return soqlKeywords[strings.ToUpper(s)] }

// FilterRecord removes from a record (as Salesforce sent it, attributes
// included) every nested record of an object that is not allowed and every
// hidden field. It returns nil when the record itself is of an object that
// is not allowed.
func (g *Guard) FilterRecord(rec json.RawMessage) json.RawMessage {
	if g == nil || g.empty() {
		return rec
	}
	out, keep := g.filterValue(rec)
	if !keep {
		return nil
	}
	return out
}

func (g *Guard) filterValue(v json.RawMessage) (json.RawMessage, bool) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return v, true
	}
	switch v[0] {
	case '{':
		keys, vals, ok := orderedObject(v)
		if !ok {
			return v, true
		}
		typ := ""
		for i, k := range keys {
			if k == "attributes" {
				var a struct {
					Type string `json:"type"`
				}
				_ = json.Unmarshal(vals[i], &a)
				typ = a.Type
			}
		}
		if typ != "" && !g.ObjectAllowed(typ) {
			return nil, false
		}
		var buf bytes.Buffer
		buf.WriteByte('{')
		n := 0
		for i, k := range keys {
			if k != "attributes" && typ != "" && g.FieldDenied(typ, k) {
				continue
			}
			val, keep := g.filterValue(vals[i])
			if !keep {
				val = json.RawMessage("null")
			}
			if n > 0 {
				buf.WriteByte(',')
			}
			n++
			kb, _ := json.Marshal(k)
			buf.Write(kb)
			buf.WriteByte(':')
			buf.Write(val)
		}
		buf.WriteByte('}')
		return buf.Bytes(), true
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(v, &items) != nil {
			return v, true
		}
		kept := items[:0]
		for _, it := range items {
			if out, keep := g.filterValue(it); keep {
				kept = append(kept, out)
			}
		}
		b, _ := json.Marshal(kept)
		return b, true
	}
	return v, true
}

// orderedObject splits a JSON object into its keys and values, in order.
func orderedObject(v json.RawMessage) ([]string, []json.RawMessage, bool) {
	dec := json.NewDecoder(bytes.NewReader(v))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, false
	}
	var keys []string
	var vals []json.RawMessage
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, nil, false
		}
		k, _ := kt.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, nil, false
		}
		keys, vals = append(keys, k), append(vals, val)
	}
	return keys, vals, true
}

// CheckCall checks a call's arguments before it runs: the objects it names
// (sobject, the Lead object of the lead tools), its query or search text,
// and the fields it reads or writes (fields, data, external_id_field).
func (g *Guard) CheckCall(ctx context.Context, c *salesforce.Client, m Meta, args json.RawMessage) error {
	if g == nil || g.empty() {
		return nil
	}
	var a struct {
		SObject string `json:"sobject"`
		SOQL    string `json:"soql"`
		SOSL    string `json:"sosl"`
	}
	_ = json.Unmarshal(args, &a) // the operation reports bad arguments itself
	object := a.SObject
	if m.Toolset == ToolsetLeads {
		object = "Lead"
	}
	if object != "" {
		if err := g.CheckObject(object); err != nil {
			return err
		}
	}
	names := callFieldNames(m, args)
	if err := g.CheckFields(object, names); err != nil {
		return err
	}
	if len(g.AllowObjects) > 0 && object != "" {
		for _, n := range names {
			if segs := strings.Split(n, "."); len(segs) > 1 {
				if err := g.checkPath(ctx, c, []string{object}, segs[:len(segs)-1], n); err != nil {
					return err
				}
			}
		}
	}
	if a.SOQL != "" {
		if err := g.CheckSOQL(ctx, c, a.SOQL); err != nil {
			return err
		}
	}
	if a.SOSL != "" {
		return g.CheckSOSL(ctx, c, a.SOSL)
	}
	return nil
}

// filterFields drops the hidden fields of object from a describe.
func (g *Guard) filterFields(object string, fields []FieldSummary) []FieldSummary {
	if g == nil || len(g.DenyFields) == 0 {
		return fields
	}
	return slices.DeleteFunc(fields, func(f FieldSummary) bool { return g.FieldDenied(object, f.Name) })
}
