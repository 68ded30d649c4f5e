package h1

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// countConns makes ts count the connections it accepts.
func countConns(ts *httptest.Server) *atomic.Int64 {
	var n atomic.Int64
	ts.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			n.Add(1)
		}
	}
	return &n
}

// newServer starts a plain (or TLS) test server counting its connections.
func newServer(t *testing.T, tlsOn bool, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	ts := httptest.NewUnstartedServer(h)
	n := countConns(ts)
	if tlsOn {
		ts.EnableHTTP2 = true // h1 must still speak HTTP/1.1
		ts.StartTLS()
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	return ts, n
}

// newTransport is a Transport trusting ts's certificate, with base adjusted by
// tune.
func newTransport(t *testing.T, ts *httptest.Server, tune func(*http.Transport)) *Transport {
	t.Helper()
	base := &http.Transport{}
	if ts != nil && ts.TLS != nil {
		base.TLSClientConfig = ts.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	}
	if tune != nil {
		tune(base)
	}
	tr := NewTransport(base)
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func get(t *testing.T, tr http.RoundTripper, u string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("GET %s: body: %v", u, err)
	}
	return resp, string(b)
}

func TestPlanTakesOrHandsOver(t *testing.T) {
	proxy, _ := url.Parse("http://proxy.example:3128")
	body := func() io.ReadCloser { return io.NopCloser(strings.NewReader("x")) }
	for _, tc := range []struct {
		name  string
		req   func() *http.Request
		tune  func(*http.Transport)
		takes bool
	}{
		{"GET", func() *http.Request { return mustReq("GET", "http://a.example/x?q=1", nil) }, nil, true},
		{"https", func() *http.Request { return mustReq("GET", "https://a.example:8443/", nil) }, nil, true},
		{"POST with a body", func() *http.Request { return mustReq("POST", "http://a.example/", strings.NewReader("{}")) }, nil, true},
		{"proxy", func() *http.Request { return mustReq("GET", "http://a.example/", nil) },
			func(b *http.Transport) { b.Proxy = http.ProxyURL(proxy) }, false},
		{"proxy says direct", func() *http.Request { return mustReq("GET", "http://a.example/", nil) },
			func(b *http.Transport) { b.Proxy = func(*http.Request) (*url.URL, error) { return nil, nil } }, true},
		{"proxy fails", func() *http.Request { return mustReq("GET", "http://a.example/", nil) },
			func(b *http.Transport) {
				b.Proxy = func(*http.Request) (*url.URL, error) { return nil, errors.New("no") }
			}, false},
		{"ftp", func() *http.Request { return mustReq("GET", "ftp://a.example/", nil) }, nil, false},
		{"upgrade", func() *http.Request {
			r := mustReq("GET", "http://a.example/", nil)
			r.Header.Set("Upgrade", "websocket")
			return r
		}, nil, false},
		{"expect continue", func() *http.Request {
			r := mustReq("POST", "http://a.example/", strings.NewReader("x"))
			r.Header.Set("Expect", "100-continue")
			return r
		}, nil, false},
		{"CR LF in a value", func() *http.Request {
			r := mustReq("GET", "http://a.example/", nil)
			r.Header["X-A"] = []string{"a\r\nInjected: 1"}
			return r
		}, nil, false},
		{"bad header name", func() *http.Request {
			r := mustReq("GET", "http://a.example/", nil)
			r.Header["X A"] = []string{"a"}
			return r
		}, nil, false},
		{"bad method", func() *http.Request { r := mustReq("GET", "http://a.example/", nil); r.Method = "G T"; return r }, nil, false},
		{"CONNECT", func() *http.Request { r := mustReq("GET", "http://a.example/", nil); r.Method = "CONNECT"; return r }, nil, false},
		{"IDN host", func() *http.Request { return mustReq("GET", "http://bücher.example/", nil) }, nil, false},
		{"zone", func() *http.Request { return mustReq("GET", "http://[fe80::1%25en0]:80/", nil) }, nil, false},
		{"odd Host", func() *http.Request { r := mustReq("GET", "http://a.example/", nil); r.Host = "a b"; return r }, nil, false},
		{"unknown length", func() *http.Request {
			r := mustReq("POST", "http://a.example/", nil)
			r.Body = body()
			return r
		}, nil, false},
		{"a length with no body", func() *http.Request {
			r := mustReq("POST", "http://a.example/", nil)
			r.ContentLength = 5
			return r
		}, nil, false},
		{"chunked", func() *http.Request {
			r := mustReq("POST", "http://a.example/", nil)
			r.Body, r.ContentLength = body(), -1
			return r
		}, nil, false},
		{"large body", func() *http.Request {
			return mustReq("POST", "http://a.example/", bytes.NewReader(make([]byte, maxDirectBody+1)))
		}, nil, false},
		{"trailer", func() *http.Request {
			r := mustReq("GET", "http://a.example/", nil)
			r.Trailer = http.Header{}
			return r
		}, nil, false},
		{"client trace", func() *http.Request {
			r := mustReq("GET", "http://a.example/", nil)
			return r.WithContext(httptrace.WithClientTrace(r.Context(), &httptrace.ClientTrace{}))
		}, nil, false},
		{"base dials TLS", func() *http.Request { return mustReq("GET", "https://a.example/", nil) },
			func(b *http.Transport) {
				b.DialTLSContext = func(context.Context, string, string) (net.Conn, error) { return nil, errors.New("x") }
			}, false},
		{"base dials TLS, plain request", func() *http.Request { return mustReq("GET", "http://a.example/", nil) },
			func(b *http.Transport) {
				b.DialTLSContext = func(context.Context, string, string) (net.Conn, error) { return nil, errors.New("x") }
			}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := &http.Transport{}
			if tc.tune != nil {
				tc.tune(base)
			}
			_, got := NewTransport(base).plan(tc.req())
			if got != tc.takes {
				t.Fatalf("takes = %v, want %v", got, tc.takes)
			}
		})
	}
}

func mustReq(method, u string, body io.Reader) *http.Request {
	r, err := http.NewRequest(method, u, body)
	if err != nil {
		panic(err)
	}
	return r
}

// TestHandsOverToBase: requests Transport does not take reach the network
// through the base transport.
func TestHandsOverToBase(t *testing.T) {
	t.Run("proxy", func(t *testing.T) {
		var sawAbsolute atomic.Bool
		proxy, _ := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
			// A proxy is sent the absolute URL.
			sawAbsolute.Store(r.URL.IsAbs() && r.URL.Host == "target.example")
			io.WriteString(w, "via proxy")
		})
		pu, _ := url.Parse(proxy.URL)
		tr := newTransport(t, nil, func(b *http.Transport) { b.Proxy = http.ProxyURL(pu) })
		_, got := get(t, tr, "http://target.example/x")
		if got != "via proxy" || !sawAbsolute.Load() {
			t.Fatalf("got %q, proxy saw an absolute URL: %v", got, sawAbsolute.Load())
		}
	})
	t.Run("scheme", func(t *testing.T) {
		tr := newTransport(t, nil, nil)
		_, err := tr.RoundTrip(mustReq("GET", "ftp://a.example/", nil))
		_, want := (&http.Transport{}).RoundTrip(mustReq("GET", "ftp://a.example/", nil))
		if err == nil || err.Error() != want.Error() {
			t.Fatalf("err %v, want net/http's %v", err, want)
		}
	})
	t.Run("upgrade", func(t *testing.T) {
		ts, _ := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
			c, brw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n")
			brw.Flush()
		})
		tr := newTransport(t, nil, nil)
		req := mustReq("GET", ts.URL, nil)
		req.Header.Set("Upgrade", "test")
		req.Header.Set("Connection", "Upgrade")
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		// Only net/http hands the connection over as the body.
		if _, ok := resp.Body.(io.ReadWriteCloser); resp.StatusCode != 101 || !ok {
			t.Fatalf("status %d, body %T: not net/http's upgrade", resp.StatusCode, resp.Body)
		}
	})
	t.Run("invalid header value", func(t *testing.T) {
		var injected atomic.Bool
		ts, _ := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
			injected.Store(r.Header.Get("Injected") != "")
		})
		tr := newTransport(t, nil, nil)
		req := mustReq("GET", ts.URL, nil)
		req.Header["X-A"] = []string{"a\r\nInjected: 1"}
		if _, err := tr.RoundTrip(req); err == nil || !strings.Contains(err.Error(), "invalid header") {
			t.Fatalf("err %v, want net/http's invalid header error", err)
		}
		if injected.Load() {
			t.Fatal("a header value's CR LF started another header")
		}
	})
}

// TestPool: connections are reused per host, LIFO, at most
// MaxIdleConnsPerHost idle, until IdleConnTimeout or CloseIdleConnections.
func TestPool(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", tlsOn), func(t *testing.T) {
			ts, conns := newServer(t, tlsOn, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
			tr := newTransport(t, ts, nil)
			for range 5 {
				if _, got := get(t, tr, ts.URL); got != "ok" {
					t.Fatalf("body %q", got)
				}
			}
			if n := conns.Load(); n != 1 {
				t.Fatalf("5 requests in a row opened %d connections, want 1", n)
			}
			tr.CloseIdleConnections()
			get(t, tr, ts.URL)
			if n := conns.Load(); n != 2 {
				t.Fatalf("after CloseIdleConnections: %d connections, want 2", n)
			}
		})
	}
	t.Run("idle bound", func(t *testing.T) {
		release := make(chan struct{})
		var inFlight sync.WaitGroup
		ts, conns := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/hold" {
				inFlight.Done()
				<-release
			}
		})
		for _, tc := range []struct{ max, want int }{{0, 2}, {3, 3}} {
			tr := newTransport(t, ts, func(b *http.Transport) { b.MaxIdleConnsPerHost = tc.max })
			before := conns.Load()
			release = make(chan struct{})
			inFlight.Add(5)
			var done sync.WaitGroup
			for range 5 {
				done.Go(func() { get(t, tr, ts.URL+"/hold") })
			}
			inFlight.Wait()
			close(release)
			done.Wait()
			tr.mu.Lock()
			idle := len(tr.hosts[hostKey{host: strings.TrimPrefix(ts.URL, "http://")}].idle)
			tr.mu.Unlock()
			if idle != tc.want || conns.Load()-before != 5 {
				t.Errorf("MaxIdleConnsPerHost %d: %d idle of %d, want %d of 5", tc.max, idle, conns.Load()-before, tc.want)
			}
		}
	})
	t.Run("LIFO", func(t *testing.T) {
		ts, _ := newServer(t, false, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.RemoteAddr) })
		tr := newTransport(t, ts, nil)
		// Two connections at once, then one request after another takes
		// the one returned last.
		var a, b string
		start := make(chan struct{})
		var wg sync.WaitGroup
		first := func(s *string) {
			req := mustReq("GET", ts.URL, nil)
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Error(err)
				return
			}
			<-start
			bb, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			*s = string(bb)
		}
		wg.Go(func() { first(&a) })
		wg.Go(func() { first(&b) })
		time.Sleep(50 * time.Millisecond)
		close(start)
		wg.Wait()
		if a == b {
			t.Fatal("two requests at once shared a connection")
		}
		tr.mu.Lock()
		hp := tr.hosts[hostKey{host: strings.TrimPrefix(ts.URL, "http://")}]
		last := hp.idle[len(hp.idle)-1].raw.LocalAddr().String()
		tr.mu.Unlock()
		if _, got := get(t, tr, ts.URL); got != last {
			t.Fatalf("reused %s, want the last idle %s", got, last)
		}
	})
	t.Run("idle timeout", func(t *testing.T) {
		ts, conns := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {})
		tr := newTransport(t, ts, func(b *http.Transport) { b.IdleConnTimeout = 30 * time.Millisecond })
		get(t, tr, ts.URL)
		time.Sleep(120 * time.Millisecond)
		tr.mu.Lock()
		left := len(tr.hosts)
		tr.mu.Unlock()
		if left != 0 {
			t.Errorf("%d hosts still pooled after the idle timeout", left)
		}
		get(t, tr, ts.URL)
		if n := conns.Load(); n != 2 {
			t.Fatalf("%d connections, want a new one after the idle timeout", n)
		}
	})
	t.Run("idle timeout counts from the last use", func(t *testing.T) {
		// The idle timer is set once and runs on while the connection is
		// used: it must neither close the connection early, nor miss it.
		const timeout = 150 * time.Millisecond
		ts, conns := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {})
		tr := newTransport(t, ts, func(b *http.Transport) { b.IdleConnTimeout = timeout })
		pooled := func() int {
			tr.mu.Lock()
			defer tr.mu.Unlock()
			return tr.idle
		}
		get(t, tr, ts.URL)
		time.Sleep(timeout * 2 / 3)
		get(t, tr, ts.URL) // reused: idle anew from here
		lastUse := time.Now()
		time.Sleep(timeout * 2 / 3) // past the first timer's firing
		if n := pooled(); n != 1 && time.Since(lastUse) < timeout {
			t.Fatalf("%d idle connections %v after the last use, want the one kept", n, time.Since(lastUse))
		}
		deadline := time.Now().Add(20 * timeout)
		for pooled() != 0 {
			if time.Now().After(deadline) {
				t.Fatal("the idle connection was never closed")
			}
			time.Sleep(timeout / 10)
		}
		if d := time.Since(lastUse); d < timeout {
			t.Fatalf("closed %v after the last use, before the idle timeout %v", d, timeout)
		}
		if n := conns.Load(); n != 1 {
			t.Fatalf("%d connections, want 1", n)
		}
	})
	t.Run("MaxConnsPerHost", func(t *testing.T) {
		var now, most atomic.Int64
		ts, conns := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
			n := now.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(5 * time.Millisecond)
			now.Add(-1)
		})
		tr := newTransport(t, ts, func(b *http.Transport) { b.MaxConnsPerHost = 2; b.MaxIdleConnsPerHost = 1 })
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() { get(t, tr, ts.URL) })
		}
		wg.Wait()
		if most.Load() > 2 || conns.Load() > 10 {
			t.Fatalf("%d requests at once over %d connections, want at most 2 at once", most.Load(), conns.Load())
		}
	})
}

// TestDial: the base's DialContext dials; TLS speaks HTTP/1.1 with the
// base's configuration and fails as net/http does.
func TestDial(t *testing.T) {
	t.Run("DialContext", func(t *testing.T) {
		ts, _ := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {})
		var dials atomic.Int64
		tr := newTransport(t, ts, func(b *http.Transport) {
			b.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			}
		})
		get(t, tr, ts.URL)
		get(t, tr, ts.URL)
		if dials.Load() != 1 {
			t.Fatalf("%d dials, want 1", dials.Load())
		}
	})
	t.Run("TLS", func(t *testing.T) {
		ts, _ := newServer(t, true, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Proto) })
		tr := newTransport(t, ts, func(b *http.Transport) { b.TLSClientConfig.MinVersion = tls.VersionTLS13 })
		resp, got := get(t, tr, ts.URL)
		// The server offers h2 (and Go's leaves ALPN unset rather than
		// refuse a client offering only http/1.1).
		if got != "HTTP/1.1" || resp.TLS == nil || resp.TLS.NegotiatedProtocol == "h2" || resp.TLS.Version != tls.VersionTLS13 {
			t.Fatalf("proto %q, TLS %+v", got, resp.TLS)
		}
		if resp.TLS.ServerName != "127.0.0.1" && resp.TLS.ServerName != "" {
			t.Fatalf("server name %q", resp.TLS.ServerName)
		}
	})
	t.Run("untrusted", func(t *testing.T) {
		ts, _ := newServer(t, true, func(w http.ResponseWriter, r *http.Request) {})
		ts.Config.ErrorLog = discardLog()
		tr := newTransport(t, nil, nil)
		_, err := tr.RoundTrip(mustReq("GET", ts.URL, nil))
		_, want := (&http.Transport{}).RoundTrip(mustReq("GET", ts.URL, nil))
		var ua, uaWant x509.UnknownAuthorityError
		var cv *tls.CertificateVerificationError
		if !errors.As(err, &ua) || !errors.As(want, &uaWant) || !errors.As(err, &cv) {
			t.Fatalf("err %#v, want an x509 error as net/http's %#v", err, want)
		}
		if err.Error() != want.Error() {
			t.Fatalf("err %q, net/http's %q", err, want)
		}
	})
	t.Run("handshake timeout", func(t *testing.T) {
		ln := silentListener(t)
		tr := newTransport(t, nil, func(b *http.Transport) { b.TLSHandshakeTimeout = 50 * time.Millisecond })
		start := time.Now()
		_, err := tr.RoundTrip(mustReq("GET", "https://"+ln.Addr().String(), nil))
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || time.Since(start) > 2*time.Second {
			t.Fatalf("err %v after %v, want a timeout", err, time.Since(start))
		}
	})
}

// silentListener accepts connections and never answers.
func silentListener(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	return ln
}

func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }

// wireServer answers every request with an empty 200 and hands the bytes
// of each request it read to got.
func wireServer(t *testing.T) (addr string, got <-chan []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan []byte, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var raw bytes.Buffer
				br := bufio.NewReader(io.TeeReader(c, &raw))
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					// What was read for this request: all but what the
					// reader holds of the next.
					n := raw.Len() - br.Buffered()
					ch <- bytes.Clone(raw.Bytes()[:n])
					raw.Next(n)
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String(), ch
}

// TestWritesAsNetHTTP: the bytes on the wire are net/http's, and the
// request is left as it was.
func TestWritesAsNetHTTP(t *testing.T) {
	addr, wire := wireServer(t)
	base := "http://" + addr
	for _, tc := range []struct {
		name  string
		req   func() *http.Request
		tune  func(*http.Transport)
		sawIt string // a line the wire must hold
	}{
		{name: "GET", req: func() *http.Request { return mustReq("GET", base+"/a/b?q=SELECT+Id&x=%2F", nil) }, sawIt: "Accept-Encoding: gzip"},
		// The request target, which plan writes in two parts.
		{name: "empty query", req: func() *http.Request { return mustReq("GET", base+"/a?", nil) }, sawIt: "GET /a? HTTP/1.1"},
		{name: "no path, a query", req: func() *http.Request { return mustReq("GET", base+"?q=1", nil) }, sawIt: "GET /?q=1 HTTP/1.1"},
		{name: "escaped path", req: func() *http.Request { return mustReq("GET", base+"/a%2Fb/c%20d?x=%23", nil) }, sawIt: "GET /a%2Fb/c%20d?x=%23 HTTP/1.1"},
		{name: "path to escape", req: func() *http.Request {
			r := mustReq("GET", base+"/", nil)
			r.URL.Path, r.URL.RawQuery = "/a b/é", "q=a+b"
			return r
		}, sawIt: "GET /a%20b/%C3%A9?q=a+b HTTP/1.1"},
		{name: "opaque", req: func() *http.Request {
			r := mustReq("GET", base+"/", nil)
			r.URL.Opaque, r.URL.RawQuery = "/o/p", "z=1"
			return r
		}, sawIt: "GET /o/p?z=1 HTTP/1.1"},
		{name: "headers", req: func() *http.Request {
			r := mustReq("GET", base+"/", nil)
			r.Header.Set("Authorization", "Bearer t")
			r.Header.Add("X-Multi", "1")
			r.Header.Add("X-Multi", " 2\t")
			r.Header["lower-case"] = []string{"v"}
			r.Header.Set("User-Agent", "sfmcp/1")
			return r
		}, sawIt: "lower-case: v"},
		{name: "empty User-Agent", req: func() *http.Request {
			r := mustReq("GET", base+"/", nil)
			r.Header["User-Agent"] = []string{""}
			return r
		}},
		{name: "POST", req: func() *http.Request { return mustReq("POST", base+"/p", strings.NewReader(`{"a":1}`)) }, sawIt: "Content-Length: 7"},
		{name: "POST empty", req: func() *http.Request { return mustReq("POST", base+"/p", nil) }, sawIt: "Content-Length: 0"},
		{name: "DELETE", req: func() *http.Request { return mustReq("DELETE", base+"/d", nil) }},
		{name: "PATCH", req: func() *http.Request { return mustReq("PATCH", base+"/d", bytes.NewReader([]byte("x"))) }},
		{name: "HEAD", req: func() *http.Request { return mustReq("HEAD", base+"/h", nil) }},
		{name: "Range", req: func() *http.Request { r := mustReq("GET", base+"/", nil); r.Header.Set("Range", "bytes=0-1"); return r }},
		{name: "own Accept-Encoding", req: func() *http.Request {
			r := mustReq("GET", base+"/", nil)
			r.Header.Set("Accept-Encoding", "br")
			return r
		}},
		{name: "Close", req: func() *http.Request { r := mustReq("GET", base+"/", nil); r.Close = true; return r }, sawIt: "Connection: close"},
		{name: "Host", req: func() *http.Request { r := mustReq("GET", base+"/", nil); r.Host = "other.example:81"; return r }, sawIt: "Host: other.example:81"},
		{name: "no compression", req: func() *http.Request { return mustReq("GET", base+"/", nil) }, tune: func(b *http.Transport) { b.DisableCompression = true }},
		{name: "no keep-alive", req: func() *http.Request { return mustReq("GET", base+"/", nil) }, tune: func(b *http.Transport) { b.DisableKeepAlives = true }, sawIt: "Connection: close"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			send := func(rt http.RoundTripper) []byte {
				req := tc.req()
				before := req.Clone(context.Background())
				resp, err := rt.RoundTrip(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if !reflect.DeepEqual(req.Header, before.Header) || req.Host != before.Host || req.Close != before.Close || req.ContentLength != before.ContentLength {
					t.Errorf("%T changed the request: %v, was %v", rt, req.Header, before.Header)
				}
				return <-wire
			}
			b := &http.Transport{}
			if tc.tune != nil {
				tc.tune(b)
			}
			want := send(b)
			b.CloseIdleConnections()
			got := send(newTransport(t, nil, tc.tune))
			if !bytes.Equal(got, want) {
				t.Fatalf("wrote\n%q\nnet/http writes\n%q", got, want)
			}
			if !bytes.Contains(got, []byte(tc.sawIt+"\r\n")) {
				t.Fatalf("wrote %q, want %q in it", got, tc.sawIt)
			}
		})
	}
}

// rawServer serves each connection with answer.
func rawServer(t *testing.T, answer func(c net.Conn, br *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				answer(c, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return "http://" + ln.Addr().String()
}

func TestReads(t *testing.T) {
	t.Run("1xx skipped", func(t *testing.T) {
		ts, _ := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", "</a.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, "final")
		})
		resp, got := get(t, newTransport(t, ts, nil), ts.URL)
		if resp.StatusCode != 200 || got != "final" {
			t.Fatalf("%d %q", resp.StatusCode, got)
		}
	})
	t.Run("response header timeout", func(t *testing.T) {
		ts, _ := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		})
		tr := newTransport(t, ts, func(b *http.Transport) { b.ResponseHeaderTimeout = 50 * time.Millisecond })
		start := time.Now()
		_, err := tr.RoundTrip(mustReq("GET", ts.URL, nil))
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || time.Since(start) > time.Second {
			t.Fatalf("err %v after %v, want a timeout", err, time.Since(start))
		}
	})
	t.Run("gzip", func(t *testing.T) {
		ts, _ := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Accept-Encoding") != "gzip" {
				io.WriteString(w, "plain")
				return
			}
			w.Header().Set("Content-Encoding", "gzip")
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			io.WriteString(zw, "unzipped")
			zw.Close()
			w.Header().Set("Content-Length", fmt.Sprint(b.Len()))
			w.Write(b.Bytes())
		})
		tr := newTransport(t, ts, nil)
		resp, got := get(t, tr, ts.URL)
		if got != "unzipped" || !resp.Uncompressed || resp.ContentLength != -1 || resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("Content-Length") != "" {
			t.Fatalf("body %q, uncompressed %v, length %d, header %v", got, resp.Uncompressed, resp.ContentLength, resp.Header)
		}
		// The caller asked for gzip itself: it gets gzip.
		req := mustReq("GET", ts.URL, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Uncompressed || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("decompressed a response the caller asked gzip for")
		}
	})
	t.Run("chunked", func(t *testing.T) {
		ts, conns := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "one,")
			w.(http.Flusher).Flush()
			io.WriteString(w, "two")
		})
		tr := newTransport(t, ts, nil)
		for range 2 {
			resp, got := get(t, tr, ts.URL)
			if got != "one,two" || len(resp.TransferEncoding) == 0 {
				t.Fatalf("body %q, transfer encoding %v", got, resp.TransferEncoding)
			}
		}
		if conns.Load() != 1 {
			t.Fatalf("%d connections, want a chunked body's connection reused", conns.Load())
		}
	})
	t.Run("close-delimited", func(t *testing.T) {
		var conns atomic.Int64
		u := rawServer(t, func(c net.Conn, br *bufio.Reader) {
			conns.Add(1)
			if _, err := http.ReadRequest(br); err != nil {
				return
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\n\r\nuntil the end")
		})
		tr := newTransport(t, nil, nil)
		for range 2 {
			resp, got := get(t, tr, u)
			if got != "until the end" || resp.ContentLength != -1 {
				t.Fatalf("body %q, length %d", got, resp.ContentLength)
			}
		}
		if conns.Load() != 2 {
			t.Fatalf("%d connections, want none reused", conns.Load())
		}
	})
	t.Run("HTTP/1.0", func(t *testing.T) {
		var conns atomic.Int64
		u := rawServer(t, func(c net.Conn, br *bufio.Reader) {
			conns.Add(1)
			for {
				if _, err := http.ReadRequest(br); err != nil {
					return
				}
				io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
			}
		})
		tr := newTransport(t, nil, nil)
		get(t, tr, u)
		get(t, tr, u)
		if conns.Load() != 2 {
			t.Fatalf("%d connections, want HTTP/1.0 without keep-alive not reused", conns.Load())
		}
	})
	t.Run("head too large", func(t *testing.T) {
		ts, _ := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Big", strings.Repeat("x", 8000))
		})
		tr := newTransport(t, ts, func(b *http.Transport) { b.MaxResponseHeaderBytes = 4000 })
		if _, err := tr.RoundTrip(mustReq("GET", ts.URL, nil)); err == nil || !strings.Contains(err.Error(), "exceeded 4000 bytes") {
			t.Fatalf("err %v", err)
		}
	})
}

// TestBodyAndReuse: a body read to its end frees the connection; closed
// before, or with Connection: close, it is not reused.
func TestBodyAndReuse(t *testing.T) {
	ts, conns := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("close") != "" {
			w.Header().Set("Connection", "close")
		}
		io.WriteString(w, strings.Repeat("x", 100))
	})
	for _, tc := range []struct {
		name     string
		path     string
		readAll  bool
		tune     func(*http.Transport)
		reqClose bool
		want     int64 // connections for two requests
	}{
		{name: "read to the end", path: "/", readAll: true, want: 1},
		{name: "closed early", path: "/", want: 2},
		{name: "server closes", path: "/?close=1", readAll: true, want: 2},
		{name: "request closes", path: "/", readAll: true, reqClose: true, want: 2},
		{name: "keep-alive off", path: "/", readAll: true, tune: func(b *http.Transport) { b.DisableKeepAlives = true }, want: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTransport(t, ts, tc.tune)
			before := conns.Load()
			for range 2 {
				req := mustReq("GET", ts.URL+tc.path, nil)
				req.Close = tc.reqClose
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Fatal(err)
				}
				if tc.readAll {
					if b, err := io.ReadAll(resp.Body); err != nil || len(b) != 100 {
						t.Fatalf("read %d bytes, %v", len(b), err)
					}
				} else {
					resp.Body.Read(make([]byte, 10))
				}
				resp.Body.Close()
				if _, err := resp.Body.Read(make([]byte, 1)); err == nil {
					t.Fatal("a read after Close succeeded")
				}
			}
			if got := conns.Load() - before; got != tc.want {
				t.Fatalf("%d connections, want %d", got, tc.want)
			}
		})
	}
}

// TestContextStops: the request's context ends each phase promptly, with
// the context's error as net/http gives it, and the connection is dropped.
func TestContextStops(t *testing.T) {
	hold := make(chan struct{})
	ts, conns := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/head":
		case "/body":
			io.WriteString(w, "part")
			w.(http.Flusher).Flush()
		case "/slowread":
			// Never reads the body: the client's write fills the buffers.
		default:
			io.Copy(io.Discard, r.Body)
			io.WriteString(w, "ok")
			return
		}
		select {
		case <-r.Context().Done():
		case <-hold:
		}
	})
	// Before the server's Close, which waits for its handlers: one that
	// does not read its body does not see the client go.
	t.Cleanup(func() { close(hold) })
	dialing := make(chan struct{}, 1)
	tune := func(b *http.Transport) {
		b.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if strings.HasSuffix(addr, ":1") { // the dial phase's address: wait for the context
				dialing <- struct{}{}
				<-ctx.Done()
				return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
			}
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err == nil {
				// Small buffers, so the write phase blocks on a server that does not read.
				c.(*net.TCPConn).SetWriteBuffer(4096)
			}
			return c, err
		}
	}
	for _, how := range []struct {
		name string
		ctx  func() (context.Context, func())
		want error
	}{
		{"cancel", func() (context.Context, func()) {
			ctx, cancel := context.WithCancel(context.Background())
			return ctx, func() { time.Sleep(30 * time.Millisecond); cancel() }
		}, context.Canceled},
		{"deadline", func() (context.Context, func()) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
			_ = cancel
			return ctx, func() {}
		}, context.DeadlineExceeded},
	} {
		for _, phase := range []string{"dial", "write", "head", "body"} {
			t.Run(how.name+"/"+phase, func(t *testing.T) {
				tr := newTransport(t, ts, tune)
				get(t, tr, ts.URL) // a pooled connection, which must not be reused after
				before := conns.Load()
				ctx, end := how.ctx()
				var req *http.Request
				switch phase {
				case "dial":
					req = mustReq("GET", "http://127.0.0.1:1/", nil)
				case "write":
					req = mustReq("POST", ts.URL+"/slowread", bytes.NewReader(make([]byte, maxDirectBody)))
				default:
					req = mustReq("GET", ts.URL+"/"+phase, nil)
				}
				req = req.WithContext(ctx)
				go end()
				start := time.Now()
				resp, err := tr.RoundTrip(req)
				if phase == "body" {
					if err != nil {
						t.Fatal(err)
					}
					_, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				if !errors.Is(err, how.want) {
					t.Fatalf("err %v, want %v", err, how.want)
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Fatalf("stopped after %v", d)
				}
				if phase == "dial" {
					<-dialing
					return
				}
				// The interrupted request took the pooled connection, and
				// closed it: the next request dials.
				tr.mu.Lock()
				open := 0
				if hp := tr.hosts[hostKey{host: strings.TrimPrefix(ts.URL, "http://")}]; hp != nil {
					open = hp.open
				}
				tr.mu.Unlock()
				if open != 0 {
					t.Fatalf("%d connections open, want the interrupted one closed", open)
				}
				get(t, tr, ts.URL)
				if got := conns.Load() - before; got != 1 {
					t.Fatalf("%d new connections, want 1", got)
				}
			})
		}
	}
	t.Run("already cancelled", func(t *testing.T) {
		tr := newTransport(t, ts, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := tr.RoundTrip(mustReq("GET", ts.URL, nil).WithContext(ctx))
		if err != context.Canceled {
			t.Fatalf("err %v", err)
		}
	})
}

// TestStaleIdleConnection: a server that closes a connection after each
// answer (without saying so) leaves a dead idle one; a replayable request
// is retried on a fresh connection, others fail, unless the connection was
// idle long enough to be checked first.
func TestStaleIdleConnection(t *testing.T) {
	var conns atomic.Int64
	u := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		conns.Add(1)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	})
	idem := func() *http.Request {
		r := mustReq("POST", u, strings.NewReader("x"))
		r.Header.Set("Idempotency-Key", "k")
		return r
	}
	noGetBody := func() *http.Request {
		r := mustReq("POST", u, strings.NewReader("x"))
		r.GetBody = nil
		return r
	}
	for _, tc := range []struct {
		name   string
		req    func() *http.Request
		idle   time.Duration
		wantOK bool
	}{
		{"GET", func() *http.Request { return mustReq("GET", u, nil) }, 10 * time.Millisecond, true},
		{"HEAD", func() *http.Request { return mustReq("HEAD", u, nil) }, 10 * time.Millisecond, true},
		{"POST with Idempotency-Key", idem, 10 * time.Millisecond, true},
		{"POST", func() *http.Request { return mustReq("POST", u, strings.NewReader("x")) }, 10 * time.Millisecond, false},
		{"POST without GetBody", noGetBody, 10 * time.Millisecond, false},
		{"POST after a long idle", noGetBody, 2 * checkIdleAfter, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTransport(t, nil, nil)
			get(t, tr, u)
			time.Sleep(tc.idle) // the server's close arrives
			resp, err := tr.RoundTrip(tc.req())
			if err == nil {
				resp.Body.Close()
			}
			if (err == nil) != tc.wantOK {
				t.Fatalf("err %v, want success %v", err, tc.wantOK)
			}
			if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("err %v, want the connection's EOF or reset in it", err)
			}
		})
	}
}

// TestConcurrent: many goroutines share a Transport (run with -race).
func TestConcurrent(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", tlsOn), func(t *testing.T) {
			ts, _ := newServer(t, tlsOn, func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				w.Write(b)
				io.WriteString(w, r.URL.Query().Get("i"))
			})
			tr := newTransport(t, ts, func(b *http.Transport) { b.MaxIdleConnsPerHost = 4 })
			var wg sync.WaitGroup
			for g := range 32 {
				wg.Go(func() {
					for i := range 20 {
						id := fmt.Sprintf("%d-%d", g, i)
						req := mustReq("POST", ts.URL+"/?i="+id, strings.NewReader("body:"))
						ctx, cancel := context.WithCancel(context.Background())
						resp, err := tr.RoundTrip(req.WithContext(ctx))
						if err != nil {
							cancel()
							t.Error(err)
							return
						}
						switch i % 4 {
						case 0: // closed unread
							resp.Body.Close()
						case 1: // cancelled while reading
							cancel()
							io.ReadAll(resp.Body)
							resp.Body.Close()
						default:
							b, err := io.ReadAll(resp.Body)
							resp.Body.Close()
							if err != nil || string(b) != "body:"+id {
								t.Errorf("got %q, %v, want %q", b, err, "body:"+id)
							}
						}
						cancel()
					}
				})
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			tr.CloseIdleConnections()
			tr.mu.Lock()
			left := len(tr.hosts)
			tr.mu.Unlock()
			if left != 0 {
				t.Fatalf("%d host pools left with all connections closed", left)
			}
		})
	}
}
