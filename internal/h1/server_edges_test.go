package h1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestRequestsAsNetHTTP: odd request heads are answered as net/http's
// server alone answers them.
func TestRequestsAsNetHTTP(t *testing.T) {
	plain := startPlain(t, echo())
	many := strings.Repeat("A:b\r\n", 600) // 600 header values in 3000 bytes
	for _, tc := range []struct{ name, raw string }{
		{"CL plus sign", "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello"},
		{"CL list", "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello"},
		{"CL leading space", "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length:   5  \r\n\r\nhello"},
		{"CL twice same", "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"},
		{"CL hex", "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\nhello"},
		{"CL empty", "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\nhello"},
		{"TE tab before colon", "POST /e HTTP/1.1\r\nHost: x\r\nTransfer-Encoding\t: chunked\r\nContent-Length: 5\r\n\r\nhello"},
		{"TE folded", "POST /e HTTP/1.1\r\nHost: x\r\nX-A: b\r\n Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello"},
		{"TE bare CR", "POST /e HTTP/1.1\r\nHost: x\r\nX-A: b\rTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello"},
		{"NUL in value", "GET /e HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n"},
		{"NUL in target", "GET /e\x00 HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"empty Host", "GET /e HTTP/1.1\r\nHost: \r\n\r\n"},
		{"Host with slash", "GET /e HTTP/1.1\r\nHost: x/y\r\n\r\n"},
		{"underscore name", "GET /e HTTP/1.1\r\nHost: x\r\nContent_Length: 5\r\n\r\n"},
		{"mixed LF", "GET /e HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n"},
		{"lowercase http", "GET /e http/1.1\r\nHost: x\r\n\r\n"},
		{"600 header values", "GET /e HTTP/1.1\r\nHost: x\r\n" + many + "\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, echo(), nil)
			sameAnswers(t, plain, s.addr, tc.raw)
		})
	}
}

// TestResponsesAsNetHTTP: odd handler headers give the same answer
// (framing, sanitised values) as net/http's server.
func TestResponsesAsNetHTTP(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/clte", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
		w.Header().Set("Transfer-Encoding", "chunked")
		_, _ = io.WriteString(w, "hello")
	})
	mux.HandleFunc("/split", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-A", "a\r\nSet-Cookie: evil=1")
		w.Header()["X-B\r\nX-C"] = []string{"b"}
		_, _ = io.WriteString(w, "ok")
	})
	mux.HandleFunc("/identity", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Transfer-Encoding", "identity")
		_, _ = io.WriteString(w, "ok")
	})
	mux.HandleFunc("/keepalive", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "keep-alive")
		_, _ = io.WriteString(w, "ok")
	})
	plain := startPlain(t, mux)
	s := startServer(t, mux, nil)
	sameAnswers(t, plain, s.addr,
		"GET /clte HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /split HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /identity HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /keepalive HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	)
}

// TestShutdownPartialHead: a keep-alive connection that has sent only
// part of its next request head is idle to net/http, whose Shutdown closes
// it at once; Server counts it active from its first byte and waits for it.
func TestShutdownPartialHead(t *testing.T) {
	for _, name := range []string{"net/http", "h1"} {
		t.Run(name, func(t *testing.T) {
			fb := &http.Server{Handler: echo(), ErrorLog: log.New(io.Discard, "", 0)}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			shutdown := fb.Shutdown
			if name == "h1" {
				s := &Server{Handler: fb.Handler, Fallback: fb}
				go s.Serve(ln)
				shutdown = s.Shutdown
				defer s.Close()
			} else {
				go fb.Serve(ln)
				defer fb.Close()
			}
			c := dial(t, ln.Addr().String())
			br := bufio.NewReader(c)
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			readAnswer(t, c, br, false)
			io.WriteString(c, "GET / HT") // and nothing more
			time.Sleep(100 * time.Millisecond)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			start := time.Now()
			if err := shutdown(ctx); err != nil {
				t.Errorf("Shutdown: %v after %v", err, time.Since(start))
			}
		})
	}
}

// TestHeaderTimeoutAcrossHandOver: a head that grows past the read
// buffer just before ReadHeaderTimeout is handed over and net/http starts
// its own ReadHeaderTimeout: the head may take twice as long.
func TestHeaderTimeoutAcrossHandOver(t *testing.T) {
	const timeout = 500 * time.Millisecond
	s := startServer(t, echo(), &http.Server{ReadHeaderTimeout: timeout, ErrorLog: log.New(io.Discard, "", 0)})
	c := dial(t, s.addr)
	start := time.Now()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nX-A: "+strings.Repeat("a", 3900))
	time.Sleep(timeout - 100*time.Millisecond)
	io.WriteString(c, strings.Repeat("a", 400)) // the buffer is full: hand-over
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.ReadAll(c) // until the server closes (or answers)
	if d := time.Since(start); d > timeout+200*time.Millisecond {
		t.Errorf("head still read %v after the connection came, ReadHeaderTimeout %v", d, timeout)
	}
}

// TestNoGoroutinesAfterClose: after Close, no goroutine of the
// server remains (kept, handed-over, streaming and silent connections).
func TestNoGoroutinesAfterClose(t *testing.T) {
	before := runtime.NumGoroutine()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stream := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stream" {
			_, _ = io.WriteString(w, "x")
			w.(http.Flusher).Flush()
			select {
			case <-stream:
			case <-r.Context().Done():
			}
			return
		}
		_, _ = io.ReadAll(r.Body)
		_, _ = io.WriteString(w, "ok")
	})
	fb := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}
	s := &Server{Handler: h, Fallback: fb}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	var conns []net.Conn
	for _, raw := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n",
		"",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab",
	} {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		io.WriteString(c, raw)
		if raw != "" && !strings.Contains(raw, "\r\n\r\nab") {
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Read(make([]byte, 1)); err != nil {
				t.Fatal(err)
			}
		}
	}
	time.Sleep(100 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	close(stream)
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		t.Fatal(err)
	}
	for _, c := range conns {
		c.Close()
	}
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
	_ = fmt.Sprint()
}

// TestShutdownUnderLoad: Shutdown while keep-alive clients send plain
// and handed-over requests returns, with no race (run with -race).
func TestShutdownUnderLoad(t *testing.T) {
	for range 5 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		h := echo()
		s := &Server{Handler: h, Fallback: &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}}
		done := make(chan error, 1)
		go func() { done <- s.Serve(ln) }()
		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}, Timeout: 5 * time.Second}
		stop := make(chan struct{})
		finished := make(chan struct{})
		for g := range 8 {
			go func() {
				defer func() { finished <- struct{}{} }()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					var body io.Reader = strings.NewReader("abc")
					if (g+i)%3 == 0 {
						body = io.MultiReader(strings.NewReader("abc")) // chunked: handed over
					}
					resp, err := hc.Post("http://"+ln.Addr().String()+"/", "text/plain", body)
					if err != nil {
						continue
					}
					_, _ = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
			}()
		}
		time.Sleep(150 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = s.Shutdown(ctx)
		cancel()
		if err != nil {
			t.Errorf("Shutdown under load: %v", err)
		}
		close(stop)
		for range 8 {
			<-finished
		}
		hc.CloseIdleConnections()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
		_ = s.Close()
	}
}

// TestStreamReleasesBuffer: once a response streams, the held-body
// buffer (up to 64 KiB, from the pool) is no longer used; a long stream
// (an SSE response) should not keep it.
func TestStreamReleasesBuffer(t *testing.T) {
	held := make(chan bool, 1)
	s := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("x", 60<<10))
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, "more")
		held <- w.(*response).buf != nil
	}), nil)
	if a := exchange(t, s.addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); len(a.body) != 60<<10+4 {
		t.Fatalf("%v", a)
	}
	if <-held {
		t.Error("a streaming response keeps its 64 KiB body buffer until the handler returns")
	}
}

// TestArrived: a body that came with its head has arrived; one still on
// the way has not, and has once it is all read; a closed body, a body
// net/http's server reads, and other readers never have.
func TestArrived(t *testing.T) {
	type seen struct{ before, after bool }
	got := make(chan seen, 1)
	checked := make(chan struct{}, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s seen
		s.before = Arrived(r.Body)
		checked <- struct{}{}
		if r.URL.Path == "/close" {
			_ = r.Body.Close()
			s.after = Arrived(r.Body)
		} else {
			b, _ := io.ReadAll(r.Body)
			s.after = Arrived(r.Body) // nothing left to arrive: every byte read
			_, _ = w.Write(b)
		}
		got <- s
	})
	s := startServer(t, h, nil)
	plain := startPlain(t, h)

	for _, tc := range []struct {
		name  string
		addr  string
		path  string
		split bool // the body is sent once the handler has looked
		want  seen
	}{
		{"with its head", s.addr, "/", false, seen{true, true}},
		{"after its head", s.addr, "/", true, seen{false, true}},
		{"closed", s.addr, "/close", false, seen{true, false}},
		{"net/http's server", plain, "/", false, seen{false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, tc.addr)
			br := bufio.NewReader(c)
			head := "POST " + tc.path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
			if tc.split {
				_, _ = io.WriteString(c, head)
				<-checked
				_, _ = io.WriteString(c, "hello")
			} else {
				_, _ = io.WriteString(c, head+"hello")
				<-checked
			}
			a := readAnswer(t, c, br, false)
			if v := <-got; v != tc.want {
				t.Errorf("Arrived before/after reading = %v, want %v", v, tc.want)
			}
			if tc.path == "/" && a.body != "hello" {
				t.Errorf("answer %v", a)
			}
		})
	}
	if Arrived(strings.NewReader("x")) || Arrived(http.NoBody) {
		t.Error("Arrived of a reader that is no request body of Server's")
	}
}

// TestLaterHeadTimeout: on a kept connection, the head of a later request
// that begins but never ends is cut at ReadHeaderTimeout, not IdleTimeout,
// though its deadline is only set once the head needs another read (after
// a GET, and after a POST whose body came with its head, whose connection
// keeps its deadline while the handler runs).
func TestLaterHeadTimeout(t *testing.T) {
	const header, idle = 300 * time.Millisecond, 20 * time.Second
	s := startServer(t, echo(), &http.Server{IdleTimeout: idle, ReadHeaderTimeout: header, ErrorLog: log.New(io.Discard, "", 0)})
	for _, tc := range []struct{ name, first, partial string }{
		{"after a GET", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET / HTTP/1.1\r\nHo"},
		{"after a POST", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi", "GET / HTTP/1.1\r\nHo"},
		{"a POST's trailing CRLF alone", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi", "\r"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, s.addr)
			br := bufio.NewReader(c)
			_, _ = io.WriteString(c, tc.first)
			if a := readAnswer(t, c, br, false); a.closed || len(a.statuses) != 1 {
				t.Fatalf("first request: %v", a)
			}
			start := time.Now()
			_, _ = io.WriteString(c, tc.partial)
			_ = c.SetReadDeadline(time.Now().Add(idle))
			if n, _ := io.Copy(io.Discard, br); n != 0 {
				t.Errorf("an answer of %d bytes to a head that never ended", n)
			}
			if d := time.Since(start); d > idle/2 {
				t.Errorf("a later head that never ended was cut after %v, ReadHeaderTimeout %v", d, header)
			}
		})
	}
}
