package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/sfmcp/sfmcp/internal/jsonscan"
	"github.com/sfmcp/sfmcp/internal/ops"
)

// The Tasks extension of MCP 2026-07-28 (io.modelcontextprotocol/tasks,
// SEP-2663), which mcp-go v1.6.0 does not implement. Task creation is the
// server's choice: a 2026-07-28 tools/call of a bulk tool whose client
// declared the extension in that request's capabilities is answered at
// once with a task (resultType "task"), and the call runs on through
// mcp-go's own handling (the tool's handler, its guards, audit and
// metrics). tasks/get polls the task and carries the tool's result (or the
// JSON-RPC error) once it ends; tasks/cancel stops it, aborting the Bulk
// job; tasks/update is acknowledged (these tasks never wait for input: a
// call that must ask its user first becomes a task only on the retry that
// carries the answer, so the question is settled before any work starts, as
// the extension recommends). There is no tasks/list.
//
// The transports hand each message to Tasks before mcp-go (HTTPOptions.Tasks,
// ServeStdio), since mcp-go has no way to answer tools/call with another
// result shape or to serve a method it does not know. The older 2025-11-25
// tasks (tasks.go) stay mcp-go's.

const (
	// TasksExtensionID names the extension in capabilities.
	TasksExtensionID = "io.modelcontextprotocol/tasks"
	// taskPollInterval is the polling pace suggested to clients: a Bulk
	// job's state changes over seconds.
	taskPollInterval = int64(500)
	// maxStoredTasks bounds the tasks kept (running or ended, each with its
	// result) until their TTL ends. Past it, or past maxConcurrentTasks
	// running, calls are served without a task.
	maxStoredTasks = 1024
	// maxStoredTaskBytes bounds the results (and errors) that ended tasks
	// keep until their TTL ends: a bulk query's inline rows can be large.
	// Past it, calls are served without a task until some expire.
	maxStoredTaskBytes = 128 << 20
	// defaultTasksPerOwner bounds one caller's running tasks, so that no
	// user holds every slot; a per-user concurrency limit
	// (UserLimits.Concurrent) lowers it. Past it, that caller's calls are
	// served without a task (and so count against that limit again).
	defaultTasksPerOwner = 16
)

// Tasks serves the Tasks extension for one server. Create it with NewTasks,
// give it to NewServer (Options.Tasks) and to the transport
// (HTTPOptions.Tasks or ServeStdio); a nil *Tasks serves nothing.
type Tasks struct {
	srv      *server.MCPServer
	info     mcp.Implementation
	eligible map[string]func(mcp.CallToolRequest) bool
	// names are eligible's keys, and namesPrefix their longest common
	// prefix: mayHandle looks at every message, and one that lacks the
	// prefix (a call of any other tool, usually) names none of them.
	names       [][]byte
	namesPrefix []byte
	now         func() time.Time

	mu       sync.Mutex
	tasks    map[string]*extTask
	running  int
	perOwner int            // running tasks one caller may have
	owners   map[string]int // running tasks by caller
	stored   int            // bytes of the ended tasks' results and errors
	maxBytes int            // bound of stored
}

type extTask struct {
	id, owner        string
	created, updated time.Time
	status           string // working, completed, failed or cancelled
	message          string
	result, rpcError json.RawMessage
	cancel           context.CancelFunc
	cancelled        bool // tasks/cancel asked for it
}

// NewTasks returns a Tasks to give to NewServer and the transport.
func NewTasks() *Tasks {
	return &Tasks{tasks: map[string]*extTask{}, now: time.Now, perOwner: defaultTasksPerOwner, owners: map[string]int{}, maxBytes: maxStoredTaskBytes}
}

// limitPerOwner lowers the running tasks one caller may have to n (the HTTP
// transport's per-user concurrency limit), when n is positive and lower.
func (t *Tasks) limitPerOwner(n int) {
	if t == nil || n <= 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.perOwner = min(t.perOwner, n)
}

// bind is NewServer's: s runs the calls; eligible says, per tool name, whether
// a call may run as a task.
func (t *Tasks) bind(s *server.MCPServer, version string, eligible map[string]func(mcp.CallToolRequest) bool, hooks *server.Hooks) {
	if t == nil {
		return
	}
	t.srv, t.info, t.eligible = s, mcp.Implementation{Name: "sfmcp", Version: version}, eligible
	t.names, t.namesPrefix = nil, nil
	for name := range eligible {
		t.names = append(t.names, []byte(name))
	}
	if len(t.names) > 0 {
		t.namesPrefix = t.names[0]
		for _, n := range t.names[1:] {
			i := 0
			for i < len(n) && i < len(t.namesPrefix) && n[i] == t.namesPrefix[i] {
				i++
			}
			t.namesPrefix = t.namesPrefix[:i]
		}
	}
	// 2026-07-28 advertises extensions in server/discover's capabilities.
	hooks.AddAfterDiscover(func(_ context.Context, _ any, _ *mcp.DiscoverRequest, res *mcp.DiscoverResult) {
		if res == nil {
			return
		}
		ext := map[string]any{TasksExtensionID: map[string]any{}}
		for k, v := range res.Capabilities.Extensions {
			if k != TasksExtensionID {
				ext[k] = v
			}
		}
		res.Capabilities.Extensions = ext
	})
}

// taskRequest is what Tasks reads of a request.
type taskRequest struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Params  struct {
		Name   string    `json:"name"`
		TaskID *string   `json:"taskId"`
		Meta   *mcp.Meta `json:"_meta"`
	} `json:"params"`
}

// handle answers msg when it belongs to the extension: a tools/call it makes
// a task of, or tasks/get, tasks/update or tasks/cancel of a 2026-07-28
// request. Anything else (handled false) goes to mcp-go. hdr holds the HTTP
// request's headers (nil on stdio); ctx carries the caller.
func (t *Tasks) handle(ctx context.Context, msg []byte, hdr http.Header) (resp []byte, handled bool) {
	if t == nil || t.srv == nil {
		return nil, false
	}
	defer func() {
		// A fault here (in a tool's argument checks, say) must not take the
		// transport down: mcp-go then serves the message, with its recovery.
		if recover() != nil {
			resp, handled = nil, false
		}
	}()
	// Most messages are something else: one that names neither a task
	// method nor a bulk tool is passed on without parsing, and the others
	// are read without decoding the arguments (they can be megabytes).
	if !t.mayHandle(msg) {
		return nil, false
	}
	m, ok := members(msg, "method", "id", "params")
	if !ok {
		return nil, false
	}
	ms, hasMethod := m[0], m.has(0)
	is, hasID := m[1], m.has(1)
	if !hasMethod || !hasID {
		return nil, false
	}
	// A request's id is a string or a number. mcp-go takes a null id for a
	// notification (nothing runs, nothing is answered) and serves other ids
	// as it sees fit: none of them starts a task or gets an answer here.
	if _, idLike := echoedExactly(msg[is.start:is.end]); !idLike {
		return nil, false
	}
	var method string
	if json.Unmarshal(msg[ms.start:ms.end], &method) != nil {
		return nil, false
	}
	switch method {
	case string(mcp.MethodTasksGet), "tasks/update", string(mcp.MethodTasksCancel):
	case string(mcp.MethodToolsCall):
		// Only the bulk tools' calls are looked at further.
		if !m.has(2) {
			return nil, false
		}
		ps := m[2]
		pm, ok := members(msg[ps.start:ps.end], "name")
		ns, hasName := pm[0], pm.has(0)
		var name string
		if !ok || !hasName || json.Unmarshal(msg[ps.start+ns.start:ps.start+ns.end], &name) != nil || t.eligible[name] == nil {
			return nil, false
		}
	default:
		return nil, false
	}
	if !namesExact(msg) {
		return nil, false // mcp-go refuses it (-32600): no task, no answer here
	}
	var req taskRequest
	if json.Unmarshal(msg, &req) != nil || req.JSONRPC != mcp.JSONRPC_VERSION {
		return nil, false // mcp-go answers what it cannot read
	}
	version := req.Params.Meta.ProtocolVersion()
	if !mcp.IsModernProtocol(version) || !mcp.IsValidProtocolVersion(version) {
		return nil, false // 2025-11-25 tasks are mcp-go's (tasks.go)
	}
	declared := extensionDeclared(req.Params.Meta)
	if method == string(mcp.MethodToolsCall) {
		eligible := t.eligible[req.Params.Name]
		if !declared || eligible == nil {
			return nil, false
		}
		var call mcp.CallToolRequest
		if json.Unmarshal(msg, &call) != nil || !eligible(call) {
			return nil, false
		}
		if headerMismatch(hdr, version, method, req.Params.Name) != nil {
			return nil, false // mcp-go answers the mismatch
		}
		res, ok := t.create(ctx, msg)
		if !ok {
			return nil, false // over a bound: served as a plain call
		}
		return taskRPCResult(req.ID, res), true
	}
	if !declared {
		data := map[string]any{"requiredCapabilities": map[string]any{"extensions": map[string]any{TasksExtensionID: map[string]any{}}}}
		return taskRPCError(req.ID, mcp.MISSING_REQUIRED_CLIENT_CAPABILITY, "Missing required client capability: "+method+" belongs to the "+TasksExtensionID+" extension", data), true
	}
	if req.Params.TaskID == nil {
		return taskRPCError(req.ID, mcp.INVALID_PARAMS, method+": params.taskId is required", nil), true
	}
	id := *req.Params.TaskID
	if err := headerMismatch(hdr, version, method, id); err != nil {
		return taskRPCError(req.ID, mcp.HEADER_MISMATCH, err.Error(), nil), true
	}
	switch method {
	case string(mcp.MethodTasksGet):
		v, ok := t.get(ctx, id)
		if !ok {
			return taskRPCError(req.ID, mcp.INVALID_PARAMS, "Failed to retrieve task: Task not found", nil), true
		}
		return taskRPCResult(req.ID, v), true
	case string(mcp.MethodTasksCancel):
		if !t.cancelTask(ctx, id) {
			return taskRPCError(req.ID, mcp.INVALID_PARAMS, "Failed to cancel task: Task not found", nil), true
		}
	default: // tasks/update
		if _, ok := t.get(ctx, id); !ok {
			return taskRPCError(req.ID, mcp.INVALID_PARAMS, "Failed to update task: Task not found", nil), true
		}
		// No task of ours asks for input, so no key is outstanding and the
		// responses are ignored, as the extension says of unknown keys.
	}
	return taskRPCResult(req.ID, t.ack()), true
}

// mayHandle is a quick look at msg: whether it names a task method or a
// tool that may run as a task anywhere in it.
func (t *Tasks) mayHandle(msg []byte) bool {
	if bytes.Contains(msg, []byte(`"tasks/`)) {
		return true
	}
	if len(t.names) == 0 || !bytes.Contains(msg, t.namesPrefix) {
		return false
	}
	for _, name := range t.names {
		if bytes.Contains(msg, name) {
			return true
		}
	}
	return false
}

// mcp-go refuses (-32600) a message whose envelope or params member names
// differ from the protocol's only by case or Unicode folding ("Method",
// "paramſ", "taskid"), or repeat one, where encoding/json would read them
// all the same. The extension must not make a task of, or answer, a message
// mcp-go refuses, so it checks the same names (mcp-go v1.6.0's lists).
var (
	envelopeNames = []string{"jsonrpc", "method", "id", "params", "result", "error"}
	paramsNames   = []string{
		"name", "arguments", "uri", "cursor", "_meta", "protocolVersion",
		"capabilities", "clientInfo", "level", "ref", "argument", "requestId",
		"progressToken", "taskId", "reason", "requestState", "task", "context",
		"inputResponses", "notifications", "progress", "total", "message",
	}
)

// namesExact reports whether msg spells its envelope and params member
// names as the protocol defines them, each once. What is not a JSON object
// is left to the decoding that follows.
func namesExact(msg []byte) bool {
	ok, params := objectNamesExact(msg, envelopeNames, "params")
	if !ok {
		return false
	}
	ok, _ = objectNamesExact(params, paramsNames, "")
	return ok
}

// objectNamesExact checks the member names of the object obj against names
// (see namesExact); sub is the value of its member named want, if any.
func objectNamesExact(obj []byte, names []string, want string) (ok bool, sub []byte) {
	i := jsonscan.SkipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return true, nil
	}
	var seen []string
	for i = jsonscan.SkipSpace(obj, i+1); i < len(obj) && obj[i] == '"'; {
		end := jsonscan.SkipString(obj, i)
		if end < 0 {
			return true, sub
		}
		key := string(obj[i+1 : end-1])
		if strings.IndexByte(key, '\\') >= 0 && json.Unmarshal(obj[i:end], &key) != nil {
			return true, sub
		}
		for _, n := range names {
			if strings.EqualFold(key, n) {
				if key != n || slices.Contains(seen, n) {
					return false, nil
				}
				seen = append(seen, n)
			}
		}
		if i = jsonscan.SkipSpace(obj, end); i >= len(obj) || obj[i] != ':' {
			return true, sub
		}
		i = jsonscan.SkipSpace(obj, i+1)
		vend := jsonscan.SkipValue(obj, i)
		if vend < 0 {
			return true, sub
		}
		if want != "" && key == want {
			sub = obj[i:vend]
		}
		if i = jsonscan.SkipSpace(obj, vend); i < len(obj) && obj[i] == ',' {
			i = jsonscan.SkipSpace(obj, i+1)
		}
	}
	return true, sub
}

// extensionDeclared says whether the request's capabilities declare the extension.
func extensionDeclared(meta *mcp.Meta) bool {
	caps := meta.ClientCapabilities()
	if caps == nil {
		return false
	}
	_, ok := caps.Extensions[TasksExtensionID]
	return ok
}

// headerMismatch checks, over HTTP (hdr nil: stdio, nothing to check), what
// 2026-07-28 asks of a request's headers, as mcp-go does for the requests it
// serves: Mcp-Protocol-Version as in the body, Mcp-Method the method, and
// Mcp-Name the name (tools/call: the tool; the extension's methods: the
// task id, by which intermediaries route a task's requests).
func headerMismatch(hdr http.Header, version, method, name string) error {
	if hdr == nil {
		return nil
	}
	if hdr.Get(mcp.HeaderLastEventID) != "" {
		// 2026-07-28 streams do not resume: the header means a confused client.
		return fmt.Errorf("%s is not supported in protocol version %s: streams are not resumable", mcp.HeaderLastEventID, mcp.ProtocolVersion20260728)
	}
	switch v := hdr.Get(mcp.HeaderProtocolVersion); {
	case v == "":
		return fmt.Errorf("the %s header is required for requests carrying %s", mcp.HeaderProtocolVersion, mcp.MetaKeyProtocolVersion)
	case v != version:
		return fmt.Errorf("header %s %q does not match the request's protocol version %q", mcp.HeaderProtocolVersion, v, version)
	}
	switch v := hdr.Get(mcp.HeaderMethod); {
	case v == "":
		return fmt.Errorf("the %s header is required", mcp.HeaderMethod)
	case v != method:
		return fmt.Errorf("header %s %q does not match the method %q", mcp.HeaderMethod, v, method)
	}
	v, ok := mcp.DecodeHeaderValue(hdr.Get(mcp.HeaderName))
	switch {
	case hdr.Get(mcp.HeaderName) == "":
		return fmt.Errorf("the %s header is required for %s", mcp.HeaderName, method)
	case !ok:
		return fmt.Errorf("header %s is not valid Base64", mcp.HeaderName)
	case v != name:
		return fmt.Errorf("header %s %q does not match %q", mcp.HeaderName, v, name)
	}
	return nil
}

// httpStatus is the HTTP status 2026-07-28 gives a response (mcp-go's rule
// for the requests it serves): 400 for the request's own faults.
func httpStatus(resp []byte) int {
	var r struct {
		Error *struct {
			Code int `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(resp, &r) != nil || r.Error == nil {
		return http.StatusOK
	}
	switch r.Error.Code {
	case mcp.HEADER_MISMATCH, mcp.MISSING_REQUIRED_CLIENT_CAPABILITY, mcp.INVALID_PARAMS, mcp.INVALID_REQUEST, mcp.PARSE_ERROR:
		return http.StatusBadRequest
	case mcp.METHOD_NOT_FOUND:
		return http.StatusNotFound
	}
	return http.StatusOK
}

// taskResult is a task on the wire: CreateTaskResult (resultType "task") and
// GetTaskResult (resultType "complete", with the result or error once ended).
type taskResult struct {
	ResultType     string          `json:"resultType"`
	TaskID         string          `json:"taskId"`
	Status         string          `json:"status"`
	StatusMessage  string          `json:"statusMessage,omitempty"`
	CreatedAt      string          `json:"createdAt"`
	LastUpdatedAt  string          `json:"lastUpdatedAt"`
	TTLMs          int64           `json:"ttlMs"`
	PollIntervalMs int64           `json:"pollIntervalMs"`
	Result         json.RawMessage `json:"result,omitempty"`
	Error          json.RawMessage `json:"error,omitempty"`
	Meta           map[string]any  `json:"_meta,omitempty"`
}

func (t *Tasks) view(task *extTask, resultType string) taskResult {
	v := taskResult{
		ResultType: resultType, TaskID: task.id, Status: task.status, StatusMessage: task.message,
		CreatedAt: task.created.UTC().Format(time.RFC3339Nano), LastUpdatedAt: task.updated.UTC().Format(time.RFC3339Nano),
		TTLMs: maxTaskTTL, PollIntervalMs: taskPollInterval,
		Meta: map[string]any{mcp.MetaKeyServerInfo: t.info},
	}
	switch task.status {
	case "completed":
		v.Result = task.result
	case "failed":
		v.Error = task.rpcError
	}
	return v
}

func (t *Tasks) ack() map[string]any {
	return map[string]any{"resultType": string(mcp.ResultTypeComplete), "_meta": map[string]any{mcp.MetaKeyServerInfo: t.info}}
}

// create starts the call msg as a task owned by ctx's caller; false when
// too many tasks are kept or running.
func (t *Tasks) create(ctx context.Context, msg []byte) (taskResult, bool) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.purgeLocked(now)
	owner := ownerOf(ctx)
	if t.running >= maxConcurrentTasks || len(t.tasks) >= maxStoredTasks || t.owners[owner] >= t.perOwner || t.stored >= t.maxBytes {
		return taskResult{}, false
	}
	// The work outlives the request that asked for it (an HTTP request ends
	// with this answer) but keeps its caller (client, identity). A task's
	// cancel stops the work, not only the wait: the Bulk job is aborted.
	runCtx, cancel := context.WithCancel(ops.WithAbortOnCancel(context.WithoutCancel(ctx)))
	task := &extTask{id: newCorrelationID(), owner: owner, created: now, updated: now, status: "working",
		message: "running; poll tasks/get for the result", cancel: cancel}
	t.tasks[task.id] = task
	t.running++
	t.owners[owner]++
	// How far the work has come (rows processed, pages read) is the working
	// task's status message: 2026-07-28 has no progress notifications for
	// tasks, and tasks/get is where a client looks.
	runCtx = ops.WithProgress(runCtx, func(done, total float64, message string) {
		if message == "" {
			message = fmt.Sprintf("%.0f of %.0f done", done, total)
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		if task.status == "working" && !task.cancelled {
			task.message, task.updated = message, t.now()
		}
	})
	go t.run(runCtx, task, bytes.Clone(msg))
	return t.view(task, "task"), true
}

// handleRecovered is HandleMessage with its panics caught. A tool's own
// panic is mcp-go's WithRecovery's, but one in mcp-go or a hook would end
// the process from this goroutine, where no net/http recover applies, and
// the task's slot would never be freed; the task fails instead.
func (t *Tasks) handleRecovered(ctx context.Context, msg []byte) (resp mcp.JSONRPCMessage, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			resp, panicked = nil, true
		}
	}()
	return t.srv.HandleMessage(ctx, msg), false
}

// run makes the call through mcp-go, as if it had come on its own, and
// keeps what it answered.
func (t *Tasks) run(ctx context.Context, task *extTask, msg []byte) {
	resp, panicked := t.handleRecovered(ctx, msg)
	var result, rpcErr json.RawMessage
	var isError bool
	summary := ""
	switch r := resp.(type) {
	case nil:
		if panicked {
			summary = "the call failed inside the server"
			rpcErr, _ = json.Marshal(map[string]any{"code": mcp.INTERNAL_ERROR, "message": summary})
			break
		}
		rpcErr, _ = json.Marshal(map[string]any{"code": mcp.INTERNAL_ERROR, "message": "the call gave no response"})
		summary = "the call gave no response"
	case mcp.JSONRPCResponse:
		result, _ = json.Marshal(r.Result)
		var probe struct {
			IsError bool `json:"isError"`
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		}
		_ = json.Unmarshal(result, &probe)
		isError = probe.IsError
		if len(probe.Content) > 0 {
			summary, _, _ = strings.Cut(probe.Content[0].Text, "\n")
		}
	case mcp.JSONRPCError:
		rpcErr, _ = json.Marshal(r.Error)
		summary = r.Error.Message
	default:
		rpcErr, _ = json.Marshal(map[string]any{"code": mcp.INTERNAL_ERROR, "message": "the call gave no response"})
		summary = "the call gave no response"
	}
	if len(summary) > 200 {
		summary = summary[:200] + "…"
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	task.cancel()
	t.running--
	if t.owners[task.owner]--; t.owners[task.owner] <= 0 {
		delete(t.owners, task.owner)
	}
	task.updated = t.now()
	switch {
	case task.cancelled && (isError || rpcErr != nil):
		task.status, task.message = "cancelled", "cancelled by tasks/cancel: "+summary
	case rpcErr != nil:
		task.status, task.message, task.rpcError = "failed", summary, rpcErr
	default:
		task.status, task.message, task.result = "completed", summary, result
	}
	t.stored += len(task.result) + len(task.rpcError)
}

// lookupLocked finds the caller's task id; another caller's is not found.
func (t *Tasks) lookupLocked(ctx context.Context, id string) (*extTask, bool) {
	t.purgeLocked(t.now())
	task, ok := t.tasks[id]
	if !ok || task.owner != ownerOf(ctx) {
		return nil, false
	}
	return task, true
}

func (t *Tasks) get(ctx context.Context, id string) (taskResult, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	task, ok := t.lookupLocked(ctx, id)
	if !ok {
		return taskResult{}, false
	}
	return t.view(task, string(mcp.ResultTypeComplete)), true
}

// cancelTask asks the caller's running task id to stop; the task says
// cancelled once its work has stopped (the Bulk job aborted). Cancelling an
// ended task changes nothing.
func (t *Tasks) cancelTask(ctx context.Context, id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	task, ok := t.lookupLocked(ctx, id)
	if !ok {
		return false
	}
	if task.status == "working" && !task.cancelled {
		task.cancelled = true
		task.message = "cancelling: stopping the work"
		task.updated = t.now()
		task.cancel()
	}
	return true
}

// purgeLocked forgets ended tasks past their TTL.
func (t *Tasks) purgeLocked(now time.Time) {
	for id, task := range t.tasks {
		if task.status != "working" && now.Sub(task.created) > time.Duration(maxTaskTTL)*time.Millisecond {
			t.stored -= len(task.result) + len(task.rpcError)
			delete(t.tasks, id)
		}
	}
}

func taskRPCResult(id json.RawMessage, result any) []byte {
	b, err := json.Marshal(result)
	if err != nil {
		return taskRPCError(id, mcp.INTERNAL_ERROR, "encode the result: "+err.Error(), nil)
	}
	return envelope(id, "result", b)
}

func taskRPCError(id json.RawMessage, code int, message string, data any) []byte {
	e := map[string]any{"code": code, "message": message}
	if data != nil {
		e["data"] = data
	}
	b, _ := json.Marshal(e)
	return envelope(id, "error", b)
}

// envelope is a JSON-RPC response with the request's id as it was written.
func envelope(id json.RawMessage, member string, body []byte) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"jsonrpc":"2.0","id":`)
	buf.Write(id)
	buf.WriteString(`,"` + member + `":`)
	buf.Write(body)
	buf.WriteString("}\n")
	return buf.Bytes()
}

// httpHandler answers the extension's requests before next (mcp-go's
// streamable HTTP server) sees them.
func (t *Tasks) httpHandler(next http.Handler) http.Handler {
	if t == nil {
		return next
	}
	return interceptHTTP(next, t.handle)
}

// interceptHTTP answers the requests handle answers (the Tasks extension,
// completion checks) before next (mcp-go's streamable HTTP server) sees them.
func interceptHTTP(next http.Handler, handle preHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// mcp-go answers a body that is not JSON with 400 (no JSON-RPC
		// at all): so it must, before anything here reads one.
		if r.Method != http.MethodPost || r.Body == nil || !isJSON(r.Header) {
			next.ServeHTTP(w, r)
			return
		}
		body, err := readBody(r)
		if err != nil {
			r.Body = readCloser{io.MultiReader(bytes.NewReader(body), errReader{err}), r.Body}
			next.ServeHTTP(w, r)
			return
		}
		if resp, ok := handle(r.Context(), body, r.Header); ok {
			w.Header().Set("Content-Type", "application/json")
			status := http.StatusOK // before 2026-07-28 an error is a JSON-RPC error in a 200
			if modernRequest(body) {
				status = httpStatus(resp)
			}
			w.WriteHeader(status)
			_, _ = w.Write(resp)
			return
		}
		setBody(r, body)
		next.ServeHTTP(w, r)
	})
}

// modernRequest says whether msg is a request of protocol version 2026-07-28
// or later (its _meta names the version).
func modernRequest(msg []byte) bool {
	var req struct {
		Params struct {
			Meta *mcp.Meta `json:"_meta"`
		} `json:"params"`
	}
	return json.Unmarshal(msg, &req) == nil && mcp.IsModernProtocol(req.Params.Meta.ProtocolVersion())
}

// stdioReader passes mcp-go the lines of in that handle does not answer (the
// Tasks extension, completion checks); it writes its answers to out, a whole
// line at a time.
type stdioReader struct {
	ctx    context.Context
	handle preHandler
	in     interface{ ReadBytes(byte) ([]byte, error) }
	out    io.Writer

	pending []byte
	err     error
}

func (r *stdioReader) Read(p []byte) (int, error) {
	for len(r.pending) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		var line []byte
		line, r.err = r.in.ReadBytes('\n')
		if len(line) == 0 {
			continue
		}
		if resp, ok := r.handle(r.ctx, bytes.TrimSpace(line), nil); ok {
			if _, err := r.out.Write(resp); err != nil {
				r.err = err
			}
			continue
		}
		r.pending = line
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	return n, nil
}
