package h1

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits and defaults, as net/http's Transport has them.
const (
	// defaultMaxIdlePerHost is net/http's DefaultMaxIdleConnsPerHost.
	defaultMaxIdlePerHost = 2
	// defaultMaxHeaderBytes bounds a response head when the base transport
	// sets no MaxResponseHeaderBytes (net/http's default, 10 MiB).
	defaultMaxHeaderBytes = 10 << 20
	// defaultBufSize is net/http's connection buffer size.
	defaultBufSize = 4 << 10
	// max1xx bounds the informational responses skipped before the final one,
	// so a server cannot keep a request waiting with an endless stream of them.
	max1xx = 5
	// maxDirectBody is the largest request body sent here. The body is
	// written before the response is read, so a server that answers early
	// (a 413, an expired session) while not reading a large upload would
	// block the write; net/http reads the answer concurrently, so bigger
	// bodies, and bodies of unknown length, go to the base transport.
	maxDirectBody = 1 << 20
	// checkIdleAfter: a connection idle longer than this is checked for a
	// close from the server before it is reused (one non-blocking peek), as
	// net/http's idle read loop notices one at once. Under load connections
	// idle for microseconds and skip the system call; a server closing a
	// connection within this window is the race net/http has as well.
	checkIdleAfter = 100 * time.Millisecond
)

// Transport is an http.RoundTripper that sends HTTP/1.1 requests on the
// caller's goroutine: it writes the request and reads the response head on
// the goroutine that calls RoundTrip, and the body on the one that reads it,
// where net/http's Transport hands each request to a connection's write and
// read goroutines through channels. It keeps its own pool of keep-alive
// connections per scheme and host.
//
// It takes only what it can do exactly as net/http would; any other request
// (through a proxy, another scheme, an upgrade, Expect: 100-continue, a body
// of unknown or large size, an httptrace.ClientTrace, an invalid header) goes
// to the base *http.Transport it was made from. It speaks HTTP/1.1 only, also
// over TLS, where the base transport may negotiate HTTP/2.
//
// A Transport is safe for concurrent use.
type Transport struct {
	base *http.Transport
	// proxy is base.Proxy: a request it names a proxy for goes to base.
	proxy func(*http.Request) (*url.URL, error)
	dial  func(ctx context.Context, network, addr string) (net.Conn, error)
	// tlsConfig is a clone of base.TLSClientConfig; nil means defaults.
	tlsConfig             *tls.Config
	tlsHandshakeTimeout   time.Duration
	responseHeaderTimeout time.Duration
	idleConnTimeout       time.Duration
	maxIdlePerHost        int
	maxIdle               int // base.MaxIdleConns: idle connections over all hosts (0: no bound)
	maxConnsPerHost       int
	maxHeaderBytes        int64
	readBufSize           int
	writeBufSize          int
	disableCompression    bool
	disableKeepAlives     bool
	// baseOnly sends every request to base: it dials in a way this
	// transport cannot (Dial without DialContext) or does not speak HTTP/1.
	baseOnly bool
	// baseTLS sends https requests to base: it dials TLS itself.
	baseTLS bool

	mu    sync.Mutex
	hosts map[hostKey]*hostPool
	// idle counts the idle connections of all hosts, against maxIdle: serve
	// may talk to as many instances as its users' orgs.
	idle int
}

// NewTransport returns a Transport configured by base: its Proxy,
// DialContext, TLSClientConfig, TLSHandshakeTimeout, ResponseHeaderTimeout,
// IdleConnTimeout, MaxIdleConns, MaxIdleConnsPerHost (and MaxConnsPerHost if set),
// MaxResponseHeaderBytes, ReadBufferSize, WriteBufferSize,
// DisableCompression and DisableKeepAlives. Requests it does not take go to
// base itself, which must not be changed afterwards. A nil base is a clone
// of http.DefaultTransport.
func NewTransport(base *http.Transport) *Transport {
	if base == nil {
		base = http.DefaultTransport.(*http.Transport).Clone()
	}
	t := &Transport{
		base:                  base,
		proxy:                 base.Proxy,
		dial:                  base.DialContext,
		tlsHandshakeTimeout:   base.TLSHandshakeTimeout,
		responseHeaderTimeout: base.ResponseHeaderTimeout,
		idleConnTimeout:       base.IdleConnTimeout,
		maxIdlePerHost:        base.MaxIdleConnsPerHost,
		maxIdle:               base.MaxIdleConns,
		maxConnsPerHost:       base.MaxConnsPerHost,
		maxHeaderBytes:        base.MaxResponseHeaderBytes,
		readBufSize:           base.ReadBufferSize,
		writeBufSize:          base.WriteBufferSize,
		disableCompression:    base.DisableCompression,
		disableKeepAlives:     base.DisableKeepAlives,
		hosts:                 make(map[hostKey]*hostPool),
	}
	if base.TLSClientConfig != nil {
		t.tlsConfig = base.TLSClientConfig.Clone()
	}
	if t.dial == nil {
		if base.Dial != nil { //nolint:staticcheck // honoured as net/http does, by handing over
			t.baseOnly = true
		}
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
		t.dial = d.DialContext
	}
	if base.Protocols != nil && !base.Protocols.HTTP1() {
		t.baseOnly = true
	}
	t.baseTLS = base.DialTLSContext != nil || base.DialTLS != nil //nolint:staticcheck // as above
	if t.maxIdlePerHost == 0 {
		t.maxIdlePerHost = defaultMaxIdlePerHost
	}
	if t.maxHeaderBytes <= 0 {
		t.maxHeaderBytes = defaultMaxHeaderBytes
	}
	if t.readBufSize <= 0 {
		t.readBufSize = defaultBufSize
	}
	if t.writeBufSize <= 0 {
		t.writeBufSize = defaultBufSize
	}
	return t
}

// CloseIdleConnections closes the idle connections of this transport's
// pool and of the base transport's.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	var idle []*clientConn
	for _, hp := range t.hosts {
		idle = append(idle, hp.idle...)
		clear(hp.idle)
		hp.idle = hp.idle[:0]
	}
	t.idle = 0
	t.mu.Unlock()
	for _, c := range idle {
		t.closeConn(c)
	}
	t.base.CloseIdleConnections()
}

// RoundTrip sends req and returns its response, on the caller's goroutine;
// see Transport. As an http.RoundTripper it does not change req, and it
// closes req.Body, also on an error.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	p, ok := t.plan(req)
	if !ok {
		return t.base.RoundTrip(req)
	}
	ctx := req.Context()
	body := req.Body
	if body == http.NoBody {
		body = nil
	}
	if ctx.Err() != nil {
		closeBody(body)
		return nil, context.Cause(ctx)
	}
	for attempt := 0; ; attempt++ {
		// The retry takes a fresh connection: the pool may hold more
		// that the server closed in the same sweep.
		c, err := t.getConn(ctx, p.key, attempt > 0)
		if err != nil {
			closeBody(body)
			return nil, err
		}
		resp, retry, err := t.send(ctx, c, req, &p, body)
		if err == nil {
			return resp, nil
		}
		if !retry || attempt > 0 {
			return nil, err
		}
		if body != nil {
			// The first attempt consumed and closed the body; GetBody is
			// how net/http replays one too.
			if body, err = req.GetBody(); err != nil {
				return nil, fmt.Errorf("h1: replaying the request body: %w", err)
			}
			if body == http.NoBody {
				body = nil
			}
		}
	}
}

// plan is what RoundTrip works out once about a request it takes.
type plan struct {
	key    hostKey
	method string
	host   string // the Host header
	// uri and query are the request target, URL.RequestURI() written in
	// two parts: uri without the query, then "?" and query when hasQuery.
	// RequestURI joins them into a new string each request.
	uri      string
	query    string
	hasQuery bool
	// length is the body's Content-Length; 0 with no body.
	length int64
	gzip   bool // Accept-Encoding: gzip added
	close  bool // the request asks the server to close the connection
	// replayable: the request may be sent again after a connection
	// failed before any answer, as net/http's Request.isReplayable says.
	replayable bool
}

// plan reports whether t sends req itself, and how. Anything it cannot do
// exactly as net/http goes to the base transport, which also gives net/http's
// errors for invalid requests.
func (t *Transport) plan(req *http.Request) (plan, bool) {
	var p plan
	if t.baseOnly || req.URL == nil || req.Header == nil || req.Cancel != nil || len(req.TransferEncoding) > 0 || req.Trailer != nil {
		return p, false
	}
	switch req.URL.Scheme {
	case "http":
	case "https":
		if t.baseTLS {
			return p, false
		}
		p.key.https = true
	default:
		return p, false
	}
	p.method = req.Method
	if p.method == "" {
		p.method = http.MethodGet
	}
	if p.method == http.MethodConnect || !isToken(p.method) {
		return p, false
	}
	p.key.host = req.URL.Host
	if !plainHost(p.key.host) {
		return p, false
	}
	p.host = req.Host
	if p.host == "" {
		p.host = p.key.host
	} else if !plainHost(p.host) {
		return p, false
	}
	// RequestURI of the URL without its query is the target's first part
	// (nothing RequestURI does before the query looks at it), made
	// without an allocation for a path that needs no escaping.
	u := *req.URL
	u.RawQuery, u.ForceQuery = "", false
	p.uri = u.RequestURI()
	p.query, p.hasQuery = req.URL.RawQuery, req.URL.ForceQuery || req.URL.RawQuery != ""
	if hasCTL(p.uri) || hasCTL(p.query) {
		return p, false
	}
	// Upgrade and Expect: 100-continue need the connection handed over or
	// a concurrent read; an invalid header gets net/http's error there.
	for k, vs := range req.Header {
		if !isToken(k) {
			return p, false
		}
		for _, v := range vs {
			if hasCTL(v) {
				return p, false
			}
		}
	}
	if _, ok := req.Header["Upgrade"]; ok {
		return p, false
	}
	if _, ok := req.Header["Expect"]; ok {
		return p, false
	}
	if req.Body != nil && req.Body != http.NoBody {
		// ContentLength 0 with a body means unknown: net/http probes it.
		if req.ContentLength <= 0 || req.ContentLength > maxDirectBody {
			return p, false
		}
		p.length = req.ContentLength
	} else if req.ContentLength > 0 {
		// A length with no body: net/http refuses it with its error.
		return p, false
	}
	if httptrace.ContextClientTrace(req.Context()) != nil {
		return p, false
	}
	if t.proxy != nil {
		if u, err := t.proxy(req); err != nil || u != nil {
			return p, false
		}
	}
	p.gzip = !t.disableCompression && p.method != http.MethodHead &&
		req.Header.Get("Accept-Encoding") == "" && req.Header.Get("Range") == ""
	p.close = req.Close || hasToken(headerGet(req.Header, "Connection"), "close")
	p.replayable = (p.length == 0 || req.GetBody != nil) && replayableMethod(req)
	return p, true
}

func replayableMethod(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	_, ok := req.Header["Idempotency-Key"]
	_, xok := req.Header["X-Idempotency-Key"]
	return ok || xok
}

// send writes req on c and reads the response head. It owns c and body: on
// an error it closes both, and retry reports whether the request may be
// sent again on another connection (c was reused, and failed before any
// answer in a way net/http retries).
func (t *Transport) send(ctx context.Context, c *clientConn, req *http.Request, p *plan, body io.ReadCloser) (resp *http.Response, retry bool, err error) {
	stop := c.watch(ctx)
	// fail closes c after a failure. An interrupted context is the cause
	// of whatever the connection then says, and is returned bare, as
	// net/http returns it; else err, wrapped with what was going on.
	interrupted := false
	fail := func(doing string, err error) error {
		stop()
		t.closeConn(c)
		if ctx.Err() != nil || c.wasCancelled() {
			interrupted = true
			return context.Cause(ctx)
		}
		if doing == "" {
			return err
		}
		return fmt.Errorf("h1: %s: %w", doing, err)
	}
	written := c.written
	if err := t.writeRequest(c, req, p, body); err != nil {
		var be *bodyError
		if errors.As(err, &be) {
			// The caller's body failed, not the connection: its error as it is.
			return nil, false, fail("", be.err)
		}
		nothingWritten := c.written == written
		err = fail("writing the request", err)
		return nil, !interrupted && c.reused && nothingWritten && (p.length == 0 || req.GetBody != nil), err
	}
	if t.responseHeaderTimeout > 0 {
		c.setReadDeadline(time.Now().Add(t.responseHeaderTimeout))
	}
	c.rd.limit = t.maxHeaderBytes
	// The first byte tells a connection the server closed while idle
	// (nothing comes back) from a failure in mid-answer.
	if _, err := c.br.Peek(1); err != nil {
		if t.headerTimedOut(ctx, c, err) {
			fail("", nil)
			return nil, false, &timeoutError{"h1: timeout awaiting response headers"}
		}
		err = fail("the server closed the connection before answering", err)
		return nil, !interrupted && c.reused && p.replayable, err
	}
	for n := 0; ; n++ {
		resp, err = http.ReadResponse(c.br, req)
		if err != nil {
			if t.headerTimedOut(ctx, c, err) {
				fail("", nil)
				return nil, false, &timeoutError{"h1: timeout awaiting response headers"}
			}
			if c.rd.limit <= 0 {
				err = fmt.Errorf("server response headers exceeded %d bytes", t.maxHeaderBytes)
			}
			return nil, false, fail("reading the response", err)
		}
		if resp.StatusCode < 100 || resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
		if n == max1xx {
			return nil, false, fail("", errors.New("h1: too many 1xx informational responses"))
		}
	}
	c.rd.limit = math.MaxInt64
	if t.responseHeaderTimeout > 0 {
		c.setReadDeadline(time.Time{})
	}
	resp.TLS = c.tlsState
	keep := !t.disableKeepAlives && !p.close && !resp.Close && resp.StatusCode != http.StatusSwitchingProtocols
	if p.method == http.MethodHead || resp.ContentLength == 0 {
		// Nothing to read: the connection is free now, as net/http frees it.
		t.release(c, stop, keep)
		return resp, false, nil
	}
	b := &respBody{t: t, c: c, rc: resp.Body, ctx: ctx, stop: stop, keep: keep}
	resp.Body = b
	if p.gzip && strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		resp.Body = &gzipBody{b: b}
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
		resp.ContentLength = -1
		resp.Uncompressed = true
	}
	return resp, false, nil
}

// headerTimedOut reports whether err is ResponseHeaderTimeout's deadline
// passing, not the context's interruption.
func (t *Transport) headerTimedOut(ctx context.Context, c *clientConn, err error) bool {
	return t.responseHeaderTimeout > 0 && isTimeout(err) && ctx.Err() == nil && !c.wasCancelled()
}

// bodyError is a failure reading the caller's request body (not the
// connection), returned as it is, as net/http returns it.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return e.err.Error() }

// reqExclude are the headers writeRequest writes itself, as Request.Write
// leaves them out of the caller's.
func reqExclude(k string) bool {
	switch k {
	case "Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer":
		return true
	}
	return false
}

// writeRequest writes req as net/http's Transport does, with body (which it
// closes) in place of req.Body, and flushes it.
func (t *Transport) writeRequest(c *clientConn, req *http.Request, p *plan, body io.ReadCloser) error {
	defer closeBody(body)
	w := c.bw
	w.WriteString(p.method)
	w.WriteByte(' ')
	w.WriteString(p.uri)
	if p.hasQuery {
		w.WriteByte('?')
		w.WriteString(p.query)
	}
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(p.host)
	w.WriteString("\r\n")
	ua := "Go-http-client/1.1"
	if _, ok := req.Header["User-Agent"]; ok {
		ua = headerGet(req.Header, "User-Agent")
	}
	if ua != "" {
		w.WriteString("User-Agent: ")
		writeSanitized(w, ua)
		w.WriteString("\r\n")
	}
	if req.Close && !hasToken(headerGet(req.Header, "Connection"), "close") {
		w.WriteString("Connection: close\r\n")
	}
	switch {
	case p.length > 0:
		w.WriteString("Content-Length: ")
		w.Write(strconv.AppendInt(w.AvailableBuffer(), p.length, 10))
		w.WriteString("\r\n")
	case p.method == http.MethodPost || p.method == http.MethodPut || p.method == http.MethodPatch:
		// net/http sends a zero length for these, which many servers expect.
		w.WriteString("Content-Length: 0\r\n")
	}
	// The caller's headers in key order, each value's line breaks turned
	// to spaces and its ends trimmed, as Header.Write does.
	var buf [16]string // on the stack for a usual request's headers
	keys := buf[:0]
	for k := range req.Header {
		if !reqExclude(k) {
			keys = append(keys, k)
		}
	}
	sortStrings(keys)
	for _, k := range keys {
		for _, v := range req.Header[k] {
			w.WriteString(k)
			w.WriteString(": ")
			writeSanitized(w, v)
			w.WriteString("\r\n")
		}
	}
	if p.gzip {
		w.WriteString("Accept-Encoding: gzip\r\n")
	}
	if t.disableKeepAlives && !p.close {
		w.WriteString("Connection: close\r\n")
	}
	w.WriteString("\r\n")
	if body != nil {
		n, err := io.Copy(w, readerOnly{io.LimitReader(body, p.length), &c.bodyErr})
		if err == nil && n == p.length {
			// net/http reads on to check the body's length.
			var one [1]byte
			var m int
			m, err = io.ReadFull(body, one[:])
			if m > 0 {
				err = fmt.Errorf("http: ContentLength=%d with Body length %d", p.length, n+1)
				return &bodyError{err}
			}
			err = nil
		}
		if c.bodyErr != nil {
			err, c.bodyErr = c.bodyErr, nil
			return &bodyError{err}
		}
		if err != nil {
			return err
		}
		if n != p.length {
			return &bodyError{fmt.Errorf("http: ContentLength=%d with Body length %d", p.length, n)}
		}
	}
	return w.Flush()
}

// readerOnly records the caller's body's read errors apart from the
// connection's write errors, which io.Copy would mix.
type readerOnly struct {
	r   io.Reader
	err *error
}

func (r readerOnly) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		*r.err = err
	}
	return n, err
}

// release ends a round trip whose response is read: c goes back to the pool
// when keep allows and the context did not interrupt it, else it is closed.
func (t *Transport) release(c *clientConn, stop func() bool, keep bool) {
	if !stop() || c.wasCancelled() {
		keep = false
	}
	if c.br.Buffered() > 0 {
		// Bytes past the end of the response (a body longer than its
		// length, one on a HEAD or a 204): the next request would read
		// them as its answer. net/http's idle read loop drops such a
		// connection too.
		keep = false
	}
	if keep && c.tlsState != nil {
		// TLS may hold whole records read off the socket with the
		// response's: a read that cannot wait finds them.
		c.nc.SetReadDeadline(time.Unix(1, 0))
		_, err := c.br.Peek(1)
		c.nc.SetReadDeadline(time.Time{})
		keep = err != nil && isTimeout(err)
	}
	if keep {
		t.putIdle(c)
	} else {
		t.closeConn(c)
	}
}

// respBody is a response body read on the caller's goroutine. At its end the
// connection goes back to the pool; closed earlier, or failing, the
// connection is closed, since the rest of the response is still on it.
type respBody struct {
	t    *Transport
	c    *clientConn
	rc   io.ReadCloser // http.ReadResponse's body, reading from c
	ctx  context.Context
	stop func() bool // ends the context's watch on c
	keep bool        // c may be reused after the end

	mu     sync.Mutex
	err    error // what every later Read returns: io.EOF, or the failure
	closed bool
}

func (b *respBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	closed, err := b.closed, b.err
	b.mu.Unlock()
	if closed {
		return 0, errReadOnClosed
	}
	if err != nil {
		return 0, err
	}
	// Unlocked: Close may come from another goroutine while this waits,
	// and closes the connection to end the wait.
	n, err := b.rc.Read(p)
	if err == nil {
		return n, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return n, errReadOnClosed
	}
	if err == io.EOF {
		b.err = io.EOF
		b.t.release(b.c, b.stop, b.keep)
		return n, io.EOF
	}
	b.stop()
	b.t.closeConn(b.c)
	if b.ctx.Err() != nil || b.c.wasCancelled() {
		err = context.Cause(b.ctx)
	} else if err == io.ErrUnexpectedEOF {
		// As net/http: the body ended before its length or last chunk.
		err = fmt.Errorf("h1: reading the response body: %w", err)
	}
	b.err = err
	return n, err
}

// Close ends the body; before its end it closes the connection rather than
// read the rest.
func (b *respBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if b.err == nil {
		b.stop()
		b.t.closeConn(b.c)
	}
	return nil
}

// errReadOnClosed is net/http's answer to a read after Close.
var errReadOnClosed = errors.New("http: read on closed response body")

// gzipBody decompresses a body the transport asked gzip for, starting at
// the first Read so that a body closed unread costs nothing.
type gzipBody struct {
	b   *respBody
	zr  *gzip.Reader
	err error
}

func (g *gzipBody) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	if g.zr == nil {
		zr, err := gzip.NewReader(g.b)
		if err != nil {
			g.err = err
			return 0, err
		}
		g.zr = zr
	}
	n, err := g.zr.Read(p)
	if err != nil {
		g.err = err
	}
	return n, err
}

func (g *gzipBody) Close() error { return g.b.Close() }

// timeoutError is a net.Error that timed out, as net/http's own timeouts.
type timeoutError struct{ msg string }

func (e *timeoutError) Error() string   { return e.msg }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// hostKey names a pool: connections are reused only for the same scheme and
// URL host (host[:port] as written).
type hostKey struct {
	https bool
	host  string
}

// hostPool holds one key's connections.
type hostPool struct {
	idle []*clientConn // the most recently used last (LIFO)
	open int           // connections dialled and not yet closed
	// freed, when set, is closed (and cleared) when a connection goes idle
	// or closes: callers waiting for MaxConnsPerHost to allow a dial.
	freed chan struct{}
}

// getConn returns an idle connection for key, or a new one. fresh skips the
// idle ones.
func (t *Transport) getConn(ctx context.Context, key hostKey, fresh bool) (*clientConn, error) {
	for {
		t.mu.Lock()
		hp := t.hosts[key]
		if hp == nil {
			hp = &hostPool{}
			t.hosts[key] = hp
		}
		var c *clientConn
		var stale []*clientConn
		now := time.Time{}
		for !fresh && len(hp.idle) > 0 {
			n := len(hp.idle) - 1
			c = hp.idle[n]
			hp.idle[n] = nil
			hp.idle = hp.idle[:n]
			t.idle--
			if now.IsZero() {
				now = time.Now()
			}
			if t.idleConnTimeout > 0 && now.Sub(c.idleAt) > t.idleConnTimeout {
				stale = append(stale, c)
				c = nil
				continue
			}
			break
		}
		if c == nil && fresh && t.maxConnsPerHost > 0 && hp.open >= t.maxConnsPerHost && len(hp.idle) > 0 {
			// Idle connections hold every place a fresh one needs, and no
			// one may come to free them: the oldest makes room.
			stale = append(stale, hp.idle[0])
			hp.idle = slices.Delete(hp.idle, 0, 1)
			t.idle--
		}
		var wait chan struct{}
		dial := false
		if c == nil {
			if t.maxConnsPerHost <= 0 || hp.open-len(stale) < t.maxConnsPerHost {
				hp.open++
				dial = true
			} else {
				if hp.freed == nil {
					hp.freed = make(chan struct{})
				}
				wait = hp.freed
			}
		}
		t.mu.Unlock()
		for _, s := range stale {
			t.closeConn(s)
		}
		if c != nil {
			// Its idle timer runs on: when it fires, expire finds c in
			// use and lets it be (see putIdle).
			if now.Sub(c.idleAt) > checkIdleAfter && c.peerSpoke() {
				t.closeConn(c)
				continue
			}
			c.reused = true
			return c, nil
		}
		if dial {
			c, err := t.dialConn(ctx, key)
			if err != nil {
				t.mu.Lock()
				t.forget(key, hp)
				t.mu.Unlock()
				return nil, err
			}
			return c, nil
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}

// forget counts one of hp's connections closed and wakes its waiters; t.mu
// is held.
func (t *Transport) forget(key hostKey, hp *hostPool) {
	hp.open--
	if hp.freed != nil {
		close(hp.freed)
		hp.freed = nil
	}
	if hp.open == 0 && len(hp.idle) == 0 && t.hosts[key] == hp {
		delete(t.hosts, key) // keeps the map to the hosts in use
	}
}

// putIdle returns c to its pool, or closes it when the pool is full.
func (t *Transport) putIdle(c *clientConn) {
	t.mu.Lock()
	hp := t.hosts[c.key]
	// Past either bound the connection is closed rather than kept: the
	// bounds hold, and the idle ones already kept are as good.
	if hp == nil || len(hp.idle) >= t.maxIdlePerHost || (t.maxIdle > 0 && t.idle >= t.maxIdle) {
		t.mu.Unlock()
		t.closeConn(c)
		return
	}
	c.idleAt = time.Now()
	hp.idle = append(hp.idle, c)
	t.idle++
	if hp.freed != nil {
		close(hp.freed)
		hp.freed = nil
	}
	if t.idleConnTimeout > 0 && !c.idleArmed {
		// The timer closes the connection if nobody takes it in time,
		// rather than leave the descriptor open until the next request.
		// It is set when it is not running, not on every return to the
		// pool (nor stopped when the connection is taken): a connection
		// under load goes back and forth many times a second, and a
		// timer's stop and reset each time cost more than the rare
		// firing, which expire judges by idleAt.
		c.idleArmed = true
		if c.idleTimer == nil {
			c.idleTimer = time.AfterFunc(t.idleConnTimeout, func() { t.expire(c) })
		} else {
			c.idleTimer.Reset(t.idleConnTimeout)
		}
	}
	t.mu.Unlock()
}

// expire is c's idle timer firing: it closes c if c has been idle for
// idleConnTimeout, waits out the rest if c went idle again since the timer
// was set, and leaves a connection in use (or closed) alone, for putIdle to
// set the timer again.
func (t *Transport) expire(c *clientConn) {
	t.mu.Lock()
	hp := t.hosts[c.key]
	at := -1
	if hp != nil {
		at = slices.Index(hp.idle, c)
	}
	if at < 0 {
		c.idleArmed = false
		t.mu.Unlock()
		return
	}
	if left := t.idleConnTimeout - time.Since(c.idleAt); left > 0 {
		c.idleTimer.Reset(left)
		t.mu.Unlock()
		return
	}
	hp.idle = slices.Delete(hp.idle, at, at+1)
	t.idle--
	c.idleArmed = false
	t.mu.Unlock()
	t.closeConn(c)
}

// closeConn closes c and frees its place in the pool's count.
func (t *Transport) closeConn(c *clientConn) {
	c.stopIdleTimer() // it would only keep c from the collector until it fired
	c.nc.Close()
	t.mu.Lock()
	if hp := t.hosts[c.key]; hp != nil {
		t.forget(c.key, hp)
	}
	t.mu.Unlock()
}

// dialConn dials key's host, with TLS for https.
func (t *Transport) dialConn(ctx context.Context, key hostKey) (*clientConn, error) {
	addr := key.host
	if i := strings.LastIndexByte(addr, ':'); i < 0 || strings.IndexByte(addr[i:], ']') >= 0 {
		if key.https {
			addr += ":443"
		} else {
			addr += ":80"
		}
	}
	nc, err := t.dial(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, err
	}
	if nc == nil {
		return nil, errors.New("h1: DialContext returned (nil, nil)")
	}
	c := &clientConn{key: key, raw: nc, nc: nc}
	if key.https {
		if err := t.handshake(ctx, c, addr); err != nil {
			nc.Close()
			return nil, err
		}
	}
	c.interrupt = c.cancel
	c.rd.nc = c.nc
	c.rd.limit = math.MaxInt64
	c.wr.c = c
	c.br = bufio.NewReaderSize(&c.rd, t.readBufSize)
	c.bw = bufio.NewWriterSize(&c.wr, t.writeBufSize)
	return c, nil
}

// handshake wraps c in TLS for addr's host, as net/http does: its own copy
// of the configuration, the host as server name unless one is set, and
// errors as the handshake gives them (an x509 failure stays recognisable,
// and http.Client turns a plain-HTTP answer into ErrSchemeMismatch).
func (t *Transport) handshake(ctx context.Context, c *clientConn, addr string) error {
	var cfg *tls.Config
	if t.tlsConfig != nil {
		cfg = t.tlsConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("h1: address %q: %w", addr, err)
		}
		cfg.ServerName = host
	}
	cfg.NextProtos = []string{"http/1.1"}
	tc := tls.Client(c.raw, cfg)
	hctx := ctx
	if t.tlsHandshakeTimeout > 0 {
		var cancel context.CancelFunc
		hctx, cancel = context.WithTimeout(ctx, t.tlsHandshakeTimeout)
		defer cancel()
	}
	if err := tc.HandshakeContext(hctx); err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if hctx.Err() != nil {
			return &timeoutError{"h1: TLS handshake timeout"}
		}
		return err
	}
	st := tc.ConnectionState()
	c.nc = tc
	c.tlsState = &st
	return nil
}

// conn is one connection of the pool.
type clientConn struct {
	key      hostKey
	raw      net.Conn // the TCP connection, under TLS for https
	nc       net.Conn // what requests go through: raw, or TLS over it
	tlsState *tls.ConnectionState
	rd       limitReader
	wr       countWriter
	br       *bufio.Reader
	bw       *bufio.Writer
	written  int64 // bytes written to nc, to tell whether a failed write sent any
	bodyErr  error // a request body's read error, from writeRequest's copy

	// Owned by the pool, under Transport.mu.
	idleAt    time.Time
	idleTimer *time.Timer
	idleArmed bool // idleTimer is set to fire (expire has not run since)
	reused    bool // the connection served a request before this one

	// dmu orders the context's interruption with deadline changes, so
	// clearing the header deadline cannot undo a cancellation.
	dmu       sync.Mutex
	cancelled bool
	// interrupt is c.cancel as a func value, made once with the
	// connection: watch hands it to every request's context.AfterFunc
	// instead of a new closure each request.
	interrupt func()
}

// watch makes ctx's end interrupt every read and write on c, until stop is
// called. stop reports whether it came first: false means c was interrupted
// (or is being) and must not be reused.
func (c *clientConn) watch(ctx context.Context) (stop func() bool) {
	if ctx.Done() == nil {
		return func() bool { return true }
	}
	// A request whose watch lost the race to its context's end closes c
	// (stop reports it), so an interrupt cannot reach c's next request.
	return context.AfterFunc(ctx, c.interrupt)
}

// cancel interrupts every read and write on c, now and later.
func (c *clientConn) cancel() {
	c.dmu.Lock()
	c.cancelled = true
	// A deadline in the past wakes any blocked read or write at once.
	c.nc.SetDeadline(time.Unix(1, 0))
	c.dmu.Unlock()
}

func (c *clientConn) wasCancelled() bool {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	return c.cancelled
}

// setReadDeadline sets the read deadline unless the context has ended.
func (c *clientConn) setReadDeadline(d time.Time) {
	c.dmu.Lock()
	if !c.cancelled {
		c.nc.SetReadDeadline(d)
	}
	c.dmu.Unlock()
}

func (c *clientConn) stopIdleTimer() {
	if c.idleTimer != nil {
		c.idleTimer.Stop()
	}
}

// peerSpoke reports whether the server sent anything or closed c while it
// was idle: either way it must not carry a request.
func (c *clientConn) peerSpoke() bool {
	if c.br.Buffered() > 0 {
		return true
	}
	return peerSpoke(c.raw)
}

// limitReader reads from the connection, failing once limit bytes are read:
// it bounds a response head (limit is lifted after it).
type limitReader struct {
	nc    net.Conn
	limit int64
}

func (r *limitReader) Read(p []byte) (int, error) {
	if r.limit <= 0 {
		return 0, errors.New("h1: response headers too large")
	}
	if int64(len(p)) > r.limit {
		p = p[:r.limit]
	}
	n, err := r.nc.Read(p)
	r.limit -= int64(n)
	return n, err
}

// countWriter writes to the connection, counting the bytes written.
type countWriter struct{ c *clientConn }

func (w *countWriter) Write(p []byte) (int, error) {
	n, err := w.c.nc.Write(p)
	w.c.written += int64(n)
	return n, err
}

func closeBody(b io.ReadCloser) {
	if b != nil {
		b.Close()
	}
}

// headerGet is net/http's Header.get: the first value under key exactly as
// written, without canonicalising it.
func headerGet(h http.Header, key string) string {
	if vs := h[key]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// writeSanitized writes a header value as Header.Write does: line breaks
// become spaces, so a value cannot start another header, and surrounding
// spaces and tabs are trimmed.
func writeSanitized(w *bufio.Writer, v string) {
	v = strings.Trim(v, " \t\r\n")
	if strings.IndexAny(v, "\r\n") < 0 { // always, for a value plan let through
		w.WriteString(v)
		return
	}
	for i := 0; i < len(v); i++ {
		if b := v[i]; b == '\r' || b == '\n' {
			w.WriteByte(' ')
		} else {
			w.WriteByte(b)
		}
	}
}

// hasCTL reports a control byte other than tab, which a request line or a
// header value must not hold (net/http refuses it).
func hasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; (b < ' ' && b != '\t') || b == 0x7f {
			return true
		}
	}
	return false
}

// plainHost reports whether h is a host[:port] this transport writes and
// dials as it is: ASCII letters, digits, dots, hyphens, underscores, and a
// bracketed IPv6 address without zone. Others (IDN, zones, odd bytes) need
// net/http's conversions and checks.
func plainHost(h string) bool {
	if h == "" || h[len(h)-1] == ':' {
		return false
	}
	for i := 0; i < len(h); i++ {
		b := h[i]
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		case b == '.' || b == '-' || b == '_' || b == ':' || b == '[' || b == ']':
		default:
			return false
		}
	}
	return true
}

// sortStrings sorts a few header keys; an insertion sort allocates nothing
// and beats sort.Strings at a request's dozen headers.
func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
