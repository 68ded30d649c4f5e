package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Tasks (MCP 2025-11-25, as mcp-go v1.6.0 serves them): a tool that waits on
// Salesforce (a bulk job) may be called with params.task; the call then
// answers at once with a task, tasks/get polls it, tasks/result gives the
// tool's result and tasks/cancel stops it, aborting the bulk job. mcp-go
// keeps the tasks in this process.

const (
	// maxTaskTTL bounds how long a task and its result are kept (mcp-go
	// keeps a task without a TTL forever): a client asking for longer, or
	// for nothing, gets this.
	maxTaskTTL = int64(time.Hour / time.Millisecond)
	// maxConcurrentTasks bounds the tasks running at once in this process.
	maxConcurrentTasks = 64
)

// longRunning says whether a tool waits on Salesforce work (its input has
// wait_seconds), which makes it one that may run as a task.
func longRunning(e ops.Entry) bool {
	t := e.Input
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return false
	}
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name == "wait_seconds" {
			return true
		}
	}
	return false
}

// taskOwners remembers who created each task. Over stateless HTTP mcp-go
// sees no session, so without this any caller who knew a task id could
// poll, read or cancel another user's task.
type taskOwners struct {
	mu sync.Mutex
	m  map[string]taskOwner
}

type taskOwner struct {
	owner string
	at    time.Time
}

// ownerOf names the caller: over HTTP the Salesforce org and user the
// request authenticated as (else its client, one per token); "" on stdio,
// which has one user.
func ownerOf(ctx context.Context) string {
	if cc, ok := ctx.Value(callCtxKey{}).(*callCtx); ok {
		return cc.owner
	}
	c, ok := ctx.Value(clientKey{}).(*salesforce.Client)
	if !ok || c == nil {
		return ""
	}
	return clientOwner(c)
}

// clientOwner is ownerOf for a request that authenticated as c.
func clientOwner(c *salesforce.Client) string {
	if org, user := c.Identity(); org != "" || user != "" {
		return org + "/" + user
	}
	// No identity (headers mode without userinfo): the credential itself.
	// Not the client's address, which a later client may reuse once this
	// one is evicted and collected, inheriting its tasks.
	return "credential " + c.CredentialDigest()
}

func (o *taskOwners) add(id, owner string, now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	// Tasks end by maxTaskTTL; forget their owners a while after.
	for k, v := range o.m {
		if now.Sub(v.at) > time.Duration(maxTaskTTL)*time.Millisecond+5*time.Minute {
			delete(o.m, k)
		}
	}
	o.m[id] = taskOwner{owner: owner, at: now}
}

func (o *taskOwners) allowed(id, owner string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	v, ok := o.m[id]
	return ok && v.owner == owner
}

// errTaskNotFound is what a caller learns of a task that is not theirs.
var errTaskNotFound = errors.New("task not found")

// addTaskSupport turns on tasks in mcp-go and the hooks that bound and guard
// them.
func addTaskSupport(hooks *server.Hooks) []server.ServerOption {
	owners := &taskOwners{m: map[string]taskOwner{}}
	th := &server.TaskHooks{}
	th.AddOnTaskCreated(func(ctx context.Context, m server.TaskMetrics) {
		owners.add(m.TaskID, ownerOf(ctx), time.Now())
	})
	hooks.AddBeforeCallTool(func(ctx context.Context, _ any, req *mcp.CallToolRequest) {
		if server.IsModernRequest(ctx) {
			// 2026-07-28 has no params.task: tasks are the server's choice
			// (the Tasks extension, tasksext.go), and a leftover hint must
			// not turn the answer into a 2025-11-25 task.
			req.Params.Task = nil
			return
		}
		if t := req.Params.Task; t != nil && (t.TTL == nil || *t.TTL <= 0 || *t.TTL > maxTaskTTL) {
			ttl := maxTaskTTL
			t.TTL = &ttl
		}
	})
	hooks.AddOnRequestInitialization(func(ctx context.Context, _ any, message any) error {
		raw, ok := message.(json.RawMessage)
		if !ok {
			return nil
		}
		var msg struct {
			Method string `json:"method"`
			Params struct {
				TaskID string    `json:"taskId"`
				Meta   *mcp.Meta `json:"_meta"`
			} `json:"params"`
		}
		if json.Unmarshal(raw, &msg) != nil {
			return nil
		}
		method := mcp.MCPMethod(msg.Method)
		switch {
		case (method == mcp.MethodTasksList || method == mcp.MethodTasksResult) && mcp.IsModernProtocol(msg.Params.Meta.ProtocolVersion()):
			// 2026-07-28 removed both: mcp-go answers -32601 (method not found).
		case method == mcp.MethodTasksList:
			// Not offered (the capability says so): over stateless HTTP
			// mcp-go would list every user's tasks.
			return errors.New("tasks/list is not offered: follow a task by the id its tools/call returned")
		case method == mcp.MethodTasksGet || method == mcp.MethodTasksResult || method == mcp.MethodTasksCancel:
			if !owners.allowed(msg.Params.TaskID, ownerOf(ctx)) {
				return errTaskNotFound
			}
		}
		return nil
	})
	return []server.ServerOption{
		server.WithTaskCapabilities(false, true, true),
		server.WithTaskHooks(th),
		server.WithMaxConcurrentTasks(maxConcurrentTasks),
	}
}
