package emulator

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/sfmcp/sfmcp/internal/emulator/schema"
	"github.com/sfmcp/sfmcp/internal/emulator/store"
	"github.com/sfmcp/sfmcp/internal/sfid"
)

// bulkChunk is the 200-record chunk Salesforce runs an ingest job's rows
// (and their triggers) in; a job that fails partway stops at the end of one.
const bulkChunk = 200

// ingestTxRows is how many rows of an ingest job share one transaction at
// most: a transaction per 200 rows cost more than the rows themselves.
// Results and the job's counters are committed with the rows, so a resumed
// job still starts exactly after the last committed row.
const ingestTxRows = 5000

// txRows is how many rows the next transaction takes when processed rows
// are done: ingestTxRows, or up to the 200-row chunk at which an injected
// job failure (Fault.FailJobAfterRows) ends the job.
func txRows(processed int64, f *Fault) int {
	if f == nil {
		return ingestTxRows
	}
	left := int64(f.FailJobAfterRows) - processed
	if left <= 0 {
		return bulkChunk
	}
	return int(min((left+bulkChunk-1)/bulkChunk*bulkChunk, ingestTxRows))
}

// uploadChunk is the size of the pieces an upload is stored in.
const uploadChunk = 1 << 20

var ingestOperations = map[string]bool{"insert": true, "update": true, "upsert": true, "delete": true, "hardDelete": true}

// createIngestJob serves POST /jobs/ingest: a JSON job, or a multipart
// request with the job and its CSV (the job is then closed at once).
func (e *Emulator) createIngestJob(q *apiRequest) {
	if mt, params, err := mime.ParseMediaType(q.r.Header.Get("Content-Type")); err == nil && mt == "multipart/form-data" {
		e.createMultipartJob(q, params["boundary"])
		return
	}
	var r jobRequest
	if aerr := e.readJSON(q, &r); aerr != nil {
		writeError(q.w, aerr)
		return
	}
	j, aerr := e.newIngestJob(q, &r)
	if aerr != nil {
		writeError(q.w, aerr)
		return
	}
	writeJSON(q.w, 200, j.info(false))
}

// newIngestJob validates a job request and stores the new, Open job.
func (e *Emulator) newIngestJob(q *apiRequest, r *jobRequest) (*bulkJob, *apiError) {
	switch {
	case r.Operation == "":
		return nil, errf(400, "INVALIDJOB", nil, "InvalidJob : Operation is required")
	case !ingestOperations[r.Operation]:
		return nil, enumError(r.Operation, "OperationEnum")
	case r.Object == "":
		return nil, errf(400, "INVALIDJOB", nil, "InvalidJob : Object is required")
	}
	obj := e.org.schema.Object(r.Object)
	if obj == nil {
		return nil, errf(400, "INVALIDJOB", nil, "Unable to find object: %s", r.Object)
	}
	if aerr := checkFormat(r); aerr != nil {
		return nil, aerr
	}
	ext := ""
	if r.Operation == "upsert" {
		if strings.TrimSpace(r.ExternalIDFieldName) == "" {
			return nil, errf(400, "INVALIDJOB", nil, "External ID was blank for %s. An External ID must be specified for upsert.", obj.Name)
		}
		f := obj.Field(r.ExternalIDFieldName)
		if !usableAsKey(f) {
			return nil, errf(400, "INVALIDJOB", nil, "Field name provided, %s does not match an External ID, Salesforce Id, or indexed field for %s", r.ExternalIDFieldName, obj.Name)
		}
		ext = f.Name
	}
	r.Object = obj.Name
	j, aerr := e.newJob(q, kindIngest, r)
	if aerr != nil {
		return nil, aerr
	}
	j.State = stateOpen
	j.ExternalIDFieldName = ext
	if aerr := e.saveNewJob(q, j); aerr != nil {
		return nil, aerr
	}
	return j, nil
}

// createMultipartJob serves a multipart job creation: a "job" part with the
// job's JSON, then a "content" part with its CSV.
func (e *Emulator) createMultipartJob(q *apiRequest, boundary string) {
	if boundary == "" {
		writeError(q.w, errf(400, "INVALIDJOB", nil, "InvalidJob : The multipart request has no boundary"))
		return
	}
	mr := multipart.NewReader(q.r.Body, boundary)
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "job" {
		writeError(q.w, errf(400, "INVALIDJOB", nil, "InvalidJob : The first part of a multipart job request must be the job"))
		return
	}
	var r jobRequest
	if err := json.NewDecoder(io.LimitReader(part, e.org.opts.MaxBodyBytes)).Decode(&r); err != nil {
		writeError(q.w, errf(400, "JSON_PARSER_ERROR", nil, "%s", jsonErrorText(err)))
		return
	}
	part, err = mr.NextPart()
	if err != nil || part.FormName() != "content" {
		writeError(q.w, errf(400, "INVALIDJOB", nil, "InvalidJob : The multipart job request has no content part"))
		return
	}
	j, aerr := e.newIngestJob(q, &r)
	if aerr != nil {
		writeError(q.w, aerr)
		return
	}
	if aerr := e.receiveUpload(q.r.Context(), j, part); aerr != nil {
		_ = e.org.store.Update(context.WithoutCancel(q.r.Context()), func(tx *store.Tx) error { return tx.DeleteJob(context.WithoutCancel(q.r.Context()), j.ID) })
		writeError(q.w, aerr)
		return
	}
	j, err = e.org.bulk.modify(q.r.Context(), j.ID, func(cur *bulkJob) error {
		cur.State = stateUploadComplete
		return nil
	})
	if err != nil {
		writeError(q.w, internalError(err))
		return
	}
	e.org.bulk.start(j.ID)
	writeJSON(q.w, 200, j.info(false))
}

// uploadJobData serves PUT /jobs/ingest/{id}/batches: the CSV is stored in
// pieces as it arrives, and refused whole when it passes the upload limit.
func (e *Emulator) uploadJobData(q *apiRequest, j *bulkJob) {
	if j.State != stateOpen {
		writeError(q.w, uploadNotOpen(j))
		return
	}
	if limit := e.org.opts.BulkUploadLimit; q.r.ContentLength > limit {
		writeError(q.w, uploadTooLarge(limit))
		return
	}
	if aerr := e.receiveUpload(q.r.Context(), j, q.r.Body); aerr != nil {
		writeError(q.w, aerr)
		return
	}
	q.w.WriteHeader(http.StatusCreated)
}

// receiveUpload stores body as the job's data, in pieces as it arrives,
// and refuses it whole (leaving the job as it was) when it passes the
// upload limit.
func (e *Emulator) receiveUpload(ctx context.Context, j *bulkJob, body io.Reader) *apiError {
	b := e.org.bulk
	limit := e.org.opts.BulkUploadLimit
	b.mu.Lock()
	if b.uploading[j.ID] {
		b.mu.Unlock()
		return errf(409, "INVALIDJOBSTATE", nil, "Another upload to job %s is in progress", j.ID)
	}
	b.uploading[j.ID] = true
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.uploading, j.ID)
		b.mu.Unlock()
	}()

	last, err := e.org.store.LastBlobSeq(ctx, j.ID, streamUpload)
	if err != nil {
		return internalError(err)
	}
	first, seq := last+1, last
	undo := func() { _ = e.org.store.DeleteBlobs(context.WithoutCancel(ctx), j.ID, streamUpload, first) }
	buf := make([]byte, uploadChunk)
	var total int64
	for {
		n, rerr := io.ReadFull(body, buf)
		if n > 0 {
			total += int64(n)
			if total > limit {
				undo()
				return uploadTooLarge(limit)
			}
			seq++
			if err := e.org.store.AppendBlob(ctx, j.ID, streamUpload, seq, 0, buf[:n]); err != nil {
				undo()
				return internalError(err)
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			undo()
			return errf(400, "CLIENTINPUTERROR", nil, "Could not read the uploaded data: %v", rerr)
		}
	}
	var aerr *apiError
	_, err = b.modify(ctx, j.ID, func(cur *bulkJob) error {
		if cur.State != stateOpen {
			aerr = uploadNotOpen(cur)
			return aerr
		}
		cur.Uploads++
		cur.UploadBytes += total
		return nil
	})
	if err != nil {
		undo()
		if aerr == nil {
			aerr = internalError(err)
		}
		return aerr
	}
	return nil
}

func uploadTooLarge(limit int64) *apiError {
	return errf(413, "REQUEST_ENTITY_TOO_LARGE", nil,
		"The upload exceeds the limit of %d bytes for one job's data; split the data into several jobs", limit)
}

func uploadNotOpen(j *bulkJob) *apiError {
	return errf(400, "INVALIDJOBSTATE", nil, "Data can only be uploaded to a job in state Open; job %s is %s", j.ID, j.State)
}

// blobReader reads a stream of chunks from the store, one query per chunk.
type blobReader struct {
	ctx    context.Context
	st     *store.Store
	job    string
	stream int
	after  int64
	buf    []byte
	done   bool
}

func (r *blobReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.done {
			return 0, io.EOF
		}
		seq, _, data, ok, err := r.st.NextBlob(r.ctx, r.job, r.stream, r.after)
		if err != nil {
			return 0, err
		}
		if !ok {
			r.done = true
			return 0, io.EOF
		}
		r.after, r.buf = seq, data
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// uploadReader parses the job's upload with its delimiter, past a UTF-8 BOM.
func (b *bulkEngine) uploadReader(ctx context.Context, j *bulkJob) *csv.Reader {
	br := bufio.NewReaderSize(&blobReader{ctx: ctx, st: b.org.store, job: j.ID, stream: streamUpload}, 64<<10)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.Comma = delimiters[j.ColumnDelimiter]
	cr.FieldsPerRecord = -1
	return cr
}

// bulkColumn is a CSV column resolved against the job's object.
type bulkColumn struct {
	field  *schema.Field  // the field of the job's object the column sets
	target *schema.Object // relationship columns (Account.External_Id__c): the parent object
	key    *schema.Field  // relationship columns: the parent's field matched
}

// resolveColumns maps the header to fields; bad is the first name that is
// not a field (nor a relationship through an external id) of obj.
func (o *Org) resolveColumns(obj *schema.Object, header []string) (cols []bulkColumn, bad string) {
	for _, h := range header {
		name := strings.TrimSpace(h)
		rel, leaf, isRel := strings.Cut(name, ".")
		if !isRel {
			f := obj.Field(name)
			if f == nil {
				return nil, h
			}
			cols = append(cols, bulkColumn{field: f})
			continue
		}
		rel, typ, typed := strings.Cut(rel, ":")
		rf := obj.ParentRelationship(rel)
		if rf == nil {
			return nil, h
		}
		var target *schema.Object
		switch {
		case typed && contains(rf.ReferenceTo, typ):
			target = o.schema.Object(typ)
		case !typed && len(rf.ReferenceTo) == 1:
			target = o.schema.Object(rf.ReferenceTo[0])
		}
		if target == nil {
			return nil, h
		}
		key := target.Field(leaf)
		if !usableAsKey(key) {
			return nil, h
		}
		cols = append(cols, bulkColumn{field: rf, target: target, key: key})
	}
	return cols, ""
}

// runIngest processes an ingest job's upload, bulkChunk rows per
// transaction, from where it stopped (a resumed job skips the rows it has
// already counted).
func (b *bulkEngine) runIngest(j *bulkJob) error {
	ctx := b.ctx
	o := b.org
	j, err := b.modify(ctx, j.ID, func(cur *bulkJob) error {
		switch cur.State {
		case stateUploadComplete:
			cur.State = stateInProgress
			cur.StartedMS = o.now().UnixMilli()
		case stateInProgress:
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
	obj := o.schema.Object(j.Object)
	if obj == nil {
		return b.fail(j.ID, "InvalidJob : Unable to find object: "+j.Object)
	}
	if j.Uploads == 0 || j.UploadBytes == 0 {
		return b.fail(j.ID, "ClientInputError : No data to process: nothing was uploaded to the job")
	}
	rd := b.uploadReader(ctx, j)
	header, err := rd.Read()
	if err == io.EOF {
		return b.fail(j.ID, "ClientInputError : No data to process: the uploaded CSV is empty")
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return b.fail(j.ID, "InvalidBatch : Failed to parse CSV header: "+err.Error())
	}
	cols, bad := o.resolveColumns(obj, header)
	if _, err := b.modify(ctx, j.ID, func(cur *bulkJob) error {
		cur.Header = header
		if bad != "" {
			cur.State = stateFailed
			cur.ErrorMessage = "InvalidBatch : Field name not found : " + bad
			cur.EndedMS = o.now().UnixMilli()
		}
		return nil
	}); err != nil {
		return err
	}
	if bad != "" {
		return nil
	}
	for i := int64(0); i < j.Processed; i++ {
		if _, err := rd.Read(); err != nil {
			break
		}
	}
	succSeq, err := o.store.LastBlobSeq(ctx, j.ID, streamSuccess)
	if err != nil {
		return err
	}
	failSeq, err := o.store.LastBlobSeq(ctx, j.ID, streamFailed)
	if err != nil {
		return err
	}
	out := newCSVOut(j)
	var okBuf, failBuf bytes.Buffer
	// An injected fault may end this job Failed partway (see Fault).
	jobFault := o.takeJobFault()
	processed := j.Processed
	// The rows are read (and, for insert jobs, validated, completed and
	// encoded) by a reader goroutine while this one writes the chunk
	// before: on two cores the job takes about the longer of the two, not
	// their sum.
	rctx, stop := context.WithCancel(ctx)
	chunks := make(chan *ingestChunk, 1)
	var readerDone sync.WaitGroup
	readerDone.Add(1)
	go func() {
		defer readerDone.Done()
		defer close(chunks)
		b.readChunks(rctx, j, obj, cols, rd, processed, jobFault, chunks)
	}()
	defer func() {
		stop()
		for range chunks {
		}
		readerDone.Wait()
	}()
	for {
		var ch *ingestChunk
		select {
		case ch = <-chunks:
		case <-ctx.Done():
			return nil
		}
		if ch == nil {
			return nil // the reader saw ctx end
		}
		batch := ch.rows
		if len(batch) > 0 {
			err := o.store.Update(ctx, func(tx *store.Tx) error {
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
				okBuf.Reset()
				failBuf.Reset()
				nOK, nFail := 0, 0
				results := make([]rowResult, len(batch))
				if cur.Operation == "insert" {
					bi := &bulkInserter{o: o, tx: tx, obj: obj, user: cur.CreatedByID, now: timestamp(o.now()), results: results, chunk: ch}
					if ch.prepared != nil {
						// Mostly every row waits for the one flush at the end.
						bi.pending = make([]int, 0, len(batch))
						bi.encoded = make([]store.EncodedRecord, 0, len(batch))
					}
					for i, rec := range batch {
						if err := bi.row(ctx, cur, cols, i, rec); err != nil {
							return err
						}
					}
					if err := bi.flush(ctx); err != nil {
						return err
					}
				} else {
					for i, rec := range batch {
						id, created, aerr := o.ingestRow(ctx, tx, obj, cur, cols, rec)
						results[i] = rowResult{id: id, created: created, aerr: aerr}
					}
				}
				for i, r := range results {
					if r.aerr != nil {
						nFail++
						out.row(&failBuf, r.id, errorText(r.aerr), batch[i])
						continue
					}
					nOK++
					if ch.prepared != nil && ch.prepared[i].tail.end > 0 {
						// The reader wrote the line but for its id.
						p := &ch.prepared[i]
						okBuf.WriteByte('"')
						writeQuoted(&okBuf, r.id)
						okBuf.Write(ch.buf[p.tail.start:p.tail.end])
						continue
					}
					out.row(&okBuf, r.id, strconv.FormatBool(r.created), batch[i])
				}
				if nOK > 0 {
					if err := tx.AppendBlob(ctx, j.ID, streamSuccess, succSeq+1, nOK, okBuf.Bytes()); err != nil {
						return err
					}
				}
				if nFail > 0 {
					if err := tx.AppendBlob(ctx, j.ID, streamFailed, failSeq+1, nFail, failBuf.Bytes()); err != nil {
						return err
					}
				}
				cur.Processed += int64(len(batch))
				cur.Failed += int64(nFail)
				cur.SystemModstamp = timestamp(o.now())
				if err := saveTx(ctx, tx, cur); err != nil {
					return err
				}
				if nOK > 0 {
					succSeq++
				}
				if nFail > 0 {
					failSeq++
				}
				return nil
			})
			if errors.Is(err, errJobGone) {
				return nil
			}
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			processed += int64(len(batch))
			if jobFault != nil && processed >= int64(jobFault.FailJobAfterRows) {
				o.countServed("job-failed")
				msg := jobFault.Message
				if msg == "" {
					msg = "InternalServerError : the job failed while processing (an injected fault)"
				}
				return b.fail(j.ID, msg)
			}
		}
		readErr := ch.readErr
		if readErr == io.EOF {
			break
		}
		if readErr != nil {
			if ctx.Err() != nil {
				return nil
			}
			return b.fail(j.ID, "InvalidBatch : Failed to parse CSV: "+readErr.Error())
		}
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

// ingestChunk is the rows of one transaction of an ingest job, as the
// reader goroutine hands them to the writer.
type ingestChunk struct {
	rows    [][]string
	readErr error // what ended the reading after rows: io.EOF at the end
	// prepared[i] is rows[i] already validated, completed and encoded, for
	// insert jobs whose rows need no reads of the store (see
	// prepareInserts); nil for the others.
	prepared []preparedRow
	buf      []byte // the bytes prepared rows point into
}

// preparedRow is an insert job's row made ready without the store: failed,
// or its record encoded with a placeholder Id, or to be stored through
// ingestRow (slow) because it holds unique values.
type preparedRow struct {
	aerr  *apiError
	slow  bool
	rec   span // the record's JSON in ingestChunk.buf
	idAt  int  // where, in the record's JSON, its Id's characters start
	index []store.IndexValue
	tail  span // the successfulResults line after its sf__Id value
}

// span is a part [start, end) of ingestChunk.buf.
type span struct{ start, end int }

// placeholderID stands in for a record's id until the writer numbers it:
// ids always have 18 characters.
const placeholderID = "000000000000000000"

// readChunks reads the job's rows after the first processed ones into
// chunks of the sizes the writer commits (txRows), preparing insert rows
// when it can, and sends them until the upload ends, reading fails or ctx
// ends.
func (b *bulkEngine) readChunks(ctx context.Context, j *bulkJob, obj *schema.Object, cols []bulkColumn, rd *csv.Reader, processed int64, f *Fault, chunks chan<- *ingestChunk) {
	prepare := j.Operation == "insert" && prepareInserts(cols)
	out := newCSVOut(j)
	now := timestamp(b.org.now())
	var scratch prepScratch
	bufHint := 0 // the bytes of the chunk before: the next one's start
	for {
		ch := &ingestChunk{buf: make([]byte, 0, bufHint)}
		n := txRows(processed, f)
		ch.rows = make([][]string, 0, n)
		for len(ch.rows) < n {
			rec, err := rd.Read()
			if err != nil {
				ch.readErr = err
				break
			}
			ch.rows = append(ch.rows, rec)
		}
		if ctx.Err() != nil {
			return
		}
		if prepare && len(ch.rows) > 0 {
			now = timestamp(b.org.now())
			ch.prepared = make([]preparedRow, len(ch.rows))
			for i, rec := range ch.rows {
				b.org.prepareInsert(ctx, ch, i, j, obj, cols, rec, now, out, &scratch)
			}
		}
		bufHint = len(ch.buf) + len(ch.buf)/8
		select {
		case chunks <- ch:
		case <-ctx.Done():
			return
		}
		if ch.readErr != nil {
			return
		}
		processed += int64(len(ch.rows))
	}
}

// prepareInserts reports whether the rows of an insert job with these
// columns can be validated and completed without reading the store: no
// relationship column (its parent is looked up) and no reference field (the
// record it names is checked).
func prepareInserts(cols []bulkColumn) bool {
	for _, c := range cols {
		if c.target != nil || c.field.Type == "reference" {
			return false
		}
	}
	return true
}

// prepareInsert does for row i of an insert job what bulkInserter.row does
// before the row is stored, without the store: the same rowBody, Id check
// and newRecord a REST create runs.
func (o *Org) prepareInsert(ctx context.Context, ch *ingestChunk, i int, j *bulkJob, obj *schema.Object, cols []bulkColumn, rec []string, now string, out csvOut, sc *prepScratch) {
	p := &ch.prepared[i]
	if len(rec) > len(cols) {
		p.aerr = errf(400, "INVALID_FIELD", nil, "The row has %d values but the header has %d columns", len(rec), len(cols))
		return
	}
	if sc.body == nil {
		sc.body = make(map[string]any, len(cols))
		sc.rec = make(store.Record, len(cols)+32)
	}
	clear(sc.body)
	clear(sc.rec)
	body, aerr := o.fillRowBody(ctx, nil, cols, rec, sc.body)
	if aerr == nil {
		aerr = takeInsertID(body)
	}
	var r store.Record
	if aerr == nil {
		if sc.now != now || sc.user != j.CreatedByID {
			sc.now, sc.user = now, j.CreatedByID
			sc.nowV, sc.userV = now, j.CreatedByID
		}
		r, aerr = o.newRecordInto(ctx, nil, obj, sc.rec, body, sc.userV, sc.nowV)
	}
	if aerr != nil {
		p.aerr = rowError(obj, aerr, rec, cols)
		return
	}
	p.index = indexValues(obj, r)
	for _, iv := range p.index {
		if iv.Unique {
			p.slow = true
			return
		}
	}
	r["Id"] = placeholderID
	start := len(ch.buf)
	var err error
	ch.buf, p.idAt, err = sc.enc.Encode(ch.buf, r)
	if err != nil || p.idAt < 0 {
		// Left to the writer, which stores the record as it is.
		ch.buf = ch.buf[:start]
		p.slow = true
		return
	}
	p.rec = span{start, len(ch.buf)}
	p.idAt -= start
	start = len(ch.buf)
	ch.buf = out.appendTail(ch.buf, rec)
	p.tail = span{start, len(ch.buf)}
}

// prepScratch is what the reader of an insert job reuses from row to row:
// each row's body and record maps are done with once the record is
// encoded, and the encoder keeps the keys of the record encoded before.
type prepScratch struct {
	enc  store.RecordEncoder
	body map[string]any
	rec  store.Record
	// now and user as strings and as the interface values stored.
	now, user   string
	nowV, userV any
}

// ingestRow applies one CSV row in its own savepoint and returns the id of
// the record and whether it was created.
func (o *Org) ingestRow(ctx context.Context, tx *store.Tx, obj *schema.Object, j *bulkJob, cols []bulkColumn, rec []string) (id string, created bool, aerr *apiError) {
	if len(rec) > len(cols) {
		return "", false, errf(400, "INVALID_FIELD", nil, "The row has %d values but the header has %d columns", len(rec), len(cols))
	}
	// The Id column, for the operations that name their record by it.
	for i, c := range cols {
		if c.target == nil && c.field.Type == "id" && i < len(rec) && rec[i] != "" && rec[i] != "#N/A" {
			id = rec[i]
			if norm, err := sfid.Normalize(id); err == nil {
				id = norm
			}
		}
	}
	switch j.Operation {
	case "delete", "hardDelete":
		if id == "" {
			return "", false, errf(400, "MISSING_ARGUMENT", []string{"Id"}, "Id not specified in a delete call")
		}
		err := tx.Savepoint(ctx, func() error {
			if aerr := o.remove(ctx, tx, obj, id, j.Operation == "hardDelete"); aerr != nil {
				return aerr
			}
			return nil
		})
		return id, false, rowError(obj, err, rec, cols)
	}
	err := tx.Savepoint(ctx, func() error {
		body, aerr := o.rowBody(ctx, tx, cols, rec)
		if aerr != nil {
			return aerr
		}
		switch j.Operation {
		case "insert":
			if v, ok := body["Id"]; ok {
				if v != nil {
					return errf(400, "INVALID_FIELD", []string{"Id"}, "cannot specify Id in an insert call")
				}
				delete(body, "Id")
			}
			newID, aerr := o.create(ctx, tx, obj, body, j.CreatedByID)
			if aerr != nil {
				return aerr
			}
			id, created = newID, true
		case "update":
			if id == "" {
				return errf(400, "MISSING_ARGUMENT", []string{"Id"}, "Id not specified in an update call")
			}
			if aerr := o.update(ctx, tx, obj, id, body, j.CreatedByID); aerr != nil {
				return aerr
			}
		case "upsert":
			f := obj.Field(j.ExternalIDFieldName)
			value, _ := body[f.Name].(string)
			if f.Type != "id" && value == "" {
				return errf(400, "MISSING_ARGUMENT", []string{f.Name}, "%s not specified", f.Name)
			}
			if f.Type != "id" {
				delete(body, "Id")
			}
			got, wasCreated, aerr := o.upsert(ctx, tx, obj, f.Name, value, body, j.CreatedByID)
			if aerr != nil && aerr.Status == 300 {
				aerr = errf(300, "DUPLICATE_EXTERNAL_ID", []string{f.Name}, "%s: more than one record found for external id field: %s", f.Name, aerr.Message)
			}
			if aerr != nil {
				return aerr
			}
			id, created = got, wasCreated
		}
		return nil
	})
	if err != nil {
		if j.Operation == "insert" || j.Operation == "upsert" {
			id = ""
		}
		return id, false, rowError(obj, err, rec, cols)
	}
	return id, created, nil
}

// rowBody is a CSV row as the body of a REST call: empty cells leave their
// field out, #N/A sets it to null, relationship columns become the id of
// the parent they name.
func (o *Org) rowBody(ctx context.Context, tx *store.Tx, cols []bulkColumn, rec []string) (map[string]any, *apiError) {
	return o.fillRowBody(ctx, tx, cols, rec, make(map[string]any, len(cols)))
}

// fillRowBody is rowBody filling body, which must be empty.
func (o *Org) fillRowBody(ctx context.Context, tx *store.Tx, cols []bulkColumn, rec []string, body map[string]any) (map[string]any, *apiError) {
	for i, c := range cols {
		if i >= len(rec) || rec[i] == "" {
			continue // empty cells leave the field as it is
		}
		var v any = rec[i]
		if rec[i] == "#N/A" {
			v = nil
		} else if c.target != nil {
			parent, aerr := o.lookupParent(ctx, tx, c, rec[i])
			if aerr != nil {
				return nil, aerr
			}
			v = parent
		}
		body[c.field.Name] = v
	}
	return body, nil
}

// rowResult is what became of one row of an ingest chunk.
type rowResult struct {
	id      string
	created bool
	aerr    *apiError
}

// bulkInserter inserts the rows of an insert job's chunk together: each row
// is validated and completed as a REST create would (newRecord), and the
// valid ones wait in pending until flush gives them their ids with one
// counter update and writes them with multi-row INSERTs. Rows that need a
// write of their own before the next row (a unique value to claim, a
// relationship column that may name an earlier row of the job) flush the
// pending ones first, so records are stored in the order of the upload.
type bulkInserter struct {
	o       *Org
	tx      *store.Tx
	obj     *schema.Object
	user    string
	now     string
	results []rowResult
	pending []int // indexes into results
	recs    []store.Record
	index   [][]store.IndexValue
	chunk   *ingestChunk          // the rows read, and prepared when they could be
	encoded []store.EncodedRecord // pending prepared rows (then recs is empty)
}

// row validates row i (rec) and queues its record, or stores it at once
// through the one-row path when it has unique values.
func (bi *bulkInserter) row(ctx context.Context, j *bulkJob, cols []bulkColumn, i int, rec []string) error {
	o := bi.o
	if bi.chunk != nil && bi.chunk.prepared != nil {
		p := &bi.chunk.prepared[i]
		switch {
		case p.aerr != nil:
			bi.results[i] = rowResult{aerr: p.aerr}
		case p.slow:
			if err := bi.flush(ctx); err != nil {
				return err
			}
			id, created, aerr := o.ingestRow(ctx, bi.tx, bi.obj, j, cols, rec)
			bi.results[i] = rowResult{id: id, created: created, aerr: aerr}
		default:
			bi.pending = append(bi.pending, i)
			bi.encoded = append(bi.encoded, store.EncodedRecord{Data: bi.chunk.buf[p.rec.start:p.rec.end], Index: p.index})
		}
		return nil
	}
	if len(rec) > len(cols) {
		bi.results[i] = rowResult{aerr: errf(400, "INVALID_FIELD", nil, "The row has %d values but the header has %d columns", len(rec), len(cols))}
		return nil
	}
	for k, c := range cols {
		if c.target != nil && k < len(rec) && rec[k] != "" && rec[k] != "#N/A" {
			// The parent may be a row of this job waiting in pending.
			if err := bi.flush(ctx); err != nil {
				return err
			}
			break
		}
	}
	body, aerr := o.rowBody(ctx, bi.tx, cols, rec)
	if aerr == nil {
		aerr = takeInsertID(body)
	}
	var r store.Record
	if aerr == nil {
		r, aerr = o.newRecord(ctx, bi.tx, bi.obj, body, bi.user, bi.now)
	}
	if aerr != nil {
		bi.results[i] = rowResult{aerr: rowError(bi.obj, aerr, rec, cols)}
		return nil
	}
	index := indexValues(bi.obj, r)
	for _, iv := range index {
		if iv.Unique {
			if err := bi.flush(ctx); err != nil {
				return err
			}
			id, created, aerr := o.ingestRow(ctx, bi.tx, bi.obj, j, cols, rec)
			bi.results[i] = rowResult{id: id, created: created, aerr: aerr}
			return nil
		}
	}
	bi.pending = append(bi.pending, i)
	bi.recs = append(bi.recs, r)
	bi.index = append(bi.index, index)
	return nil
}

// flush gives the pending records their ids and stores them.
func (bi *bulkInserter) flush(ctx context.Context) error {
	if len(bi.encoded) > 0 {
		return bi.flushEncoded(ctx)
	}
	n := len(bi.recs)
	if n == 0 {
		return nil
	}
	last, err := bi.tx.NextSeq(ctx, "id:"+bi.obj.KeyPrefix, int64(n))
	if err != nil {
		return err
	}
	for k, r := range bi.recs {
		id, err := sfid.New(bi.obj.KeyPrefix, pod, uint64(last-int64(n)+1+int64(k)))
		if err != nil {
			return err
		}
		r["Id"] = id
		bi.results[bi.pending[k]] = rowResult{id: id, created: true}
	}
	if err := bi.tx.InsertMany(ctx, bi.obj.Name, bi.recs, bi.index); err != nil {
		return err
	}
	bi.pending, bi.recs, bi.index = bi.pending[:0], bi.recs[:0], bi.index[:0]
	return nil
}

// flushEncoded gives the pending prepared records their ids, written over
// their placeholders, and stores them.
func (bi *bulkInserter) flushEncoded(ctx context.Context) error {
	n := len(bi.encoded)
	last, err := bi.tx.NextSeq(ctx, "id:"+bi.obj.KeyPrefix, int64(n))
	if err != nil {
		return err
	}
	for k := range bi.encoded {
		id, err := sfid.New(bi.obj.KeyPrefix, pod, uint64(last-int64(n)+1+int64(k)))
		if err != nil {
			return err
		}
		if len(id) != len(placeholderID) {
			return fmt.Errorf("bulk: id %s does not have %d characters", id, len(placeholderID))
		}
		i := bi.pending[k]
		e := &bi.encoded[k]
		copy(e.Data[bi.chunk.prepared[i].idAt:], id)
		e.ID = id
		bi.results[i] = rowResult{id: id, created: true}
	}
	if err := bi.tx.InsertEncoded(ctx, bi.obj.Name, bi.encoded); err != nil {
		return err
	}
	bi.pending, bi.encoded = bi.pending[:0], bi.encoded[:0]
	return nil
}

// lookupParent finds the parent a relationship column names by external id.
func (o *Org) lookupParent(ctx context.Context, tx *store.Tx, c bulkColumn, value string) (string, *apiError) {
	if c.key.Type == "id" {
		norm, err := sfid.Normalize(value)
		if err != nil {
			return "", errf(400, "MALFORMED_ID", []string{c.field.Name}, "%s: id value of incorrect type: %s", c.field.Label, value)
		}
		return norm, nil
	}
	ids, err := tx.Lookup(ctx, c.target.Name, c.key.Name, indexKey(c.key, value))
	if err != nil {
		return "", internalError(err)
	}
	switch len(ids) {
	case 0:
		return "", errf(400, "INVALID_FIELD", []string{c.field.Name}, "Foreign key external ID: %s not found for field %s in entity %s", value, c.key.Name, c.target.Name)
	case 1:
		return ids[0], nil
	default:
		return "", errf(400, "INVALID_FIELD", []string{c.field.Name}, "Foreign key external ID: %s matches more than one record for field %s in entity %s", value, c.key.Name, c.target.Name)
	}
}

// rowError turns what a row's operation returned into the error its
// failedResults line shows, in the words the SOAP and Bulk APIs use.
func rowError(obj *schema.Object, err error, rec []string, cols []bulkColumn) *apiError {
	if err == nil {
		return nil
	}
	aerr := asAPIError(err)
	switch aerr.Code {
	case "NOT_FOUND":
		return errf(400, "INVALID_CROSS_REFERENCE_KEY", aerr.Fields, "invalid cross reference id")
	case "JSON_PARSER_ERROR":
		if len(aerr.Fields) == 1 {
			if f := obj.Field(aerr.Fields[0]); f != nil {
				value := ""
				for i, c := range cols {
					if c.field == f && i < len(rec) {
						value = rec[i]
					}
				}
				return errf(400, "INVALID_TYPE_ON_FIELD_IN_RECORD", []string{f.Name}, "%s: value not of required type: %s", f.Label, value)
			}
		}
	}
	return aerr
}

// errorText is the sf__Error of a failed row: STATUSCODE:message:fields --.
func errorText(aerr *apiError) string {
	if len(aerr.Fields) == 0 {
		return aerr.Code + ":" + aerr.Message + ":--"
	}
	return aerr.Code + ":" + aerr.Message + ":" + strings.Join(aerr.Fields, ", ") + " --"
}

// csvOut writes CSV with a job's delimiter and line ending.
type csvOut struct {
	delim string
	eol   string
}

func newCSVOut(j *bulkJob) csvOut {
	out := csvOut{delim: string(delimiters[j.ColumnDelimiter]), eol: "\n"}
	if out.delim == "\x00" {
		out.delim = ","
	}
	if j.LineEnding == "CRLF" {
		out.eol = "\r\n"
	}
	return out
}

// row writes the fields of each list in turn as one row, every field
// quoted, as Salesforce writes result rows.
func (c csvOut) row(buf *bytes.Buffer, id, second string, fields []string) {
	buf.WriteByte('"')
	writeQuoted(buf, id)
	buf.WriteString(`"` + c.delim + `"`)
	writeQuoted(buf, second)
	buf.WriteByte('"')
	for _, f := range fields {
		buf.WriteString(c.delim)
		buf.WriteByte('"')
		writeQuoted(buf, f)
		buf.WriteByte('"')
	}
	buf.WriteString(c.eol)
}

// appendTail appends what row writes after the id for a created record:
// the second field "true", then fields.
func (c csvOut) appendTail(buf []byte, fields []string) []byte {
	buf = append(buf, `"`+c.delim+`"true"`...)
	for _, f := range fields {
		buf = append(buf, c.delim...)
		buf = append(buf, '"')
		for {
			i := strings.IndexByte(f, '"')
			if i < 0 {
				buf = append(buf, f...)
				break
			}
			buf = append(buf, f[:i+1]...)
			buf = append(buf, '"')
			f = f[i+1:]
		}
		buf = append(buf, '"')
	}
	return append(buf, c.eol...)
}

// fields writes fields as one row, every one quoted.
func (c csvOut) fields(buf *bytes.Buffer, fields []string) {
	for i, f := range fields {
		if i > 0 {
			buf.WriteString(c.delim)
		}
		buf.WriteByte('"')
		writeQuoted(buf, f)
		buf.WriteByte('"')
	}
	buf.WriteString(c.eol)
}

// writeQuoted writes the inside of a quoted CSV field: s, quotes doubled.
func writeQuoted(buf *bytes.Buffer, s string) {
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			buf.WriteString(s)
			return
		}
		buf.WriteString(s[:i+1])
		buf.WriteByte('"')
		s = s[i+1:]
	}
}

// header writes quoted fields followed by the names of the upload's header,
// quoted only where they need it, as they came.
func (c csvOut) header(buf *bytes.Buffer, quoted []string, names []string) {
	for i, f := range quoted {
		if i > 0 {
			buf.WriteString(c.delim)
		}
		buf.WriteString(`"` + f + `"`)
	}
	for i, n := range names {
		if i > 0 || len(quoted) > 0 {
			buf.WriteString(c.delim)
		}
		if n == "" || strings.ContainsAny(n, c.delim+"\"\r\n") || n[0] == ' ' {
			n = `"` + strings.ReplaceAll(n, `"`, `""`) + `"`
		}
		buf.WriteString(n)
	}
	buf.WriteString(c.eol)
}

// ingestResults serves successfulResults, failedResults and
// unprocessedrecords, streamed from the store.
func (e *Emulator) ingestResults(q *apiRequest, j *bulkJob, which string) {
	ctx := q.r.Context()
	b := e.org.bulk
	out := newCSVOut(j)
	header := j.Header
	if header == nil && j.UploadBytes > 0 {
		if h, err := b.uploadReader(ctx, j).Read(); err == nil {
			header = h
		}
	}
	q.w.Header().Set("Content-Type", "text/csv")
	var buf bytes.Buffer
	switch which {
	case "successfulResults", "failedResults":
		stream, second := streamSuccess, "sf__Created"
		if which == "failedResults" {
			stream, second = streamFailed, "sf__Error"
		}
		out.header(&buf, []string{"sf__Id", second}, header)
		q.w.WriteHeader(200)
		_, _ = q.w.Write(buf.Bytes())
		var after int64
		for {
			seq, _, data, ok, err := e.org.store.NextBlob(ctx, j.ID, stream, after)
			if err != nil || !ok {
				return
			}
			if _, err := q.w.Write(data); err != nil {
				return
			}
			after = seq
		}
	default: // unprocessedrecords
		if header == nil {
			q.w.WriteHeader(200)
			return
		}
		out.header(&buf, nil, header)
		q.w.WriteHeader(200)
		_, _ = q.w.Write(buf.Bytes())
		if j.State == stateJobComplete {
			return
		}
		rd := b.uploadReader(ctx, j)
		if _, err := rd.Read(); err != nil {
			return
		}
		for i := int64(0); i < j.Processed; i++ {
			if _, err := rd.Read(); err != nil {
				return
			}
		}
		buf.Reset()
		for {
			rec, err := rd.Read()
			if err != nil {
				break
			}
			out.fields(&buf, rec)
			if buf.Len() >= 64<<10 {
				if _, err := q.w.Write(buf.Bytes()); err != nil {
					return
				}
				buf.Reset()
			}
		}
		_, _ = q.w.Write(buf.Bytes())
	}
}

// takeInsertID removes an insert row's Id column from its body: empty it is
// ignored, with a value it fails the row, as Salesforce's Bulk insert does.
func takeInsertID(body map[string]any) *apiError {
	v, ok := body["Id"]
	if !ok {
		return nil
	}
	delete(body, "Id")
	if v != nil {
		return errf(400, "INVALID_FIELD", []string{"Id"}, "cannot specify Id in an insert call")
	}
	return nil
}
