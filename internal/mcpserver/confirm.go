package mcpserver

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/sfmcp/sfmcp/internal/ops"
)

// Confirmation of destructive calls. A destructive tool (and, with
// ConfirmUpdates, one that overwrites records) asks the user before it runs
// when the client can ask: elicitation for clients before 2026-07-28, an
// input_required result (multi round-trip) from 2026-07-28 on. The handler is
// written once in the multi round-trip form; mcp-go performs the
// elicitation/create request for older clients and calls it again with the
// answer. A client that cannot ask keeps the old behaviour (the call runs),
// unless ConfirmDestructive says such calls are refused.

// confirmID names the one input request of a confirmation.
const confirmID = "confirm"

// ErrDeclined is the failure of a call the user declined: nothing was sent
// to Salesforce.
type ErrDeclined struct{ Tool string }

func (e *ErrDeclined) Error() string {
	return "the user declined " + e.Tool + "; nothing was changed"
}

// ErrConfirmationRequired refuses a destructive call from a client that
// cannot ask its user, when the server demands confirmation.
type ErrConfirmationRequired struct{ Tool string }

func (e *ErrConfirmationRequired) Error() string {
	return e.Tool + " needs the user's confirmation and this client cannot ask for it (it declares no elicitation support); " +
		"sfmcp was started with --confirm-destructive, so nothing was changed. Use a client with elicitation support, or ask the server's operator"
}

// needsConfirmation reports whether this call asks the user first: by the
// call's own kind when the operation tells its calls apart, else by its Meta.
func (h *handler) needsConfirmation(args json.RawMessage) bool {
	if h.entry.Kind != nil {
		k := h.entry.Kind(args)
		return k == "delete" || (h.confirm.Updates && k == "update")
	}
	m := h.entry.Meta
	return m.Destructive || (h.confirm.Updates && !m.ReadOnly && m.Idempotent)
}

// ConfirmPolicy says which calls need the user's confirmation.
type ConfirmPolicy struct {
	// Required refuses a destructive call when the client cannot ask its user.
	Required bool
	// Updates also asks before tools that overwrite records (updates, upserts).
	Updates bool
}

// clientCanElicit reports whether the client of this request can ask its
// user: a 2026-07-28 request declares its capabilities itself; an older
// session declared them at initialize.
func clientCanElicit(ctx context.Context) bool {
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		return info.ClientCapabilities != nil && info.ClientCapabilities.Elicitation != nil
	}
	if s, ok := server.ClientSessionFromContext(ctx).(server.SessionWithClientInfo); ok {
		return s.GetClientCapabilities().Elicitation != nil
	}
	return false
}

// confirmState binds a confirmation to the call it was asked for: the
// retry must carry the same tool and arguments.
func confirmState(tool string, args json.RawMessage) string {
	sum := sha256.Sum256(append([]byte(tool+"\x00"), args...))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// confirmation decides a destructive call: proceed (nil, nil), a result to
// return as is (the input request), or an error result (declined, refused).
func (h *handler) confirmation(ctx context.Context, req mcp.CallToolRequest, args json.RawMessage) (*mcp.CallToolResult, error) {
	name := h.entry.Meta.Name
	state := confirmState(name, args)
	switch h.confirmStep(req, state, clientCanElicit(ctx)) {
	case confirmMismatch:
		return nil, &ops.InputError{Field: "requestState", Message: "the confirmation answers another call; nothing was changed"}
	case confirmDeclined:
		return nil, &ErrDeclined{Tool: name}
	case confirmRefused:
		return nil, &ErrConfirmationRequired{Tool: name}
	case confirmProceed:
		return nil, nil
	}
	msg := fmt.Sprintf("Allow %s (%s)? Arguments: %s", h.entry.Meta.Title, name, clipBytes(args, 400))
	return server.NewInputRequestBuilder(state).Elicit(confirmID, mcp.ElicitationParams{
		Message: msg,
		RequestedSchema: map[string]any{
			"type": "object",
			"properties": map[string]any{
				"confirm": map[string]any{"type": "boolean", "title": "Run " + name, "description": "Yes runs it; no changes nothing"},
			},
			"required": []string{"confirm"},
		},
	}).ToolResult(), nil
}

// confirmStep is what a call that needs confirmation does next.
type confirmStep int

const (
	confirmAsk      confirmStep = iota // ask the user (an input request)
	confirmProceed                     // run: the user accepted, or the client cannot ask and that is allowed
	confirmDeclined                    // the user said no
	confirmMismatch                    // the answer is to another call
	confirmRefused                     // the client cannot ask and the server demands it
)

// confirmStep decides, from the call's answer (if it carries one) and whether
// its client can ask its user, the next step of a call whose requestState
// would be state.
func (h *handler) confirmStep(req mcp.CallToolRequest, state string, canElicit bool) confirmStep {
	if len(req.Params.InputResponses) > 0 {
		if req.Params.RequestState != state {
			return confirmMismatch
		}
		res := server.ElicitationResponse(req.Params.InputResponses, confirmID)
		if res == nil || res.Action != mcp.ElicitationResponseActionAccept || !confirmed(res.Content) {
			return confirmDeclined
		}
		return confirmProceed
	}
	if !canElicit {
		if h.confirm.Required {
			return confirmRefused
		}
		return confirmProceed
	}
	return confirmAsk
}

// runsAsTask says whether a 2026-07-28 call may run as a task of the Tasks
// extension. Arguments the tool refuses are answered at once, without a
// task. And it must not stop to ask its user, so a call that needs
// confirmation becomes a task only once it carries the user's yes (the
// question and answer go back and forth before any task, as the extension
// asks), or when its client cannot ask and that is allowed.
func (h *handler) runsAsTask(req mcp.CallToolRequest) bool {
	args, err := rawArguments(req)
	if err != nil || len(args) > MaxArgumentBytes || checkArgs(h.entry, args) != nil {
		return false // answered at once: its error is the call's result
	}
	if !h.needsConfirmation(args) {
		return true
	}
	caps := req.Params.Meta.ClientCapabilities()
	return h.confirmStep(req, confirmState(h.entry.Meta.Name, args), caps != nil && caps.Elicitation != nil) == confirmProceed
}

// confirmed reads {"confirm": true} from an accepted elicitation's content.
func confirmed(content any) bool {
	raw, err := json.Marshal(content)
	if err != nil {
		return false
	}
	var c struct {
		Confirm bool `json:"confirm"`
	}
	return json.Unmarshal(raw, &c) == nil && c.Confirm
}

func clipBytes(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}
