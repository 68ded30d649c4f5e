package h1

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// TestReviewUnsolicitedBytesNotReadAsNextResponse: bytes a server sends
// past the end of a response (a body longer than its Content-Length, a body
// on a HEAD or a 204) must not be taken as the answer to the next request
// on the connection. net/http's idle read loop sees them and drops the
// connection; h1 only looks after checkIdleAfter, so a request sent at once
// reads the stray bytes as its response.
func TestReviewUnsolicitedBytesNotReadAsNextResponse(t *testing.T) {
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
