package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/sfmcp/sfmcp/internal/jsonscan"
)

// FastCalls answers the commonest request of stateless HTTP, one tools/call
// of a read-only tool, without mcp-go's generic machinery: mcp-go reads and
// decodes the body three times, makes a session (with its channels and a
// notification goroutine) for every request, decodes the arguments into a
// map nobody uses, and encodes the result through maps. Here the request is
// decoded once, the tool's own handler (the same handler.handle mcp-go
// calls, so every guard, limit, metric, audit line and span applies) runs,
// and the response is written directly, byte for byte what mcp-go writes.
//
// It takes only what it can answer exactly as mcp-go would, and passes
// everything else to mcp-go unchanged: a single JSON-RPC request (no batch,
// notification or response) of a protocol version before 2026-07-28, with
// exactly the members jsonrpc, id, method and params, and params with only
// name and arguments (no _meta: no progress token, no task, no protocol
// version of its own), naming a read-only tool that never asks for
// confirmation and never runs as a task. Give the same value to NewServer
// (Options.FastCalls), which registers the tools, and to HTTPHandler.
//
// What mcp-go would do around the handler and the fast path does not, each
// a no-op for these calls today: the hooks (sfmcp's BeforeCallTool only
// touches params.task, OnRequestInitialization only tasks/*), the recovery
// middleware (handle recovers itself), its tracer and request logger (not
// configured), session tools and tool filters (none), and its table of
// calls in flight (over HTTP, callers answers cancellations for both paths,
// and keeps the log levels a caller's failed call is reported at: a caller
// who asked for warnings is left to mcp-go). A change to any of these
// in NewServer must be mirrored here, or the tools left to mcp-go.
type FastCalls struct {
	tools  map[string]*handler
	served atomic.Int64 // calls answered here (for tests)
}

// NewFastCalls returns a FastCalls for one server.
func NewFastCalls() *FastCalls { return &FastCalls{tools: map[string]*handler{}} }

// add registers h when its calls qualify: read-only, no confirmation, no task.
func (f *FastCalls) add(def mcp.Tool, h *handler) {
	if f == nil || def.Execution != nil || longRunning(h.entry) || h.entry.Kind != nil ||
		!h.entry.Meta.ReadOnly || h.entry.Meta.Destructive {
		return
	}
	f.tools[def.Name] = h
}

// wrap answers the calls it can and passes the rest to next (mcp-go's
// streamable HTTP server) with the body as it came.
func (f *FastCalls) wrap(next http.Handler) http.Handler {
	if f == nil || len(f.tools) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Body == nil || !f.transportOK(r) {
			next.ServeHTTP(w, r)
			return
		}
		body, err := readBody(r)
		if err != nil {
			r.Body = readCloser{io.MultiReader(bytes.NewReader(body), errReader{err}), r.Body}
			next.ServeHTTP(w, r)
			return
		}
		setBody(r, body)
		if len(body) > server.DefaultMaxRequestBodyBytes {
			next.ServeHTTP(w, r)
			return
		}
		// A caller who asked for warnings gets them with a failed call,
		// as a notifications/message that only mcp-go sends.
		if wantsWarnings(r.Context()) {
			next.ServeHTTP(w, r)
			return
		}
		call, ok := f.parse(body)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		f.serve(r.Context(), w, r.Header, call)
	})
}

// transportOK checks what mcp-go's ServeHTTP and handlePost check before a
// legacy request reaches the server: the Host (DNS rebinding), the content
// type, the protocol version header and the session header.
func (f *FastCalls) transportOK(r *http.Request) bool {
	if !isLoopbackHost(r.Host) {
		// mcp-go refuses a request to a loopback address under another name.
		if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); !ok || la == nil || isLoopbackHost(la.String()) {
			return false
		}
	}
	if !isJSON(r.Header) {
		return false
	}
	if v := r.Header.Get(mcp.HeaderProtocolVersion); v != "" && (!mcp.IsValidProtocolVersion(v) || mcp.IsModernProtocol(v)) {
		return false
	}
	return r.Header.Get(server.HeaderKeySessionID) == ""
}

// isJSON reports whether a request's Content-Type is application/json, as
// mcp-go decides it. The spelling every client sends is taken as it is; any
// other is parsed (ParseMediaType makes a map a call).
func isJSON(h http.Header) bool {
	ct := h.Get("Content-Type")
	if ct == "application/json" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// isLoopbackHost is mcp-go's test of a Host header (http_localhost.go).
func isLoopbackHost(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = strings.Trim(addr, "[]")
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// fastCall is a request the fast path answers.
type fastCall struct {
	id   []byte // the id token as the client wrote it
	name string
	args json.RawMessage
	h    *handler
}

// parse decodes body when it is a call the fast path answers exactly.
func (f *FastCalls) parse(body []byte) (fastCall, bool) {
	if !bytes.Contains(body, []byte(`"tools/call"`)) {
		return fastCall{}, false
	}
	// Member names exactly as written, each once: encoding/json would match
	// "Method" or a duplicate, which mcp-go refuses or reads otherwise.
	top, ok := exactMembers(body, "jsonrpc", "id", "method", "params")
	if !ok || !top.has(0) || !top.has(1) || !top.has(2) || !top.has(3) {
		return fastCall{}, false
	}
	params := body[top[3].start:top[3].end]
	pm, ok := exactMembers(params, "name", "arguments")
	if !ok || !pm.has(0) || !json.Valid(body) {
		return fastCall{}, false
	}
	if v, ok := plainString(body, top[0]); !ok || string(v) != mcp.JSONRPC_VERSION {
		return fastCall{}, false
	}
	if v, ok := plainString(body, top[2]); !ok || string(v) != string(mcp.MethodToolsCall) {
		return fastCall{}, false
	}
	id := body[top[1].start:top[1].end]
	if !plainID(id) {
		return fastCall{}, false
	}
	nb, ok := plainString(params, pm[0])
	if !ok {
		return fastCall{}, false
	}
	h := f.tools[string(nb)]
	if h == nil {
		return fastCall{}, false
	}
	// The operation's own name string when it is the tool's (it always
	// is today), rather than a copy of the request's bytes.
	name := h.entry.Meta.Name
	if name != string(nb) {
		name = string(nb)
	}
	var args json.RawMessage
	if pm.has(1) {
		args = params[pm[1].start:pm[1].end]
		// mcp-go also decodes the arguments into a map: a number that
		// overflows a float64 fails the whole request there.
		if args[0] != '{' || !floatSafe(args) {
			return fastCall{}, false
		}
	}
	return fastCall{id: id, name: name, args: args, h: h}, true
}

// memberSpans are the values exactMembers found, by the index of their name
// (a span with end 0: absent).
type memberSpans [4]span

func (m *memberSpans) has(i int) bool { return m[i].end > 0 }

// exactMembers is members with names (at most 4) matched exactly, each at
// most once, and no others.
func exactMembers(msg []byte, names ...string) (found memberSpans, ok bool) {
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
			return found, false
		}
		keyEnd := jsonscan.SkipString(msg, i)
		if keyEnd < 0 {
			return found, false
		}
		key := msg[i+1 : keyEnd-1]
		k := -1
		for j, n := range names {
			if string(key) == n {
				k = j
				break
			}
		}
		if k < 0 || found.has(k) {
			return found, false
		}
		i = jsonscan.SkipSpace(msg, keyEnd)
		if i >= len(msg) || msg[i] != ':' {
			return found, false
		}
		i = jsonscan.SkipSpace(msg, i+1)
		end := jsonscan.SkipValue(msg, i)
		if end < 0 {
			return found, false
		}
		found[k] = span{i, end}
		i = jsonscan.SkipSpace(msg, end)
		if i >= len(msg) {
			return found, false
		}
		switch msg[i] {
		case ',':
			i = jsonscan.SkipSpace(msg, i+1)
		case '}':
			return found, len(bytes.TrimSpace(msg[i+1:])) == 0
		default:
			return found, false
		}
	}
}

// plainString is the text of the string at s in msg (msg's own bytes,
// compared without a copy) when it has no escapes.
func plainString(msg []byte, s span) ([]byte, bool) {
	tok := msg[s.start:s.end]
	if len(tok) < 2 || tok[0] != '"' || bytes.IndexByte(tok[1:len(tok)-1], '\\') >= 0 {
		return nil, false
	}
	return tok[1 : len(tok)-1], true
}

// plainID reports whether mcp-go writes the id token back as it came (see
// echoedExactly), placeholders of idEcho included.
func plainID(tok []byte) bool {
	if len(tok) >= 2 && tok[0] == '"' && bytes.HasPrefix(tok[1:], []byte(idPlaceholderPrefix)) {
		exact, _ := echoedExactly(append([]byte(`"x`), tok[1+len(idPlaceholderPrefix):]...))
		return exact
	}
	exact, idLike := echoedExactly(tok)
	return exact && idLike
}

// floatSafe reports whether every number in the JSON value v decodes to a
// finite float64: no exponent and at most 300 digits.
func floatSafe(v []byte) bool {
	n := 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"':
			end := jsonscan.SkipString(v, i)
			if end < 0 {
				return false
			}
			i = end - 1
			n = 0
		case c == 'e' || c == 'E':
			return false
		case c >= '0' && c <= '9':
			if n++; n > 300 {
				return false
			}
		default:
			if c != '.' && c != '-' {
				n = 0
			}
		}
	}
	return true
}

// serve runs the call through the tool's handler and writes the response as
// mcp-go's handlePost does for a legacy request: 200, application/json, the
// JSON-RPC response encoded by encoding/json's Encoder (so with a newline).
func (f *FastCalls) serve(ctx context.Context, w http.ResponseWriter, hdr http.Header, c fastCall) {
	req := mcp.CallToolRequest{Header: hdr}
	req.Method = string(mcp.MethodToolsCall)
	req.Params.Name = c.name
	req.Params.RawArguments = c.args
	res, _ := c.h.handle(ctx, req)
	f.served.Add(1)
	// One allocation for the whole response: appendResult's own estimate
	// of the result, and the envelope around it.
	out := make([]byte, 0, len(`{"jsonrpc":"2.0","id":,"result":}`+"\n")+len(c.id)+resultRoom(res))
	out = append(out, `{"jsonrpc":"2.0","id":`...)
	out = append(out, c.id...)
	out = append(out, `,"result":`...)
	n := len(out)
	var ok bool
	if out, ok = appendResult(out, res); !ok {
		out = out[:n]
		// A result of another shape (handle always gives one): encoded
		// as mcp-go's Encoder encodes the result member.
		raw, _ := json.Marshal(res)
		out = append(out, raw...)
	}
	out = append(out, '}', '\n')
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

// resultRoom is the room appendResult wants for res, to write it without
// growing: the text grows by its escapes (a CSV text's line ends and
// quotes, some in a hundred). 256 for a result of another shape.
func resultRoom(res *mcp.CallToolResult) int {
	if res == nil || len(res.Content) != 1 {
		return 256
	}
	tc, ok := res.Content[0].(mcp.TextContent)
	if !ok {
		return 256
	}
	structured, _ := res.StructuredContent.(json.RawMessage)
	return len(`{"content":[{"type":"text","text":""}],"isError":true,"structuredContent":}`) +
		len(tc.Text) + len(tc.Text)/16 + len(structured)
}

// appendResult appends res as CallToolResult.MarshalJSON encodes it (keys
// in order: content, isError, structuredContent) when it has the shape the
// tool handler gives it: one text content, and structured content as JSON.
func appendResult(out []byte, res *mcp.CallToolResult) ([]byte, bool) {
	if res == nil || res.Meta != nil || res.ResultType != "" || len(res.InputRequests) > 0 || res.RequestState != "" ||
		len(res.RawStructuredContent) > 0 || len(res.Content) != 1 {
		return out, false
	}
	tc, ok := res.Content[0].(mcp.TextContent)
	if !ok || tc.Meta != nil || tc.Annotations != nil || tc.Type != mcp.ContentTypeText {
		return out, false
	}
	var structured json.RawMessage
	if res.StructuredContent != nil {
		if structured, ok = res.StructuredContent.(json.RawMessage); !ok || len(structured) == 0 {
			return out, false
		}
	}
	out = slices.Grow(out, resultRoom(res))
	out = append(out, `{"content":[{"type":"text","text":`...)
	if q, ok := appendJSONString(out, tc.Text); ok {
		out = q
	} else {
		text, err := json.Marshal(tc.Text)
		if err != nil {
			return out, false
		}
		out = append(out, text...)
	}
	out = append(out, "}]"...)
	if res.IsError {
		out = append(out, `,"isError":true`...)
	}
	if structured != nil {
		out = append(out, `,"structuredContent":`...)
		if encodedAsIs(structured) {
			out = append(out, structured...)
		} else {
			// What encoding/json does to a RawMessage: compact it and
			// escape <, >, &, U+2028 and U+2029.
			var c, e bytes.Buffer
			if json.Compact(&c, structured) != nil {
				return out, false
			}
			json.HTMLEscape(&e, c.Bytes())
			out = append(out, e.Bytes()...)
		}
	}
	return append(out, '}'), true
}

// appendJSONString appends s as encoding/json's Marshal writes a string
// (TestAppendJSONString compares them): quoted, with \" \\ \b \f \n \r \t,
// other control characters, <, >, &, U+2028 and U+2029 as \u00xx or \u20xx,
// and everything else as it is. It reports false, having appended nothing
// to dst's length, for text that is not valid UTF-8, which Marshal
// repairs. Without Marshal the text is neither boxed nor copied twice.
func appendJSONString(dst []byte, s string) ([]byte, bool) {
	if !utf8.ValidString(s) {
		return dst, false
	}
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	done := 0 // s[:done] is written
	for i := 0; i < len(s); i++ {
		c := s[i]
		var esc string
		switch {
		case c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' && c != 0xE2:
			continue
		case c == 0xE2:
			// U+2028 and U+2029 (E2 80 A8, E2 80 A9), which JavaScript
			// takes for line ends.
			if i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9) {
				dst = append(dst, s[done:i]...)
				dst = append(dst, `\u202`...)
				dst = append(dst, hex[s[i+2]&0xF])
				i += 2
				done = i + 1
			}
			continue
		case c == '"':
			esc = `\"`
		case c == '\\':
			esc = `\\`
		case c == '\b':
			esc = `\b`
		case c == '\f':
			esc = `\f`
		case c == '\n':
			esc = `\n`
		case c == '\r':
			esc = `\r`
		case c == '\t':
			esc = `\t`
		}
		dst = append(dst, s[done:i]...)
		if esc != "" {
			dst = append(dst, esc...)
		} else { // another control character, <, > or &
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		done = i + 1
	}
	dst = append(dst, s[done:]...)
	return append(dst, '"'), true
}

// encodedAsIs reports whether encoding/json writes the JSON value b
// unchanged: no space outside strings, nothing it escapes for HTML.
func encodedAsIs(b []byte) bool {
	in := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			in = !in
		case '\\':
			if in {
				i++
			}
		case ' ', '\t', '\n', '\r':
			if !in {
				return false
			}
		case '<', '>', '&':
			return false
		case 0xE2:
			if i+2 < len(b) && b[i+1] == 0x80 && (b[i+2] == 0xA8 || b[i+2] == 0xA9) {
				return false
			}
		}
	}
	return !in
}
