package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/sfmcp/sfmcp/internal/emulator/schema"
	"github.com/sfmcp/sfmcp/internal/emulator/store"
	"github.com/sfmcp/sfmcp/internal/sfid"
)

// object is an ordered JSON object, so records keep Salesforce's field order.
type object struct {
	keys []string
	vals []any
}

func (o *object) set(k string, v any) {
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
}

// MarshalJSON writes the keys in the order they were set.
func (o *object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(o.vals[i])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// renderRecord writes rec the way GET /sobjects/{Obj}/{id} does: attributes,
// then every field (or the asked ones) in describe order.
func renderRecord(obj *schema.Object, rec store.Record, version string, fields []*schema.Field) *object {
	out := &object{}
	id := str(rec["Id"])
	out.set("attributes", map[string]string{"type": obj.Name, "url": "/services/data/v" + version + "/sobjects/" + obj.Name + "/" + id})
	if fields == nil {
		fields = obj.Fields
	}
	for _, f := range fields {
		out.set(f.Name, fieldValue(obj, f, rec))
	}
	return out
}

// fieldValue is a field's value as the API shows it; compound address
// and geolocation fields are assembled from their parts.
func fieldValue(obj *schema.Object, f *schema.Field, rec store.Record) any {
	parts := obj.CompoundParts(f)
	if parts == nil {
		return rec[f.Name]
	}
	return compoundValue(parts, rec)
}

// compoundValue is the object Salesforce shows for a compound field, or
// nil when none of its parts is set.
func compoundValue(parts map[string]string, rec map[string]any) any {
	out := make(map[string]any, len(parts))
	set := false
	for key, name := range parts {
		out[key] = rec[name]
		set = set || rec[name] != nil
	}
	if !set {
		return nil
	}
	return out
}

func (e *Emulator) handleSObjects(q *apiRequest) {
	p := q.parts[1:]
	if len(p) == 0 || p[0] == "" {
		if q.r.Method != http.MethodGet && q.r.Method != http.MethodHead {
			writeError(q.w, methodNotAllowed(q.r.Method))
			return
		}
		list := []any{}
		for _, o := range e.org.schema.Objects() {
			list = append(list, o.GlobalEntry(q.version))
		}
		writeJSON(q.w, 200, map[string]any{"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": list})
		return
	}
	obj, aerr := e.org.lookupObject(p[0])
	if aerr != nil {
		writeError(q.w, aerr)
		return
	}
	switch {
	case len(p) == 1:
		switch q.r.Method {
		case http.MethodGet, http.MethodHead:
			writeJSON(q.w, 200, map[string]any{"objectDescribe": obj.GlobalEntry(q.version), "recentItems": []any{}})
		case http.MethodPost:
			e.createRecord(q, obj)
		default:
			writeError(q.w, methodNotAllowed(q.r.Method, "GET", "HEAD", "POST"))
		}
	case len(p) == 2 && p[1] == "describe":
		if q.r.Method != http.MethodGet && q.r.Method != http.MethodHead {
			writeError(q.w, methodNotAllowed(q.r.Method, "GET", "HEAD"))
			return
		}
		writeJSON(q.w, 200, obj.Describe(q.version))
	case len(p) == 2:
		e.recordByID(q, obj, p[1])
	case len(p) == 3:
		// p[2] was decoded once already (pathSegments); decoding it again
		// would make "%252e%252e" name "..".
		e.recordByExternalID(q, obj, p[1], p[2])
	default:
		writeError(q.w, notFound())
	}
}

func (e *Emulator) createRecord(q *apiRequest, obj *schema.Object) {
	var body map[string]any
	if aerr := e.readJSON(q, &body); aerr != nil {
		writeError(q.w, aerr)
		return
	}
	if body == nil {
		writeError(q.w, errf(400, "JSON_PARSER_ERROR", nil, "The request body must be a JSON object"))
		return
	}
	var id string
	err := e.org.store.Update(q.r.Context(), func(tx *store.Tx) error {
		var aerr *apiError
		id, aerr = e.org.create(q.r.Context(), tx, obj, body, q.sess.UserID)
		if aerr != nil {
			return aerr
		}
		return nil
	})
	if err != nil {
		writeError(q.w, asAPIError(err))
		return
	}
	writeJSON(q.w, 201, map[string]any{"id": id, "success": true, "errors": []any{}})
}

func asAPIError(err error) *apiError {
	var aerr *apiError
	if errors.As(err, &aerr) {
		return aerr
	}
	return internalError(err)
}

func (e *Emulator) recordByID(q *apiRequest, obj *schema.Object, id string) {
	if !looksLikeID(id) {
		// Salesforce reads a second segment that is not id-shaped as an
		// unknown resource of the object.
		writeError(q.w, errf(404, "NOT_FOUND", nil, "Provided external ID field does not exist or is not accessible: %s", id))
		return
	}
	if norm, err := sfid.Normalize(id); err != nil || norm[:3] != obj.KeyPrefix {
		writeError(q.w, errf(400, "MALFORMED_ID", []string{"Id"}, "%s ID: id value of incorrect type: %s", obj.Label, id))
		return
	}
	switch q.r.Method {
	case http.MethodGet, http.MethodHead:
		rec, _, aerr := e.org.getRecord(q.r.Context(), obj, id)
		if aerr != nil {
			writeError(q.w, aerr)
			return
		}
		fields, aerr := selectFields(obj, q.r.URL.Query().Get("fields"))
		if aerr != nil {
			writeError(q.w, aerr)
			return
		}
		writeJSON(q.w, 200, renderRecord(obj, rec, q.version, fields))
	case http.MethodPatch:
		var body map[string]any
		if aerr := e.readJSON(q, &body); aerr != nil {
			writeError(q.w, aerr)
			return
		}
		err := e.org.store.Update(q.r.Context(), func(tx *store.Tx) error {
			if aerr := e.org.update(q.r.Context(), tx, obj, id, body, q.sess.UserID); aerr != nil {
				return aerr
			}
			return nil
		})
		if err != nil {
			writeError(q.w, asAPIError(err))
			return
		}
		q.w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		err := e.org.store.Update(q.r.Context(), func(tx *store.Tx) error {
			if aerr := e.org.remove(q.r.Context(), tx, obj, id, false); aerr != nil {
				return aerr
			}
			return nil
		})
		if err != nil {
			writeError(q.w, asAPIError(err))
			return
		}
		q.w.WriteHeader(http.StatusNoContent)
	default:
		writeError(q.w, methodNotAllowed(q.r.Method))
	}
}

// selectFields resolves a ?fields=a,b list; nil means every field.
func selectFields(obj *schema.Object, list string) ([]*schema.Field, *apiError) {
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	var out []*schema.Field
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		f := obj.Field(name)
		if f == nil {
			return nil, errf(400, "INVALID_FIELD", nil,
				"No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", name, obj.Name)
		}
		out = append(out, f)
	}
	return out, nil
}

func (e *Emulator) recordByExternalID(q *apiRequest, obj *schema.Object, fieldName, value string) {
	ctx := q.r.Context()
	f := obj.Field(fieldName)
	if f == nil || !usableAsKey(f) {
		writeError(q.w, errf(404, "NOT_FOUND", nil, "Provided external ID field does not exist or is not accessible: %s", fieldName))
		return
	}
	switch q.r.Method {
	case http.MethodPatch:
		var body map[string]any
		if aerr := e.readJSON(q, &body); aerr != nil {
			writeError(q.w, aerr)
			return
		}
		if body == nil {
			body = map[string]any{}
		}
		var id string
		var created bool
		err := e.org.store.Update(ctx, func(tx *store.Tx) error {
			var aerr *apiError
			id, created, aerr = e.org.upsert(ctx, tx, obj, fieldName, value, body, q.sess.UserID)
			if aerr != nil {
				return aerr
			}
			return nil
		})
		if err != nil {
			aerr := asAPIError(err)
			if aerr.Status == 300 {
				urls := make([]string, len(aerr.Fields))
				for i, id := range aerr.Fields {
					urls[i] = "/services/data/v" + q.version + "/sobjects/" + obj.Name + "/" + id
				}
				writeJSON(q.w, 300, urls)
				return
			}
			writeError(q.w, aerr)
			return
		}
		status := 200
		if created {
			status = 201
		}
		writeJSON(q.w, status, map[string]any{"id": id, "success": true, "errors": []any{}, "created": created})
	case http.MethodGet, http.MethodHead, http.MethodDelete:
		ids, err := e.org.store.Lookup(ctx, obj.Name, f.Name, indexKey(f, value))
		if f.Type == "id" {
			ids, err = []string{value}, nil
		}
		if err != nil {
			writeError(q.w, internalError(err))
			return
		}
		switch len(ids) {
		case 0:
			writeError(q.w, notFound())
			return
		case 1:
		default:
			urls := make([]string, len(ids))
			for i, id := range ids {
				urls[i] = "/services/data/v" + q.version + "/sobjects/" + obj.Name + "/" + id
			}
			writeJSON(q.w, 300, urls)
			return
		}
		e.recordByID(q, obj, ids[0])
	default:
		writeError(q.w, methodNotAllowed(q.r.Method))
	}
}

// looksLikeID reports whether s has the shape of an id: 15 or 18 letters
// and digits (the checksum is checked separately).
func looksLikeID(s string) bool {
	if len(s) != 15 && len(s) != 18 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
