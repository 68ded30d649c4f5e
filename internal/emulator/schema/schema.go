// Package schema holds the emulator's object metadata: what objects exist,
// their fields, relationships and picklists. It starts from real recorded
// describes (see gen_describes.sh), adds a few standard objects written out
// here (User, Organization, LeadStatus), and then the custom fields and
// objects of a small YAML config, so that the emulator answers describe calls
// the way a real org does and its SOQL engine knows what a name means.
package schema

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

//go:embed describes/*.json.gz
var describeFS embed.FS

// PicklistValue is one entry of a picklist field.
type PicklistValue struct {
	Value        string `json:"value"`
	Label        string `json:"label"`
	Active       bool   `json:"active"`
	DefaultValue bool   `json:"defaultValue"`
}

// Field is the part of a field's describe the emulator acts on. Raw keeps the
// whole describe entry so describe calls can answer with all of it.
type Field struct {
	Name              string
	Label             string
	Type              string // Salesforce field type: id, string, reference, picklist, boolean, double, date, datetime, ...
	Length            int
	Precision         int
	Scale             int
	Nillable          bool
	Createable        bool
	Updateable        bool
	DefaultedOnCreate bool
	Unique            bool
	ExternalID        bool
	IDLookup          bool
	Custom            bool
	Calculated        bool
	Filterable        bool
	Sortable          bool
	Groupable         bool
	Aggregatable      bool
	NameField         bool
	ReferenceTo       []string
	RelationshipName  string
	PicklistValues    []PicklistValue
	Raw               map[string]any
}

// IsRequiredOnCreate reports whether a create must name this field: not
// nillable, createable and not filled in by Salesforce itself.
func (f *Field) IsRequiredOnCreate() bool {
	return !f.Nillable && f.Createable && !f.DefaultedOnCreate && f.Type != "boolean"
}

// ChildRelationship links a parent object to the child records that point at it.
type ChildRelationship struct {
	ChildSObject     string
	Field            string
	RelationshipName string
	CascadeDelete    bool
	// RestrictedDelete: a parent with such children cannot be deleted.
	RestrictedDelete bool
}

// Object is one sObject type.
type Object struct {
	Name               string
	Label              string
	LabelPlural        string
	KeyPrefix          string
	Custom             bool
	Createable         bool
	Updateable         bool
	Deletable          bool
	Queryable          bool
	Searchable         bool
	Fields             []*Field
	ChildRelationships []ChildRelationship
	Scopes             []string // supportedScopes names (USING SCOPE values)

	raw       map[string]any
	global    map[string]any
	byName    map[string]*Field // lower-cased name → field
	byExact   map[string]*Field // name as the schema spells it → field
	byRel     map[string]*Field
	childRels map[string]*ChildRelationship
}

// Field returns the field with this name, ignoring case, or nil.
//
// Names are mostly spelled as the schema spells them (records, bodies
// already checked, the emulator's own code), so that spelling is looked up
// first: lower-casing every name cost more than the lookup.
func (o *Object) Field(name string) *Field {
	if f, ok := o.byExact[name]; ok {
		return f
	}
	return o.byName[strings.ToLower(name)]
}

// ParentRelationship returns the reference field whose relationship name is
// name (Account for AccountId, Owner for OwnerId, Foo__r for Foo__c), or nil.
func (o *Object) ParentRelationship(name string) *Field { return o.byRel[strings.ToLower(name)] }

// ChildRelationship returns the child relationship called name (Contacts on
// Account), or nil.
func (o *Object) ChildRelationship(name string) *ChildRelationship {
	return o.childRels[strings.ToLower(name)]
}

// NameField returns the field that names a record (Name, or Subject on Case), or nil.
func (o *Object) NameField() *Field {
	for _, f := range o.Fields {
		if f.NameField {
			return f
		}
	}
	return o.Field("Name")
}

// Describe returns the full describe document for apiVersion ("62.0"), with
// the object's urls pointing at that version.
func (o *Object) Describe(apiVersion string) map[string]any {
	out := make(map[string]any, len(o.raw)+1)
	for k, v := range o.raw {
		out[k] = v
	}
	fields := make([]any, len(o.Fields))
	for i, f := range o.Fields {
		fields[i] = f.Raw
	}
	out["fields"] = fields
	rels := make([]any, 0, len(o.ChildRelationships))
	if raw, ok := o.raw["childRelationships"].([]any); ok {
		rels = append(rels, raw...)
	}
	out["childRelationships"] = rels
	out["urls"] = o.urls(apiVersion)
	return out
}

// GlobalEntry returns the object's entry in the describeGlobal list.
func (o *Object) GlobalEntry(apiVersion string) map[string]any {
	out := make(map[string]any, len(o.global)+1)
	for k, v := range o.global {
		out[k] = v
	}
	out["urls"] = o.urls(apiVersion)
	return out
}

func (o *Object) urls(v string) map[string]any {
	base := "/services/data/v" + v + "/sobjects/" + o.Name
	return map[string]any{
		"compactLayouts":  base + "/describe/compactLayouts",
		"rowTemplate":     base + "/{ID}",
		"approvalLayouts": base + "/describe/approvalLayouts",
		"listviews":       base + "/listviews",
		"describe":        base + "/describe",
		"quickActions":    base + "/quickActions",
		"layouts":         base + "/describe/layouts",
		"sobject":         base,
	}
}

// Schema is the set of objects an emulated org has.
type Schema struct {
	objects  map[string]*Object
	byPrefix map[string]*Object
}

// Object returns the object called name, ignoring case, or nil.
func (s *Schema) Object(name string) *Object { return s.objects[strings.ToLower(name)] }

// ObjectByKeyPrefix returns the object whose ids start with prefix, or nil.
func (s *Schema) ObjectByKeyPrefix(prefix string) *Object { return s.byPrefix[prefix] }

// Objects returns every object, sorted by name.
func (s *Schema) Objects() []*Object {
	out := make([]*Object, 0, len(s.objects))
	for _, o := range s.objects {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Load builds the schema: the recorded standard objects, the ones written out
// in this package, then the custom fields and objects of customYAML (the
// package's default config when customYAML is nil).
func Load(customYAML []byte) (*Schema, error) {
	s := &Schema{objects: map[string]*Object{}, byPrefix: map[string]*Object{}}
	global, err := loadGlobal()
	if err != nil {
		return nil, err
	}
	entries, err := describeFS.ReadDir("describes")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "_") {
			continue
		}
		raw, err := readGz(path.Join("describes", e.Name()))
		if err != nil {
			return nil, err
		}
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("schema: %s: %w", e.Name(), err)
		}
		if err := s.add(doc, global[str(doc["name"])]); err != nil {
			return nil, err
		}
	}
	for _, doc := range synthesized() {
		if err := s.add(doc, global[str(doc["name"])]); err != nil {
			return nil, err
		}
	}
	if customYAML == nil {
		customYAML = defaultCustomConfig
	}
	if err := s.applyCustom(customYAML); err != nil {
		return nil, err
	}
	s.link()
	return s, nil
}

func readGz(name string) ([]byte, error) {
	b, err := describeFS.ReadFile(name)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("schema: %s: %w", name, err)
	}
	return io.ReadAll(zr)
}

func loadGlobal() (map[string]map[string]any, error) {
	raw, err := readGz("describes/_global.json.gz")
	if err != nil {
		return nil, err
	}
	var doc struct {
		SObjects []map[string]any `json:"sobjects"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("schema: describeGlobal: %w", err)
	}
	out := make(map[string]map[string]any, len(doc.SObjects))
	for _, o := range doc.SObjects {
		out[str(o["name"])] = o
	}
	return out, nil
}

// globalKeys are the describe keys that also appear in a describeGlobal entry.
var globalKeys = []string{"activateable", "associateEntityType", "associateParentEntity", "createable", "custom",
	"customSetting", "deepCloneable", "deletable", "deprecatedAndHidden", "feedEnabled", "hasSubtypes", "isInterface",
	"isSubtype", "keyPrefix", "label", "labelPlural", "layoutable", "mergeable", "mruEnabled", "name", "queryable",
	"replicateable", "retrieveable", "searchable", "triggerable", "undeletable", "updateable"}

func (s *Schema) add(doc map[string]any, global map[string]any) error {
	o := &Object{raw: doc}
	o.Name = str(doc["name"])
	if o.Name == "" {
		return fmt.Errorf("schema: a describe without a name")
	}
	o.Label = str(doc["label"])
	o.LabelPlural = str(doc["labelPlural"])
	o.KeyPrefix = str(doc["keyPrefix"])
	o.Custom, _ = doc["custom"].(bool)
	o.Createable, _ = doc["createable"].(bool)
	o.Updateable, _ = doc["updateable"].(bool)
	o.Deletable, _ = doc["deletable"].(bool)
	o.Queryable, _ = doc["queryable"].(bool)
	o.Searchable, _ = doc["searchable"].(bool)
	// The global entry is built from the describe itself so the two never
	// disagree (the recorded global list lacks some prefixes, e.g. Lead's).
	o.global = map[string]any{}
	for _, k := range globalKeys {
		if v, ok := doc[k]; ok {
			o.global[k] = v
		} else if v, ok := global[k]; ok {
			o.global[k] = v
		}
	}
	if scopes, ok := doc["supportedScopes"].([]any); ok {
		for _, sv := range scopes {
			if sm, ok := sv.(map[string]any); ok && str(sm["name"]) != "" {
				o.Scopes = append(o.Scopes, str(sm["name"]))
			}
		}
	}
	if fields, ok := doc["fields"].([]any); ok {
		for _, fv := range fields {
			fm, ok := fv.(map[string]any)
			if !ok {
				continue
			}
			o.Fields = append(o.Fields, fieldFrom(fm))
		}
	}
	if rels, ok := doc["childRelationships"].([]any); ok {
		for _, rv := range rels {
			rm, ok := rv.(map[string]any)
			if !ok {
				continue
			}
			cr := ChildRelationship{ChildSObject: str(rm["childSObject"]), Field: str(rm["field"]), RelationshipName: str(rm["relationshipName"])}
			cr.CascadeDelete, _ = rm["cascadeDelete"].(bool)
			cr.RestrictedDelete, _ = rm["restrictedDelete"].(bool)
			o.ChildRelationships = append(o.ChildRelationships, cr)
		}
	}
	s.objects[strings.ToLower(o.Name)] = o
	return nil
}

func fieldFrom(m map[string]any) *Field {
	f := &Field{Raw: m}
	f.Name = str(m["name"])
	f.Label = str(m["label"])
	f.Type = str(m["type"])
	f.Length = num(m["length"])
	f.Precision = num(m["precision"])
	f.Scale = num(m["scale"])
	f.Nillable, _ = m["nillable"].(bool)
	f.Createable, _ = m["createable"].(bool)
	f.Updateable, _ = m["updateable"].(bool)
	f.DefaultedOnCreate, _ = m["defaultedOnCreate"].(bool)
	f.Unique, _ = m["unique"].(bool)
	f.ExternalID, _ = m["externalId"].(bool)
	f.IDLookup, _ = m["idLookup"].(bool)
	f.Custom, _ = m["custom"].(bool)
	f.Calculated, _ = m["calculated"].(bool)
	f.Filterable, _ = m["filterable"].(bool)
	f.Sortable, _ = m["sortable"].(bool)
	f.Groupable, _ = m["groupable"].(bool)
	f.Aggregatable, _ = m["aggregatable"].(bool)
	f.NameField, _ = m["nameField"].(bool)
	f.RelationshipName = str(m["relationshipName"])
	if f.Type == "reference" && strings.HasSuffix(f.Name, "__c") && !strings.HasSuffix(f.RelationshipName, "__r") {
		// A custom lookup's relationship is always its name with __r
		// (Foo__c → Foo__r, ns__Bar__c → ns__Bar__r), whatever a recording
		// edited by hand says.
		f.RelationshipName = strings.TrimSuffix(f.Name, "__c") + "__r"
		m["relationshipName"] = f.RelationshipName
	}
	if refs, ok := m["referenceTo"].([]any); ok {
		for _, r := range refs {
			f.ReferenceTo = append(f.ReferenceTo, str(r))
		}
	}
	if pl, ok := m["picklistValues"].([]any); ok {
		for _, pv := range pl {
			pm, ok := pv.(map[string]any)
			if !ok {
				continue
			}
			v := PicklistValue{Value: str(pm["value"]), Label: str(pm["label"])}
			v.Active, _ = pm["active"].(bool)
			v.DefaultValue, _ = pm["defaultValue"].(bool)
			f.PicklistValues = append(f.PicklistValues, v)
		}
	}
	return f
}

// link builds the lookup maps once every object is known: fields by name,
// parent relationships, child relationships whose child object exists, and
// key prefixes.
func (s *Schema) link() {
	// Sorted, so that when objects share a key prefix (the field history
	// objects all use 017) the same one answers for it every time.
	for _, o := range s.Objects() {
		o.byName = make(map[string]*Field, len(o.Fields))
		o.byExact = make(map[string]*Field, len(o.Fields))
		o.byRel = map[string]*Field{}
		for _, f := range o.Fields {
			o.byName[strings.ToLower(f.Name)] = f
			o.byExact[f.Name] = f
			if f.Type == "reference" && f.RelationshipName != "" {
				o.byRel[strings.ToLower(f.RelationshipName)] = f
			}
		}
		o.childRels = map[string]*ChildRelationship{}
		for i := range o.ChildRelationships {
			cr := &o.ChildRelationships[i]
			if cr.RelationshipName == "" || s.Object(cr.ChildSObject) == nil {
				continue
			}
			o.childRels[strings.ToLower(cr.RelationshipName)] = cr
		}
		if _, taken := s.byPrefix[o.KeyPrefix]; o.KeyPrefix != "" && !taken {
			s.byPrefix[o.KeyPrefix] = o
		}
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// CompoundParts maps the keys of a compound field's value (street, city, …
// for an address; latitude, longitude for a geolocation) to the component
// fields that hold them, or returns nil when f is not compound.
func (o *Object) CompoundParts(f *Field) map[string]string {
	if f == nil || (f.Type != "address" && f.Type != "location") {
		return nil
	}
	base := strings.TrimSuffix(strings.TrimSuffix(f.Name, "__c"), "Address")
	parts := map[string]string{}
	for _, c := range o.Fields {
		if str(c.Raw["compoundFieldName"]) != f.Name || c == f {
			continue
		}
		key := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(c.Name, base), "__"), "__s")
		if key == "" {
			continue
		}
		parts[strings.ToLower(key[:1])+key[1:]] = c.Name
	}
	return parts
}

// RecordTypeInfo is one entry of an object's describe recordTypeInfos.
type RecordTypeInfo struct {
	ID            string
	Name          string
	DeveloperName string
	Active        bool
	Master        bool
}

// RecordTypes returns the record types the object's describe lists, the
// master one included (Master is true for it).
func (o *Object) RecordTypes() []RecordTypeInfo {
	list, _ := o.raw["recordTypeInfos"].([]any)
	var out []RecordTypeInfo
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		active, _ := m["active"].(bool)
		master, _ := m["master"].(bool)
		out = append(out, RecordTypeInfo{ID: str(m["recordTypeId"]), Name: str(m["name"]),
			DeveloperName: str(m["developerName"]), Active: active, Master: master})
	}
	return out
}
