package emulator

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sfmcp/sfmcp/internal/emulator/soql"
	"github.com/sfmcp/sfmcp/internal/emulator/store"
)

// bulkQueryChunk is how many result rows are rendered and stored at once.
const bulkQueryChunk = 2000

// bulkQueryPage is how many rows a results page holds when the client does
// not say (maxRecords).
const bulkQueryPage = 50000

// createQueryJob serves POST /jobs/query.
func (e *Emulator) createQueryJob(q *apiRequest) {
	var r jobRequest
	if aerr := e.readJSON(q, &r); aerr != nil {
		writeError(q.w, aerr)
		return
	}
	switch {
	case r.Operation == "":
		writeError(q.w, errf(400, "INVALIDJOB", nil, "InvalidJob : Operation is required"))
		return
	case ingestOperations[r.Operation]:
		writeError(q.w, errf(400, "INVALIDJOB", nil, "InvalidJob : The operation %s is not supported by query jobs; use query or queryAll", r.Operation))
		return
	case r.Operation != "query" && r.Operation != "queryAll":
		writeError(q.w, enumError(r.Operation, "OperationEnum"))
		return
	case strings.TrimSpace(r.Query) == "":
		writeError(q.w, errf(400, "MALFORMED_QUERY", nil, "A query string has to be specified"))
		return
	}
	if aerr := checkFormat(&r); aerr != nil {
		writeError(q.w, aerr)
		return
	}
	query, err := soql.Compile(r.Query, e.org.schema)
	if err != nil {
		writeError(q.w, queryError(err))
		return
	}
	if query.IsAggregate() || query.IsCountOnly() {
		writeError(q.w, errf(400, "FEATURENOTENABLED", nil, "Aggregate queries are not supported in Bulk API 2.0 query jobs"))
		return
	}
	if query.SelectsCompound() {
		// Bulk API query "can't access or query compound address or compound
		// geolocation fields"; the answer's text is what clients match on
		// (airbyte's source-salesforce, sfdmu users' reports).
		writeError(q.w, errf(400, "API_ERROR", nil, "Selecting compound data not supported in Bulk Query"))
		return
	}
	for _, m := range query.Columns() {
		if m.Aggregate {
			writeError(q.w, errf(400, "FEATURENOTENABLED", nil, "Aggregate Relationships not supported in Bulk Query (subquery %s)", m.ColumnName))
			return
		}
	}
	r.Object = query.Object()
	j, aerr := e.newJob(q, kindQuery, &r)
	if aerr != nil {
		writeError(q.w, aerr)
		return
	}
	j.State = stateUploadComplete
	j.Query = r.Query
	j.Columns = flattenColumns(query.Columns(), "")
	if aerr := e.saveNewJob(q, j); aerr != nil {
		writeError(q.w, aerr)
		return
	}
	e.org.bulk.start(j.ID)
	writeJSON(q.w, 200, j.info(false))
}

// flattenColumns names the CSV columns of a query: parent fields as
// Account.Name, in SELECT order.
func flattenColumns(meta []*soql.ColumnMeta, prefix string) []string {
	var out []string
	for _, m := range meta {
		if m.ForeignKeyName != nil {
			out = append(out, flattenColumns(m.JoinColumns, prefix+m.ColumnName+".")...)
			continue
		}
		out = append(out, prefix+m.ColumnName)
	}
	return out
}

// datetimeColumns tells, in the order of flattenColumns, which columns hold
// datetimes (written 2024-01-31T09:30:00.000Z in Bulk CSV).
func datetimeColumns(meta []*soql.ColumnMeta) []bool {
	var out []bool
	for _, m := range meta {
		if m.ForeignKeyName != nil {
			out = append(out, datetimeColumns(m.JoinColumns)...)
			continue
		}
		out = append(out, m.ApexType != nil && *m.ApexType == "Datetime")
	}
	return out
}

// cell is the CSV text of a column of a rendered row.
func cell(row *soql.Row, path string) string {
	cur := row
	for {
		head, rest, more := strings.Cut(path, ".")
		if !more {
			return csvValue(cur.Get(head))
		}
		next, ok := cur.Get(head).(*soql.Row)
		if !ok || next == nil {
			return ""
		}
		cur, path = next, rest
	}
}

func csvValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case *soql.Row:
		return ""
	}
	return fmt.Sprint(v)
}

// runQuery runs a query job and stores its rows as CSV, bulkQueryChunk
// rows at a time.
func (b *bulkEngine) runQuery(j *bulkJob) error {
	ctx := b.ctx
	o := b.org
	j, err := b.modify(ctx, j.ID, func(cur *bulkJob) error {
		switch cur.State {
		case stateUploadComplete, stateInProgress:
			cur.State = stateInProgress
			cur.StartedMS = o.now().UnixMilli()
			cur.Processed = 0
		default:
			return errJobGone
		}
		return nil
	})
	if errors.Is(err, errJobGone) || errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := o.store.DeleteBlobs(ctx, j.ID, streamQuery, 0); err != nil {
		return err
	}
	query, err := soql.Compile(j.Query, o.schema)
	if err != nil {
		return b.fail(j.ID, "InvalidJob : "+err.Error())
	}
	opts := soql.Options{All: j.Operation == "queryAll", Now: o.now().UTC(), APIVersion: j.APIVersion}
	src := engineSource{o}
	isDatetime := datetimeColumns(query.Columns())
	out := newCSVOut(j)
	var buf bytes.Buffer
	fields := make([]string, len(j.Columns))
	seq := int64(0)
	var writeErr error // the last chunk's write, told apart from the query's errors
	// emit renders and stores the rows of one chunk of ids.
	emit := func(ids []string) error {
		rows, err := query.Page(ctx, src, ids, opts)
		if err != nil {
			return err
		}
		buf.Reset()
		for _, row := range rows {
			for i, c := range j.Columns {
				fields[i] = cell(row, c)
				if i < len(isDatetime) && isDatetime[i] {
					if v, ok := strings.CutSuffix(fields[i], "+0000"); ok {
						fields[i] = v + "Z"
					}
				}
			}
			out.fields(&buf, fields)
		}
		seq++
		writeErr = o.store.Update(ctx, func(tx *store.Tx) error {
			cur, err := loadTx(ctx, tx, j.ID)
			if errors.Is(err, store.ErrNotFound) {
				return errJobGone
			}
			if err != nil {
				return err
			}
			if cur.State != stateInProgress {
				return errJobGone
			}
			if err := tx.AppendBlob(ctx, j.ID, streamQuery, seq, len(rows), buf.Bytes()); err != nil {
				return err
			}
			cur.Processed += int64(len(rows))
			cur.SystemModstamp = timestamp(o.now())
			return saveTx(ctx, tx, cur)
		})
		return writeErr
	}
	if query.Streamable() {
		// Rows in scan order: render and store them as they are found,
		// never holding every matching id (a million for a whole object).
		err = query.Stream(ctx, src, opts, bulkQueryChunk, emit)
	} else {
		var res *soql.Result
		res, err = query.Execute(ctx, src, opts)
		for off := 0; err == nil && off < len(res.IDs); off += bulkQueryChunk {
			err = emit(res.IDs[off:min(off+bulkQueryChunk, len(res.IDs))])
		}
	}
	switch {
	case err == nil:
	case errors.Is(err, errJobGone), ctx.Err() != nil:
		return nil
	case writeErr != nil:
		return err
	default:
		return b.fail(j.ID, "InvalidJob : "+err.Error())
	}
	_, err = b.modify(ctx, j.ID, func(cur *bulkJob) error {
		if cur.State != stateInProgress {
			return errJobGone
		}
		cur.State = stateJobComplete
		cur.EndedMS = o.now().UnixMilli()
		return nil
	})
	if errors.Is(err, errJobGone) || errors.Is(err, store.ErrNotFound) || ctx.Err() != nil {
		return nil
	}
	return err
}

// queryResults serves GET /jobs/query/{id}/results[?locator=&maxRecords=]:
// one page of CSV, header row first, with Sforce-NumberOfRecords and
// Sforce-Locator ("null" on the last page).
func (e *Emulator) queryResults(q *apiRequest, j *bulkJob) {
	ctx := q.r.Context()
	if q.version != j.APIVersion {
		writeError(q.w, errf(409, "INVALIDJOB", nil,
			"The API version of this request (%s) is not the version the query job was created with (%s); use the same version to get its results", q.version, j.APIVersion))
		return
	}
	if j.State != stateJobComplete {
		writeError(q.w, errf(400, "INVALIDJOBSTATE", nil, "Results are available once the job is JobComplete; job %s is %s", j.ID, j.State))
		return
	}
	params := q.r.URL.Query()
	off := 0
	if loc := params.Get("locator"); loc != "" {
		n, ok := decodeLocator(loc)
		if !ok || int64(n) > j.Processed {
			writeError(q.w, errf(400, "INVALID_QUERY_LOCATOR", nil, "invalid query locator: %s", loc))
			return
		}
		off = n
	}
	limit := bulkQueryPage
	if s := params.Get("maxRecords"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			writeError(q.w, errf(400, "INVALIDREQUEST", nil, "maxRecords must be a positive integer, not %s", s))
			return
		}
		limit = n
	}
	total := int(j.Processed)
	n := min(limit, total-off)
	index, err := e.org.store.BlobIndex(ctx, j.ID, streamQuery)
	if err != nil {
		writeError(q.w, internalError(err))
		return
	}
	out := newCSVOut(j)
	h := q.w.Header()
	h.Set("Content-Type", "text/csv")
	h.Set("Sforce-NumberOfRecords", strconv.Itoa(n))
	if off+n < total {
		h.Set("Sforce-Locator", encodeLocator(off+n))
	} else {
		h.Set("Sforce-Locator", "null")
	}
	q.w.WriteHeader(200)
	var buf bytes.Buffer
	out.fields(&buf, j.Columns)
	if _, err := q.w.Write(buf.Bytes()); err != nil {
		return
	}
	lo, hi := off, off+n
	pos := 0
	for _, m := range index {
		start, end := pos, pos+m.Rows
		pos = end
		if end <= lo || m.Rows == 0 {
			continue
		}
		if start >= hi {
			break
		}
		_, _, data, ok, err := e.org.store.NextBlob(ctx, j.ID, streamQuery, m.Seq-1)
		if err != nil || !ok {
			return
		}
		if start >= lo && end <= hi {
			if _, err := q.w.Write(data); err != nil {
				return
			}
			continue
		}
		// A page boundary falls inside this chunk: re-encode the rows wanted.
		rd := csv.NewReader(bytes.NewReader(data))
		rd.Comma = delimiters[j.ColumnDelimiter]
		rd.FieldsPerRecord = -1
		buf.Reset()
		for i := start; i < end; i++ {
			rec, err := rd.Read()
			if err != nil {
				break
			}
			if i >= lo && i < hi {
				out.fields(&buf, rec)
			}
		}
		if _, err := q.w.Write(buf.Bytes()); err != nil {
			return
		}
	}
}
