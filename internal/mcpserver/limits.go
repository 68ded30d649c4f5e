package mcpserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/sfmcp/sfmcp/internal/h1"
)

// Bounds of the HTTP server (ServeOptions zero values take these). A body
// trickled in one byte at a time must not hold a connection for ever, and one
// address (or many) must not hold every connection the process can afford.
const (
	DefaultBodyTimeout     = 30 * time.Second
	DefaultMaxConns        = 1024
	DefaultMaxConnsPerAddr = 128
	// maxRequestBody is the largest body any endpoint takes: a tools/call
	// with MaxArgumentBytes of arguments, plus the JSON-RPC envelope.
	maxRequestBody = MaxArgumentBytes + 64<<10
	// initialBodyBuffer is what readBodies sets aside for a body before any
	// of it arrived, whatever its Content-Length says.
	initialBodyBuffer = 16 << 10
)

// connLimiter is a net.Listener that keeps at most total connections open,
// and at most perAddr from one client IP. A connection over a limit is
// answered with a short HTTP 503 and closed at once, rather than left in the
// accept queue where it would delay everyone else.
type connLimiter struct {
	net.Listener
	total, perAddr int

	mu     sync.Mutex
	open   int
	byAddr map[string]int
}

func newConnLimiter(ln net.Listener, total, perAddr int) *connLimiter {
	return &connLimiter{Listener: ln, total: total, perAddr: perAddr, byAddr: map[string]int{}}
}

func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := remoteIP(c)
		l.mu.Lock()
		over := ""
		switch {
		case l.open >= l.total:
			over = "the server has too many connections open"
		case l.byAddr[addr] >= l.perAddr:
			over = "too many connections from your address"
		default:
			l.open++
			l.byAddr[addr]++
		}
		l.mu.Unlock()
		if over != "" {
			go refuseConn(c, over)
			continue
		}
		return &limitedConn{Conn: c, release: func() { l.release(addr) }}, nil
	}
}

func (l *connLimiter) release(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.byAddr[addr]--; l.byAddr[addr] <= 0 {
		delete(l.byAddr, addr)
	}
}

// counts reports the open connections, in total and from addr.
func (l *connLimiter) counts(addr string) (total, fromAddr int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open, l.byAddr[addr]
}

func remoteIP(c net.Conn) string {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	return c.RemoteAddr().String()
}

// refuseConn tells the client why before closing; the write is bounded so a
// client that does not read cannot keep the goroutine.
func refuseConn(c net.Conn, why string) {
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	body := why + "; retry later\n"
	_, _ = fmt.Fprintf(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	_ = c.Close()
}

// limitedConn gives its slot back once, on the first Close.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// readBodies reads every request body in full before the handler runs, under
// a deadline for the whole body (the server's ReadHeaderTimeout covers the
// headers). http.Server's own ReadTimeout would do the same but also stay
// armed while a long tool call runs, and cancel it. A body over
// maxRequestBody is left to the handler, whose own limit refuses it.
func readBodies(timeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 || r.ContentLength > maxRequestBody {
			next.ServeHTTP(w, r)
			return
		}
		var (
			b   []byte
			err error
		)
		if h1.Arrived(r.Body) {
			// All of it is in h1's read buffer (a small body comes with its
			// head) and it ends at its Content-Length: read with no deadline
			// and no limit, which cost a timer update each and allocations.
			b, err = readAllHint(r.Body, r.ContentLength)
		} else {
			rc := http.NewResponseController(w)
			_ = rc.SetReadDeadline(time.Now().Add(timeout))
			// Content-Length is only a claim: growing the buffer to it up
			// front let each slow client that declares a megabyte and sends
			// a byte every few seconds hold a megabyte of server memory. The
			// buffer starts at the claim up to initialBodyBuffer and grows
			// as bytes actually arrive.
			b, err = readAllHint(io.LimitReader(r.Body, maxRequestBody+1), min(r.ContentLength, initialBodyBuffer))
			if err == nil {
				_ = rc.SetReadDeadline(time.Time{})
			}
		}
		if err != nil {
			var ne net.Error
			status, msg := http.StatusBadRequest, "could not read the request body"
			if errors.As(err, &ne) && ne.Timeout() {
				status, msg = http.StatusRequestTimeout, fmt.Sprintf("the request body did not arrive within %s", timeout)
			}
			w.Header().Set("Connection", "close")
			http.Error(w, msg, status)
			return
		}
		if len(b) > maxRequestBody {
			// The handler's limit sees it is too large.
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(b), r.Body), r.Body}
		} else {
			// Whole: the middlewares after this one read it without a copy.
			setBody(r, b)
		}
		next.ServeHTTP(w, r)
	})
}

// readAllHint is io.ReadAll starting from a buffer of hint bytes (and one
// more, for the read that finds the end): a body of the size it declared is
// read into one allocation, where bytes.Buffer.ReadFrom, which wants 512
// free bytes before each read, grows a small body's buffer twice.
func readAllHint(r io.Reader, hint int64) ([]byte, error) {
	b := make([]byte, 0, hint+1)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}
