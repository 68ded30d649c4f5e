package emulator

import (
	"net/http"
	"strings"

	"github.com/sfmcp/sfmcp/internal/emulator/schema"
	"github.com/sfmcp/sfmcp/internal/emulator/store"
)

// sObject Tree limits, as documented: 200 records in all, 5 levels, 5 types.
const (
	maxTreeRecords = 200
	maxTreeDepth   = 5
	maxTreeTypes   = 5
)

type treeResult struct {
	ReferenceID string           `json:"referenceId"`
	ID          string           `json:"id,omitempty"`
	Errors      []map[string]any `json:"errors,omitempty"`
}

// compositeTree serves POST /composite/tree/{obj}: record trees (a parent
// with its children under their child relationship names) created in one
// transaction; any failure creates none of them.
func (e *Emulator) compositeTree(q *apiRequest) {
	if q.r.Method != http.MethodPost {
		writeError(q.w, methodNotAllowed(q.r.Method))
		return
	}
	root, aerr := e.org.lookupObject(q.parts[2])
	if aerr != nil {
		writeError(q.w, aerr)
		return
	}
	var body struct {
		Records []map[string]any `json:"records"`
	}
	if aerr := e.readJSON(q, &body); aerr != nil {
		writeError(q.w, aerr)
		return
	}
	fail := func(ref string, aerr *apiError) {
		writeJSON(q.w, 400, map[string]any{"hasErrors": true, "results": []treeResult{{ReferenceID: ref, Errors: []map[string]any{aerr.statusError()}}}})
	}
	// Check the shape and limits of the whole tree before writing anything.
	type node struct {
		obj    *schema.Object
		rec    map[string]any
		ref    string
		parent int // index in nodes, -1 for a root
		field  string
	}
	var nodes []node
	types := map[string]bool{}
	refs := map[string]int{} // referenceId → how many records carry it
	var order []string       // the referenceIds in the order of the tree
	var walk func(obj *schema.Object, recs []map[string]any, parent int, field string, depth int) (string, *apiError)
	walk = func(obj *schema.Object, recs []map[string]any, parent int, field string, depth int) (string, *apiError) {
		if depth > maxTreeDepth {
			return "", errf(400, "INVALID_INPUT", []string{}, "The request exceeds the limit of %d levels of nested records", maxTreeDepth)
		}
		for _, rec := range recs {
			attrs, _ := rec["attributes"].(map[string]any)
			typ, _ := attrs["type"].(string)
			ref, _ := attrs["referenceId"].(string)
			if ref == "" {
				// Not a tree result but the whole request refused, with 403:
				// the answer a client recorded from Salesforce (see
				// the package doc, Error texts).
				return "", errf(http.StatusForbidden, "INVALID_INPUT", nil, "Include a reference ID for each record in the request.")
			}
			refs[ref]++
			order = append(order, ref)
			if typ == "" {
				return ref, errf(400, "INVALID_INPUT", []string{}, "Include an entity type for each record in the request.")
			}
			if !strings.EqualFold(typ, obj.Name) {
				return ref, errf(400, "INVALID_INPUT", []string{}, "The sObject type %q of record %s does not match %s", typ, ref, obj.Name)
			}
			types[obj.Name] = true
			if len(types) > maxTreeTypes {
				return ref, errf(400, "INVALID_INPUT", []string{}, "The request can have records of at most %d object types", maxTreeTypes)
			}
			fields := map[string]any{}
			idx := len(nodes)
			nodes = append(nodes, node{obj: obj, rec: fields, ref: ref, parent: parent, field: field})
			if len(nodes) > maxTreeRecords {
				return ref, errf(400, "INVALID_INPUT", []string{}, "The request can create at most %d records", maxTreeRecords)
			}
			for k, v := range rec {
				if k == "attributes" {
					continue
				}
				child, isMap := v.(map[string]any)
				cr := obj.ChildRelationship(k)
				if !isMap || cr == nil {
					fields[k] = v
					continue
				}
				childObj := e.org.schema.Object(cr.ChildSObject)
				if childObj == nil {
					return ref, errf(400, "INVALID_FIELD", []string{k}, "No such column '%s' on sobject of type %s", k, obj.Name)
				}
				raw, _ := child["records"].([]any)
				var kids []map[string]any
				for _, r := range raw {
					m, ok := r.(map[string]any)
					if !ok {
						return ref, errf(400, "INVALID_INPUT", []string{}, "The records of %s must be objects", k)
					}
					kids = append(kids, m)
				}
				if r, aerr := walk(childObj, kids, idx, cr.Field, depth+1); aerr != nil {
					return r, aerr
				}
			}
		}
		return "", nil
	}
	if len(body.Records) == 0 {
		fail("", errf(400, "INVALID_INPUT", []string{}, "The request must have at least one record"))
		return
	}
	if ref, aerr := walk(root, body.Records, -1, "", 1); aerr != nil {
		if aerr.Status == http.StatusForbidden {
			writeError(q.w, aerr)
			return
		}
		fail(ref, aerr)
		return
	}
	// Salesforce lists every record whose referenceId is not unique, each
	// instance once, with the same error.
	var dups []treeResult
	for _, ref := range order {
		if refs[ref] > 1 {
			dups = append(dups, treeResult{ReferenceID: ref, Errors: []map[string]any{
				errf(400, "INVALID_INPUT", []string{}, "Duplicate ReferenceId provided in the request.").statusError()}})
		}
	}
	if len(dups) > 0 {
		writeJSON(q.w, 400, map[string]any{"hasErrors": true, "results": dups})
		return
	}
	ctx := q.r.Context()
	results := make([]treeResult, len(nodes))
	var failed *treeResult
	err := e.org.store.Update(ctx, func(tx *store.Tx) error {
		for i, n := range nodes {
			if n.parent >= 0 {
				n.rec[n.field] = results[n.parent].ID
			}
			id, aerr := e.org.create(ctx, tx, n.obj, n.rec, q.sess.UserID)
			if aerr != nil {
				failed = &treeResult{ReferenceID: n.ref, Errors: []map[string]any{aerr.statusError()}}
				return aerr
			}
			results[i] = treeResult{ReferenceID: n.ref, ID: id}
		}
		return nil
	})
	if failed != nil {
		writeJSON(q.w, 400, map[string]any{"hasErrors": true, "results": []treeResult{*failed}})
		return
	}
	if err != nil {
		writeError(q.w, internalError(err))
		return
	}
	writeJSON(q.w, 201, map[string]any{"hasErrors": false, "results": results})
}
