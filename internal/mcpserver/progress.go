package mcpserver

import (
	"context"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/sfmcp/sfmcp/internal/ops"
)

// withProgress returns ctx carrying an ops.Progress that turns what a long
// operation reports (bulk jobs, multi-page queries) into
// notifications/progress for the token the client put in the call's _meta.
// Without a token ctx is unchanged: nothing is sent.
func withProgress(ctx context.Context, req mcp.CallToolRequest) context.Context {
	if req.Params.Meta == nil || req.Params.Meta.ProgressToken == nil {
		return ctx
	}
	srv := server.ServerFromContext(ctx)
	if srv == nil {
		return ctx
	}
	return ops.WithProgress(ctx, progressSender(func(params map[string]any) {
		// A client that went away misses progress, not the result.
		_ = srv.SendNotificationToClient(ctx, string(mcp.MethodNotificationProgress), params)
	}, req.Params.Meta.ProgressToken))
}

// progressSender adapts ops.Progress to the params of notifications/progress
// for token, sent through send. The protocol wants progress to increase with
// every notification, so a report that does not move forward (a poll that
// found the job where it was) is dropped.
func progressSender(send func(map[string]any), token mcp.ProgressToken) ops.Progress {
	var (
		mu   sync.Mutex
		sent bool
		last float64
	)
	return func(done, total float64, message string) {
		mu.Lock()
		defer mu.Unlock()
		if sent && done <= last {
			return
		}
		sent, last = true, done
		params := map[string]any{"progressToken": token, "progress": done}
		if total > 0 {
			params["total"] = total
		}
		if message != "" {
			params["message"] = message
		}
		send(params)
	}
}
