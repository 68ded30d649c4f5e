package ops

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
)

// The guard's filters for results that are not Salesforce records with
// attributes (FilterRecord handles those): the typed leads of the lead
// tools and the CSV columns of a bulk query. Both name their object
// themselves, so no describe is needed.

// ColumnHidden reports whether a result column of object (a field, or a
// dotted path such as Owner.Email) shows a hidden field: a field of object
// itself, or on a path any hop whose name is hidden for some object (the
// path's target object is not known without describes, so a bare or any
// Object.Field entry of that name hides it, as CheckFields refuses it).
func (g *Guard) ColumnHidden(object, column string) bool {
	if g == nil || len(g.DenyFields) == 0 {
		return false
	}
	dotted := strings.Contains(column, ".")
	for seg := range strings.SplitSeq(column, ".") {
		if g.FieldDenied("", seg) && (dotted || g.FieldDenied(object, seg)) {
			return true
		}
	}
	return false
}

// hideLeadFields clears the hidden fields of leads and names them in each
// lead's HiddenFields, so a cleared value (an empty LastName, IsConverted
// false) is never read as the lead's own.
func hideLeadFields(ctx context.Context, leads []Lead) {
	g := GuardFrom(ctx)
	if g == nil || len(g.DenyFields) == 0 {
		return
	}
	t := reflect.TypeFor[Lead]()
	for i := range leads {
		v := reflect.ValueOf(&leads[i]).Elem()
		for j := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(j).Tag.Get("json"), ",")
			if name == "" || name == "-" || name == "Id" || name == leadHiddenKey {
				continue
			}
			if g.FieldDenied("Lead", name) {
				v.Field(j).SetZero()
				leads[i].HiddenFields = append(leads[i].HiddenFields, name)
			}
		}
	}
}

// leadHiddenKey is the JSON name of Lead.HiddenFields.
const leadHiddenKey = "hidden_fields"

// leadArgFields are the Lead fields the lead tools' own arguments write or
// match on: with one of them hidden, a call that gives that argument is
// refused, as a query naming the field is (a lookup by a hidden email
// would tell whether a lead has it).
var leadArgFields = map[string]string{
	"email": "Email", "last_name": "LastName", "first_name": "FirstName", "company": "Company",
	"phone": "Phone", "lead_source": "LeadSource", "status": "Status",
}

// callFieldNames returns the field names a call's arguments write, ask
// for or match on: fields (a list, or an object of field values as
// salesforce_update_lead takes), data's keys, the bulk loads' records'
// keys, external_id_field, and for
// the lead tools the arguments that stand for Lead fields.
func callFieldNames(m Meta, args json.RawMessage) []string {
	var a struct {
		Fields          json.RawMessage `json:"fields"`
		Data            json.RawMessage `json:"data"`
		Records         json.RawMessage `json:"records"`
		ExternalIDField string          `json:"external_id_field"`
	}
	_ = json.Unmarshal(args, &a)
	var names []string
	var list FieldList
	var obj map[string]json.RawMessage
	switch {
	case json.Unmarshal(a.Fields, &obj) == nil:
		for k := range obj {
			names = append(names, k)
		}
	case json.Unmarshal(a.Fields, &list) == nil:
		names = append(names, list...)
	}
	if a.ExternalIDField != "" {
		names = append(names, a.ExternalIDField)
	}
	var data map[string]json.RawMessage
	if json.Unmarshal(a.Data, &data) == nil {
		for k := range data {
			names = append(names, k)
		}
	}
	// The bulk loads' records: each key is a field, or a relationship
	// whose object value names the external id field it matches on.
	var records []map[string]json.RawMessage
	if json.Unmarshal(a.Records, &records) == nil {
		seen := map[string]bool{}
		for _, r := range records {
			for k, v := range r {
				var ref map[string]json.RawMessage
				if json.Unmarshal(v, &ref) == nil && len(ref) > 0 {
					for rk := range ref {
						if !seen[k+"."+rk] {
							seen[k+"."+rk] = true
							names = append(names, k+"."+rk)
						}
					}
					continue
				}
				if !seen[k] {
					seen[k] = true
					names = append(names, k)
				}
			}
		}
	}
	if m.Toolset == ToolsetLeads {
		var given map[string]json.RawMessage
		_ = json.Unmarshal(args, &given)
		for arg, field := range leadArgFields {
			if v, ok := given[arg]; ok && string(v) != `""` && string(v) != "null" {
				names = append(names, field)
			}
		}
	}
	return names
}

// queryObject is the object a SOQL text reads: the first FROM outside
// parentheses, or "".
func queryObject(soql string) string {
	toks := tokenize(soql)
	for i, t := range toks {
		if t.depth == 0 && strings.EqualFold(t.text, "FROM") && i+1 < len(toks) && isWord(toks[i+1].text) {
			return toks[i+1].text
		}
	}
	return ""
}
