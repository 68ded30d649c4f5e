package build_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBinaryLeavesOutMCPClient: GO-2026-6911 (mcp-go up to v1.2.x) is in
// mcp-go's client transports, which follow a server's Location header with
// the caller's headers, bearer token and (307/308) body; v1.6.0 limits them
// to same-origin redirects. sfmcp only serves MCP (mcp-go's server and mcp
// packages), so the binary must not link the client: if it ever does, this
// fails and the advisory applies (raise mcp-go, or give the client a
// CheckRedirect that refuses).
func TestBinaryLeavesOutMCPClient(t *testing.T) {
	gobin := goTool(t)
	out, err := exec.Command(gobin, "list", "-deps", "github.com/sfmcp/sfmcp/cmd/sfmcp").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	server := false
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/mark3labs/mcp-go/client") {
			t.Errorf("the sfmcp binary links %s, which follows redirects (GO-2026-6911)", d)
		}
		server = server || d == "github.com/mark3labs/mcp-go/server"
	}
	if !server {
		t.Fatalf("go list found no mcp-go server in the binary's dependencies; the check above is not looking at the right list:\n%s", out)
	}
}
