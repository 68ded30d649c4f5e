package mcpserver

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// TestReviewShutdownWithPartialHead: a client that sent a few bytes of a
// request head and stalls does not hold up shutdown: net/http counts it new
// (closed at once by ServeHTTPWith) until the head is read; h1.Server
// counts it active from its first byte, so shutdown waits for the header
// timeout (10 s), past Grace, and returns an error.
func TestReviewShutdownWithPartialHead(t *testing.T) {
	for _, netHTTP := range []bool{true, false} {
		t.Run(fmt.Sprintf("NetHTTP=%v", netHTTP), func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
			addr, stop := serveWith(t, h, ServeOptions{Grace: time.Second, NetHTTP: netHTTP})
			c := dialFrom(t, "127.0.0.1", addr)
			fmt.Fprintf(c, "POST /mcp HTTP/1.1\r\nHo")
			time.Sleep(100 * time.Millisecond)
			start := time.Now()
			if err := stop(); err != nil {
				t.Errorf("shutdown: %v after %v", err, time.Since(start))
			}
		})
	}
}
