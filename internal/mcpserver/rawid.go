package mcpserver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/sfmcp/sfmcp/internal/jsonscan"
)

// JSON-RPC says a response carries the id of its request; clients match the
// two by it, some by its text. mcp-go decodes a request id into a Go value
// and encodes that value again, which keeps plain integers (even past 2^53)
// and plain strings as they were but rewrites other spellings of a value:
// 1.0 and 1e0 come back as 1, -0 as 0, "\u0078" as "x". idEcho keeps every
// id byte for byte: a request whose id mcp-go would not echo exactly reaches
// mcp-go with a placeholder string id instead, and the placeholder in its
// response is replaced by the id as the client wrote it.

// idPlaceholderPrefix starts every placeholder id. A client's own string id
// that starts with it gets a placeholder too, so a placeholder in a response
// is always one of ours.
const idPlaceholderPrefix = "sfmcp-id-"

// maxPendingIDs bounds the placeholders waiting for their response (one per
// request in flight; a request that never gets a response holds one). Past
// it, ids reach mcp-go unchanged: its echo keeps the value, if not the text.
const maxPendingIDs = 1024

type idEcho struct {
	mu   sync.Mutex
	next uint64
	raw  map[string][]byte // placeholder token (quoted) -> the client's id token
}

func newIDEcho() *idEcho { return &idEcho{} }

// span is the byte range [start, end) of a value in a message.
type span struct{ start, end int }

// members finds the values of the named members (at most 4) of the JSON
// object msg, by the index of their name (names matched as encoding/json
// matches field names: without regard to case, the last duplicate
// winning). ok is false when msg is not one JSON object. It only skips over
// the values, without decoding or copying them: it runs on every message,
// and tool arguments can be megabytes. It does not validate them either;
// request checks a message with json.Valid before changing it. It keeps no
// map: it runs on every request.
func members(msg []byte, names ...string) (found memberSpans, ok bool) {
	i := jsonscan.SkipSpace(msg, 0)
	if i >= len(msg) || msg[i] != '{' {
		return found, false
	}
	i = jsonscan.SkipSpace(msg, i+1)
	if i < len(msg) && msg[i] == '}' {
		return found, len(bytes.TrimSpace(msg[i+1:])) == 0
	}
	for {
		if i >= len(msg) || msg[i] != '"' {
			return memberSpans{}, false
		}
		keyEnd := jsonscan.SkipString(msg, i)
		if keyEnd < 0 {
			return memberSpans{}, false
		}
		key := msg[i+1 : keyEnd-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var k string
			if json.Unmarshal(msg[i:keyEnd], &k) != nil {
				return memberSpans{}, false
			}
			key = []byte(k)
		}
		i = jsonscan.SkipSpace(msg, keyEnd)
		if i >= len(msg) || msg[i] != ':' {
			return memberSpans{}, false
		}
		i = jsonscan.SkipSpace(msg, i+1)
		end := jsonscan.SkipValue(msg, i)
		if end < 0 {
			return memberSpans{}, false
		}
		for j, n := range names {
			if strings.EqualFold(string(key), n) {
				found[j] = span{i, end}
			}
		}
		i = jsonscan.SkipSpace(msg, end)
		if i >= len(msg) {
			return memberSpans{}, false
		}
		switch msg[i] {
		case ',':
			i = jsonscan.SkipSpace(msg, i+1)
		case '}':
			return found, len(bytes.TrimSpace(msg[i+1:])) == 0
		default:
			return memberSpans{}, false
		}
	}
}

// echoedExactly reports whether mcp-go writes the id token tok back as it
// came; idLike reports whether tok is a number or a string at all (other
// ids are invalid, and left to mcp-go to refuse).
func echoedExactly(tok []byte) (exact, idLike bool) {
	switch {
	case len(tok) == 0:
		return true, false
	case tok[0] == '"':
		if len(tok) < 2 || tok[len(tok)-1] != '"' || bytes.HasPrefix(tok[1:], []byte(idPlaceholderPrefix)) {
			return false, true
		}
		for _, c := range tok[1 : len(tok)-1] {
			// Escapes, non-ASCII and the characters encoding/json escapes
			// for HTML may all come back spelled differently.
			if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return false, true
			}
		}
		return true, true
	case tok[0] == '-' || (tok[0] >= '0' && tok[0] <= '9'):
		// A plain integer comes back as written (int64, or json.Number past
		// it); -0, fractions and exponents do not.
		digits := tok
		if digits[0] == '-' {
			digits = digits[1:]
		}
		if len(digits) == 0 || (digits[0] == '0' && (len(digits) > 1 || len(tok) > 1)) {
			return false, true
		}
		for _, c := range digits {
			if c < '0' || c > '9' {
				return false, true
			}
		}
		return true, true
	default:
		return true, false
	}
}

func splice(msg []byte, s span, with []byte) []byte {
	out := make([]byte, 0, len(msg)-(s.end-s.start)+len(with))
	out = append(out, msg[:s.start]...)
	out = append(out, with...)
	return append(out, msg[s.end:]...)
}

// request prepares one message from the client for mcp-go: a request whose
// id would not be echoed exactly gets a placeholder id, and a cancellation
// naming such a request names its placeholder.
func (e *idEcho) request(msg []byte) []byte {
	m, ok := members(msg, "id", "method", "params")
	if !ok {
		return msg
	}
	ms, hasMethod := m[1], m.has(1)
	if !hasMethod {
		return msg // a response to the server's own request: its id is ours
	}
	if is, hasID := m[0], m.has(0); hasID {
		tok := msg[is.start:is.end]
		if exact, idLike := echoedExactly(tok); exact || !idLike || !json.Valid(msg) {
			return msg
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		if len(e.raw) >= maxPendingIDs {
			return msg
		}
		e.next++
		ph := []byte(strconv.Quote(idPlaceholderPrefix + strconv.FormatUint(e.next, 10)))
		if e.raw == nil {
			e.raw = map[string][]byte{}
		}
		e.raw[string(ph)] = bytes.Clone(tok)
		return splice(msg, is, ph)
	}
	var method string
	if json.Unmarshal(msg[ms.start:ms.end], &method) != nil || method != "notifications/cancelled" {
		return msg
	}
	if !m.has(2) {
		return msg
	}
	ps := m[2]
	params := msg[ps.start:ps.end]
	pm, ok := members(params, "requestId")
	if !ok || !pm.has(0) {
		return msg
	}
	rs := pm[0]
	tok := params[rs.start:rs.end]
	if !json.Valid(msg) {
		return msg
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for ph, raw := range e.raw {
		if bytes.Equal(raw, tok) {
			return splice(msg, span{ps.start + rs.start, ps.start + rs.end}, []byte(ph))
		}
	}
	return msg
}

// response gives the client's own id back to a response that carries a
// placeholder.
func (e *idEcho) response(msg []byte) []byte {
	e.mu.Lock()
	pending := len(e.raw)
	e.mu.Unlock()
	if pending == 0 || !bytes.Contains(msg, []byte(idPlaceholderPrefix)) {
		return msg
	}
	m, ok := members(msg, "id", "method")
	if !ok {
		return msg
	}
	is, hasID := m[0], m.has(0)
	if m.has(1) || !hasID {
		return msg
	}
	e.mu.Lock()
	raw, found := e.raw[string(msg[is.start:is.end])]
	delete(e.raw, string(msg[is.start:is.end]))
	e.mu.Unlock()
	if !found {
		return msg
	}
	return splice(msg, is, raw)
}

// reader hands mcp-go the client's messages (one a line) through request.
func (e *idEcho) reader(in io.Reader) io.Reader {
	return &echoReader{e: e, in: bufio.NewReader(in)}
}

type echoReader struct {
	e       *idEcho
	in      *bufio.Reader
	pending []byte
	err     error
}

func (r *echoReader) Read(p []byte) (int, error) {
	for len(r.pending) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		var line []byte
		line, r.err = r.in.ReadBytes('\n')
		if len(line) > 0 {
			r.pending = r.e.request(line)
		}
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	return n, nil
}

// lineWriter passes what mcp-go writes to w a whole line at a time, each
// through rewrite. A line mcp-go has not finished waits for its newline.
type lineWriter struct {
	mu      sync.Mutex
	w       io.Writer
	rewrite func([]byte) []byte
	buf     []byte
}

func (lw *lineWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.buf = append(lw.buf, p...)
	for {
		i := bytes.IndexByte(lw.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := lw.buf[:i+1]
		if _, err := lw.w.Write(lw.rewrite(line)); err != nil {
			lw.buf = lw.buf[i+1:]
			return len(p), err
		}
		lw.buf = lw.buf[i+1:]
		if len(lw.buf) == 0 {
			lw.buf = nil // a large line's buffer is not kept
		}
	}
}

// flushPartial writes a line left without its newline as it is.
func (lw *lineWriter) flushPartial() error {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if len(lw.buf) == 0 {
		return nil
	}
	_, err := lw.w.Write(lw.buf)
	lw.buf = nil
	return err
}

// sseOrJSONLine applies rewrite to a line that is one JSON message, or an
// SSE data line carrying one.
func sseOrJSONLine(rewrite func([]byte) []byte) func([]byte) []byte {
	return func(line []byte) []byte {
		if rest, ok := bytes.CutPrefix(line, []byte("data: ")); ok {
			out := rewrite(rest)
			if len(out) == len(rest) && bytes.Equal(out, rest) {
				return line
			}
			return append([]byte("data: "), out...)
		}
		return rewrite(line)
	}
}

// echoIDs keeps the JSON-RPC ids of POSTed requests byte for byte on the
// streamable HTTP transport (see idEcho). Only a request that got a
// placeholder has its response rewritten; the others pass untouched.
func echoIDs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Body == nil {
			next.ServeHTTP(w, r)
			return
		}
		body, err := readBody(r)
		if err != nil {
			// The handler sees the same failure it would have seen.
			r.Body = readCloser{io.MultiReader(bytes.NewReader(body), errReader{err}), r.Body}
			next.ServeHTTP(w, r)
			return
		}
		e := newIDEcho()
		msg := e.request(body)
		setBody(r, msg)
		r.ContentLength = int64(len(msg))
		if len(e.raw) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		ew := &echoResponseWriter{ResponseWriter: w}
		ew.lines = &lineWriter{w: w, rewrite: sseOrJSONLine(e.response)}
		next.ServeHTTP(ew, r)
		_ = ew.lines.flushPartial()
	})
}

type readCloser struct {
	io.Reader
	io.Closer
}

// bufferedBody is a request body a middleware has read whole: the next one
// takes its bytes (readBody) instead of reading and copying them again.
// Nothing changes the bytes once they are a body.
type bufferedBody struct {
	bytes.Reader
	b []byte
	io.Closer
}

// setBody makes b the body of r, closing r's current body when it closes.
// A body a middleware set before is reset to b in place: four middlewares
// read and set the body of every POST, and one bufferedBody (one
// allocation) serves them all. Nothing reads a body again after handing it
// on (they keep the bytes, not the reader), so the reset changes no one's view.
func setBody(r *http.Request, b []byte) {
	if bb, ok := r.Body.(*bufferedBody); ok {
		bb.Reset(b)
		bb.b = b
		return
	}
	bb := &bufferedBody{b: b, Closer: r.Body}
	bb.Reset(b)
	r.Body = bb
}

// readBody reads r's body to its end: without a copy when it is a
// bufferedBody not read from yet.
func readBody(r *http.Request) ([]byte, error) {
	if bb, ok := r.Body.(*bufferedBody); ok && bb.Len() == len(bb.b) {
		_, _ = bb.Seek(0, io.SeekEnd)
		return bb.b, nil
	}
	return io.ReadAll(r.Body)
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// echoResponseWriter sends a response body through lineWriter; the length
// of the body changes, so a Content-Length set for it is dropped.
type echoResponseWriter struct {
	http.ResponseWriter
	lines *lineWriter
}

func (w *echoResponseWriter) WriteHeader(code int) {
	w.Header().Del("Content-Length")
	w.ResponseWriter.WriteHeader(code)
}

func (w *echoResponseWriter) Write(p []byte) (int, error) {
	w.Header().Del("Content-Length")
	return w.lines.Write(p)
}

// Flush sends the lines written so far; mcp-go flushes whole SSE events.
func (w *echoResponseWriter) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *echoResponseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
