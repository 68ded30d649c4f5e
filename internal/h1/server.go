package h1

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"path"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
)

// Sizes and delays of the server; the 256 KiB and 500 ms are net/http's own,
// so a client sees the same bounds whichever server answers it.
const (
	// readBufferSize is each connection's read buffer: a request head must
	// fit in it whole to be taken, so it also bounds the heads Server parses
	// itself (anything larger goes to net/http, which applies MaxHeaderBytes).
	readBufferSize = 4 << 10
	// maxBufferedBody is the largest response body held back so the whole
	// response goes out in one write; beyond it the response streams chunked.
	maxBufferedBody = 64 << 10
	// maxPostHandlerRead is how much of a request body the handler left
	// unread is read and dropped to keep the connection; more closes it.
	maxPostHandlerRead = 256 << 10
	// lingerBeforeClose lets the client read a response before a close with
	// unread request bytes makes the kernel reset the connection.
	lingerBeforeClose = 500 * time.Millisecond
	// newConnGrace is how long Shutdown waits for a connection that has not
	// sent a byte yet before counting it idle, as net/http does.
	newConnGrace = 5 * time.Second
	// maxHeaderLines is net/http's DefaultMaxHeaderValueCount (Go 1.27):
	// heads with more header lines are handed over for it to refuse.
	maxHeaderLines = 500
)

// Server serves an http.Handler over HTTP/1.1 with one goroutine per
// connection that reads each request, runs the handler and writes the
// response itself: no background read per request, and a response whose
// body fits in 64 KiB goes out in one write. Connections whose request it
// does not take are handed, with the bytes already read, to Fallback.
//
// It takes a request only when it is plain: HTTP/1.1, an origin-form target
// ("/path?query"), exactly one valid Host header, no Transfer-Encoding,
// Expect or Upgrade (nor "Connection: upgrade"), not CONNECT or HEAD, and a
// head of at most 4 KiB that net/http's parser and its server's header
// checks accept. Anything else, including every malformed request, is
// decided before a byte is consumed and handed to Fallback together with
// every byte already read, so net/http answers it exactly as it would have
// alone; the connection then stays with net/http for the rest of its life.
// TLS connections are handed over as soon as they are accepted.
//
// Fallback's ReadTimeout, ReadHeaderTimeout, WriteTimeout, IdleTimeout,
// ErrorLog, BaseContext, ConnContext and ConnState also govern Server's own
// connections. ConnState sees StateNew, StateActive, StateIdle and
// StateClosed for them as for net/http's, and StateHijacked when one is
// handed over (its net/http life then reports on a wrapper of the
// connection, from StateNew again).
//
// What net/http's server does that Server does not, on the connections it
// keeps:
//   - A request's context is cancelled when its handler returns, not when
//     the client goes away mid-request: noticing that is what costs
//     net/http a background read per request.
//   - Hijack and EnableFullDuplex are not supported (http.ResponseController
//     returns http.ErrNotSupported); trailers are not sent; a
//     Transfer-Encoding set by the handler is dropped (chunked is used
//     when the response streams, "identity" still means a body ended by
//     closing the connection).
//   - A handler's "Connection" header is written among the sorted headers;
//     when Server closes after the response anyway (shutdown, unread body)
//     it adds "Connection: close" rather than replacing the handler's.
//   - Fallback.SetKeepAlivesEnabled is not seen (it has no getter).
//
// The zero value is not usable: Handler and Fallback must be set.
type Server struct {
	// Handler answers the requests Server takes.
	Handler http.Handler
	// Fallback serves the connections Server hands over; its Handler is
	// normally the same handler. Its settings listed above apply to
	// Server's own connections too. Shutdown and Close shut it down.
	Fallback *http.Server

	inShutdown atomic.Bool // Shutdown or Close was called

	mu        sync.Mutex
	listeners map[*net.Listener]struct{}
	conns     map[*conn]struct{}
	handoff   *handoffListener // Fallback's listener, made by the first Serve
	excludes  *excludes

	bufPool  sync.Pool // *[]byte response bodies of up to maxBufferedBody
	headPool sync.Pool // *headParser
}

// Serve accepts connections on ln and serves them until Shutdown or Close,
// when it returns http.ErrServerClosed; any other error from ln.Accept that
// is not temporary ends it with that error. ln is closed on return.
func (s *Server) Serve(ln net.Listener) error {
	if s.Handler == nil || s.Fallback == nil {
		return errors.New("h1: Server needs a Handler and a Fallback")
	}
	defer ln.Close()
	s.mu.Lock()
	if s.inShutdown.Load() {
		s.mu.Unlock()
		return http.ErrServerClosed
	}
	if s.handoff == nil {
		s.handoff = newHandoffListener(ln.Addr())
		s.excludes = newExcludes()
		s.listeners = map[*net.Listener]struct{}{}
		s.conns = map[*conn]struct{}{}
		go s.serveFallback(s.handoff)
	}
	s.listeners[&ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, &ln)
		s.mu.Unlock()
	}()

	base := context.Background()
	if f := s.Fallback.BaseContext; f != nil {
		if base = f(ln); base == nil {
			panic("h1: Fallback.BaseContext returned a nil context")
		}
	}
	base = context.WithValue(base, http.ServerContextKey, s.Fallback)

	var delay time.Duration // after a temporary Accept error, as net/http backs off
	for {
		rw, err := ln.Accept()
		if err != nil {
			if s.inShutdown.Load() {
				return http.ErrServerClosed
			}
			if te, ok := err.(interface{ Temporary() bool }); ok && te.Temporary() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.logf("http: Accept error: %v; retrying in %v", err, delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		ctx := base
		if f := s.Fallback.ConnContext; f != nil {
			if ctx = f(ctx, rw); ctx == nil {
				panic("h1: Fallback.ConnContext returned a nil context")
			}
		}
		c := &conn{s: s, rwc: rw, ctx: context.WithValue(ctx, http.LocalAddrContextKey, rw.LocalAddr())}
		if !s.track(c) {
			_ = rw.Close()
			return http.ErrServerClosed
		}
		c.setState(http.StateNew)
		go c.serve()
	}
}

// serveFallback runs Fallback on the hand-over listener until it is shut
// down; a hand-over after that closes its connection instead of waiting.
func (s *Server) serveFallback(l *handoffListener) {
	err := s.Fallback.Serve(l)
	_ = l.Close()
	if err != nil && !errors.Is(err, http.ErrServerClosed) && !s.inShutdown.Load() {
		s.logf("h1: the fallback server stopped: %v", err)
	}
}

// track adds c to the open connections, unless the server is shutting down.
func (s *Server) track(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inShutdown.Load() {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
}

// Shutdown stops accepting connections, closes idle ones at once and waits
// for the requests in flight to finish (their responses say "Connection:
// close"), while Fallback shuts down its own connections the same way. It
// returns when both are done or ctx ends (then with ctx's error, and the
// remaining connections stay open: Close ends them). A connection that would
// be handed over after Shutdown began is closed instead.
func (s *Server) Shutdown(ctx context.Context) error {
	s.inShutdown.Store(true)
	s.mu.Lock()
	lnErr := s.closeListenersLocked()
	s.mu.Unlock()

	fallback := make(chan error, 1)
	go func() { fallback <- s.Fallback.Shutdown(ctx) }()

	// Poll like net/http: connections finish on their own goroutines, and
	// one that is idle between requests is closed on the next pass.
	wait := time.Millisecond
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for !s.closeIdle() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			wait = min(2*wait, 500*time.Millisecond)
			timer.Reset(wait)
		}
	}
	var err error
	select {
	case err = <-fallback:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.closeHandoff()
	if err != nil {
		return fmt.Errorf("shutting down the fallback server: %w", err)
	}
	return lnErr
}

// Close closes the listeners and every connection at once, requests in
// flight or not, and closes Fallback.
func (s *Server) Close() error {
	s.inShutdown.Store(true)
	s.mu.Lock()
	err := s.closeListenersLocked()
	for c := range s.conns {
		_ = c.rwc.Close()
	}
	s.mu.Unlock()
	ferr := s.Fallback.Close()
	s.closeHandoff()
	if ferr != nil {
		return fmt.Errorf("closing the fallback server: %w", ferr)
	}
	return err
}

func (s *Server) closeHandoff() {
	s.mu.Lock()
	l := s.handoff
	s.mu.Unlock()
	if l != nil {
		_ = l.Close()
	}
}

func (s *Server) closeListenersLocked() error {
	var err error
	for ln := range s.listeners {
		if cerr := (*ln).Close(); cerr != nil && err == nil {
			err = cerr
		}
		delete(s.listeners, ln)
	}
	return err
}

// closeIdle closes the connections waiting for a request and reports
// whether none is left.
func (s *Server) closeIdle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.mu.Lock()
		if c.state == http.StateIdle || c.state == http.StateNew && time.Since(c.since) > newConnGrace {
			c.closing = true
			_ = c.rwc.Close()
		}
		c.mu.Unlock()
	}
	// A closed connection leaves the set when its goroutine ends.
	return len(s.conns) == 0
}

func (s *Server) logf(format string, args ...any) {
	if l := s.Fallback.ErrorLog; l != nil {
		l.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}

// idleTimeout and headerTimeout follow net/http: IdleTimeout, else
// ReadTimeout; ReadHeaderTimeout, else ReadTimeout.
func (s *Server) idleTimeout() time.Duration {
	if d := s.Fallback.IdleTimeout; d != 0 {
		return d
	}
	return s.Fallback.ReadTimeout
}

func (s *Server) headerTimeout() time.Duration {
	if d := s.Fallback.ReadHeaderTimeout; d != 0 {
		return d
	}
	return s.Fallback.ReadTimeout
}

// excludes are the handler headers left out of a response head, by status:
// the server writes Transfer-Encoding itself, and a response without a body
// carries no length (nor, for 304, a type).
type excludes struct {
	normal, noBody, notModified, badLength map[string]bool
}

func newExcludes() *excludes {
	return &excludes{
		normal:      map[string]bool{"Transfer-Encoding": true},
		noBody:      map[string]bool{"Transfer-Encoding": true, "Content-Length": true},
		notModified: map[string]bool{"Transfer-Encoding": true, "Content-Length": true, "Content-Type": true},
		badLength:   map[string]bool{"Transfer-Encoding": true, "Content-Length": true},
	}
}

// conn is one connection Server serves itself.
type conn struct {
	s          *Server
	rwc        net.Conn
	ctx        context.Context // for every request on the connection
	remoteAddr string
	br         *bufio.Reader
	bw         *bufio.Writer // made on the first streamed response
	out        bytes.Buffer  // a response head, and the whole response when it goes out at once

	// wroteDeadline: a handler moved the write deadline, which must not
	// outlive its request.
	wroteDeadline bool
	lastPost      bool      // the last request was a POST
	headDue       time.Time // when the head being read is due (zero: no bound)
	// headArmed: the connection's read deadline is headDue. After a later
	// request's first byte it is set only when the head needs another
	// read: most heads arrive whole with that byte, and each deadline
	// change is a timer update (issue 16).
	headArmed bool

	mu      sync.Mutex // guards the fields below, with Shutdown
	state   http.ConnState
	since   time.Time // when state was last set
	closing bool      // Shutdown closed the connection while idle
}

// setState records st and tells Fallback.ConnState. Moving to StateActive
// fails when Shutdown has already closed the idle connection.
func (c *conn) setState(st http.ConnState) bool {
	c.mu.Lock()
	if c.closing && st == http.StateActive {
		c.mu.Unlock()
		return false
	}
	c.state, c.since = st, time.Now()
	c.mu.Unlock()
	if f := c.s.Fallback.ConnState; f != nil {
		f(c.rwc, st)
	}
	return true
}

// toIdle marks the connection idle between requests, unless the server is
// shutting down: then the connection should close instead. The check and
// the state change are one step under c.mu, which Shutdown's closeIdle also
// takes, so a connection is either closed here or found idle there.
func (c *conn) toIdle() bool {
	c.mu.Lock()
	if c.s.inShutdown.Load() {
		c.mu.Unlock()
		return false
	}
	c.state, c.since = http.StateIdle, time.Now()
	c.mu.Unlock()
	if f := c.s.Fallback.ConnState; f != nil {
		f(c.rwc, http.StateIdle)
	}
	return true
}

func (c *conn) serve() {
	if tc, ok := c.rwc.(*tls.Conn); ok {
		// net/http does the handshake and may speak HTTP/2 on it.
		c.handOver(tc)
		return
	}
	handedOver, linger := false, false
	defer func() {
		if handedOver {
			return
		}
		if linger {
			c.lingerClose()
		}
		_ = c.rwc.Close()
		c.s.untrack(c)
		c.setState(http.StateClosed)
	}()
	c.remoteAddr = c.rwc.RemoteAddr().String()
	c.br = bufio.NewReaderSize(c.rwc, readBufferSize)
	first := true
	for {
		// The first request's head is due ReadHeaderTimeout after the
		// connection came, as in net/http; later ones may wait IdleTimeout
		// before their first byte, then have ReadHeaderTimeout for the head.
		t0 := time.Now()
		if first {
			c.headDue = c.setReadDeadline(t0, c.s.headerTimeout())
		} else {
			c.setReadDeadline(t0, c.s.idleTimeout())
		}
		c.headArmed = first
		if _, err := c.br.Peek(1); err != nil {
			return
		}
		if !first {
			t0 = time.Now()
			if d := c.s.headerTimeout(); d > 0 {
				c.headDue = t0.Add(d)
			} else {
				c.headDue = time.Time{}
			}
		}
		if c.lastPost {
			// As net/http, for old clients that end a POST body with an
			// extra CRLF.
			if c.br.Buffered() < 4 {
				c.armHead()
			}
			peek, _ := c.br.Peek(4)
			_, _ = c.br.Discard(leadingCRLF(peek))
		}
		// As in net/http, the connection counts as active once its head is
		// read: until then Shutdown closes it as idle (or new).
		head, err := c.peekHead()
		if err != nil {
			return
		}
		if !c.setState(http.StateActive) {
			return
		}
		var req *http.Request
		if head != nil {
			req = c.parse(head)
		}
		if req == nil {
			handedOver = true
			c.handOver(c.rwc)
			return
		}
		_, _ = c.br.Discard(len(head))
		c.lastPost = req.Method == http.MethodPost
		// The body may take until ReadTimeout from the head's start, as in
		// net/http; with none, only what the handler sets bounds it. A
		// body already in the buffer (or none) reads nothing from the
		// connection, whose deadline can then stay as it is until the
		// next request sets the idle one.
		if d := c.s.Fallback.ReadTimeout; d > 0 || int64(c.br.Buffered()) < req.ContentLength {
			c.setReadDeadline(t0, d)
		}
		if d := c.s.Fallback.WriteTimeout; d > 0 {
			_ = c.rwc.SetWriteDeadline(time.Now().Add(d))
		} else if c.wroteDeadline {
			_ = c.rwc.SetWriteDeadline(time.Time{})
		}
		c.wroteDeadline = false
		keep, unread := c.serveRequest(req)
		if !keep {
			linger = unread
			return
		}
		if !c.toIdle() {
			return
		}
		first = false
	}
}

func leadingCRLF(b []byte) int {
	n := 0
	for n < len(b) && (b[n] == '\r' || b[n] == '\n') {
		n++
	}
	return n
}

// armHead sets the read deadline to headDue, if it is not that already.
func (c *conn) armHead() {
	if !c.headArmed {
		_ = c.rwc.SetReadDeadline(c.headDue)
		c.headArmed = true
	}
}

// setReadDeadline sets the read deadline d after t0, or none when d is 0,
// and returns it.
func (c *conn) setReadDeadline(t0 time.Time, d time.Duration) time.Time {
	var due time.Time
	if d > 0 {
		due = t0.Add(d)
	}
	_ = c.rwc.SetReadDeadline(due)
	return due
}

// lingerClose half-closes and waits a moment before the close, so that a
// client still sending a body the handler did not read gets the response
// before the kernel answers those bytes with a reset (as net/http does).
func (c *conn) lingerClose() {
	if cw, ok := c.rwc.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	time.Sleep(lingerBeforeClose)
}

// handOver gives the connection to Fallback, replaying the bytes already
// read, and forgets it.
func (c *conn) handOver(rwc net.Conn) {
	c.s.untrack(c)
	c.setState(http.StateHijacked)
	// net/http sets its own deadlines only when its timeouts are set.
	_ = rwc.SetDeadline(time.Time{})
	if c.br != nil && (c.br.Buffered() > 0 || !c.headDue.IsZero()) {
		b, _ := c.br.Peek(c.br.Buffered())
		rwc = &replayConn{Conn: rwc, buf: bytes.Clone(b), headDue: c.headDue}
	}
	c.s.mu.Lock()
	l := c.s.handoff
	c.s.mu.Unlock()
	if !l.give(rwc) {
		_ = rwc.Close()
	}
}

// peekHead returns the request head (request line, headers and the empty
// line) from the read buffer without consuming it, reading more as needed.
// It returns nil when the head is not one Server takes whole: it does not
// fit in the buffer, or a line does not end in CRLF (net/http accepts a bare
// LF; a head that uses one is left to it).
func (c *conn) peekHead() ([]byte, error) {
	scanned, lineStart := 0, 0
	for {
		buf, _ := c.br.Peek(c.br.Buffered())
		for i := scanned; i < len(buf); i++ {
			if buf[i] != '\n' {
				continue
			}
			if i == 0 || buf[i-1] != '\r' {
				return nil, nil
			}
			if i == lineStart+1 {
				return buf[:i+1], nil
			}
			lineStart = i + 1
		}
		scanned = len(buf)
		if len(buf) == c.br.Size() {
			return nil, nil
		}
		c.armHead()
		if _, err := c.br.Peek(len(buf) + 1); err != nil {
			return nil, err
		}
	}
}

// headParser parses a copy of a peeked head, so that a head net/http would
// refuse leaves the connection's bytes as they were.
type headParser struct {
	src bytes.Reader
	br  *bufio.Reader
}

// parse returns the request of a head Server takes, or nil to hand it over.
func (c *conn) parse(head []byte) *http.Request {
	if !plainHead(head) {
		return nil
	}
	// net/http's server (from Go 1.27) refuses more header lines than its
	// MaxHeaderValueCount, 500 by default (431); a head with more is left to
	// it. The request line and the empty line end in CRLF too.
	if bytes.Count(head, []byte("\r\n"))-2 > maxHeaderLines {
		return nil
	}
	p, _ := c.s.headPool.Get().(*headParser)
	if p == nil {
		p = &headParser{}
		p.br = bufio.NewReaderSize(&p.src, readBufferSize)
	}
	p.src.Reset(head)
	p.br.Reset(&p.src)
	req, err := http.ReadRequest(p.br)
	c.s.headPool.Put(p)
	if err != nil || !validHeaders(req) {
		return nil
	}
	if req.ContentLength > 0 {
		req.Body = &body{br: c.br, remaining: req.ContentLength}
	}
	req.RemoteAddr = c.remoteAddr
	return req
}

// validHeaders makes the checks net/http's server adds to http.ReadRequest's:
// a valid Host header, valid header names and values.
func validHeaders(req *http.Request) bool {
	// http.ReadRequest moved the one Host header (plainHead counted it) to
	// req.Host.
	if !httpguts.ValidHostHeader(req.Host) {
		return false
	}
	for k, vv := range req.Header {
		if !httpguts.ValidHeaderFieldName(k) {
			return false
		}
		for _, v := range vv {
			if !httpguts.ValidHeaderFieldValue(v) {
				return false
			}
		}
	}
	return true
}

// plainHead reports whether a head (CRLF line ends, ending in an empty line)
// is a request Server takes, looking only at its bytes: HTTP/1.1, an
// origin-form target, a method other than CONNECT and HEAD, exactly one Host
// header, and no Transfer-Encoding, Expect, Upgrade or "Connection:
// upgrade". A header line that is not "token: value" (a folded line, a space
// before the colon) also leaves the request to net/http, so that the names
// seen here are those its parser sees.
func plainHead(head []byte) bool {
	line, rest, _ := bytes.Cut(head, []byte("\r\n"))
	method, rest1, ok1 := bytes.Cut(line, []byte(" "))
	target, proto, ok2 := bytes.Cut(rest1, []byte(" "))
	if !ok1 || !ok2 || string(proto) != "HTTP/1.1" || len(target) == 0 || target[0] != '/' ||
		!isToken(method) || string(method) == http.MethodConnect || string(method) == http.MethodHead {
		return false
	}
	hosts := 0
	for {
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || !isToken(name) {
			return false
		}
		switch {
		case bytes.EqualFold(name, []byte("Host")):
			hosts++
		case bytes.EqualFold(name, []byte("Transfer-Encoding")),
			bytes.EqualFold(name, []byte("Expect")),
			bytes.EqualFold(name, []byte("Upgrade")):
			return false
		case bytes.EqualFold(name, []byte("Connection")):
			for tok := range strings.SplitSeq(string(value), ",") {
				if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
					return false
				}
			}
		}
	}
	return hosts == 1
}

// serveRequest runs the handler on req and writes its response. keep says
// whether the connection may carry another request; unread, when it may
// not, that request bytes may still be arriving.
func (c *conn) serveRequest(req *http.Request) (keep, unread bool) {
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	req = req.WithContext(ctx)
	w := &response{c: c, req: req, contentLength: -1, closeAfter: req.Close}
	w.reqBody, _ = req.Body.(*body)
	if !c.runHandler(w, req) {
		// As in net/http: nothing more is sent; the client sees the
		// connection close (mid-stream, if the response had begun).
		w.release()
		return false, false
	}
	err := w.finish()
	w.release()
	if err != nil || w.closeAfter {
		return false, w.bodyLeft
	}
	return true, false
}

// runHandler calls the handler and reports whether it returned normally. A
// panic is logged as net/http logs it, except http.ErrAbortHandler.
func (c *conn) runHandler(w *response, req *http.Request) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			ok = false
			if p == http.ErrAbortHandler {
				return
			}
			buf := make([]byte, 64<<10)
			buf = buf[:runtime.Stack(buf, false)]
			c.s.logf("http: panic serving %v: %v\n%s", c.remoteAddr, p, buf)
		}
	}()
	c.s.Handler.ServeHTTP(w, req)
	return true
}

// body is a request body of a known length read from the connection.
type body struct {
	mu        sync.Mutex
	br        *bufio.Reader
	remaining int64
	closed    bool  // by the handler, or by the server once it answered
	err       error // a read failed: the rest of the stream is unknown
}

func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.closed:
		return 0, http.ErrBodyReadAfterClose
	case b.err != nil:
		return 0, b.err
	case b.remaining <= 0:
		return 0, io.EOF
	}
	if int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := b.br.Read(p)
	b.remaining -= int64(n)
	switch {
	case b.remaining == 0:
		err = io.EOF
	case err == io.EOF:
		err = io.ErrUnexpectedEOF
		b.err = err
	case err != nil:
		b.err = err
	}
	return n, err
}

// arrived reports whether the rest of the body is in the read buffer, so
// that reading it cannot block.
func (b *body) arrived() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.closed && b.err == nil && int64(b.br.Buffered()) >= b.remaining
}

// Arrived reports whether r is the body of a request Server read whose
// remaining bytes have all arrived, already read from the connection:
// reading it to the end returns at once and touches no socket, so a handler
// needs no read deadline for it (and a body of known length needs no limit
// but its own). Any other reader: false.
func Arrived(r io.Reader) bool {
	b, ok := r.(*body)
	return ok && b.arrived()
}

// Close stops the handler's reads; what it left unread is dealt with when
// the response goes out.
func (b *body) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return nil
}

// replayConn is a connection handed to net/http: its first reads return the
// bytes Server had read already.
type replayConn struct {
	net.Conn
	buf []byte
	// headDue is when the head Server began reading is due: net/http's
	// first read deadline (its ReadHeaderTimeout from the hand-over) is
	// held to it, so a client cannot have the header timeout twice by
	// sending part of a head to each server.
	headDue time.Time
}

// SetReadDeadline sets t, the first time no later than headDue.
func (c *replayConn) SetReadDeadline(t time.Time) error {
	if !c.headDue.IsZero() {
		if t.IsZero() || t.After(c.headDue) {
			t = c.headDue
		}
		c.headDue = time.Time{}
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.buf) > 0 {
		n := copy(p, c.buf)
		c.buf = c.buf[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// CloseWrite lets net/http half-close before a close, when the connection
// below can.
func (c *replayConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// handoffListener is the listener Fallback serves: it accepts the
// connections Server hands over.
type handoffListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newHandoffListener(addr net.Addr) *handoffListener {
	return &handoffListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

// give hands c to Accept, or reports false once the listener is closed.
func (l *handoffListener) give(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }

// response is the http.ResponseWriter of a request Server serves. Until the
// handler flushes or writes more than maxBufferedBody, the body is held, and
// the head is written with it in one write when the handler returns.
type response struct {
	c       *conn
	req     *http.Request
	reqBody *body // nil when the request had none
	header  http.Header

	status        int   // 0 until WriteHeader
	contentLength int64 // the handler's Content-Length, else -1
	written       int64
	buf           *[]byte // the held body, from the server's pool
	// From the header as it was at WriteHeader (net/http's snapshot).
	haveType, haveDate, hasCE bool
	handlerClose              bool // the handler said "Connection: close"
	te                        string

	streaming  bool // the head went out; the body follows as written
	chunked    io.WriteCloser
	closeAfter bool // close the connection after this response
	bodyLeft   bool // request body bytes were left unread on the wire
	done       bool
	err        error // a write to the connection failed
}

func (w *response) Header() http.Header {
	if w.header == nil {
		w.header = make(http.Header)
	}
	return w.header
}

// WriteHeader sends (or, until the response goes out, records) the status.
// The first call wins; 1xx statuses other than 101 are written at once as
// informational responses, as net/http does.
func (w *response) WriteHeader(code int) {
	if w.done {
		return
	}
	if w.status != 0 {
		var fn string
		pc, file, line, _ := runtime.Caller(1)
		if f := runtime.FuncForPC(pc); f != nil {
			fn = f.Name()
		}
		w.c.s.logf("http: superfluous response.WriteHeader call from %s (%s:%d)", fn, path.Base(file), line)
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		w.writeInformational(code)
		return
	}
	w.status = code
	h := w.header
	if cl := h.Get("Content-Length"); cl != "" {
		if v, err := strconv.ParseInt(cl, 10, 64); err == nil && v >= 0 {
			w.contentLength = v
		} else {
			w.c.s.logf("http: invalid Content-Length of %q", cl)
		}
	}
	_, w.haveType = h["Content-Type"]
	_, w.haveDate = h["Date"]
	w.hasCE = h.Get("Content-Encoding") != ""
	w.te = h.Get("Transfer-Encoding")
	if w.te != "" && w.te != "identity" && w.contentLength >= 0 {
		w.c.s.logf("http: WriteHeader called with both Transfer-Encoding of %q and a Content-Length of %d", w.te, w.contentLength)
		w.contentLength = -1
	}
	if hasToken(h.Get("Connection"), "close") {
		w.handlerClose, w.closeAfter = true, true
	}
	// The head is written now, so later changes to the header map do not
	// reach the client, as with net/http.
	ex := w.c.s.excludes
	exclude := ex.normal
	switch {
	case code == http.StatusNotModified:
		exclude = ex.notModified
	case !bodyAllowed(code):
		exclude = ex.noBody
	case h.Get("Content-Length") != "" && w.contentLength < 0:
		exclude = ex.badLength
	}
	out := &w.c.out
	out.Reset()
	writeStatusLine(out, code)
	_ = h.WriteSubset(out, exclude)
}

// writeInformational writes a 1xx response with the current header.
func (w *response) writeInformational(code int) {
	if w.streaming {
		return
	}
	var b bytes.Buffer
	writeStatusLine(&b, code)
	_ = w.header.WriteSubset(&b, w.c.s.excludes.noBody)
	b.WriteString("\r\n")
	if _, err := w.c.rwc.Write(b.Bytes()); err != nil {
		w.fail(err)
	}
}

func writeStatusLine(b *bytes.Buffer, code int) {
	b.WriteString("HTTP/1.1 ")
	if text := http.StatusText(code); text != "" {
		b.WriteString(strconv.Itoa(code))
		b.WriteByte(' ')
		b.WriteString(text)
	} else {
		fmt.Fprintf(b, "%03d status code %d", code, code)
	}
	b.WriteString("\r\n")
}

func bodyAllowed(code int) bool {
	return code >= 200 && code != http.StatusNoContent && code != http.StatusNotModified
}

func (w *response) Write(p []byte) (int, error) {
	if w.done {
		return 0, errors.New("h1: write after the handler returned")
	}
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return 0, w.err
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(len(p))
	if w.contentLength >= 0 && w.written > w.contentLength {
		// Counted all the same, as net/http does: the response then ends
		// short of what the handler meant, and the connection closes.
		return 0, http.ErrContentLength
	}
	if !w.streaming {
		if w.buf == nil {
			w.buf = w.c.s.getBuf()
		}
		if len(*w.buf)+len(p) <= maxBufferedBody {
			*w.buf = append(*w.buf, p...)
			return len(p), nil
		}
		if err := w.startStreaming(p); err != nil {
			return 0, err
		}
	}
	return w.writeStream(p)
}

// WriteString is Write without the caller's conversion.
func (w *response) WriteString(s string) (int, error) {
	if !w.streaming && !w.done && w.status != 0 && w.buf != nil && w.err == nil && bodyAllowed(w.status) &&
		len(*w.buf)+len(s) <= maxBufferedBody && (w.contentLength < 0 || w.written+int64(len(s)) <= w.contentLength) {
		*w.buf = append(*w.buf, s...)
		w.written += int64(len(s))
		return len(s), nil
	}
	return w.Write([]byte(s))
}

// FlushError sends what the handler wrote so far; the response streams
// from then on (chunked, unless the handler set Content-Length).
func (w *response) FlushError() error {
	if w.done {
		return errors.New("h1: flush after the handler returned")
	}
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return w.err
	}
	if !w.streaming {
		if err := w.startStreaming(nil); err != nil {
			return err
		}
	}
	if err := w.c.bw.Flush(); err != nil {
		return w.fail(err)
	}
	return nil
}

// Flush is FlushError for http.Flusher.
func (w *response) Flush() { _ = w.FlushError() }

// SetReadDeadline bounds the handler's reads of the request body
// (http.ResponseController).
func (w *response) SetReadDeadline(t time.Time) error {
	return w.c.rwc.SetReadDeadline(t)
}

// SetWriteDeadline bounds the writes of the response
// (http.ResponseController); it holds for this request only.
func (w *response) SetWriteDeadline(t time.Time) error {
	w.c.wroteDeadline = true
	return w.c.rwc.SetWriteDeadline(t)
}

// fail records a failed write: the connection is done.
func (w *response) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	w.closeAfter = true
	return w.err
}

// settleBody deals with the request body before the head goes out, as
// net/http does: what the handler left unread is read and dropped, up to
// 256 KiB, so that the connection can carry the next request (and a client
// that sends its whole body before reading cannot deadlock); beyond that, or
// after a failed read, the connection closes after the response.
func (w *response) settleBody() {
	b := w.reqBody
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.err != nil:
		w.closeAfter, w.bodyLeft = true, true
	case b.remaining == 0:
	case w.closeAfter || b.remaining > maxPostHandlerRead:
		// Not worth reading: the connection closes.
		w.closeAfter, w.bodyLeft = true, true
	default:
		n, err := io.CopyN(io.Discard, b.br, b.remaining)
		b.remaining -= n
		if err != nil {
			w.closeAfter, w.bodyLeft = true, true
		}
	}
	b.closed = true
}

// startStreaming writes the head, and the body held so far, to the
// connection's buffered writer: from now on the body follows as written.
// next is the write that did not fit, sniffed for a Content-Type when
// nothing was held.
func (w *response) startStreaming(next []byte) error {
	w.settleBody()
	if w.c.s.inShutdown.Load() {
		w.closeAfter = true
	}
	w.streaming = true
	var held []byte
	if w.buf != nil {
		held = *w.buf
	}
	chunked := false
	switch {
	case !bodyAllowed(w.status), w.contentLength >= 0:
	case w.te == "identity":
		// The body ends when the connection closes.
		w.closeAfter = true
	default:
		chunked = true
	}
	sniff := held
	if len(sniff) == 0 {
		sniff = next
	}
	w.finishHead(sniff, -1, chunked)
	c := w.c
	if c.bw == nil {
		c.bw = bufio.NewWriterSize(c.rwc, readBufferSize)
	}
	if _, err := c.bw.Write(c.out.Bytes()); err != nil {
		return w.fail(err)
	}
	if chunked {
		w.chunked = httputil.NewChunkedWriter(c.bw)
	}
	if len(held) > 0 {
		if _, err := w.writeStream(held); err != nil {
			return err
		}
	}
	if w.buf != nil {
		// The stream no longer holds bodies back: the buffer goes back to
		// the pool now rather than for as long as the stream lasts.
		w.c.s.putBuf(w.buf)
		w.buf = nil
	}
	return nil
}

func (w *response) writeStream(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var err error
	if w.chunked != nil {
		n, err = w.chunked.Write(p)
	} else {
		n, err = w.c.bw.Write(p)
	}
	if err != nil {
		return n, w.fail(err)
	}
	return n, nil
}

// finishHead appends to the head in c.out what the server adds, in
// net/http's order (Date, Content-Length, Content-Type, Connection,
// Transfer-Encoding), and the empty line. sniff is the start of the body,
// for a Content-Type the handler did not set; length is the Content-Length
// to add, or -1.
func (w *response) finishHead(sniff []byte, length int64, chunked bool) {
	out := &w.c.out
	if !w.haveDate {
		var b [len(http.TimeFormat)]byte
		out.WriteString("Date: ")
		out.Write(time.Now().UTC().AppendFormat(b[:0], http.TimeFormat))
		out.WriteString("\r\n")
	}
	if length >= 0 {
		var b [20]byte
		out.WriteString("Content-Length: ")
		out.Write(strconv.AppendInt(b[:0], length, 10))
		out.WriteString("\r\n")
	}
	if bodyAllowed(w.status) && !w.haveType && !w.hasCE && w.te == "" && len(sniff) > 0 {
		out.WriteString("Content-Type: ")
		out.WriteString(http.DetectContentType(sniff))
		out.WriteString("\r\n")
	}
	if w.closeAfter && !w.handlerClose {
		out.WriteString("Connection: close\r\n")
	}
	if chunked {
		out.WriteString("Transfer-Encoding: chunked\r\n")
	}
	out.WriteString("\r\n")
}

// finish completes the response once the handler returned: the whole of it
// in one write when nothing went out yet, else the end of the stream.
func (w *response) finish() error {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	w.done = true
	if w.err != nil {
		return w.err
	}
	c := w.c
	if w.streaming {
		if w.chunked != nil {
			_ = w.chunked.Close()
			_, _ = c.bw.WriteString("\r\n") // no trailers
		}
		if w.contentLength >= 0 && w.written != w.contentLength {
			w.closeAfter = true
		}
		if err := c.bw.Flush(); err != nil {
			return w.fail(err)
		}
		return nil
	}
	w.settleBody()
	if c.s.inShutdown.Load() {
		w.closeAfter = true
	}
	var held []byte
	if w.buf != nil {
		held = *w.buf
	}
	length := int64(-1)
	switch {
	case !bodyAllowed(w.status):
	case w.contentLength >= 0:
	case w.te == "identity":
		w.closeAfter = true
	case w.te == "":
		length = int64(len(held))
	}
	w.finishHead(held, length, w.te != "" && w.te != "identity" && bodyAllowed(w.status))
	if w.te != "" && w.te != "identity" && bodyAllowed(w.status) {
		// A handler-set Transfer-Encoding other than identity: the body is
		// sent chunked, as net/http does.
		cw := httputil.NewChunkedWriter(&c.out)
		if len(held) > 0 {
			_, _ = cw.Write(held)
		}
		_ = cw.Close()
		c.out.WriteString("\r\n")
	} else {
		c.out.Write(held)
	}
	if _, err := c.rwc.Write(c.out.Bytes()); err != nil {
		return w.fail(err)
	}
	if w.contentLength >= 0 && w.written != w.contentLength && bodyAllowed(w.status) {
		// The body is not what the handler's Content-Length said: as
		// net/http, close (without saying so in the head) so that the
		// client does not wait for bytes that will not come, nor read
		// too many.
		w.closeAfter = true
	}
	return nil
}

// release returns the held body buffer to the pool and shrinks a head
// buffer a large header grew.
func (w *response) release() {
	if w.buf != nil {
		w.c.s.putBuf(w.buf)
		w.buf = nil
	}
	if w.c.out.Cap() > 2*readBufferSize {
		w.c.out = bytes.Buffer{}
	}
}

func (s *Server) getBuf() *[]byte {
	if b, ok := s.bufPool.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 4<<10)
	return &b
}

func (s *Server) putBuf(b *[]byte) {
	if cap(*b) > maxBufferedBody+readBufferSize {
		return
	}
	*b = (*b)[:0]
	s.bufPool.Put(b)
}
