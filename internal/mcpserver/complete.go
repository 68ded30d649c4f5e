package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// A completion/complete request that names no prompt or resource template
// this server completes, or an argument its reference does not take, is
// invalid params (-32602), as the specification says. mcp-go v1.6.0 sends
// every error of a completion provider as an internal error (-32603) and
// has no option or hook to say otherwise, so the transports check these
// requests before mcp-go reads them (preHandler); a valid one goes on to
// mcp-go and the providers (metadata.CompletePromptArgument,
// CompleteResourceArgument).

// preHandler answers a message before mcp-go reads it (handled true), or
// leaves it to mcp-go. hdr holds the HTTP request's headers (nil on stdio).
type preHandler func(ctx context.Context, msg []byte, hdr http.Header) (resp []byte, handled bool)

// preHandlers is a preHandler that tries each of hs in turn.
func preHandlers(hs ...preHandler) preHandler {
	return func(ctx context.Context, msg []byte, hdr http.Header) ([]byte, bool) {
		for _, h := range hs {
			if resp, ok := h(ctx, msg, hdr); ok {
				return resp, true
			}
		}
		return nil, false
	}
}

// templateArgs are the variables of each resource template (resources.go).
var templateArgs = map[string][]string{
	DescribeTemplate: {"name"},
	FieldTemplate:    {"name", "field"},
}

// completionCheck checks the completion requests of s: its prompts as
// served (the lead prompt only with the lead tools) and its templates.
func completionCheck(s *server.MCPServer) preHandler {
	return func(_ context.Context, msg []byte, hdr http.Header) ([]byte, bool) {
		if !bytes.Contains(msg, []byte(`"completion/complete"`)) {
			return nil, false
		}
		var req struct {
			JSONRPC string          `json:"jsonrpc"`
			ID      json.RawMessage `json:"id"`
			Method  string          `json:"method"`
			Params  *struct {
				Meta *mcp.Meta `json:"_meta"`
				Ref  *struct {
					Type string `json:"type"`
					Name string `json:"name"`
					URI  string `json:"uri"`
				} `json:"ref"`
				Argument *struct {
					Name string `json:"name"`
				} `json:"argument"`
			} `json:"params"`
		}
		if json.Unmarshal(msg, &req) != nil || req.JSONRPC != mcp.JSONRPC_VERSION || req.Method != string(mcp.MethodCompletionComplete) || len(req.ID) == 0 {
			return nil, false // not a request of ours to judge: mcp-go answers
		}
		if hdr != nil && req.Params != nil && mcp.IsModernProtocol(req.Params.Meta.ProtocolVersion()) &&
			(hdr.Get(mcp.HeaderMethod) != req.Method || hdr.Get(mcp.HeaderProtocolVersion) != req.Params.Meta.ProtocolVersion()) {
			return nil, false // mcp-go answers the header mismatch
		}
		invalid := func(msg string) ([]byte, bool) { return taskRPCError(req.ID, mcp.INVALID_PARAMS, msg, nil), true }
		if req.Params == nil || req.Params.Ref == nil {
			return invalid("completion/complete: params.ref is required")
		}
		if req.Params.Argument == nil || req.Params.Argument.Name == "" {
			return invalid("completion/complete: params.argument.name is required")
		}
		ref, arg := req.Params.Ref, req.Params.Argument.Name
		var args []string
		switch ref.Type {
		case "ref/prompt":
			p, ok := s.ListPrompts()[ref.Name]
			if !ok {
				names := make([]string, 0, len(s.ListPrompts()))
				for n := range s.ListPrompts() {
					names = append(names, n)
				}
				sort.Strings(names)
				return invalid("completion/complete: no prompt " + quote(ref.Name) + " (the prompts are " + strings.Join(names, ", ") + ")")
			}
			for _, a := range p.Prompt.Arguments {
				args = append(args, a.Name)
			}
			if !slices.Contains(args, arg) {
				return invalid("completion/complete: prompt " + ref.Name + " has no argument " + quote(arg) + " (it takes " + strings.Join(args, ", ") + ")")
			}
		case "ref/resource":
			var ok bool
			if args, ok = templateArgs[ref.URI]; !ok {
				return invalid("completion/complete: no resource template " + quote(ref.URI) + " (the templates are " + DescribeTemplate + " and " + FieldTemplate + ")")
			}
			if !slices.Contains(args, arg) {
				return invalid("completion/complete: template " + ref.URI + " has no argument " + quote(arg) + " (it takes " + strings.Join(args, ", ") + ")")
			}
		default:
			return invalid("completion/complete: ref.type " + quote(ref.Type) + " is neither ref/prompt nor ref/resource")
		}
		return nil, false
	}
}

// quote is s as a JSON string, bounded, for an error message.
func quote(s string) string {
	if len(s) > 100 {
		s = s[:100] + "..."
	}
	b, _ := json.Marshal(s)
	return string(b)
}
