package mcpserver

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestShutdownWithPartialHead: a client that sent a few bytes of a
// request head and stalls does not hold up shutdown: net/http counts it new
// (closed at once by ServeHTTPWith) until the head is read; h1.Server
// counts it active from its first byte, so shutdown waits for the header
// timeout (10 s), past Grace, and returns an error.
func TestShutdownWithPartialHead(t *testing.T) {
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

// TestListenStreamEndsWithClient: h1.Server does not cancel a
// request's context when its client goes away; a handler that waits on it
// (a 2026-07-28 subscriptions/listen stream, which WithDisableStreaming
// does not refuse) would hold its connection's limiter slot for good. In
// stateless mode the SDK answers listen at once, so the slot is given back
// (this passes: coverage that it stays so).
func TestListenStreamEndsWithClient(t *testing.T) {
	for _, netHTTP := range []bool{true, false} {
		t.Run(fmt.Sprintf("NetHTTP=%v", netHTTP), func(t *testing.T) {
			addr, _ := serveWith(t, newHeadersHandler(t), ServeOptions{Grace: time.Second, MaxConnsPerAddr: 1, NetHTTP: netHTTP})
			body := `{"jsonrpc":"2.0","id":7,"method":"subscriptions/listen","params":{"notifications":{"toolsListChanged":true},` +
				`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}}`
			c := dialFrom(t, "127.0.0.1", addr)
			fmt.Fprintf(c, "POST /mcp HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"+
				"Authorization: Bearer made-up\r\nX-SF-Instance-Url: https://127.0.0.1:1\r\nMcp-Protocol-Version: 2026-07-28\r\nMcp-Method: subscriptions/listen\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body)
			// The stream stays open: nothing, or its head, arrives.
			_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			got, _ := io.ReadAll(c)
			t.Logf("listen stream: %q", got)
			c.Close()
			time.Sleep(300 * time.Millisecond)
			c2 := dialFrom(t, "127.0.0.1", addr)
			fmt.Fprintf(c2, "GET /healthz HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", addr)
			if got := firstLine(c2, 5*time.Second); !strings.Contains(got, "200") {
				t.Errorf("after the listen client left: %q, want 200 (its connection is still held)", got)
			}
		})
	}
}
