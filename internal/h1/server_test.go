package h1

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// served is a Server under test on a loopback port, with what its
// connections did.
type served struct {
	addr     string
	srv      *Server
	fallback atomic.Int64 // connections handed to Fallback
	writes   atomic.Int64 // writes to the connections Server accepted
	serveErr chan error
}

// startServer serves h through Server on loopback; fb, when not nil, is
// the Fallback to use (its Handler is set to h, and its ConnState counts
// the hand-overs).
func startServer(t *testing.T, h http.Handler, fb *http.Server) *served {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if fb == nil {
		fb = &http.Server{ErrorLog: log.New(io.Discard, "", 0)}
	}
	s := &served{addr: ln.Addr().String(), serveErr: make(chan error, 1)}
	fb.Handler = h
	// Each connection handed over is new to Fallback.
	connState := fb.ConnState
	fb.ConnState = func(c net.Conn, st http.ConnState) {
		if st == http.StateHijacked {
			s.fallback.Add(1)
		}
		if connState != nil {
			connState(c, st)
		}
	}
	s.srv = &Server{Handler: h, Fallback: fb}
	go func() { s.serveErr <- s.srv.Serve(&countingListener{Listener: ln, writes: &s.writes}) }()
	t.Cleanup(func() {
		_ = s.srv.Close()
		if err := <-s.serveErr; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
		}
	})
	return s
}

// startPlain serves h through net/http's server alone, for comparison.
func startPlain(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// countingListener counts the writes to the connections it accepts, to
// check that a response goes out in one.
type countingListener struct {
	net.Listener
	writes *atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, writes: l.writes}, nil
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

func (c *countingConn) CloseWrite() error { return c.Conn.(*net.TCPConn).CloseWrite() }

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// answer is what a client sees of one exchange: the responses up to the
// final one (informational ones first), and whether the server then closed.
type answer struct {
	statuses  []int
	header    http.Header // of the final response, without Date
	respClose bool        // the response said Connection: close
	body      string
	bodyErr   bool
	closed    bool
}

func (a answer) String() string {
	body := a.body
	if len(body) > 200 {
		body = fmt.Sprintf("%s... (%d bytes, %x)", body[:200], len(body), sha256.Sum256([]byte(body)))
	}
	return fmt.Sprintf("statuses %v close %v closed %v bodyErr %v\nheader %v\nbody %q", a.statuses, a.respClose, a.closed, a.bodyErr, a.header, body)
}

// sameAnswers sends each raw request to net/http's server alone (plain)
// and to Server (addr) and reports every answer that differs.
func sameAnswers(t *testing.T, plain, addr string, raws ...string) {
	t.Helper()
	for _, raw := range raws {
		want := exchange(t, plain, raw)
		if got := exchange(t, addr, raw); got.String() != want.String() {
			t.Errorf("%s\nServer:\n%v\nnet/http:\n%v", strings.SplitN(raw, "\r\n", 2)[0], got, want)
		}
	}
}

// exchange writes raw to a new connection to addr and reads the answer.
func exchange(t *testing.T, addr, raw string) answer {
	t.Helper()
	c := dial(t, addr)
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	return readAnswer(t, c, br, strings.HasPrefix(raw, "HEAD "))
}

func readAnswer(t *testing.T, c net.Conn, br *bufio.Reader, head bool) answer {
	t.Helper()
	var a answer
	method := http.MethodGet
	if head {
		method = http.MethodHead
	}
	for {
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			a.closed = true
			return a
		}
		a.statuses = append(a.statuses, resp.StatusCode)
		if resp.StatusCode < 200 {
			continue
		}
		b, err := io.ReadAll(resp.Body)
		a.body, a.bodyErr = string(b), err != nil
		a.header, a.respClose = resp.Header.Clone(), resp.Close
		a.header.Del("Date")
		if len(resp.TransferEncoding) > 0 {
			a.header["Transfer-Encoding"] = resp.TransferEncoding
		}
		break
	}
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	_, err := br.ReadByte()
	var ne net.Error
	a.closed = !(errors.As(err, &ne) && ne.Timeout())
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	return a
}

func echo() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		w.Header().Set("X-Method", r.Method)
		fmt.Fprintf(w, "%s %s %s host=%s body=%q err=%v", r.Method, r.RequestURI, r.Proto, r.Host, b, err)
	})
}

// TestPlainRequestIsServedInOneWrite: a plain request is answered by
// Server's own handler call, with net/http's request fields and context
// values, in one write per response, keep-alive.
func TestPlainRequestIsServedInOneWrite(t *testing.T) {
	type seen struct {
		remote, host string
		hostHeader   bool
		local        net.Addr
		srv          *http.Server
		ctx          context.Context
	}
	got := make(chan seen, 2)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		la, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		srv, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
		_, hh := r.Header["Host"]
		got <- seen{r.RemoteAddr, r.Host, hh, la, srv, r.Context()}
		_, _ = io.WriteString(w, "hello")
	})
	s := startServer(t, h, nil)
	c := dial(t, s.addr)
	br := bufio.NewReader(c)
	for i := range 2 {
		fmt.Fprintf(c, "GET /x?i=%d HTTP/1.1\r\nHost: example.test\r\n\r\n", i)
		a := readAnswer(t, c, br, false)
		if a.closed || a.body != "hello" || a.header.Get("Content-Length") != "5" || a.header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Fatalf("request %d: %v", i, a)
		}
		v := <-got
		if v.remote != c.LocalAddr().String() || v.host != "example.test" || v.hostHeader || v.local.String() != s.addr || v.srv != s.srv.Fallback {
			t.Errorf("request %d saw %+v", i, v)
		}
		if v.ctx.Err() == nil {
			t.Errorf("request %d: its context is not cancelled once answered", i)
		}
	}
	if n := s.writes.Load(); n != 2 {
		t.Errorf("%d writes for 2 responses, want 1 each", n)
	}
	if n := s.fallback.Load(); n != 0 {
		t.Errorf("%d plain requests went to the fallback", n)
	}
}

// TestHandOverAnswersAsNetHTTP: every request Server does not take is
// answered, byte for byte but the Date, as net/http's server alone answers
// it, malformed ones included, and the plain ones are not handed over.
func TestHandOverAnswersAsNetHTTP(t *testing.T) {
	plain := startPlain(t, echo())
	big := strings.Repeat("a", 5000)
	for _, tc := range []struct {
		name, raw string
		takes     bool
	}{
		{"plain GET", "GET /e HTTP/1.1\r\nHost: x\r\n\r\n", true},
		{"plain POST", "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", true},
		{"lower-case names", "GET /e HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n", true},
		{"chunked POST", "POST /e HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", false},
		{"lower-case transfer-encoding", "POST /e HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", false},
		{"expect 100-continue", "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello", false},
		{"huge header", "GET /e HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n", false},
		{"HTTP/1.0", "GET /e HTTP/1.0\r\nHost: x\r\n\r\n", false},
		{"HTTP/1.0 keep-alive", "GET /e HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n", false},
		{"websocket upgrade", "GET /e HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", false},
		{"connection upgrade in a list", "GET /e HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, UPGRADE\r\n\r\n", false},
		{"HEAD", "HEAD /e HTTP/1.1\r\nHost: x\r\n\r\n", false},
		{"CONNECT", "CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n", false},
		{"absolute form", "GET http://x/e HTTP/1.1\r\nHost: x\r\n\r\n", false},
		{"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", false},
		{"no Host", "GET /e HTTP/1.1\r\nX-A: b\r\n\r\n", false},
		{"two Hosts", "GET /e HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", false},
		{"malformed Host", "GET /e HTTP/1.1\r\nHost: a b\r\n\r\n", false},
		{"control byte in a value", "GET /e HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n", false},
		{"space before colon", "GET /e HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n", false},
		{"folded header", "GET /e HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n", false},
		{"bare LF", "GET /e HTTP/1.1\nHost: x\n\n", false},
		{"bad request line", "GET\r\n\r\n", false},
		{"leading empty line", "\r\nGET /e HTTP/1.1\r\nHost: x\r\n\r\n", false},
		{"conflicting Content-Lengths", "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", false},
		{"bad Content-Length", "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", false},
		{"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, echo(), nil)
			sameAnswers(t, plain, s.addr, tc.raw)
			if took := s.fallback.Load() == 0; took != tc.takes {
				t.Errorf("taken by Server: %v, want %v", took, tc.takes)
			}
		})
	}
}

// TestPlainHead decides from the head's bytes alone.
func TestPlainHead(t *testing.T) {
	for _, tc := range []struct {
		head string
		want bool
	}{
		{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", true},
		{"POST /mcp?a=b HTTP/1.1\r\nHOST: x\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\n", true},
		{"DELETE /mcp HTTP/1.1\r\nHost: x\r\nX-Upgrade: yes\r\nX-Expect: no\r\n\r\n", true},
		{"GET / HTTP/1.1\r\n\r\n", false},
		{"GET / HTTP/1.0\r\nHost: x\r\n\r\n", false},
		{"GET / HTTP/1.1 \r\nHost: x\r\n\r\n", false},
		{"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", false},
		{"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", false},
		{"CONNECT / HTTP/1.1\r\nHost: x\r\n\r\n", false},
		{"G(T / HTTP/1.1\r\nHost: x\r\n\r\n", false},
		{"GET x HTTP/1.1\r\nHost: x\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: x\r\nexpect: 100-continue\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: x\r\nConnection: close,upgrade\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: x\r\n: empty\r\n\r\n", false},
	} {
		if got := plainHead([]byte(tc.head)); got != tc.want {
			t.Errorf("plainHead(%q) = %v, want %v", tc.head, got, tc.want)
		}
	}
}

// TestSameAnswersAsNetHTTP runs the same requests through net/http's server
// and through Server and compares what a client sees.
func TestSameAnswersAsNetHTTP(t *testing.T) {
	large := strings.Repeat("0123456789abcdef", 5000) // 80 000 bytes: streams
	mux := http.NewServeMux()
	mux.Handle("/echo", echo())
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Many", "b")
		w.Header().Add("X-Many", "a")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"ok":true}`)
	})
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "<html><body>hi</body></html>") })
	mux.HandleFunc("/large", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, large) })
	mux.HandleFunc("/sse", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			fmt.Fprintf(w, "data: %d\n\n", i)
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/nocontent", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "3")
		w.WriteHeader(http.StatusNoContent)
		_, err := io.WriteString(w, "abc")
		w.Header().Set("X-Err", fmt.Sprint(err)) // too late to be seen
	})
	mux.HandleFunc("/notmodified", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Etag", `"x"`)
		w.WriteHeader(http.StatusNotModified)
	})
	mux.HandleFunc("/length", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
		_, _ = io.WriteString(w, "hel")
		_, _ = io.WriteString(w, "lo")
		if _, err := io.WriteString(w, "!"); !errors.Is(err, http.ErrContentLength) {
			panic(fmt.Sprintf("write past Content-Length: %v", err))
		}
	})
	mux.HandleFunc("/short", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		_, _ = io.WriteString(w, "short")
	})
	mux.HandleFunc("/twice", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, "first wins")
	})
	mux.HandleFunc("/hints", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</s.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		_, _ = io.WriteString(w, "after hints")
	})
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		_, _ = io.WriteString(w, "bye")
	})
	mux.HandleFunc("/odd", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(599)
		_, _ = io.WriteString(w, "odd")
	})
	mux.HandleFunc("/flushempty", func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
	})
	mux.HandleFunc("/flushlength", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "4")
		_, _ = io.WriteString(w, "ab")
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, "cd")
	})
	plain := startPlain(t, mux)
	s := startServer(t, mux, nil)
	sameAnswers(t, plain, s.addr,
		"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world",
		"GET /missing HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
		"GET /html HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /large HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /sse HTTP/1.1\r\nHost: x\r\n\r\n",
		"HEAD /echo HTTP/1.1\r\nHost: x\r\n\r\n",
		"HEAD /large HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /empty HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /nocontent HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /notmodified HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /length HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /short HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /twice HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /hints HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /close HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /odd HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /flushempty HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /flushlength HTTP/1.1\r\nHost: x\r\n\r\n",
	)
	if n := s.fallback.Load(); n != 2 {
		t.Errorf("%d connections handed over, want the 2 of the HEADs", n)
	}
}

// TestFlushStreams: a flushed event reaches the client while the handler
// still runs, chunked, and the connection is kept for the next request.
func TestFlushStreams(t *testing.T) {
	next := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/sse" {
			_, _ = io.WriteString(w, "after")
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: 1\n\n")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush: %v", err)
		}
		<-next
		_, _ = io.WriteString(w, "data: 2\n\n")
	})
	s := startServer(t, h, nil)
	c := dial(t, s.addr)
	br := bufio.NewReader(c)
	io.WriteString(c, "GET /sse HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(resp.TransferEncoding, []string{"chunked"}) {
		t.Errorf("streamed with %v, want chunked", resp.TransferEncoding)
	}
	events := bufio.NewReader(resp.Body)
	line, err := events.ReadString('\n')
	if err != nil || line != "data: 1\n" {
		t.Fatalf("first event before the handler ended: %q %v", line, err)
	}
	close(next)
	rest, _ := io.ReadAll(events)
	if string(rest) != "\ndata: 2\n\n" {
		t.Errorf("rest of the stream %q", rest)
	}
	io.WriteString(c, "GET /after HTTP/1.1\r\nHost: x\r\n\r\n")
	if a := readAnswer(t, c, br, false); a.body != "after" || a.closed {
		t.Errorf("the connection after a stream: %v", a)
	}
}

// TestLargeResponseKeepsConnection: a body beyond the buffer streams chunked
// and the connection carries the next request.
func TestLargeResponseKeepsConnection(t *testing.T) {
	large := strings.Repeat("x", 3*maxBufferedBody+7)
	s := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < len(large); i += 1000 {
			_, _ = io.WriteString(w, large[i:min(i+1000, len(large))])
		}
	}), nil)
	c := dial(t, s.addr)
	br := bufio.NewReader(c)
	for range 2 {
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		a := readAnswer(t, c, br, false)
		if a.body != large || a.closed || a.header.Get("Transfer-Encoding") != "chunked" {
			t.Fatalf("large response: %d bytes, closed %v, header %v", len(a.body), a.closed, a.header)
		}
	}
}

// TestUnreadBody: a body the handler left unread is dropped when small and
// the connection kept; a large one closes the connection after the answer.
func TestUnreadBody(t *testing.T) {
	s := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ignored "+r.URL.Path) }), nil)
	c := dial(t, s.addr)
	br := bufio.NewReader(c)
	fmt.Fprintf(c, "POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n%s", strings.Repeat("b", 1000))
	if a := readAnswer(t, c, br, false); a.closed || a.body != "ignored /small" {
		t.Fatalf("small unread body: %v", a)
	}
	io.WriteString(c, "GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
	if a := readAnswer(t, c, br, false); a.body != "ignored /next" {
		t.Fatalf("after a small unread body: %v", a)
	}

	c = dial(t, s.addr)
	br = bufio.NewReader(c)
	const n = maxPostHandlerRead + 1000
	fmt.Fprintf(c, "POST /large HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", n)
	go func() { _, _ = c.Write(bytes.Repeat([]byte("b"), n)) }()
	a := readAnswer(t, c, br, false)
	if !a.closed || a.body != "ignored /large" || !a.respClose {
		t.Fatalf("large unread body: %v", a)
	}
}

// TestResponseController: read deadlines reach the connection (the serve
// command bounds request bodies so), Hijack is not supported.
func TestResponseController(t *testing.T) {
	s := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if _, _, err := rc.Hijack(); !errors.Is(err, http.ErrNotSupported) {
			t.Errorf("Hijack: %v", err)
		}
		if err := rc.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Errorf("SetWriteDeadline: %v", err)
		}
		if err := rc.SetReadDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
			t.Errorf("SetReadDeadline: %v", err)
		}
		_, err := io.ReadAll(r.Body)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("reading a body that does not come: %v", err)
		}
		_ = rc.SetReadDeadline(time.Time{})
		w.Header().Set("Connection", "close")
		http.Error(w, "too slow", http.StatusRequestTimeout)
	}), nil)
	c := dial(t, s.addr)
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{")
	a := readAnswer(t, c, bufio.NewReader(c), false)
	if len(a.statuses) != 1 || a.statuses[0] != http.StatusRequestTimeout || !a.closed {
		t.Errorf("slow body: %v", a)
	}
}

// syncLog is an ErrorLog destination safe for the server's goroutines.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestPanic: a handler's panic is logged as net/http logs it and closes
// the connection without an answer; http.ErrAbortHandler does so silently.
func TestPanic(t *testing.T) {
	for _, tc := range []struct {
		name    string
		value   any
		wantLog []string
	}{
		{"panic", "boom", []string{"http: panic serving 127.0.0.1:", ": boom\n", "goroutine "}},
		{"abort", http.ErrAbortHandler, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logged syncLog
			s := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "partial")
				panic(tc.value)
			}), &http.Server{ErrorLog: log.New(&logged, "", 0)})
			c := dial(t, s.addr)
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			if a := readAnswer(t, c, bufio.NewReader(c), false); len(a.statuses) != 0 || !a.closed {
				t.Errorf("after a panic the client got %v", a)
			}
			got := logged.String()
			for _, w := range tc.wantLog {
				if !strings.Contains(got, w) {
					t.Errorf("log %q lacks %q", got, w)
				}
			}
			if tc.wantLog == nil && got != "" {
				t.Errorf("logged %q for http.ErrAbortHandler", got)
			}
		})
	}
}

// TestPipelined: requests sent together are answered in order, and a later
// one Server does not take is handed over with the bytes after it.
func TestPipelined(t *testing.T) {
	s := startServer(t, echo(), nil)
	c := dial(t, s.addr)
	io.WriteString(c, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"+
		"POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"+
		"POST /3 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n"+
		"GET /4 HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	for i, want := range []string{
		`GET /1 HTTP/1.1 host=x body="" err=<nil>`,
		`POST /2 HTTP/1.1 host=x body="abc" err=<nil>`,
		`POST /3 HTTP/1.1 host=x body="de" err=<nil>`,
		`GET /4 HTTP/1.1 host=x body="" err=<nil>`,
	} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i+1, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if string(b) != want {
			t.Errorf("response %d: %q, want %q", i+1, b, want)
		}
	}
	if n := s.fallback.Load(); n != 1 {
		t.Errorf("%d connections handed over, want 1", n)
	}
}

// TestConnState: Fallback.ConnState sees Server's connections as net/http's,
// and a handed-over one as hijacked, then new again under net/http.
func TestConnState(t *testing.T) {
	var mu sync.Mutex
	states := map[net.Conn][]http.ConnState{}
	var order []net.Conn
	fb := &http.Server{ConnState: func(c net.Conn, st http.ConnState) {
		mu.Lock()
		defer mu.Unlock()
		if _, ok := states[c]; !ok {
			order = append(order, c)
		}
		states[c] = append(states[c], st)
	}}
	s := startServer(t, echo(), fb)
	c := dial(t, s.addr)
	br := bufio.NewReader(c)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	readAnswer(t, c, br, false)
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
	readAnswer(t, c, br, false)
	c.Close()
	want := [][]http.ConnState{
		{http.StateNew, http.StateActive, http.StateIdle, http.StateActive, http.StateHijacked},
		{http.StateNew, http.StateActive, http.StateIdle, http.StateClosed},
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		var got [][]http.ConnState
		for _, c := range order {
			got = append(got, states[c])
		}
		mu.Unlock()
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("states %v, want %v", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTimeouts: an idle connection closes after IdleTimeout, a head that
// does not arrive within ReadHeaderTimeout closes the connection unanswered.
func TestTimeouts(t *testing.T) {
	s := startServer(t, echo(), &http.Server{IdleTimeout: 200 * time.Millisecond, ReadHeaderTimeout: 200 * time.Millisecond})
	c := dial(t, s.addr)
	br := bufio.NewReader(c)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	readAnswer(t, c, br, false)
	start := time.Now()
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("idle connection: %v, want EOF", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("idle connection closed after %v", d)
	}
	c = dial(t, s.addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHo")
	if a := readAnswer(t, c, bufio.NewReader(c), false); len(a.statuses) != 0 || !a.closed {
		t.Errorf("a head that never ends: %v", a)
	}
}

// TestShutdown: idle connections close at once, a request in flight is
// answered with Connection: close, Serve returns http.ErrServerClosed, and
// connections handed over are shut down by Fallback.
func TestShutdown(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(entered)
			<-release
		}
		_, _ = io.WriteString(w, "done "+r.URL.Path)
	})
	s := startServer(t, h, nil)

	idle := dial(t, s.addr)
	idleBR := bufio.NewReader(idle)
	io.WriteString(idle, "GET /idle HTTP/1.1\r\nHost: x\r\n\r\n")
	readAnswer(t, idle, idleBR, false)
	handed := dial(t, s.addr)
	handedBR := bufio.NewReader(handed)
	io.WriteString(handed, "POST /handed HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
	if a := readAnswer(t, handed, handedBR, false); a.body != "done /handed" || a.closed {
		t.Fatalf("handed over: %v", a)
	}
	busy := dial(t, s.addr)
	io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	<-entered

	shut := make(chan error, 1)
	start := time.Now()
	go func() { shut <- s.srv.Shutdown(context.Background()) }()
	select {
	case err := <-s.serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
		s.serveErr <- err // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return on Shutdown")
	}
	for name, c := range map[string]*bufio.Reader{"idle": idleBR, "handed over": handedBR} {
		if _, err := c.ReadByte(); err != io.EOF {
			t.Errorf("%s connection on Shutdown: %v, want EOF", name, err)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("idle connections closed %v after Shutdown", d)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	a := readAnswer(t, busy, bufio.NewReader(busy), false)
	if a.body != "done /slow" || !a.respClose || !a.closed {
		t.Errorf("the request in flight: %v", a)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if c, err := net.DialTimeout("tcp", s.addr, time.Second); err == nil {
		c.Close()
		t.Error("still accepting after Shutdown")
	}
}

// TestShutdownTimesOut: Shutdown gives up when its context ends; Close
// then ends the request in flight.
func TestShutdownTimesOut(t *testing.T) {
	entered := make(chan struct{})
	s := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
	}), nil)
	c := dial(t, s.addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := s.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown with a stuck request: %v", err)
	}
	if err := s.srv.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if a := readAnswer(t, c, bufio.NewReader(c), false); !a.closed {
		t.Errorf("after Close: %v", a)
	}
}

// TestConcurrentClients: many clients at once, each on keep-alive
// connections (run with -race).
func TestConcurrentClients(t *testing.T) {
	s := startServer(t, echo(), nil)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}, Timeout: 10 * time.Second}
	defer hc.CloseIdleConnections()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				body := fmt.Sprintf("g%d-%d", g, i)
				resp, err := hc.Post("http://"+s.addr+"/p", "text/plain", strings.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if want := fmt.Sprintf(`POST /p HTTP/1.1 host=%s body=%q err=<nil>`, s.addr, body); string(b) != want {
					t.Errorf("%q, want %q", b, want)
				}
			}
		})
	}
	wg.Wait()
	if n := s.fallback.Load(); n != 0 {
		t.Errorf("%d connections handed over", n)
	}
}
