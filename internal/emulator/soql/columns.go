package soql

import (
	"strings"

	"github.com/sfmcp/sfmcp/internal/emulator/schema"
)

// ColumnMeta is one entry of the `?columns=true` answer. Its JSON keys and
// their order are those of real orgs.
type ColumnMeta struct {
	Aggregate      bool          `json:"aggregate"`
	ApexType       *string       `json:"apexType"`
	BooleanType    bool          `json:"booleanType"`
	ColumnName     string        `json:"columnName"`
	Custom         bool          `json:"custom"`
	DisplayName    string        `json:"displayName"`
	ForeignKeyName *string       `json:"foreignKeyName"`
	Insertable     bool          `json:"insertable"`
	JoinColumns    []*ColumnMeta `json:"joinColumns"`
	NumberType     bool          `json:"numberType"`
	TextType       bool          `json:"textType"`
	Updatable      bool          `json:"updatable"`
}

type colMeta = ColumnMeta

// Columns returns the columnMetadata list of the `?columns=true` answer.
func (q *Query) Columns() []*ColumnMeta {
	out := make([]*ColumnMeta, len(q.meta))
	copy(out, q.meta)
	return out
}

func strp(s string) *string { return &s }

func apexType(f *schema.Field) *string {
	switch f.Type {
	case "id", "reference":
		return strp("Id")
	case "string", "textarea", "email", "phone", "url", "picklist", "multipicklist", "combobox", "encryptedstring":
		return strp("String")
	case "boolean":
		return strp("Boolean")
	case "int":
		return strp("Integer")
	case "long":
		return strp("Long")
	case "double", "percent":
		return strp("Double")
	case "currency":
		return strp("Decimal")
	case "date":
		return strp("Date")
	case "datetime":
		return strp("Datetime")
	case "time":
		return strp("Time")
	}
	return nil
}

func leafMeta(f *schema.Field) *ColumnMeta {
	cls := classOf(f)
	return &ColumnMeta{
		ApexType:    apexType(f),
		BooleanType: cls == clsBool,
		ColumnName:  f.Name,
		Custom:      f.Custom,
		DisplayName: f.Name,
		Insertable:  f.Createable,
		JoinColumns: []*ColumnMeta{},
		NumberType:  cls == clsNumber,
		TextType:    cls == clsString || cls == clsMulti,
		Updatable:   f.Updateable,
	}
}

func relMeta(rel *schema.Field) *ColumnMeta {
	return &ColumnMeta{
		ColumnName:     rel.RelationshipName,
		Custom:         rel.Custom,
		DisplayName:    rel.RelationshipName,
		ForeignKeyName: strp(rel.Name),
		JoinColumns:    []*ColumnMeta{},
	}
}

// fieldMeta is the flat metadata of a path's leaf.
func fieldMeta(fr *fieldRef) *ColumnMeta { return leafMeta(fr.leaf) }

// addMeta adds a field path to a metadata list, nesting relationship paths
// under one entry per relationship.
func addMeta(list *[]*ColumnMeta, fr *fieldRef) {
	cur := list
	for _, h := range fr.hops {
		var m *ColumnMeta
		for _, have := range *cur {
			if have.ForeignKeyName != nil && *have.ForeignKeyName == h.Name && !have.Aggregate {
				m = have
			}
		}
		if m == nil {
			m = relMeta(h)
			*cur = append(*cur, m)
		}
		cur = &m.JoinColumns
	}
	for _, have := range *cur {
		if have.ForeignKeyName == nil && strings.EqualFold(have.ColumnName, fr.leaf.Name) {
			return
		}
	}
	*cur = append(*cur, leafMeta(fr.leaf))
}

func subMeta(sub *Query) *ColumnMeta {
	return &ColumnMeta{
		Aggregate:   true,
		ColumnName:  sub.relName,
		DisplayName: sub.relName,
		JoinColumns: sub.Columns(),
	}
}

func aggMeta(a *aggSpec, key, argText string) *ColumnMeta {
	m := &ColumnMeta{
		Aggregate:   true,
		ColumnName:  key,
		DisplayName: strings.ToLower(a.fn) + "(" + argText + ")",
		JoinColumns: []*ColumnMeta{},
	}
	switch a.fn {
	case "COUNT", "COUNT_DISTINCT", "SUM", "AVG":
		m.NumberType = true
	default:
		m.NumberType = a.cls == clsNumber
		m.TextType = a.cls == clsString
		m.BooleanType = a.cls == clsBool
	}
	return m
}

// SelectsCompound reports whether the query selects a compound field (an
// address or a geolocation), directly or through a parent: the Bulk API
// refuses those.
func (q *Query) SelectsCompound() bool { return selectsCompound(q.cols) }

func selectsCompound(cols []*outCol) bool {
	for _, c := range cols {
		switch {
		case c.kind == colField && c.compound != nil:
			return true
		case c.kind == colRel && selectsCompound(c.kids):
			return true
		}
		for _, kids := range c.typeOf {
			if selectsCompound(kids) {
				return true
			}
		}
	}
	return false
}
