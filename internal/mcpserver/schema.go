package mcpserver

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/sfmcp/sfmcp/internal/ops"
)

// Schemas are derived here from the ops input and output structs rather than
// by mcp-go's generic WithInputSchema[T]: the catalogue holds reflect.Types,
// and ops tags descriptions as `jsonschema:"description=..."`, a form the
// generator inside mcp-go rejects. The result is deterministic (map keys
// marshal sorted), which keeps the snapshots stable.

var (
	rawMessageType = reflect.TypeFor[json.RawMessage]()
	cellType       = reflect.TypeFor[ops.Cell]()
	unmarshalerT   = reflect.TypeFor[json.Unmarshaler]()
)

// Every schema here gives each value one "type" (a list of types, though
// legal, is refused by single-type dialects such as Gemini's function
// declarations, and the MCP Inspector's --strict warns of it); where a value
// may take two shapes they are anyOf branches of one type each.

// schemaOpts say which side of a call a schema describes.
type schemaOpts struct {
	// output: a nil slice or map marshals as null, so such a property
	// admits null (an anyOf branch). Inputs never advertise null: a missing
	// or null argument is refused by the operation's validation anyway.
	output bool
	seen   map[reflect.Type]bool
}

// nullable is s or null.
func nullable(s map[string]any) map[string]any {
	desc, hasDesc := s["description"]
	delete(s, "description")
	out := map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
	if hasDesc {
		out["description"] = desc
	}
	return out
}

// typeSchema describes t. Types whose JSON form differs from their Go kind
// get their real shape: json.RawMessage holds a record, a row or a describe
// as Salesforce sent it (always a JSON object in ops' outputs), and a type
// with its own UnmarshalJSON that accepts a string or a list of strings
// (ops.FieldList) is recognised by probing, below.
func typeSchema(t reflect.Type, o schemaOpts) map[string]any {
	if t == rawMessageType {
		return map[string]any{"type": "object"}
	}
	if t.Kind() == reflect.Slice && t.Elem() == cellType {
		// A table row: its items (cells) are any JSON value, so they have
		// no schema (one without a type would be no single type).
		return map[string]any{"type": "array"}
	}
	if t.Kind() == reflect.Pointer {
		s := typeSchema(t.Elem(), o)
		if o.output {
			return nullable(s)
		}
		return s
	}
	if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String && reflect.PointerTo(t).Implements(unmarshalerT) && acceptsCommaString(t) {
		return map[string]any{"anyOf": []any{
			map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
			map[string]any{"type": "string"},
		}}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": typeSchema(t.Elem(), o)}
	case reflect.Map:
		s := map[string]any{"type": "object"}
		if t.Elem().Kind() != reflect.Interface {
			s["additionalProperties"] = typeSchema(t.Elem(), o)
		}
		return s
	case reflect.Struct:
		return structSchema(t, o)
	case reflect.Interface:
		return map[string]any{}
	}
	return map[string]any{}
}

// acceptsCommaString probes a custom unmarshaler with "a,b".
func acceptsCommaString(t reflect.Type) bool {
	v := reflect.New(t)
	return json.Unmarshal([]byte(`"a,b"`), v.Interface()) == nil && v.Elem().Len() == 2
}

// structSchema describes a struct as an object: one property per exported
// JSON field, required unless omitempty, the jsonschema description tag as
// the property's description. In an output, nil slices and maps marshal as
// null, so those properties also admit null.
func structSchema(t reflect.Type, o schemaOpts) map[string]any {
	if o.seen[t] {
		return map[string]any{"type": "object"}
	}
	o.seen[t] = true
	defer delete(o.seen, t)
	props := map[string]any{}
	required := []string{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, omitempty, skip := jsonName(f)
		if skip {
			continue
		}
		if f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
			inner := structSchema(f.Type, o)
			for k, v := range inner["properties"].(map[string]any) {
				props[k] = v
			}
			required = append(required, inner["required"].([]string)...)
			continue
		}
		p := typeSchema(f.Type, o)
		if !omitempty {
			switch f.Type.Kind() {
			case reflect.Slice, reflect.Map:
				if o.output && f.Type != rawMessageType {
					if _, ok := p["type"].(string); ok {
						p = nullable(p)
					}
				}
			}
			required = append(required, name)
		}
		if d := tagDescription(f); d != "" {
			p["description"] = d
		}
		if e := tagEnum(f); len(e) > 0 {
			p["enum"] = e
		}
		props[name] = p
	}
	return map[string]any{"type": "object", "properties": props, "required": required}
}

func jsonName(f reflect.StructField) (name string, omitempty, skip bool) {
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false, true
	}
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	for o := range strings.SplitSeq(opts, ",") {
		if o == "omitempty" || o == "omitzero" {
			omitempty = true
		}
	}
	return name, omitempty, false
}

// tagDescription reads `jsonschema:"description=..."` (the ops convention;
// the description runs to the end of the tag) or `jsonschema_description:"..."`.
func tagDescription(f reflect.StructField) string {
	if d := f.Tag.Get("jsonschema_description"); d != "" {
		return d
	}
	tag := f.Tag.Get("jsonschema")
	if i := strings.Index(tag, "description="); i >= 0 {
		return strings.TrimSpace(tag[i+len("description="):])
	}
	return ""
}

// tagEnum reads `enum:"a,b"`: the values a string takes.
func tagEnum(f reflect.StructField) []string {
	if e := f.Tag.Get("enum"); e != "" {
		return strings.Split(e, ",")
	}
	return nil
}

// InputSchema is the JSON Schema of an operation's arguments. It is closed
// (additionalProperties false): an unknown argument is a mistake to report.
func InputSchema(t reflect.Type) (json.RawMessage, error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("input %s is not a struct", t)
	}
	s := structSchema(t, schemaOpts{seen: map[reflect.Type]bool{}})
	s["additionalProperties"] = false
	return json.Marshal(s)
}

// OutputSchema is the JSON Schema of a successful call's structured content:
// the operation's output object plus the correlation_id every result carries.
func OutputSchema(t reflect.Type) (json.RawMessage, error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("output %s is not a struct", t)
	}
	s := structSchema(t, schemaOpts{output: true, seen: map[reflect.Type]bool{}})
	// Described once, in the server's instructions, not in every schema.
	s["properties"].(map[string]any)["correlation_id"] = map[string]any{"type": "string"}
	s["required"] = append(s["required"].([]string), "correlation_id")
	return json.Marshal(s)
}
