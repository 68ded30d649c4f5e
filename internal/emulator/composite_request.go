package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"

	"github.com/sfmcp/sfmcp/internal/emulator/store"
)

// maxSubrequests bounds /composite and /composite/batch, as on Salesforce.
const maxSubrequests = 25

type compositeSub struct {
	Method      string            `json:"method"`
	URL         string            `json:"url"`
	ReferenceID string            `json:"referenceId"`
	Body        json.RawMessage   `json:"body,omitempty"`
	HTTPHeaders map[string]string `json:"httpHeaders,omitempty"`
}

var refRe = regexp.MustCompile(`@\{([A-Za-z0-9_]+)\.([A-Za-z0-9_.\[\]]+)\}`)

// processingHalted is the body of a /composite subrequest that was not run,
// or was rolled back, because another one failed under allOrNone.
func processingHalted(ref string) map[string]any {
	return map[string]any{"body": []any{errorBody{ErrorCode: "PROCESSING_HALTED",
		Message: "The transaction was rolled back since another operation in the same transaction failed."}},
		"httpHeaders": map[string]any{}, "httpStatusCode": 400, "referenceId": ref}
}

// compositeRequest serves POST /composite: up to 25 subrequests run in
// order, later ones referring to earlier results as @{ref.field}. With
// allOrNone, a failure rolls back what the earlier subrequests wrote and the
// others answer PROCESSING_HALTED.
func (e *Emulator) compositeRequest(q *apiRequest) {
	if q.r.Method != http.MethodPost {
		writeError(q.w, methodNotAllowed(q.r.Method))
		return
	}
	var body struct {
		AllOrNone        bool           `json:"allOrNone"`
		CompositeRequest []compositeSub `json:"compositeRequest"`
	}
	if aerr := e.readJSON(q, &body); aerr != nil {
		writeError(q.w, aerr)
		return
	}
	if len(body.CompositeRequest) == 0 || len(body.CompositeRequest) > maxSubrequests {
		writeError(q.w, errf(400, "INVALID_BATCH_REQUEST", nil, "A composite request must have between 1 and %d subrequests", maxSubrequests))
		return
	}
	ctx := q.r.Context()
	var journal *store.Journal
	if body.AllOrNone {
		journal = &store.Journal{}
		ctx = store.WithJournal(ctx, journal)
	}
	results := map[string]any{}
	out := make([]map[string]any, 0, len(body.CompositeRequest))
	failed := -1
	for i, sub := range body.CompositeRequest {
		if failed >= 0 {
			out = append(out, processingHalted(sub.ReferenceID))
			continue
		}
		resolve := func(s string) string {
			return refRe.ReplaceAllStringFunc(s, func(m string) string {
				parts := refRe.FindStringSubmatch(m)
				if v, ok := results[parts[1]].(map[string]any); ok {
					if x, ok := v[parts[2]]; ok {
						return fmt.Sprint(x)
					}
				}
				return m
			})
		}
		var subBody []byte
		if len(sub.Body) > 0 {
			subBody = []byte(resolve(string(sub.Body)))
		}
		rec := e.subrequest(ctx, q, sub.Method, resolve(sub.URL), sub.HTTPHeaders, subBody, "/services/data/")
		var parsed any
		if rec.Body.Len() > 0 {
			_ = json.Unmarshal(rec.Body.Bytes(), &parsed)
		}
		if sub.ReferenceID != "" {
			results[sub.ReferenceID] = parsed
		}
		headers := map[string]any{}
		if loc := rec.Header().Get("Location"); loc != "" {
			headers["Location"] = loc
		}
		out = append(out, map[string]any{"body": parsed, "httpHeaders": headers, "httpStatusCode": rec.Code, "referenceId": sub.ReferenceID})
		if rec.Code >= 400 && body.AllOrNone {
			failed = i
		}
	}
	if failed >= 0 {
		if err := e.org.undo(q.r.Context(), journal); err != nil {
			writeError(q.w, internalError(err))
			return
		}
		for i := 0; i < failed; i++ {
			out[i] = processingHalted(body.CompositeRequest[i].ReferenceID)
		}
	}
	writeJSON(q.w, 200, map[string]any{"compositeResponse": out})
}

// subrequest runs one subrequest of a composite or batch call with the
// caller's session and returns its recorded answer. A URL Salesforce accepts
// but Go's parser does not (raw spaces in a query, as CumulusCI sends) is
// escaped first; one that is still malformed gets a 400, never a panic.
func (e *Emulator) subrequest(ctx context.Context, q *apiRequest, method, target string, headers map[string]string, body []byte, prefix string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	target = strings.NewReplacer(" ", "%20", "\t", "%09").Replace(target)
	u, err := url.ParseRequestURI(target)
	if err == nil {
		u, _ = cleanURLPath(u)
	}
	if err != nil || !strings.HasPrefix(u.Path, prefix) {
		writeError(rec, errf(400, "INVALID_URL", nil, "The URL must start with %s", prefix))
		return rec
	}
	method = strings.ToUpper(method)
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
	default:
		writeError(rec, methodNotAllowed(method))
		return rec
	}
	r, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		writeError(rec, errf(400, "INVALID_URL", nil, "%s", err.Error()))
		return rec
	}
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	r.Header.Set("Authorization", q.r.Header.Get("Authorization"))
	r.Header.Set("Content-Type", "application/json")
	r.Host = q.r.Host
	r.RemoteAddr = q.r.RemoteAddr
	e.handleData(rec, r)
	return rec
}

// undo puts back every record the journal saw change, newest change first.
func (o *Org) undo(ctx context.Context, j *store.Journal) error {
	entries := j.Entries()
	if len(entries) == 0 {
		return nil
	}
	ctx = store.WithJournal(context.WithoutCancel(ctx), nil)
	return o.store.Update(ctx, func(tx *store.Tx) error {
		for i := len(entries) - 1; i >= 0; i-- {
			en := entries[i]
			if en.Before == nil {
				if err := tx.Purge(ctx, en.ID); err != nil {
					return err
				}
				continue
			}
			var index []store.IndexValue
			if obj := o.schema.Object(en.Object); obj != nil {
				index = indexValues(obj, en.Before)
			}
			err := tx.Replace(ctx, en.Object, en.Before, index)
			if errors.Is(err, store.ErrNotFound) {
				err = tx.Insert(ctx, en.Object, en.Before, index)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// compositeBatch serves POST /composite/batch: up to 25 independent
// subrequests, each with its own transaction; with haltOnError, those after
// a failure are not run.
func (e *Emulator) compositeBatch(q *apiRequest) {
	if q.r.Method != http.MethodPost {
		writeError(q.w, methodNotAllowed(q.r.Method))
		return
	}
	var body struct {
		HaltOnError   bool `json:"haltOnError"`
		BatchRequests []struct {
			Method    string          `json:"method"`
			URL       string          `json:"url"`
			RichInput json.RawMessage `json:"richInput,omitempty"`
		} `json:"batchRequests"`
	}
	if aerr := e.readJSON(q, &body); aerr != nil {
		writeError(q.w, aerr)
		return
	}
	if len(body.BatchRequests) == 0 || len(body.BatchRequests) > maxSubrequests {
		writeError(q.w, errf(400, "INVALID_BATCH_REQUEST", nil, "A batch request must have between 1 and %d subrequests", maxSubrequests))
		return
	}
	results := make([]map[string]any, 0, len(body.BatchRequests))
	hasErrors, halted := false, false
	for _, sub := range body.BatchRequests {
		if halted {
			results = append(results, map[string]any{"statusCode": 412,
				"result": []any{errorBody{ErrorCode: "BATCH_PROCESSING_HALTED", Message: "Batch processing halted per request"}}})
			continue
		}
		target := sub.URL
		if !strings.HasPrefix(target, "/") {
			target = "/services/data/" + target
		}
		var rich []byte
		if len(sub.RichInput) > 0 && string(sub.RichInput) != "null" {
			rich = sub.RichInput
		}
		rec := e.subrequest(q.r.Context(), q, sub.Method, target, nil, rich, "/services/data/")
		var parsed any
		if rec.Body.Len() > 0 {
			_ = json.Unmarshal(rec.Body.Bytes(), &parsed)
		}
		results = append(results, map[string]any{"statusCode": rec.Code, "result": parsed})
		if rec.Code >= 400 {
			hasErrors = true
			halted = body.HaltOnError
		}
	}
	writeJSON(q.w, 200, map[string]any{"hasErrors": hasErrors, "results": results})
}
