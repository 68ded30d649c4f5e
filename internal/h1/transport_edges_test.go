package h1

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestUnsolicitedBytesNotReadAsNextResponse: bytes a server sends
// past the end of a response (a body longer than its Content-Length, a body
// on a HEAD or a 204) must not be taken as the answer to the next request
// on the connection. net/http's idle read loop sees them and drops the
// connection; h1 only looks after checkIdleAfter, so a request sent at once
// reads the stray bytes as its response.
func TestUnsolicitedBytesNotReadAsNextResponse(t *testing.T) {
	for _, tc := range []struct {
		name, method, first string
	}{
		{"body longer than its length", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"},
		{"HEAD with a body", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nxx"},
		{"204 with a body", "GET", "HTTP/1.1 204 No Content\r\nContent-Length: 2\r\n\r\nxx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const stray = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled"
			var conns atomic.Int64
			u := rawServer(t, func(c net.Conn, br *bufio.Reader) {
				conns.Add(1)
				if _, err := http.ReadRequest(br); err != nil {
					return
				}
				io.WriteString(c, tc.first+stray)
				for {
					if _, err := http.ReadRequest(br); err != nil {
						return
					}
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhonest")
				}
			})
			tr := newTransport(t, nil, nil)
			resp, err := tr.RoundTrip(mustReq(tc.method, u, nil))
			if err != nil {
				t.Fatal(err)
			}
			io.ReadAll(resp.Body)
			resp.Body.Close()
			time.Sleep(10 * time.Millisecond) // the stray bytes are in
			resp, err = tr.RoundTrip(mustReq("GET", u, nil))
			if err != nil {
				t.Fatalf("second request: %v (stray bytes read as its response)", err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			// net/http drops the connection: the second request dials and
			// gets that connection's first answer.
			if string(b) == "smuggled" || conns.Load() != 2 {
				t.Fatalf("second request read %q over %d connections: stray bytes taken as its response", b, conns.Load())
			}
		})
	}
}

// holdConn gathers writes while hold is set, so that two TLS records reach
// the client in one TCP segment.
type holdConn struct {
	net.Conn
	hold bool
	buf  []byte
}

func (c *holdConn) Write(p []byte) (int, error) {
	if c.hold {
		c.buf = append(c.buf, p...)
		return len(p), nil
	}
	return c.Conn.Write(p)
}

func (c *holdConn) flush() {
	c.hold = false
	c.Conn.Write(c.buf)
	c.buf = nil
}

// TestUnsolicitedTLSRecordNotReadAsNextResponse: over TLS, stray
// bytes in a record after the response's are read off the socket into the
// TLS connection's buffer with it: neither the bufio.Reader nor the socket
// peek sees them, so the connection is pooled and, however long it idles,
// the next request takes them as its answer. net/http's idle read loop
// reads through the TLS connection and drops it.
func TestUnsolicitedTLSRecordNotReadAsNextResponse(t *testing.T) {
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	ts.StartTLS()
	t.Cleanup(ts.Close)
	cfg := ts.TLS.Clone()
	cfg.NextProtos = []string{"http/1.1"}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var conns atomic.Int64
	go func() {
		for {
			raw, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer raw.Close()
				hc := &holdConn{Conn: raw}
				tc := tls.Server(hc, cfg)
				br := bufio.NewReader(tc)
				if _, err := http.ReadRequest(br); err != nil {
					return
				}
				hc.hold = true
				io.WriteString(tc, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				io.WriteString(tc, "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled")
				hc.flush()
				for {
					if _, err := http.ReadRequest(br); err != nil {
						return
					}
					io.WriteString(tc, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhonest")
				}
			}()
		}
	}()
	tr := newTransport(t, ts, nil)
	u := "https://" + ln.Addr().String()
	if _, got := get(t, tr, u); got != "ok" {
		t.Fatalf("first request read %q", got)
	}
	time.Sleep(2 * checkIdleAfter) // long enough for the idle check
	resp, err := tr.RoundTrip(mustReq("GET", u, nil))
	if err != nil {
		t.Fatalf("second request: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) == "smuggled" || conns.Load() != 2 {
		t.Fatalf("second request read %q over %d connections: a stray TLS record taken as its response", b, conns.Load())
	}
}

// TestMaxIdleConnsTotal: the base's MaxIdleConns bounds the idle
// connections over all hosts (serve sets 1024 with 256 per host); h1 keeps
// MaxIdleConnsPerHost for every host with no total.
func TestMaxIdleConnsTotal(t *testing.T) {
	h := func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }
	var urls []string
	for range 3 {
		ts := httptest.NewServer(http.HandlerFunc(h))
		t.Cleanup(ts.Close)
		urls = append(urls, ts.URL)
	}
	tr := newTransport(t, nil, func(b *http.Transport) { b.MaxIdleConns = 1; b.MaxIdleConnsPerHost = 2 })
	for _, u := range urls {
		get(t, tr, u)
	}
	tr.mu.Lock()
	idle := 0
	for _, hp := range tr.hosts {
		idle += len(hp.idle)
	}
	tr.mu.Unlock()
	if idle > 1 {
		t.Fatalf("%d idle connections over %d hosts, want at most MaxIdleConns=1", idle, len(urls))
	}
	// The count behind the bound follows the pool, and a freed place is
	// used again.
	tr.mu.Lock()
	counted := tr.idle
	tr.mu.Unlock()
	if counted != idle {
		t.Fatalf("the transport counts %d idle connections, the pool holds %d", counted, idle)
	}
	tr.CloseIdleConnections()
	get(t, tr, urls[0])
	tr.mu.Lock()
	counted = tr.idle
	tr.mu.Unlock()
	if counted != 1 {
		t.Fatalf("after CloseIdleConnections and one request: %d idle counted, want 1", counted)
	}
}

// TestRetryWaitsBesideIdleConns: with MaxConnsPerHost, a retry asks
// for a fresh connection and waits for a free place while the places are
// held by idle connections nobody will use: it hangs until its context ends
// although the host has idle connections (net/http would take one).
func TestRetryWaitsBesideIdleConns(t *testing.T) {
	var n atomic.Int64
	var mu sync.Mutex
	u := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		first := n.Add(1) == 1
		for {
			if _, err := http.ReadRequest(br); err != nil {
				return
			}
			mu.Lock()
			mu.Unlock()
			if first {
				// The first connection answers once, then closes after the
				// next request arrives, without answering.
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				first = false
				if _, err := http.ReadRequest(br); err != nil {
					return
				}
				return
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	tr := newTransport(t, nil, func(b *http.Transport) { b.MaxConnsPerHost = 2; b.MaxIdleConnsPerHost = 2 })
	get(t, tr, u) // connection 1, idle

	req := mustReq("POST", u, strings.NewReader("x"))
	req.Header.Set("Idempotency-Key", "k")
	getBody := req.GetBody
	req.GetBody = func() (io.ReadCloser, error) {
		// Between the failure and the retry, two other requests at once
		// fill both places, then leave their connections idle.
		var wg sync.WaitGroup
		mu.Lock()
		for range 2 {
			wg.Go(func() {
				resp, err := tr.RoundTrip(mustReq("GET", u, nil))
				if err == nil {
					io.ReadAll(resp.Body)
					resp.Body.Close()
				}
			})
		}
		time.Sleep(50 * time.Millisecond) // both dialled and waiting
		mu.Unlock()
		wg.Wait()
		return getBody()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	resp, err := tr.RoundTrip(req.WithContext(ctx))
	if err != nil {
		tr.mu.Lock()
		idle, open := 0, 0
		for _, hp := range tr.hosts {
			idle += len(hp.idle)
			open += hp.open
		}
		tr.mu.Unlock()
		t.Fatalf("retry: %v, with %d open and %d idle connections", err, open, idle)
	}
	io.ReadAll(resp.Body)
	resp.Body.Close()
}

// TestEndedContextSparesTheNextRequest: every request on a connection hands
// the connection's one interrupt to its context; a context that ends after
// its request is done (the body read, or closed unread, or with no body)
// must not interrupt the next request on the connection, which is reused,
// while a context that ends mid-request still does, over plain TCP and TLS.
func TestEndedContextSparesTheNextRequest(t *testing.T) {
	hold := make(chan struct{})
	defer close(hold) // before the servers' Close, which waits for the handlers
	for _, tlsOn := range []bool{false, true} {
		ts, conns := newServer(t, tlsOn, func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/empty":
				w.WriteHeader(http.StatusNoContent)
			case "/slow":
				io.WriteString(w, "part")
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
				case <-hold:
				}
			default:
				io.WriteString(w, "answer")
			}
		})
		for _, tc := range []struct {
			name, path string
			read       bool // read the first body to its end, else close it unread
			reuse      bool // the second request has the first's connection
		}{
			{name: "body read", path: "/a", read: true, reuse: true},
			{name: "no body", path: "/empty", read: true, reuse: true},
			{name: "body closed unread", path: "/a", read: false, reuse: false},
		} {
			t.Run(fmt.Sprintf("tls=%v/%s", tlsOn, tc.name), func(t *testing.T) {
				tr := newTransport(t, ts, nil)
				ctx, cancel := context.WithCancel(context.Background())
				resp, err := tr.RoundTrip(mustReq("GET", ts.URL+tc.path, nil).WithContext(ctx))
				if err != nil {
					t.Fatal(err)
				}
				if tc.read {
					if _, err := io.ReadAll(resp.Body); err != nil {
						t.Fatal(err)
					}
				}
				resp.Body.Close()
				before := conns.Load()
				cancel() // the first request is over: nothing left to interrupt

				// A second request on the same connection reads its whole
				// answer, though the first's context ended meanwhile.
				ctx2, cancel2 := context.WithCancel(context.Background())
				defer cancel2()
				resp, err = tr.RoundTrip(mustReq("GET", ts.URL+"/slow", nil).WithContext(ctx2))
				if err != nil {
					t.Fatal(err)
				}
				if reused := conns.Load() == before; reused != tc.reuse {
					t.Fatalf("second request reused the connection: %v, want %v", reused, tc.reuse)
				}
				buf := make([]byte, 4)
				if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "part" {
					t.Fatalf("read %q, %v; want the answer's start", buf, err)
				}
				// Its own context still interrupts the read that waits.
				go func() { time.Sleep(20 * time.Millisecond); cancel2() }()
				start := time.Now()
				_, err = resp.Body.Read(buf)
				resp.Body.Close()
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("blocked read gave %v, want context.Canceled", err)
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Fatalf("interrupted after %v", d)
				}
			})
		}
	}
}
