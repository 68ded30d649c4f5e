package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/soql"
	"github.com/sfmcp/sfmcp/internal/sfid"
)

// cursor is an open query locator: the matched ids (or aggregate rows) and
// what is needed to render the pages still to come.
type cursor struct {
	query    *soql.Query
	opts     soql.Options
	ids      []string
	rows     []*soql.Row
	total    int
	pageSize int
	used     time.Time
}

const (
	cursorTTL  = 15 * time.Minute
	maxCursors = 200
)

// engineSource adapts the store to the SOQL engine's Source.
type engineSource struct{ o *Org }

func (s engineSource) Scan(ctx context.Context, object string, all bool, fn func(soql.Record) error) error {
	return s.o.store.Scan(ctx, object, all, func(r map[string]any) error { return fn(soql.Record(r)) })
}

func (s engineSource) Get(ctx context.Context, id string) (soql.Record, error) {
	rec, err := soqlSource{st: s.o.store}.get(ctx, id)
	if rec == nil || err != nil {
		return nil, err
	}
	return soql.Record(rec), nil
}

func queryError(err error) *apiError {
	var qe *soql.Error
	if errors.As(err, &qe) {
		return errf(400, qe.Code, nil, "%s", qe.Message)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return errf(408, "QUERY_TIMEOUT", nil, "Your query request was running for too long.")
	}
	return internalError(err)
}

// pageSize reads Sforce-Query-Options: batchSize=N (200..2000).
func (e *Emulator) pageSize(r *http.Request) int {
	size := e.org.opts.PageSize
	for _, opt := range strings.Split(r.Header.Get("Sforce-Query-Options"), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(opt), "=")
		if !ok || !strings.EqualFold(k, "batchSize") {
			continue
		}
		if n, err := strconv.Atoi(v); err == nil {
			size = min(max(n, 200), 2000)
		}
	}
	return size
}

func (e *Emulator) handleQuery(q *apiRequest) {
	if q.r.Method != http.MethodGet && q.r.Method != http.MethodHead {
		writeError(q.w, methodNotAllowed(q.r.Method))
		return
	}
	all := q.parts[0] == "queryAll"
	if len(q.parts) > 2 {
		writeError(q.w, notFound())
		return
	}
	if len(q.parts) == 2 && q.parts[1] != "" {
		e.queryMore(q, q.parts[1])
		return
	}
	text := q.r.URL.Query().Get("q")
	if strings.TrimSpace(text) == "" {
		writeError(q.w, errf(400, "MALFORMED_QUERY", nil, "A query string has to be specified"))
		return
	}
	query, err := soql.Compile(text, e.org.schema)
	if err != nil {
		writeError(q.w, queryError(err))
		return
	}
	if q.r.URL.Query().Get("explain") != "" {
		writeJSON(q.w, 200, map[string]any{"plans": []any{map[string]any{"cardinality": 0, "fields": []string{}, "leadingOperationType": "TableScan", "relativeCost": 1, "sobjectCardinality": 0, "sobjectType": query.Object()}}})
		return
	}
	if strings.EqualFold(q.r.URL.Query().Get("columns"), "true") {
		e.writeColumns(q, query)
		return
	}
	opts := soql.Options{All: all, Now: e.org.now().UTC(), APIVersion: q.version}
	res, err := query.Execute(q.r.Context(), engineSource{e.org}, opts)
	if err != nil {
		writeError(q.w, queryError(err))
		return
	}
	if res.CountOnly {
		writeJSON(q.w, 200, map[string]any{"totalSize": res.TotalSize, "done": true, "records": []any{}})
		return
	}
	c := &cursor{query: query, opts: opts, ids: res.IDs, rows: res.Rows, total: res.TotalSize, pageSize: e.pageSize(q.r)}
	e.writePage(q, c, 0)
}

func (e *Emulator) writeColumns(q *apiRequest, query *soql.Query) {
	obj := e.org.schema.Object(query.Object())
	writeJSON(q.w, 200, map[string]any{
		"columnMetadata": query.Columns(),
		"entityName":     obj.Name,
		"groupBy":        query.IsAggregate(),
		"idSelected":     !query.IsAggregate(),
		"keyPrefix":      obj.KeyPrefix,
	})
}

// writePage renders the page of c that starts at offset and, when more
// remain, registers the cursor and links the next page.
func (e *Emulator) writePage(q *apiRequest, c *cursor, offset int) {
	n := len(c.ids)
	if c.rows != nil {
		n = len(c.rows)
	}
	end := min(offset+c.pageSize, n)
	out := queryResponse{TotalSize: c.total, Done: end >= n}
	if !out.Done {
		loc, err := e.org.saveCursor(q.r.Context(), c)
		if err != nil {
			writeError(q.w, internalError(err))
			return
		}
		out.NextRecordsURL = "/services/data/v" + q.version + "/query/" + loc + "-" + strconv.Itoa(end)
	}
	buf := pageBuffers.Get().(*[]byte)
	b := appendPageHead((*buf)[:0], out)
	defer func() {
		// Keep the grown buffer for the next page (the body is written by then).
		if *buf = b[:0]; cap(b) <= maxPooledPage {
			pageBuffers.Put(buf)
		}
	}()
	if c.rows != nil {
		for i, r := range c.rows[offset:end] {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = r.AppendJSON(b); err != nil {
				writeError(q.w, internalError(err))
				return
			}
		}
	} else {
		var err error
		// Records are written straight into the page: no Row trees.
		b, _, err = c.query.AppendPage(q.r.Context(), engineSource{e.org}, c.ids[offset:end], c.opts, b)
		if err != nil {
			writeError(q.w, queryError(err))
			return
		}
	}
	writePageBody(q.w, append(b, "]}\n"...))
}

// pageBuffers keeps the buffers query pages are written into: a 2,000-row
// page is a megabyte or more, and allocating it afresh for every page made
// the garbage collector a good part of a page's cost.
var pageBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// maxPooledPage bounds what the pool keeps (a page of very wide rows is
// left to the collector).
const maxPooledPage = 8 << 20

// writeQueryPage writes a query page as writeJSON would, appending each
// record with Row.AppendJSON directly: handing the rows to encoding/json
// makes it re-parse every record's MarshalJSON output.
func writeQueryPage(w http.ResponseWriter, out queryResponse) {
	b := appendPageHead(make([]byte, 0, 64+len(out.Records)*256), out)
	for i, r := range out.Records {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = r.AppendJSON(b); err != nil {
			writeError(w, internalError(err))
			return
		}
	}
	writePageBody(w, append(b, "]}\n"...))
}

// appendPageHead appends a page's JSON up to the opening of its records.
func appendPageHead(b []byte, out queryResponse) []byte {
	b = append(b, `{"totalSize":`...)
	b = strconv.AppendInt(b, int64(out.TotalSize), 10)
	b = append(b, `,"done":`...)
	b = strconv.AppendBool(b, out.Done)
	if out.NextRecordsURL != "" {
		u, _ := json.Marshal(out.NextRecordsURL)
		b = append(b, `,"nextRecordsUrl":`...)
		b = append(b, u...)
	}
	return append(b, `,"records":[`...)
}

func writePageBody(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(200)
	_, _ = w.Write(b)
}

type queryResponse struct {
	TotalSize      int         `json:"totalSize"`
	Done           bool        `json:"done"`
	NextRecordsURL string      `json:"nextRecordsUrl,omitempty"`
	Records        []*soql.Row `json:"records"`
}

func (e *Emulator) queryMore(q *apiRequest, locator string) {
	id, offStr, ok := strings.Cut(locator, "-")
	off, err := strconv.Atoi(offStr)
	c := e.org.cursor(id)
	if !ok || err != nil || off < 0 || c == nil {
		writeError(q.w, errf(400, "INVALID_QUERY_LOCATOR", nil, "invalid query locator"))
		return
	}
	n := len(c.ids)
	if c.rows != nil {
		n = len(c.rows)
	}
	if off > n {
		writeError(q.w, errf(400, "INVALID_QUERY_LOCATOR", nil, "invalid query locator"))
		return
	}
	e.writePage(q, c, off)
}

// saveCursor keeps c and returns its locator id; a cursor already saved
// keeps its locator, so every page of one query shares it as on Salesforce.
func (o *Org) saveCursor(ctx context.Context, c *cursor) (string, error) {
	o.mu.Lock()
	for id, existing := range o.cursors {
		if existing == c {
			c.used = o.now()
			o.mu.Unlock()
			return id, nil
		}
	}
	o.mu.Unlock()
	seq, err := o.store.NextSeq(ctx, "id:01g", 1)
	if err != nil {
		return "", err
	}
	id, err := sfid.New("01g", pod, uint64(seq))
	if err != nil {
		return "", err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	c.used = now
	for k, v := range o.cursors {
		if now.Sub(v.used) > cursorTTL {
			delete(o.cursors, k)
		}
	}
	if len(o.cursors) >= maxCursors {
		var oldest string
		for k, v := range o.cursors {
			if oldest == "" || v.used.Before(o.cursors[oldest].used) {
				oldest = k
			}
		}
		delete(o.cursors, oldest)
	}
	o.cursors[id] = c
	return id, nil
}

func (o *Org) cursor(id string) *cursor {
	o.mu.Lock()
	defer o.mu.Unlock()
	c := o.cursors[id]
	if c == nil || o.now().Sub(c.used) > cursorTTL {
		return nil
	}
	c.used = o.now()
	return c
}

func (e *Emulator) handleSearch(q *apiRequest) {
	if q.r.Method != http.MethodGet {
		writeError(q.w, methodNotAllowed(q.r.Method))
		return
	}
	text := q.r.URL.Query().Get("q")
	if strings.TrimSpace(text) == "" {
		writeError(q.w, errf(400, "MALFORMED_SEARCH", nil, "No search term found. The search term must be enclosed in braces."))
		return
	}
	s, err := soql.CompileSearch(text, e.org.schema)
	if err != nil {
		writeError(q.w, queryError(err))
		return
	}
	rows, err := s.Execute(q.r.Context(), engineSource{e.org}, soql.Options{Now: e.org.now().UTC(), APIVersion: q.version})
	if err != nil {
		writeError(q.w, queryError(err))
		return
	}
	if rows == nil {
		rows = []*soql.Row{}
	}
	writeJSON(q.w, 200, map[string]any{"searchRecords": rows})
}
