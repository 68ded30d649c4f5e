package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Over stateless HTTP, mcp-go keeps the level of logging/setLevel with the
// request's session, which ends with the request: the level was forgotten at
// once, and a client that asked for warnings never got one. callerLevels
// keeps it per caller instead (ownerOf), the only thing a stateless server
// can tell apart; stdio has one client and keeps mcp-go's own handling.
// From 2026-07-28 the level travels in each request and mcp-go applies it.
type callerLevels struct {
	mu     sync.Mutex
	levels map[string]mcp.LoggingLevel // owner -> level
	max    int
}

// maxCallerLevels bounds the callers whose level is kept: in headers mode any
// made-up token is a caller. Past it, a new caller's level replaces another's
// (that caller is back to the default, errors only).
const maxCallerLevels = 10_000

func newCallerLevels(max int) *callerLevels {
	return &callerLevels{levels: map[string]mcp.LoggingLevel{}, max: max}
}

type callerLevelsKey struct{}

// level is the level owner set; errors only (mcp-go's default) when none.
func (l *callerLevels) level(owner string) mcp.LoggingLevel {
	l.mu.Lock()
	defer l.mu.Unlock()
	if lv, ok := l.levels[owner]; ok {
		return lv
	}
	return mcp.LoggingLevelError
}

func (l *callerLevels) set(owner string, lv mcp.LoggingLevel) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.levels[owner]; !ok && len(l.levels) >= l.max {
		for other := range l.levels {
			delete(l.levels, other)
			break
		}
	}
	l.levels[owner] = lv
}

// handle answers a logging/setLevel request of protocol versions before
// 2026-07-28 (a preHandler for HTTP), as mcp-go does but for the caller only.
func (l *callerLevels) handle(ctx context.Context, msg []byte, _ http.Header) ([]byte, bool) {
	if !bytes.Contains(msg, []byte("setLevel")) {
		return nil, false
	}
	var req struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Method  string          `json:"method"`
		Params  struct {
			Meta  *mcp.Meta        `json:"_meta"`
			Level mcp.LoggingLevel `json:"level"`
		} `json:"params"`
	}
	if json.Unmarshal(msg, &req) != nil || req.JSONRPC != mcp.JSONRPC_VERSION || req.Method != string(mcp.MethodSetLogLevel) ||
		len(req.ID) == 0 || mcp.IsModernProtocol(req.Params.Meta.ProtocolVersion()) {
		return nil, false // mcp-go answers: an error, or a version without setLevel
	}
	var resp any
	switch req.Params.Level {
	case mcp.LoggingLevelDebug, mcp.LoggingLevelInfo, mcp.LoggingLevelNotice, mcp.LoggingLevelWarning,
		mcp.LoggingLevelError, mcp.LoggingLevelCritical, mcp.LoggingLevelAlert, mcp.LoggingLevelEmergency:
		l.set(ownerOf(ctx), req.Params.Level)
		resp = map[string]any{"jsonrpc": mcp.JSONRPC_VERSION, "id": req.ID, "result": struct{}{}}
	default:
		resp = map[string]any{"jsonrpc": mcp.JSONRPC_VERSION, "id": req.ID, "error": map[string]any{
			"code": mcp.INVALID_PARAMS, "message": fmt.Sprintf("invalid logging level '%s'", req.Params.Level)}}
	}
	out, err := json.Marshal(resp)
	return out, err == nil
}

// sendLog sends n to the client that made the request of ctx if it asked for
// messages of n's level: by the caller's own level over stateless HTTP, else
// as mcp-go decides (a session's level on stdio, the request's own from
// 2026-07-28).
func sendLog(ctx context.Context, srv *server.MCPServer, n mcp.LoggingMessageNotification) {
	if l, ok := ctx.Value(callerLevelsKey{}).(*callerLevels); ok {
		if info := server.RequestProtocolInfoFromContext(ctx); info == nil || !info.Modern {
			if n.Params.Level.ShouldSendTo(l.level(ownerOf(ctx))) {
				_ = srv.SendNotificationToClient(ctx, n.Method, map[string]any{
					"level": n.Params.Level, "logger": n.Params.Logger, "data": n.Params.Data})
			}
			return
		}
	}
	_ = srv.SendLogMessageToClient(ctx, n)
}

// wantsWarnings says whether the caller of ctx asked, over stateless HTTP,
// for log messages at warning level or below: a failed call then carries a
// notifications/message, which only mcp-go's path sends.
func wantsWarnings(ctx context.Context) bool {
	l, ok := ctx.Value(callerLevelsKey{}).(*callerLevels)
	return ok && mcp.LoggingLevelWarning.ShouldSendTo(l.level(ownerOf(ctx)))
}
