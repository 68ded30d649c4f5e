package mcpserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
	"github.com/sfmcp/sfmcp/internal/telemetry"
)

// MaxArgumentBytes bounds one call's arguments (the HTTP transport also caps
// whole request bodies at this size).
const MaxArgumentBytes = 1 << 20

// ClientFunc returns the Salesforce client for the user a call comes from.
// Its error becomes an AUTHENTICATION_REQUIRED tool error.
type ClientFunc func(ctx context.Context) (*salesforce.Client, error)

// Options configure a server.
type Options struct {
	Version string     // sfmcp's version, sent as serverInfo.version
	Tools   []Tool     // what to serve (after filtering)
	Client  ClientFunc // the caller's Salesforce client
	// Leads runs the lead tools that write: its per-email locks and status
	// cache are shared by every call. The process makes one (with the lead
	// status configuration); nil gives the server one of its own.
	Leads  *ops.LeadSyncer
	Logger *slog.Logger // nil: no logs
	// ListToolsets are the toolsets whose tools tools/list shows; nil shows
	// every tool. The others stay callable by name, and the discovery tool
	// salesforce_tools (added when some tool is not listed) gives their
	// definitions: the agent pays for them in context only when it needs them.
	ListToolsets []string
	// Confirm says which calls ask the user first (see confirm.go).
	Confirm ConfirmPolicy
	// Guard limits the objects and fields every tool may reach
	// (--allow-objects, --deny-fields); nil: no limit.
	Guard *ops.Guard
	// Telemetry receives every call (metrics, a trace span, an audit line);
	// nil: none. Build the Salesforce clients with its Observer too, so
	// their requests join the call.
	Telemetry *telemetry.Telemetry
	// Tasks, when set, serves the 2026-07-28 Tasks extension for the bulk
	// tools (tasksext.go); give the same value to the transport.
	Tasks *Tasks
	// FastCalls, when set, answers the read-only tools' calls over stateless
	// HTTP below mcp-go (fastcall.go); give the same value to the transport.
	FastCalls *FastCalls
}

// toolsListTTL is how long a client may cache tools/list (a hint of the
// 2026-07-28 protocol): the tools of a running server never change.
const toolsListTTL = int64(time.Hour / time.Millisecond)

// NewServer returns an MCP server offering opts.Tools. Arguments are decoded
// strictly by the operation (an unknown argument or a wrong type is an
// isError result naming it, with a correlation_id; mcp-go's own schema
// validation is left off because its failures carry none), and every other
// failure is an isError result too.
func NewServer(opts Options) *server.MCPServer {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hidden := map[string]bool{}
	for _, t := range opts.Tools {
		if !listed(t, opts.ListToolsets) {
			hidden[t.Def.Name] = true
		}
	}
	hooks := &server.Hooks{}
	if len(hidden) > 0 {
		// mcp-go lists every registered tool and has no "callable but not
		// listed" state; its tool filters also gate calls. So the listing is
		// trimmed after it is built, and the tools stay registered.
		hooks.AddAfterListTools(func(_ context.Context, _ any, _ *mcp.ListToolsRequest, res *mcp.ListToolsResult) {
			if res != nil {
				res.Tools = slices.DeleteFunc(res.Tools, func(t mcp.Tool) bool { return hidden[t.Name] })
			}
		})
	}
	// Resources (describes), their completions and the prompts (resources.go, prompts.go).
	md := &metadata{client: opts.Client, guard: opts.Guard}
	serverOpts := []server.ServerOption{
		server.WithToolCapabilities(false),
		server.WithResourceCapabilities(false, false),
		server.WithPromptCapabilities(false),
		server.WithCompletions(),
		server.WithResourceCompletionProvider(md),
		server.WithPromptCompletionProvider(md),
		server.WithRecovery(),
		// logging/setLevel, and notifications/message at the level the
		// client set (a failed call is logged to it as a warning).
		server.WithLogging(),
		server.WithHooks(hooks),
		server.WithMethodCacheHints(mcp.MethodToolsList, toolsListTTL, mcp.CacheScopePrivate),
		server.WithInstructions(instructions(len(hidden) > 0)),
	}
	// Bulk tools may run as tasks (tasks.go).
	serverOpts = append(serverOpts, addTaskSupport(hooks)...)
	s := server.NewMCPServer("sfmcp", opts.Version, serverOpts...)
	leads := opts.Leads
	if leads == nil {
		leads = ops.NewLeadSyncer(ops.LeadSyncConfig{})
	}
	entries := make([]ops.Entry, len(opts.Tools))
	for i, t := range opts.Tools {
		entries[i] = t.Entry
	}
	entries = leads.Bind(entries)
	eligible := map[string]func(mcp.CallToolRequest) bool{}
	for i, t := range opts.Tools {
		h := &handler{entry: entries[i], client: opts.Client, log: log, confirm: opts.Confirm, guard: opts.Guard, tel: opts.Telemetry}
		s.AddTool(t.Def, h.handle)
		opts.FastCalls.add(t.Def, h)
		if longRunning(h.entry) {
			eligible[t.Def.Name] = h.runsAsTask
		}
	}
	opts.Tasks.bind(s, opts.Version, eligible, hooks)
	if len(hidden) > 0 {
		s.AddTool(discoveryTool(opts.Tools, opts.ListToolsets))
	}
	md.addResources(s)
	md.addPrompts(s, servesLeads(opts.Tools))
	return s
}

// instructions are the server's instructions for the model.
func instructions(discovery bool) string {
	s := "Salesforce tools: SOQL and SOSL queries (bounded, with a next_records_url cursor), " +
		"record create/read/update/delete/upsert, object describes and org limits. " +
		"Every result carries a correlation_id (it names the call in sfmcp's logs); failures carry Salesforce's error_code and message. " +
		"Records come as CSV text and as JSON in structuredContent."
	if discovery {
		s += " salesforce_tools lists every tool, including those tools/list leaves out (bulk, leads), with their definitions."
	}
	return s
}

type handler struct {
	entry   ops.Entry
	client  ClientFunc
	log     *slog.Logger
	confirm ConfirmPolicy
	guard   *ops.Guard
	tel     *telemetry.Telemetry
}

// outcomePending is the outcome telemetry records for a call that waits for
// the user's confirmation (it has not run).
const outcomePending = "CONFIRMATION_PENDING"

// handle runs one call. It never returns a Go error: failures, including a
// panic in an operation, are isError results the model can read.
func (h *handler) handle(ctx context.Context, req mcp.CallToolRequest) (res *mcp.CallToolResult, _ error) {
	cid := newCorrelationID()
	start := time.Now()
	args, argErr := rawArguments(req)
	var sizes []telemetry.ArgumentSize
	if h.tel != nil && h.tel.Audit != nil && argErr == nil {
		sizes = argumentSizes(args)
	}
	// The operations name the call by the same id (lead errors carry it).
	ctx, call := h.tel.StartCall(ops.WithCorrelationID(ctx, cid), h.entry.Meta.Name, "", cid, sizes)
	errorCode := ""
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("tool panicked", "tool", h.entry.Meta.Name, "correlation_id", cid, "panic", fmt.Sprint(p))
			te := toolError(cid, errors.New("internal error in sfmcp (see its log)"))
			res, errorCode = errorResultOf(te), te.ErrorCode
		}
		call.End(ctx, errorCode)
	}()
	var out any
	err := argErr
	if err == nil {
		var pending *mcp.CallToolResult
		out, pending, err = h.run(ctx, req, args)
		if pending != nil {
			errorCode = outcomePending
			return pending, nil
		}
	}
	if err == nil {
		if res, err = successResult(cid, out); err == nil {
			if h.log.Enabled(ctx, slog.LevelDebug) {
				h.log.Debug("tool call", "tool", h.entry.Meta.Name, "correlation_id", cid, "duration", time.Since(start))
			}
			return res, nil
		}
	}
	te := toolError(cid, err)
	errorCode = te.ErrorCode
	if srv := server.ServerFromContext(ctx); srv != nil {
		sendLog(ctx, srv, mcp.NewLoggingMessageNotification(mcp.LoggingLevelWarning, "sfmcp",
			map[string]any{"tool": h.entry.Meta.Name, "correlation_id": cid, "error": te.ErrorCode + ": " + te.Message}))
	}
	h.log.Info("tool call failed", "tool", h.entry.Meta.Name, "correlation_id", cid,
		"duration", time.Since(start), "error", te.ErrorCode+": "+te.Message)
	return errorResultOf(te), nil
}

// rawArguments returns the call's arguments as JSON (nil when there are none).
func rawArguments(req mcp.CallToolRequest) (json.RawMessage, error) {
	// GetRawArguments's own test, without boxing the bytes in an any.
	if len(req.Params.RawArguments) > 0 {
		return req.Params.RawArguments, nil
	}
	a := req.Params.Arguments
	if a == nil {
		return nil, nil
	}
	if raw, ok := a.(json.RawMessage); ok {
		return raw, nil
	}
	b, err := json.Marshal(a)
	if err != nil {
		return nil, &ops.InputError{Field: "arguments", Message: "are not JSON"}
	}
	return b, nil
}

// argumentSizes names the arguments of a JSON object with the size of each
// value, for the audit log; anything but an object has no names.
func argumentSizes(args json.RawMessage) []telemetry.ArgumentSize {
	var m map[string]json.RawMessage
	if len(args) == 0 || json.Unmarshal(args, &m) != nil {
		return nil
	}
	return telemetry.ArgumentSizes(m)
}

// run runs the call, or returns pending: the request for the user's
// confirmation that a destructive call waits for.
func (h *handler) run(ctx context.Context, req mcp.CallToolRequest, args json.RawMessage) (out any, pending *mcp.CallToolResult, err error) {
	if len(args) > MaxArgumentBytes {
		return nil, nil, &ops.InputError{Field: "arguments", Message: fmt.Sprintf("are %d bytes; the most one call takes is %d", len(args), MaxArgumentBytes)}
	}
	if h.client == nil {
		return nil, nil, &authRequired{msg: "no Salesforce login is configured"}
	}
	c, err := h.client(ctx)
	if err != nil {
		return nil, nil, &authRequired{msg: err.Error()}
	}
	if err := h.guard.CheckCall(ctx, c, h.entry.Meta, args); err != nil {
		return nil, nil, err
	}
	if h.needsConfirmation(args) {
		// Bad arguments (and calls the guard refuses) fail before the user is asked about them.
		if err := checkArgs(h.entry, args); err != nil {
			return nil, nil, err
		}
		if pending, err := h.confirmation(ctx, req, args); pending != nil || err != nil {
			return nil, pending, err
		}
	}
	ctx = withProgress(ops.WithGuard(ctx, h.guard), req)
	if req.Params.Task != nil {
		// A task's cancel (tasks/cancel) stops the work, not only the wait.
		ctx = ops.WithAbortOnCancel(ctx)
	}
	out, err = h.entry.Call(ctx, c, args)
	return out, nil, err
}

// checkArgs decodes and validates args as the operation will.
func checkArgs(e ops.Entry, args json.RawMessage) error {
	in := reflect.New(e.Input)
	if err := ops.DecodeArgs(args, in.Interface()); err != nil {
		return err
	}
	if v, ok := in.Elem().Interface().(ops.Input); ok {
		return v.Validate()
	}
	return nil
}

// authRequired is a failure to find the caller's Salesforce login.
type authRequired struct{ msg string }

func (e *authRequired) Error() string { return e.msg }

// newCorrelationID returns a random UUID (version 4).
func newCorrelationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// successResult carries out as structured content with the correlation_id
// added, and as text: a one-line summary, then the same JSON (or, for a
// result with records, its other fields as JSON and the records as CSV).
func successResult(cid string, out any) (*mcp.CallToolResult, error) {
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	if len(b) < 2 || b[0] != '{' {
		wrapped, _ := json.Marshal(map[string]json.RawMessage{"result": b})
		b = wrapped
	}
	var buf bytes.Buffer
	buf.Grow(len(b) + 64)
	buf.WriteString(`{"correlation_id":"`)
	buf.WriteString(cid)
	buf.WriteByte('"')
	if len(b) > 2 {
		buf.WriteByte(',')
	}
	buf.Write(b[1:])
	structured := json.RawMessage(buf.Bytes())
	var text string
	if recs, ok := recordsOf(out); ok {
		text = recordsText(cid, out, recs)
	} else {
		text = summaryText(out, structured)
	}
	// The result and its one content in one allocation.
	r := &struct {
		res     mcp.CallToolResult
		content [1]mcp.Content
	}{}
	r.content[0] = mcp.TextContent{Type: mcp.ContentTypeText, Text: text}
	r.res.Content = r.content[:]
	r.res.StructuredContent = structured
	return &r.res, nil
}

// summaryText is the text of a result without records: the summary, then
// the structured content's JSON, built as one string.
func summaryText(out any, structured []byte) string {
	var stack [256]byte
	line := appendSummary(stack[:0], out, 80)
	var b strings.Builder
	b.Grow(len(line) + 1 + len(structured))
	b.Write(line)
	b.WriteByte('\n')
	b.Write(structured)
	return b.String()
}

// summaryOf is "ok: total_size=523 returned=200 done=false": the output's
// top-level numbers, flags and strings up to maxString bytes (-1: any
// length; a result's text takes those up to 80).
func summaryOf(out any, maxString int) string {
	return string(appendSummary(nil, out, maxString))
}

// appendSummary appends summaryOf's text to dst, so that a caller can
// write it where it goes (recordsText: on the stack, then into the text)
// instead of through a string of its own.
func appendSummary(dst []byte, out any, maxString int) []byte {
	v := reflect.ValueOf(out)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return append(dst, "ok"...)
	}
	start := len(dst)
	sep := "ok: "
	t := v.Type()
	for i := range v.NumField() {
		fv := v.Field(i)
		kind := fv.Kind()
		switch kind {
		case reflect.Int, reflect.Int64, reflect.Int32, reflect.Bool, reflect.String:
		default:
			continue // before the tag is read: most outputs' other fields are lists and structs
		}
		f := t.Field(i)
		name, omit, skip := jsonName(f)
		if skip || !f.IsExported() {
			continue
		}
		if kind == reflect.String {
			s := fv.String()
			if (s == "" && omit) || (maxString >= 0 && len(s) > maxString) {
				continue
			}
		}
		dst = append(dst, sep...)
		dst = append(dst, name...)
		dst = append(dst, '=')
		sep = " "
		switch {
		case formatsItself(f.Type) && kind == reflect.String:
			dst = fmt.Appendf(dst, "%q", fv.Interface())
		case formatsItself(f.Type):
			dst = fmt.Appendf(dst, "%v", fv.Interface())
		case kind == reflect.String:
			dst = strconv.AppendQuote(dst, fv.String())
		case kind == reflect.Bool:
			dst = strconv.AppendBool(dst, fv.Bool())
		default:
			dst = strconv.AppendInt(dst, fv.Int(), 10)
		}
	}
	if len(dst) == start {
		return append(dst, "ok"...)
	}
	return dst
}

// formatsItself reports whether fmt's %v and %q would call a method of t
// (String or Error) rather than format the value by its kind.
func formatsItself(t reflect.Type) bool {
	// A type without methods (int, string, bool) implements neither; the
	// look-up of the method sets is most of the summary's time otherwise.
	if t.NumMethod() == 0 {
		return false
	}
	return t.Implements(reflect.TypeFor[fmt.Stringer]()) || t.Implements(reflect.TypeFor[error]())
}

// ToolError is the structured content of a failed call. It keeps the
// lead-sync server's shape (success false, error, details, correlation_id)
// and adds Salesforce's own error_code, message and fields.
type ToolError struct {
	Success       bool          `json:"success"`
	Error         string        `json:"error"`
	ErrorCode     string        `json:"error_code"`
	Message       string        `json:"message"`
	Fields        []string      `json:"fields,omitempty"`
	StatusCode    int           `json:"status_code,omitempty"`
	Details       []ErrorDetail `json:"details,omitempty"`
	CorrelationID string        `json:"correlation_id"`
}

// ErrorDetail is one problem of a failed call: an argument (Field) or one of
// Salesforce's error entries.
type ErrorDetail struct {
	Field     string   `json:"field,omitempty"`
	ErrorCode string   `json:"error_code,omitempty"`
	Message   string   `json:"message"`
	Fields    []string `json:"fields,omitempty"`
}

// toolError classifies err.
func toolError(cid string, err error) ToolError {
	te := ToolError{CorrelationID: cid, Message: err.Error()}
	var (
		inErr      *ops.InputError
		valErr     *salesforce.ValidationError
		apiErr     *salesforce.APIError
		authErr    *salesforce.AuthError
		netErr     *salesforce.NetworkError
		mmErr      *salesforce.MultipleMatchesError
		noLogin    *authRequired
		guard      *ops.GuardError
		decl       *ErrDeclined
		refused    *ErrConfirmationRequired
		unknownObj *ops.UnknownSObjectError
	)
	switch {
	case errors.As(err, &guard):
		te.Error, te.ErrorCode = "NOT_ALLOWED", "NOT_ALLOWED"
	case errors.As(err, &decl):
		te.Error, te.ErrorCode = "DECLINED_BY_USER", "DECLINED_BY_USER"
	case errors.As(err, &refused):
		te.Error, te.ErrorCode = "CONFIRMATION_REQUIRED", "CONFIRMATION_REQUIRED"
	case errors.As(err, &inErr):
		te.Error, te.ErrorCode, te.Message = "Validation Error", "INVALID_ARGUMENT", inErr.Error()
		te.Fields = []string{inErr.Field}
		te.Details = []ErrorDetail{{Field: inErr.Field, Message: inErr.RenderMessage(ops.Names{})}}
	case errors.As(err, &valErr):
		// The client names arguments for people ("next records URL"); tools name them in snake case.
		field := strings.ReplaceAll(strings.ToLower(valErr.Field), " ", "_")
		te.Error, te.ErrorCode, te.Message = "Validation Error", "INVALID_ARGUMENT", field+": "+valErr.Message
		te.Fields = []string{field}
		te.Details = []ErrorDetail{{Field: field, Message: valErr.Message}}
	case errors.As(err, &noLogin):
		te.Error, te.ErrorCode = "AUTHENTICATION_REQUIRED", "AUTHENTICATION_REQUIRED"
	case errors.As(err, &mmErr):
		te.Error, te.ErrorCode, te.StatusCode = "MULTIPLE_CHOICES", "MULTIPLE_CHOICES", http.StatusMultipleChoices
	case errors.As(err, &authErr):
		te.Error, te.ErrorCode = "AUTHENTICATION_REQUIRED", "AUTHENTICATION_REQUIRED"
		if errors.As(err, &apiErr) {
			te.StatusCode = apiErr.StatusCode
			te.Details = apiDetails(apiErr)
		}
	case errors.As(err, &unknownObj) && errors.As(err, &apiErr):
		// Salesforce's code, and in the tools' words which object was meant.
		te.Error, te.ErrorCode, te.StatusCode = apiErr.ErrorCode, apiErr.ErrorCode, apiErr.StatusCode
		te.Fields = []string{"sobject"}
		te.Message = fmt.Sprintf("sobject %q is not an object of this org", unknownObj.Name)
		if len(unknownObj.Suggestions) > 0 {
			te.Message += "; did you mean " + quotedOr(unknownObj.Suggestions) + "?"
		}
		te.Message += " (salesforce_list_objects lists them; Salesforce said: " + apiErr.Message + ")"
	case errors.As(err, &apiErr):
		te.ErrorCode = apiErr.ErrorCode
		if te.ErrorCode == "" {
			te.ErrorCode = fmt.Sprintf("HTTP_%d", apiErr.StatusCode)
		}
		te.Error, te.Message, te.Fields, te.StatusCode = te.ErrorCode, apiErr.Message, apiErr.Fields, apiErr.StatusCode
		if te.Message == "" {
			te.Message = apiErr.Error()
		}
		te.Details = apiDetails(apiErr)
	case errors.As(err, &netErr):
		te.Error, te.ErrorCode = "NETWORK_ERROR", "NETWORK_ERROR"
	case errors.Is(err, context.DeadlineExceeded):
		te.Error, te.ErrorCode = "TIMEOUT", "TIMEOUT"
	case errors.Is(err, context.Canceled):
		te.Error, te.ErrorCode = "CANCELLED", "CANCELLED"
	default:
		te.Error, te.ErrorCode = "ERROR", "ERROR"
	}
	return te
}

// quotedOr is "\"Account\"", or "\"Contact\" or \"Contract\"".
func quotedOr(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

func apiDetails(e *salesforce.APIError) []ErrorDetail {
	if len(e.Errors) < 2 {
		return nil
	}
	out := make([]ErrorDetail, 0, len(e.Errors))
	for _, d := range e.Errors {
		out = append(out, ErrorDetail{ErrorCode: d.ErrorCode, Message: d.Message, Fields: d.Fields})
	}
	return out
}

// errorResult is an isError result. Its ToolError travels as JSON on the
// text's last line, after a summary, and not as structured content: clients
// (the TypeScript SDK among them) check structured content against the
// tool's output schema even on errors.
func errorResult(cid string, err error) *mcp.CallToolResult {
	return errorResultOf(toolError(cid, err))
}

func errorResultOf(te ToolError) *mcp.CallToolResult {
	cid := te.CorrelationID
	text := te.ErrorCode + ": " + te.Message
	if len(te.Fields) > 0 {
		sorted := append([]string(nil), te.Fields...)
		sort.Strings(sorted)
		text += " (fields: " + strings.Join(sorted, ", ") + ")"
	}
	b, _ := json.Marshal(te)
	text += " [correlation_id " + cid + "]\n" + string(b)
	return &mcp.CallToolResult{
		Content: []mcp.Content{mcp.TextContent{Type: mcp.ContentTypeText, Text: text}},
		IsError: true,
	}
}

// ErrorFromText reads the ToolError of an isError result's text.
func ErrorFromText(text string) (ToolError, bool) {
	var te ToolError
	i := strings.LastIndexByte(text, '\n') // the message may hold newlines; JSON never does
	return te, i >= 0 && json.Unmarshal([]byte(text[i+1:]), &te) == nil && te.CorrelationID != ""
}
