package mcpserver

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// TestLoggingSetLevel: logging/setLevel is answered (it was -32601), and a
// failed call then reaches the client as a notifications/message warning.
func TestLoggingSetLevel(t *testing.T) {
	// A 2025-11-25 session: from 2026-07-28 the level travels in each
	// request's _meta and logging/setLevel is gone.
	c := elicitingClient(t, Options{Version: "test", Tools: allTools(t)}, mcp.LATEST_LEGACY_PROTOCOL_VERSION, nil) // no login: every call fails
	var mu sync.Mutex
	var got []string
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == "notifications/message" {
			mu.Lock()
			got = append(got, n.Method)
			mu.Unlock()
		}
	})
	req := mcp.SetLevelRequest{}
	req.Params.Level = mcp.LoggingLevelInfo
	if err := c.SetLevel(context.Background(), req); err != nil {
		t.Fatalf("logging/setLevel: %v", err)
	}
	if res, _ := call(t, c, "salesforce_limits", map[string]any{}); !res.IsError {
		t.Fatal("a call without login succeeded")
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("no notifications/message after a failed call: %s", strings.Join(got, ","))
}
