package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Over stateless HTTP every request is its own ephemeral session, and mcp-go
// keys the calls it can cancel by session and request id: with no session,
// a notifications/cancelled POSTed by any client cancelled any client's call
// of that id (and ids are small integers every client reuses). callCancels
// takes cancellation over on HTTP: a call is registered under its caller
// (ownerOf: the org and user the request authenticated as, else its
// credential's digest), a cancellation reaches only that caller's calls of
// the id it names, and mcp-go never sees one. It also makes the calls that
// FastCalls answers cancellable, which mcp-go's table could not reach.
// callers also hands each request the callers' log levels (loglevel.go),
// the other state mcp-go shared between stateless clients.
type callers struct {
	mu     sync.Mutex
	calls  map[string][]*inflightCall // owner -> that caller's calls in flight
	levels *callerLevels
}

type inflightCall struct {
	body   []byte // the request as POSTed; its id is looked up only on a cancellation
	cancel context.CancelFunc
}

func newCallers() *callers {
	return &callers{calls: map[string][]*inflightCall{}, levels: newCallerLevels(maxCallerLevels)}
}

// wrap registers each POSTed message that may be a call under its caller,
// and answers a cancellation itself with 202 Accepted, as the transport
// answers every notification. It stands behind the auth middleware, whose
// callCtx names the caller and holds the call's cancel; a request without
// one passes through unregistered.
func (cc *callers) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := r.Context().Value(callCtxKey{}).(*callCtx)
		if !ok || r.Method != http.MethodPost || r.Body == nil {
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
		setBody(r, body)
		// Only a body holding "cancelled", or an escape that could spell
		// it, can be a cancellation: every other call pays one scan.
		if bytes.Contains(body, []byte("cancelled")) || bytes.Contains(body, []byte(`\u`)) {
			if id, ok := cancellation(body); ok {
				if id != nil {
					cc.cancel(c.owner, id)
				}
				w.WriteHeader(http.StatusAccepted)
				return
			}
		}
		c.levels = cc.levels
		call := &inflightCall{body: body, cancel: c.cancel}
		cc.add(c.owner, call)
		defer cc.remove(c.owner, call)
		next.ServeHTTP(w, r)
	})
}

func (cc *callers) add(owner string, c *inflightCall) {
	cc.mu.Lock()
	cc.calls[owner] = append(cc.calls[owner], c)
	cc.mu.Unlock()
}

func (cc *callers) remove(owner string, c *inflightCall) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	list := cc.calls[owner]
	for i, x := range list {
		if x == c {
			list[i] = list[len(list)-1]
			list[len(list)-1] = nil
			list = list[:len(list)-1]
			break
		}
	}
	if len(list) == 0 {
		delete(cc.calls, owner)
		return
	}
	cc.calls[owner] = list
}

// cancel cancels owner's calls in flight whose id is the one named.
func (cc *callers) cancel(owner string, id []byte) {
	want, ok := idValue(id)
	if !ok {
		return
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for _, c := range cc.calls[owner] {
		m, ok := members(c.body, "id", "method")
		if !ok {
			continue
		}
		is, hasID := m[0], m.has(0)
		if hasMethod := m.has(1); !hasID || !hasMethod {
			continue
		}
		if got, ok := idValue(c.body[is.start:is.end]); ok && got == want {
			c.cancel()
		}
	}
}

// idValue is a request id token as a value, so that a cancellation naming
// 1.0 or "\u0078" finds the request sent as 1 or "x", as mcp-go's own
// table (which keys decoded ids) did.
func idValue(tok []byte) (string, bool) {
	d := json.NewDecoder(bytes.NewReader(tok))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return "", false
	}
	switch v := v.(type) {
	case string:
		return "s" + v, true
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return "n" + strconv.FormatInt(i, 10), true
		}
		if !strings.ContainsAny(v.String(), ".eE") {
			return "n" + v.String(), true // an integer past int64, as written
		}
		if f, err := v.Float64(); err == nil {
			return "n" + strconv.FormatFloat(f, 'g', -1, 64), true
		}
		return "n" + v.String(), true
	default:
		return "", false
	}
}

// cancellation reports whether msg is a notifications/cancelled message (a
// notification: no id), with the requestId token it names (nil when it
// names none).
func cancellation(msg []byte) (requestID []byte, ok bool) {
	m, ok := members(msg, "id", "method", "params")
	if !ok {
		return nil, false
	}
	ms, hasMethod := m[1], m.has(1)
	if hasID := m.has(0); hasID || !hasMethod {
		return nil, false
	}
	var method string
	if json.Unmarshal(msg[ms.start:ms.end], &method) != nil || method != "notifications/cancelled" {
		return nil, false
	}
	ps, ok := m[2], m.has(2)
	if !ok {
		return nil, true
	}
	params := msg[ps.start:ps.end]
	pm, ok := members(params, "requestId")
	if !ok {
		return nil, true
	}
	rs, ok := pm[0], pm.has(0)
	if !ok {
		return nil, true
	}
	return params[rs.start:rs.end], true
}
