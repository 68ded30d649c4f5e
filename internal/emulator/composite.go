package emulator

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sfmcp/sfmcp/internal/emulator/schema"
	"github.com/sfmcp/sfmcp/internal/emulator/store"
)

// maxCompositeRecords is the sObject Collections limit.
const maxCompositeRecords = 200

var errRollback = errors.New("all or none: rolled back")

func (e *Emulator) handleComposite(q *apiRequest) {
	switch {
	case len(q.parts) == 1 && (q.r.Method == http.MethodGet || q.r.Method == http.MethodHead):
		e.listSubresources(q, "composite", "batch", "tree", "sobjects")
	case len(q.parts) == 1:
		e.compositeRequest(q)
	case q.parts[1] == "sobjects":
		e.collections(q)
	case q.parts[1] == "batch" && len(q.parts) == 2:
		e.compositeBatch(q)
	case q.parts[1] == "tree" && len(q.parts) == 3:
		e.compositeTree(q)
	default:
		writeError(q.w, notFound())
	}
}

type collectionBody struct {
	AllOrNone bool             `json:"allOrNone"`
	Records   []map[string]any `json:"records"`
}

// collections serves /composite/sobjects: create, update, upsert, delete and
// retrieve up to 200 records in one call, each with its own result.
func (e *Emulator) collections(q *apiRequest) {
	ctx := q.r.Context()
	p := q.parts[2:]
	switch q.r.Method {
	case http.MethodGet:
		if len(p) != 1 {
			writeError(q.w, notFound())
			return
		}
		obj, aerr := e.org.lookupObject(p[0])
		if aerr != nil {
			writeError(q.w, aerr)
			return
		}
		ids := splitList(q.r.URL.Query().Get("ids"))
		fields, aerr := selectFields(obj, q.r.URL.Query().Get("fields"))
		if aerr != nil || len(ids) == 0 || fields == nil {
			if aerr == nil {
				aerr = errf(400, "MALFORMED_QUERY", nil, "The ids and fields parameters are required")
			}
			writeError(q.w, aerr)
			return
		}
		out := make([]any, len(ids))
		for i, id := range ids {
			if rec, _, aerr := e.org.getRecord(ctx, obj, id); aerr == nil {
				out[i] = renderRecord(obj, rec, q.version, fields)
			}
		}
		writeJSON(q.w, 200, out)
		return
	case http.MethodDelete:
		ids := splitList(q.r.URL.Query().Get("ids"))
		if len(ids) == 0 || len(ids) > maxCompositeRecords {
			writeError(q.w, errf(400, "INVALID_FIELD", nil, "Between 1 and %d ids are required", maxCompositeRecords))
			return
		}
		allOrNone := strings.EqualFold(q.r.URL.Query().Get("allOrNone"), "true")
		results := e.runAll(ctx, allOrNone, len(ids), func(tx *store.Tx, i int) (string, bool, *apiError) {
			return ids[i], false, e.org.remove(ctx, tx, nil, ids[i], false)
		}, false)
		writeJSON(q.w, 200, results)
		return
	case http.MethodPost, http.MethodPatch:
	default:
		writeError(q.w, methodNotAllowed(q.r.Method))
		return
	}
	var body collectionBody
	if aerr := e.readJSON(q, &body); aerr != nil {
		writeError(q.w, aerr)
		return
	}
	if len(body.Records) == 0 || len(body.Records) > maxCompositeRecords {
		writeError(q.w, errf(400, "EXCEEDED_ID_LIMIT", nil, "record limit reached. cannot submit more than %d records into this call", maxCompositeRecords))
		return
	}
	typeOf := func(rec map[string]any) (*schema.Object, *apiError) {
		attrs, _ := rec["attributes"].(map[string]any)
		name, _ := attrs["type"].(string)
		if name == "" {
			return nil, errf(400, "INVALID_TYPE", nil, "sObject type must be specified in the attributes of each record")
		}
		return e.org.lookupObject(name)
	}
	switch {
	case q.r.Method == http.MethodPost && len(p) == 0:
		results := e.runAll(ctx, body.AllOrNone, len(body.Records), func(tx *store.Tx, i int) (string, bool, *apiError) {
			obj, aerr := typeOf(body.Records[i])
			if aerr != nil {
				return "", false, aerr
			}
			if _, has := body.Records[i]["Id"]; has {
				return "", false, errf(400, "INVALID_FIELD", []string{"Id"}, "cannot specify Id in an insert call")
			}
			id, aerr := e.org.create(ctx, tx, obj, body.Records[i], q.sess.UserID)
			return id, true, aerr
		}, false)
		writeJSON(q.w, 200, results)
	case q.r.Method == http.MethodPatch && len(p) == 0:
		results := e.runAll(ctx, body.AllOrNone, len(body.Records), func(tx *store.Tx, i int) (string, bool, *apiError) {
			obj, aerr := typeOf(body.Records[i])
			if aerr != nil {
				return "", false, aerr
			}
			id, _ := body.Records[i]["Id"].(string)
			if id == "" {
				return "", false, errf(400, "MISSING_ARGUMENT", []string{"Id"}, "Id not specified in an update call")
			}
			return id, false, e.org.update(ctx, tx, obj, id, body.Records[i], q.sess.UserID)
		}, false)
		writeJSON(q.w, 200, results)
	case q.r.Method == http.MethodPatch && len(p) == 2:
		obj, aerr := e.org.lookupObject(p[0])
		if aerr != nil {
			writeError(q.w, aerr)
			return
		}
		f := obj.Field(p[1])
		if f == nil || !usableAsKey(f) {
			writeError(q.w, errf(404, "NOT_FOUND", nil, "Provided external ID field does not exist or is not accessible: %s", p[1]))
			return
		}
		results := e.runAll(ctx, body.AllOrNone, len(body.Records), func(tx *store.Tx, i int) (string, bool, *apiError) {
			value := fmt.Sprint(body.Records[i][f.Name])
			if body.Records[i][f.Name] == nil {
				value = ""
				if f.Type != "id" {
					return "", false, errf(400, "MISSING_ARGUMENT", []string{f.Name}, "%s not specified", f.Name)
				}
			}
			id, created, aerr := e.org.upsert(ctx, tx, obj, f.Name, value, body.Records[i], q.sess.UserID)
			if aerr != nil && aerr.Status == 300 {
				aerr = errf(300, "DUPLICATE_EXTERNAL_ID", []string{f.Name}, "%s: more than one record found for external id field: %s", f.Name, aerr.Message)
			}
			return id, created, aerr
		}, true)
		writeJSON(q.w, 200, results)
	default:
		writeError(q.w, notFound())
	}
}

// runAll runs n record operations. With allOrNone they share one
// transaction that is rolled back when any fails; otherwise each commits on
// its own. Results follow Salesforce's shape, in input order.
func (e *Emulator) runAll(ctx context.Context, allOrNone bool, n int, op func(tx *store.Tx, i int) (string, bool, *apiError), withCreated bool) []map[string]any {
	results := make([]map[string]any, n)
	ok := func(id string, created bool) map[string]any {
		r := map[string]any{"id": id, "success": true, "errors": []any{}}
		if withCreated {
			r["created"] = created
		}
		return r
	}
	fail := func(aerr *apiError) map[string]any {
		return map[string]any{"success": false, "errors": []any{aerr.statusError()}}
	}
	if !allOrNone {
		for i := 0; i < n; i++ {
			var id string
			var created bool
			err := e.org.store.Update(ctx, func(tx *store.Tx) error {
				var aerr *apiError
				id, created, aerr = op(tx, i)
				if aerr != nil {
					return aerr
				}
				return nil
			})
			if err != nil {
				results[i] = fail(asAPIError(err))
			} else {
				results[i] = ok(id, created)
			}
		}
		return results
	}
	failed := false
	err := e.org.store.Update(ctx, func(tx *store.Tx) error {
		for i := 0; i < n; i++ {
			id, created, aerr := op(tx, i)
			if aerr != nil {
				failed = true
				results[i] = fail(aerr)
				continue
			}
			results[i] = ok(id, created)
		}
		if failed {
			return errRollback
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRollback) {
		for i := range results {
			results[i] = fail(internalError(err))
		}
		return results
	}
	if failed {
		rolled := errf(400, "ALL_OR_NONE_OPERATION_ROLLED_BACK", nil, "Record rolled back because not all records were valid and the request was using AllOrNone header")
		for i, r := range results {
			if r["success"] == true {
				results[i] = fail(rolled)
			}
		}
	}
	return results
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
