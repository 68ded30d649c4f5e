package mcpserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

// serveWith runs h with o on a loopback port until the test ends and
// returns the address and the error ServeHTTPWith returned (once done).
func serveWith(t *testing.T, h http.Handler, o ServeOptions) (addr string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.Grace == 0 {
		o.Grace = 5 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeHTTPWith(ctx, ln, h, o) }()
	var once sync.Once
	var serr error
	stop = func() error {
		once.Do(func() { cancel(); serr = <-done })
		return serr
	}
	t.Cleanup(func() { _ = stop() })
	return ln.Addr().String(), stop
}

// dialFrom opens a TCP connection to addr from a given loopback IP.
func dialFrom(t *testing.T, ip, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", ip, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// firstLine reads the status line the server sends, or "" if it sends
// nothing before closing or before the (generous) deadline.
func firstLine(c net.Conn, wait time.Duration) string {
	_ = c.SetReadDeadline(time.Now().Add(wait))
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line)
}

// TestSlowBodiesAreCutOff: slow-loris clients that trickle a body one byte
// at a time are answered 408 and disconnected once the body deadline passes,
// on /mcp and on the proxy's unauthenticated endpoints alike.
func TestSlowBodiesAreCutOff(t *testing.T) {
	em := newHeadersHandler(t)
	addr, _ := serveWith(t, em, ServeOptions{BodyTimeout: 300 * time.Millisecond})
	const clients = 12
	var wg sync.WaitGroup
	got := make([]string, clients)
	for i := range clients {
		wg.Go(func() {
			c := dialFrom(t, "127.0.0.1", addr)
			path := []string{"/mcp", "/token", "/register"}[i%3]
			fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", path, addr)
			// One byte every 100 ms for at most 10 s: long past the deadline.
			stop := time.Now().Add(10 * time.Second)
			go func() {
				for time.Now().Before(stop) {
					time.Sleep(100 * time.Millisecond)
					if _, err := c.Write([]byte(" ")); err != nil {
						return
					}
				}
			}()
			got[i] = firstLine(c, 10*time.Second)
		})
	}
	wg.Wait()
	for i, line := range got {
		if !strings.Contains(line, "408") {
			t.Errorf("slow client %d: got %q, want a 408 once the body deadline passed", i, line)
		}
	}
}

// TestBodyDeadlineDoesNotCutLongCalls: the body deadline is lifted once the
// body is in, so a handler that works longer than it still answers.
func TestBodyDeadlineDoesNotCutLongCalls(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		select {
		case <-time.After(600 * time.Millisecond):
		case <-r.Context().Done():
			http.Error(w, "cancelled", 499)
			return
		}
		fmt.Fprintf(w, "read %d", len(b))
	})
	addr, _ := serveWith(t, h, ServeOptions{BodyTimeout: 200 * time.Millisecond})
	resp, err := http.Post("http://"+addr+"/x", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "read 5" {
		t.Fatalf("a call longer than the body deadline: %d %q", resp.StatusCode, b)
	}
}

// TestConnectionCaps: one address gets MaxConnsPerAddr connections, all
// addresses together MaxConns; the next is told 503 and closed, and a slot
// freed is usable again.
func TestConnectionCaps(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	addr, _ := serveWith(t, h, ServeOptions{MaxConns: 8, MaxConnsPerAddr: 5})
	var held []net.Conn
	for range 5 {
		held = append(held, dialFrom(t, "127.0.0.1", addr)) // silent: slow-loris holding slots
	}
	if line := firstLine(dialFrom(t, "127.0.0.1", addr), 5*time.Second); !strings.Contains(line, "503") {
		t.Fatalf("6th connection from one address: %q, want 503", line)
	}
	for _, ip := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"} {
		held = append(held, dialFrom(t, ip, addr))
	}
	if line := firstLine(dialFrom(t, "127.0.0.5", addr), 5*time.Second); !strings.Contains(line, "503") {
		t.Fatalf("9th connection in all: %q, want 503", line)
	}
	held[0].Close()
	// The slot comes back once the server sees the close; retry briefly.
	for i := 0; ; i++ {
		c := dialFrom(t, "127.0.0.1", addr)
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", addr)
		line := firstLine(c, 5*time.Second)
		if strings.Contains(line, "200") {
			break
		}
		if i > 100 {
			t.Fatalf("a freed slot is never reused: %q", line)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestGetMCPDoesNotStream: in stateless HTTP, GET /mcp answers at once
// instead of opening a stream that lives for ever (any made-up token would
// do in headers mode).
func TestGetMCPDoesNotStream(t *testing.T) {
	addr, _ := serveWith(t, newHeadersHandler(t), ServeOptions{})
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/mcp", nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer made-up")
	req.Header.Set("X-SF-Instance-Url", "http://127.0.0.1:1")
	hc := &http.Client{Timeout: 10 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("GET /mcp did not answer: %v", err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Fatalf("GET /mcp body did not end: %v", err)
	}
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /mcp: %d, want 405", resp.StatusCode)
	}
}

// TestShutdownClosesSilentConnections: a connection that never sent a byte
// (a client's spare keep-alive dial) does not hold shutdown past its grace
// (TestTwoUsers once failed with "shutdown: context deadline exceeded").
func TestShutdownClosesSilentConnections(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	addr, stop := serveWith(t, h, ServeOptions{Grace: time.Second})
	c := dialFrom(t, "127.0.0.1", addr)
	_ = c
	time.Sleep(50 * time.Millisecond) // let the server accept it
	if err := stop(); err != nil {
		t.Fatalf("shutdown with a silent connection open: %v", err)
	}
}

// newHeadersHandler is the full HTTP handler in headers mode, with an
// instance policy that only allows loopback.
func newHeadersHandler(t *testing.T) http.Handler {
	t.Helper()
	s := NewServer(Options{Version: "test", Tools: allTools(t), Client: ClientFromContext})
	h, err := HTTPHandler(s, "127.0.0.1:0", HTTPOptions{Mode: AuthHeaders, Instances: InstancePolicy{Allowed: []string{"127.0.0.1:1"}}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestDeclaredBodyLengthIsNotPreallocated: a body's Content-Length is only a
// claim. 32 slow clients that each declare ~1 MB and send one byte must not
// make the server set aside 32 MB; the bytes allocated in this process while
// they are served (and cut off) are counted.
func TestDeclaredBodyLengthIsNotPreallocated(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) })
	addr, _ := serveWith(t, h, ServeOptions{BodyTimeout: 500 * time.Millisecond})
	const clients = 32
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var wg sync.WaitGroup
	got := make([]string, clients)
	for i := range clients {
		wg.Go(func() {
			c := dialFrom(t, "127.0.0.1", addr)
			fmt.Fprintf(c, "POST /mcp HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", addr, maxRequestBody-1)
			got[i] = firstLine(c, 10*time.Second)
		})
	}
	wg.Wait()
	runtime.ReadMemStats(&after)
	for i, line := range got {
		if !strings.Contains(line, "408") {
			t.Fatalf("client %d: %q, want 408", i, line)
		}
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 8<<20 {
		t.Fatalf("%d slow clients that sent 1 byte each made the process allocate %.1f MiB (declared %.1f MiB each)",
			clients, float64(n)/(1<<20), float64(maxRequestBody-1)/(1<<20))
	}
}

// TestBoundsWithEitherServer: the bounds hold whether h1.Server serves in
// front of net/http's server (the default) or net/http serves alone
// (SFMCP_NET_HTTP=1): a request is answered, a trickled body is cut off
// with a 408, an HTTP/1.0 request (which h1.Server hands over) is answered,
// and shutdown does not wait for a silent connection.
func TestBoundsWithEitherServer(t *testing.T) {
	for _, netHTTP := range []bool{false, true} {
		t.Run(fmt.Sprintf("NetHTTP=%v", netHTTP), func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				fmt.Fprintf(w, "read %d", len(b))
			})
			addr, stop := serveWith(t, h, ServeOptions{BodyTimeout: 200 * time.Millisecond, Grace: time.Second, NetHTTP: netHTTP})
			for _, tc := range []struct{ name, req, want string }{
				{"plain", "POST /x HTTP/1.1\r\nHost: %s\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello", "200"},
				{"slow body", "POST /x HTTP/1.1\r\nHost: %s\r\nContent-Length: 5\r\n\r\nh", "408"},
				{"HTTP/1.0", "GET /x HTTP/1.0\r\nHost: %s\r\n\r\n", "200"},
			} {
				c := dialFrom(t, "127.0.0.1", addr)
				fmt.Fprintf(c, tc.req, addr)
				if line := firstLine(c, 5*time.Second); !strings.Contains(line, tc.want) {
					t.Errorf("%s: %q, want %s", tc.name, line, tc.want)
				}
			}
			_ = dialFrom(t, "127.0.0.1", addr) // silent
			time.Sleep(50 * time.Millisecond)
			start := time.Now()
			if err := stop(); err != nil {
				t.Fatalf("shutdown: %v", err)
			}
			if d := time.Since(start); d > 900*time.Millisecond {
				t.Errorf("shutdown took %v with a silent connection open", d)
			}
		})
	}
}

func TestReadAllHint(t *testing.T) {
	data := strings.Repeat("abcdefgh", 100) // 800 bytes
	boom := errors.New("boom")
	for _, tc := range []struct {
		name    string
		r       io.Reader
		hint    int64
		want    string
		err     error
		maxCaps int // the buffer's capacity is at most this (0: not checked)
	}{
		{"the size declared", strings.NewReader(data), 800, data, nil, 801},
		{"less than declared", strings.NewReader(data[:10]), 800, data[:10], nil, 801},
		{"more than declared", strings.NewReader(data), 10, data, nil, 0},
		{"unknown length", strings.NewReader(data), -1, data, nil, 0},
		{"empty", strings.NewReader(""), 0, "", nil, 1},
		{"one byte at a time", iotest.OneByteReader(strings.NewReader(data)), 800, data, nil, 801},
		{"an error on the way", io.MultiReader(strings.NewReader(data[:100]), iotest.ErrReader(boom)), 800, data[:100], boom, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAllHint(tc.r, tc.hint)
			if string(got) != tc.want || !errors.Is(err, tc.err) {
				t.Fatalf("got %d bytes, %v; want %d bytes, %v", len(got), err, len(tc.want), tc.err)
			}
			if tc.maxCaps > 0 && cap(got) > tc.maxCaps {
				t.Errorf("capacity %d, want at most %d: the body was copied into a larger buffer", cap(got), tc.maxCaps)
			}
		})
	}
}

// TestReadBodiesHandsOnABufferedBody: a whole body reaches the handler as
// one bufferedBody, which the body limit does not wrap again and readBody
// returns without a copy; a body over the limit is still refused.
func TestReadBodiesHandsOnABufferedBody(t *testing.T) {
	var seen []byte
	var wrapped bool
	h := readBodies(time.Second, limitBody(maxRequestBody, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, isBuffered := r.Body.(*bufferedBody)
		wrapped = !isBuffered
		b, err := readBody(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		seen = b
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{"a":1}`)))
	if rec.Code != http.StatusOK || string(seen) != `{"a":1}` || wrapped {
		t.Fatalf("status %d, body %q, wrapped again %v", rec.Code, seen, wrapped)
	}
	// Over the limit, with no Content-Length to refuse it by: read to the
	// limit by readBodies, then refused by the MaxBytesReader.
	big := httptest.NewRequest(http.MethodPost, "/mcp", io.MultiReader(strings.NewReader(strings.Repeat("x", maxRequestBody+10))))
	big.ContentLength = -1
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, big)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("a body over the limit: status %d, want 413", rec.Code)
	}
}
