package schema

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// defaultCustomConfig is used when the emulator is given no config of its own.
//
//go:embed custom.yaml
var defaultCustomConfig []byte

// CustomConfig declares custom fields on existing objects and whole custom
// objects. It is the YAML read by `sfmcp emulator --schema FILE`.
type CustomConfig struct {
	Objects []CustomObject `yaml:"objects"`
}

// CustomObject adds fields to the standard object Name, or declares a new
// custom object when Name ends in __c.
type CustomObject struct {
	Name        string        `yaml:"name"`
	Label       string        `yaml:"label"`
	LabelPlural string        `yaml:"labelPlural"`
	KeyPrefix   string        `yaml:"keyPrefix"`
	Fields      []CustomField `yaml:"fields"`
}

// CustomField is one custom field. Name must end in __c.
type CustomField struct {
	Name                  string   `yaml:"name"`
	Label                 string   `yaml:"label"`
	Type                  string   `yaml:"type"`
	Length                int      `yaml:"length"`
	Required              bool     `yaml:"required"`
	ExternalID            bool     `yaml:"externalId"`
	Unique                bool     `yaml:"unique"`
	ReferenceTo           string   `yaml:"referenceTo"`
	ChildRelationshipName string   `yaml:"childRelationshipName"`
	Picklist              []string `yaml:"picklist"`
	// Scale is a geolocation's decimal places (type location; default 6).
	Scale int `yaml:"scale"`
	// DisplayLocationInDecimal is a geolocation's display setting.
	DisplayLocationInDecimal bool `yaml:"displayLocationInDecimal"`
}

var (
	customName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*__c$`)
	prefixRe   = regexp.MustCompile(`^[a-zA-Z0-9]{3}$`)
	fieldTypes = map[string]bool{"string": true, "textarea": true, "email": true, "phone": true, "url": true,
		"picklist": true, "multipicklist": true, "boolean": true, "int": true, "double": true, "currency": true,
		"percent": true, "date": true, "datetime": true, "reference": true, "location": true}
)

func (s *Schema) applyCustom(data []byte) error {
	var cfg CustomConfig
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("schema config: %w", err)
	}
	type pendingRel struct {
		parent string
		rel    ChildRelationship
	}
	var rels []pendingRel
	for _, co := range cfg.Objects {
		o := s.Object(co.Name)
		if o == nil {
			if !customName.MatchString(co.Name) {
				return fmt.Errorf("schema config: object %q is not a standard object and its name does not end in __c", co.Name)
			}
			if !prefixRe.MatchString(co.KeyPrefix) || s.byPrefixLoose(co.KeyPrefix) {
				return fmt.Errorf("schema config: object %s needs a keyPrefix of 3 letters or digits that no other object uses", co.Name)
			}
			label := co.Label
			if label == "" {
				label = strings.ReplaceAll(strings.TrimSuffix(co.Name, "__c"), "_", " ")
			}
			plural := co.LabelPlural
			if plural == "" {
				plural = label + "s"
			}
			doc := newObject(co.Name, label, plural, co.KeyPrefix, true, []fieldSpec{
				{name: "Name", label: label + " Name", typ: "string", length: 80, nillable: true, createable: true, updateable: true, nameField: true},
				{name: "OwnerId", label: "Owner ID", typ: "reference", length: 18, defaulted: true, createable: true, updateable: true, refTo: []string{"Group", "User"}, rel: "Owner"},
			})
			doc["custom"] = true
			if err := s.add(doc, nil); err != nil {
				return err
			}
			o = s.Object(co.Name)
		}
		for _, cf := range co.Fields {
			if !customName.MatchString(cf.Name) {
				return fmt.Errorf("schema config: field %s.%s: custom field names end in __c", co.Name, cf.Name)
			}
			if !fieldTypes[cf.Type] {
				return fmt.Errorf("schema config: field %s.%s: unknown type %q", co.Name, cf.Name, cf.Type)
			}
			if hasField(o, cf.Name) {
				return fmt.Errorf("schema config: field %s.%s is declared twice", co.Name, cf.Name)
			}
			label := cf.Label
			if label == "" {
				label = strings.ReplaceAll(strings.TrimSuffix(cf.Name, "__c"), "_", " ")
			}
			length := cf.Length
			if length == 0 {
				switch cf.Type {
				case "string", "picklist", "multipicklist", "email", "url", "phone":
					length = 255
				case "textarea":
					length = 32768
				case "reference":
					length = 18
				}
			}
			if cf.Type == "location" {
				if err := addLocation(o, cf, label); err != nil {
					return fmt.Errorf("schema config: field %s.%s: %w", co.Name, cf.Name, err)
				}
				continue
			}
			sp := fieldSpec{name: cf.Name, label: label, typ: cf.Type, length: length, nillable: !cf.Required,
				createable: true, updateable: true, unique: cf.Unique, picklist: cf.Picklist,
				defaulted: cf.Type == "boolean"}
			if cf.Type == "reference" {
				if cf.ReferenceTo == "" {
					return fmt.Errorf("schema config: field %s.%s: a reference needs referenceTo", co.Name, cf.Name)
				}
				sp.refTo = []string{cf.ReferenceTo}
				sp.rel = strings.TrimSuffix(cf.Name, "__c") + "__r"
				childRel := cf.ChildRelationshipName
				if childRel == "" {
					childRel = strings.TrimSuffix(o.Name, "__c") + "s__r"
				}
				rels = append(rels, pendingRel{parent: cf.ReferenceTo, rel: ChildRelationship{ChildSObject: o.Name, Field: cf.Name, RelationshipName: childRel}})
			}
			fm := newField(sp)
			fm["custom"] = true
			fm["externalId"] = cf.ExternalID
			f := fieldFrom(fm)
			o.Fields = append(o.Fields, f)
			if raw, ok := o.raw["fields"].([]any); ok {
				o.raw["fields"] = append(raw, fm)
			}
		}
	}
	for _, pr := range rels {
		p := s.Object(pr.parent)
		if p == nil {
			return fmt.Errorf("schema config: %s.%s refers to unknown object %q", pr.rel.ChildSObject, pr.rel.Field, pr.parent)
		}
		p.ChildRelationships = append(p.ChildRelationships, pr.rel)
		raw, _ := p.raw["childRelationships"].([]any)
		p.raw["childRelationships"] = append(raw, map[string]any{"cascadeDelete": false, "childSObject": pr.rel.ChildSObject,
			"deprecatedAndHidden": false, "field": pr.rel.Field, "junctionIdListNames": []any{}, "junctionReferenceTo": []any{},
			"relationshipName": pr.rel.RelationshipName, "restrictedDelete": false})
	}
	return nil
}

// addLocation declares a custom geolocation field as Salesforce does: the
// compound field Name__c (type location, read-only, queried as
// {latitude, longitude}) and its two writable components
// Name__Latitude__s and Name__Longitude__s, doubles of Scale decimals whose
// compoundFieldName is Name__c.
func addLocation(o *Object, cf CustomField, label string) error {
	scale := cf.Scale
	switch {
	case scale == 0:
		scale = 6
	case scale < 0 || scale > 15:
		return fmt.Errorf("a geolocation has 0 to 15 decimal places, not %d", scale)
	}
	base := strings.TrimSuffix(cf.Name, "__c")
	for _, part := range []string{"Latitude", "Longitude"} {
		if hasField(o, base+"__"+part+"__s") {
			return fmt.Errorf("%s__%s__s is declared twice", base, part)
		}
	}
	compound := newField(fieldSpec{name: cf.Name, label: label, typ: "location", nillable: true})
	compound["soapType"] = "urn:location"
	compound["custom"] = true
	compound["sortable"], compound["groupable"], compound["aggregatable"] = false, false, false
	compound["queryByDistance"] = true
	compound["displayLocationInDecimal"] = cf.DisplayLocationInDecimal
	compound["scale"] = scale
	fields := []map[string]any{compound}
	for _, part := range []string{"Latitude", "Longitude"} {
		fm := newField(fieldSpec{name: base + "__" + part + "__s", label: label + " (" + part + ")", typ: "double",
			nillable: true, createable: true, updateable: true})
		fm["custom"] = true
		fm["compoundFieldName"] = cf.Name
		fm["precision"], fm["scale"] = 18, scale
		fm["displayLocationInDecimal"] = cf.DisplayLocationInDecimal
		fields = append(fields, fm)
	}
	for _, fm := range fields {
		o.Fields = append(o.Fields, fieldFrom(fm))
		if raw, ok := o.raw["fields"].([]any); ok {
			o.raw["fields"] = append(raw, fm)
		}
	}
	return nil
}

// hasField looks through o.Fields itself: the name index (Object.Field) is
// built only once the whole config is applied.
func hasField(o *Object, name string) bool {
	for _, f := range o.Fields {
		if strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

func (s *Schema) byPrefixLoose(p string) bool {
	for _, o := range s.objects {
		if o.KeyPrefix == p {
			return true
		}
	}
	return false
}
