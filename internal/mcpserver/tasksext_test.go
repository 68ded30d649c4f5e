package mcpserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// modernMeta is the _meta of a 2026-07-28 request; ext says whether it
// declares the Tasks extension.
func modernMeta(ext bool) string {
	caps := `{}`
	if ext {
		caps = `{"extensions":{"` + TasksExtensionID + `":{}}}`
	}
	return metaWith(caps)
}

// metaWith is the _meta of a 2026-07-28 request with these client capabilities.
func metaWith(caps string) string {
	return `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"},"io.modelcontextprotocol/clientCapabilities":` + caps + `}`
}

// TestTasksExtension drives the extension in-process, as the transports hand
// it messages: which calls become tasks, the tasks/* answers, the errors the
// extension names, and that another caller's task is not found.
func TestTasksExtension(t *testing.T) {
	clientFor := func(user string) *salesforce.Client {
		c, err := salesforce.New(salesforce.Config{
			HTTPClient: salesforce.NewHTTPClient(),
			Tokens:     salesforce.NewTokenSource(salesforce.TokenSourceConfig{Token: salesforce.Token{AccessToken: "x", InstanceURL: "http://127.0.0.1:1"}}),
			APIVersion: "62.0", OrgID: "00D000000000001", UserID: user,
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	alice := context.WithValue(context.Background(), clientKey{}, clientFor("005ALICE"))
	bob := context.WithValue(context.Background(), clientKey{}, clientFor("005BOB"))
	tasks := NewTasks()
	s := NewServer(Options{Tools: allTools(t), Tasks: tasks, Confirm: ConfirmPolicy{}, Client: func(ctx context.Context) (*salesforce.Client, error) {
		return ctx.Value(clientKey{}).(*salesforce.Client), nil
	}})
	send := func(ctx context.Context, msg string, hdr http.Header) (map[string]any, bool) {
		resp, ok := tasks.handle(ctx, []byte(msg), hdr)
		if !ok {
			return nil, false
		}
		var m map[string]any
		if err := json.Unmarshal(resp, &m); err != nil {
			t.Fatalf("%s: answer %s is not JSON: %v", msg, resp, err)
		}
		return m, true
	}
	headers := func(method, name string) http.Header {
		return http.Header{"Mcp-Method": {method}, "Mcp-Name": {name}, "Mcp-Protocol-Version": {"2026-07-28"}}
	}
	bulkQuery := func(ext bool) string {
		return `{"jsonrpc":"2.0","id":"c1","method":"tools/call","params":{"name":"salesforce_bulk_query","arguments":{"sobject":"Account","soql":"SELECT Id FROM Account"},` + modernMeta(ext) + `}}`
	}

	// A destructive call becomes a task only when it will not stop to ask.
	deleteArgs := `{"sobject":"Account","record_ids":["001000000000001AAA"]}`
	deleteState := confirmState("salesforce_bulk_delete", []byte(deleteArgs))
	deleteCall := func(answer string, canElicit bool) string {
		caps := `{"extensions":{"` + TasksExtensionID + `":{}}}`
		if canElicit {
			caps = `{"elicitation":{},"extensions":{"` + TasksExtensionID + `":{}}}`
		}
		return `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"salesforce_bulk_delete","arguments":` + deleteArgs + `,` + answer + metaWith(caps) + `}}`
	}

	// Which calls become tasks.
	for _, tt := range []struct {
		name, msg string
		task      bool
	}{
		{"bulk tool, extension declared", bulkQuery(true), true},
		{"bulk tool, extension not declared", bulkQuery(false), false},
		{"not a bulk tool", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"salesforce_query","arguments":{"sobject":"Account","soql":"SELECT Id FROM Account"},` + modernMeta(true) + `}}`, false},
		{"2025-11-25 request", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"salesforce_bulk_query","arguments":{"sobject":"Account","soql":"SELECT Id FROM Account"},"task":{}}}`, false},
		{"destructive bulk call, client can ask (asks its user first)", deleteCall(``, true), false},
		{"destructive bulk call, the user's yes", deleteCall(`"inputResponses":{"confirm":{"action":"accept","content":{"confirm":true}}},"requestState":"`+deleteState+`",`, true), true},
		{"destructive bulk call, the user's no", deleteCall(`"inputResponses":{"confirm":{"action":"decline"}},"requestState":"`+deleteState+`",`, true), false},
		{"destructive bulk call, a yes to another call", deleteCall(`"inputResponses":{"confirm":{"action":"accept","content":{"confirm":true}}},"requestState":"other",`, true), false},
		{"destructive bulk call, client cannot ask (runs as before)", deleteCall(``, false), true},
		{"bulk tool over HTTP without Mcp-Name (mcp-go refuses it)", bulkQuery(true), false},
		{"bulk tool, arguments it refuses (answered at once)", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"salesforce_bulk_query","arguments":{"soql":"SELECT Id FROM Account"},` + modernMeta(true) + `}}`, false},
		{"a notification", `{"jsonrpc":"2.0","method":"tools/call","params":{"name":"salesforce_bulk_query",` + modernMeta(true) + `}}`, false},
	} {
		var hdr http.Header
		if strings.Contains(tt.name, "over HTTP") {
			hdr = http.Header{"Mcp-Method": {"tools/call"}, "Mcp-Protocol-Version": {"2026-07-28"}}
		}
		m, ok := send(alice, tt.msg, hdr)
		if ok != tt.task {
			t.Errorf("%s: made a task %v (%v); want %v", tt.name, ok, m, tt.task)
		}
	}

	// With --confirm-destructive a client that cannot ask is refused, at once.
	strict := NewTasks()
	NewServer(Options{Tools: allTools(t), Tasks: strict, Confirm: ConfirmPolicy{Required: true}})
	if _, ok := strict.handle(alice, []byte(deleteCall(``, false)), nil); ok {
		t.Error("confirmation required, client cannot ask: made a task; want the call refused without one")
	}

	created, ok := send(alice, bulkQuery(true), nil)
	if !ok {
		t.Fatal("no task made")
	}
	res, _ := created["result"].(map[string]any)
	id, _ := res["taskId"].(string)
	if created["id"] != "c1" || res["resultType"] != "task" || res["status"] != "working" || id == "" ||
		res["ttlMs"] != float64(maxTaskTTL) || res["createdAt"] == nil || res["lastUpdatedAt"] == nil {
		t.Fatalf("CreateTaskResult %v", created)
	}
	taskReq := func(method, id string, ext bool) string {
		return `{"jsonrpc":"2.0","id":7,"method":"` + method + `","params":{"taskId":"` + id + `",` + modernMeta(ext) + `}}`
	}

	// The call runs on without its request: the org is unreachable here, so
	// it ends with the tool's error result, which tasks/get carries.
	var final map[string]any
	for range 400 {
		got, _ := send(alice, taskReq("tasks/get", id, true), nil)
		final, _ = got["result"].(map[string]any)
		if final["status"] != "working" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	result, _ := final["result"].(map[string]any)
	if final["resultType"] != "complete" || final["status"] != "completed" || result["isError"] != true || result["resultType"] != "complete" {
		t.Fatalf("tasks/get at the end: %v; want completed with the tool's (error) result", final)
	}

	for _, tt := range []struct {
		name string
		ctx  context.Context
		msg  string
		hdr  http.Header
		code float64 // 0: a result
	}{
		{"owner cancels an ended task", alice, taskReq("tasks/cancel", id, true), nil, 0},
		{"owner updates", alice, `{"jsonrpc":"2.0","id":7,"method":"tasks/update","params":{"taskId":"` + id + `","inputResponses":{"k":{"action":"accept"}},` + modernMeta(true) + `}}`, nil, 0},
		{"unknown task id", alice, taskReq("tasks/get", "no-such-task", true), nil, -32602},
		{"unknown task id, cancel", alice, taskReq("tasks/cancel", "no-such-task", true), nil, -32602},
		{"other user polls", bob, taskReq("tasks/get", id, true), nil, -32602},
		{"other user cancels", bob, taskReq("tasks/cancel", id, true), nil, -32602},
		{"other user updates", bob, taskReq("tasks/update", id, true), nil, -32602},
		{"extension not declared", alice, taskReq("tasks/get", id, false), nil, -32021},
		{"no task id", alice, `{"jsonrpc":"2.0","id":7,"method":"tasks/get","params":{` + modernMeta(true) + `}}`, nil, -32602},
		{"Mcp-Name names another task", alice, taskReq("tasks/get", id, true), headers("tasks/get", "other"), -32020},
		{"no Mcp-Name", alice, taskReq("tasks/get", id, true), http.Header{"Mcp-Method": {"tasks/get"}, "Mcp-Protocol-Version": {"2026-07-28"}}, -32020},
		{"no Mcp-Protocol-Version", alice, taskReq("tasks/get", id, true), http.Header{"Mcp-Method": {"tasks/get"}, "Mcp-Name": {id}}, -32020},
		{"Mcp-Method names another method", alice, taskReq("tasks/cancel", id, true), headers("tasks/get", id), -32020},
		{"headers agree", alice, taskReq("tasks/get", id, true), headers("tasks/get", id), 0},
		{"headers agree, Mcp-Name in Base64", alice, taskReq("tasks/get", id, true), headers("tasks/get", "=?base64?"+base64.StdEncoding.EncodeToString([]byte(id))+"?="), 0},
	} {
		got, ok := send(tt.ctx, tt.msg, tt.hdr)
		if !ok {
			t.Errorf("%s: not answered", tt.name)
			continue
		}
		e, _ := got["error"].(map[string]any)
		if tt.code == 0 && (e != nil || got["result"] == nil) || tt.code != 0 && (e == nil || e["code"] != tt.code) {
			t.Errorf("%s: %v; want code %v", tt.name, got, tt.code)
		}
		if tt.code == -32021 && !strings.Contains(jsonText(e["data"]), TasksExtensionID) {
			t.Errorf("%s: data %v; want the required extension named", tt.name, e["data"])
		}
	}
	// 2025-11-25 task requests stay mcp-go's.
	if _, ok := send(alice, `{"jsonrpc":"2.0","id":7,"method":"tasks/get","params":{"taskId":"`+id+`"}}`, nil); ok {
		t.Error("a 2025-11-25 tasks/get was answered by the extension")
	}

	// server/discover advertises the extension.
	b, _ := json.Marshal(s.HandleMessage(alice, json.RawMessage(`{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{`+modernMeta(false)+`}}`)))
	if !strings.Contains(string(b), `"extensions":{"`+TasksExtensionID+`":{}}`) {
		t.Errorf("server/discover: %s; want the extension in capabilities", b)
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestTasksExtensionHTTP checks the HTTP wrapper: the extension's requests
// are answered with 2026-07-28's statuses (400 for the request's own
// faults), everything else reaches mcp-go untouched.
func TestTasksExtensionHTTP(t *testing.T) {
	tasks := NewTasks()
	NewServer(Options{Tools: allTools(t), Tasks: tasks})
	var passed []string
	h := tasks.httpHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		passed = append(passed, string(b))
		w.WriteHeader(http.StatusTeapot)
	}))
	hdr := func(method, name string) http.Header {
		return http.Header{"Mcp-Method": {method}, "Mcp-Name": {name}, "Mcp-Protocol-Version": {"2026-07-28"}, "Content-Type": {"application/json"}}
	}
	for _, tt := range []struct {
		name, body string
		hdr        http.Header
		status     int
		code       float64 // 0: passed on to mcp-go
	}{
		{"unknown task", `{"jsonrpc":"2.0","id":"x","method":"tasks/get","params":{"taskId":"nope",` + modernMeta(true) + `}}`, hdr("tasks/get", "nope"), http.StatusBadRequest, -32602},
		{"extension not declared", `{"jsonrpc":"2.0","id":"x","method":"tasks/cancel","params":{"taskId":"nope",` + modernMeta(false) + `}}`, hdr("tasks/cancel", "nope"), http.StatusBadRequest, -32021},
		{"tools/list", `{"jsonrpc":"2.0","id":"x","method":"tools/list","params":{` + modernMeta(true) + `}}`, hdr("tools/list", ""), http.StatusTeapot, 0},
		{"2025-11-25 tasks/get", `{"jsonrpc":"2.0","id":"x","method":"tasks/get","params":{"taskId":"nope"}}`, http.Header{}, http.StatusTeapot, 0},
		// mcp-go refuses a body that is not application/json (400), and a
		// 2026-07-28 request asking to resume a stream (-32020).
		{"not application/json", `{"jsonrpc":"2.0","id":"x","method":"tasks/get","params":{"taskId":"nope",` + modernMeta(true) + `}}`, func() http.Header {
			h := hdr("tasks/get", "nope")
			h.Set("Content-Type", "text/plain")
			return h
		}(), http.StatusTeapot, 0},
		{"no Content-Type", `{"jsonrpc":"2.0","id":"x","method":"tasks/get","params":{"taskId":"nope",` + modernMeta(true) + `}}`, func() http.Header {
			h := hdr("tasks/get", "nope")
			h.Del("Content-Type")
			return h
		}(), http.StatusTeapot, 0},
		{"application/json with charset", `{"jsonrpc":"2.0","id":"x","method":"tasks/get","params":{"taskId":"nope",` + modernMeta(true) + `}}`, func() http.Header {
			h := hdr("tasks/get", "nope")
			h.Set("Content-Type", "application/json; charset=utf-8")
			return h
		}(), http.StatusBadRequest, -32602},
		{"Last-Event-ID", `{"jsonrpc":"2.0","id":"x","method":"tasks/get","params":{"taskId":"nope",` + modernMeta(true) + `}}`, func() http.Header {
			h := hdr("tasks/get", "nope")
			h.Set("Last-Event-ID", "3")
			return h
		}(), http.StatusBadRequest, -32020},
	} {
		passed = nil
		req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(tt.body))
		req.Header = tt.hdr
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.status {
			t.Errorf("%s: status %d; want %d (%s)", tt.name, rec.Code, tt.status, rec.Body)
		}
		if tt.code == 0 {
			if len(passed) != 1 || passed[0] != tt.body {
				t.Errorf("%s: mcp-go got %q; want the request as sent", tt.name, passed)
			}
			continue
		}
		var resp struct {
			ID    string `json:"id"`
			Error struct {
				Code float64 `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || resp.ID != "x" || resp.Error.Code != tt.code || len(passed) != 0 {
			t.Errorf("%s: %s (passed on: %d); want error %v for id x", tt.name, rec.Body, len(passed), tt.code)
		}
	}
}

// TestTasksPerOwner holds one caller's running tasks to the per-user bound:
// past it their calls are served without a task, while another caller still
// gets tasks; a task that ends frees its slot.
func TestTasksPerOwner(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release // the Bulk job is slow to create until the test says
		http.Error(w, `[{"errorCode":"UNAVAILABLE","message":"down"}]`, http.StatusServiceUnavailable)
	}))
	defer up.Close()
	clientFor := func(user string) context.Context {
		c, err := salesforce.New(salesforce.Config{
			HTTPClient: salesforce.NewHTTPClient(),
			Tokens:     salesforce.NewTokenSource(salesforce.TokenSourceConfig{Token: salesforce.Token{AccessToken: "x", InstanceURL: up.URL}}),
			APIVersion: "62.0", OrgID: "00D000000000001", UserID: user,
		})
		if err != nil {
			t.Fatal(err)
		}
		return context.WithValue(context.Background(), clientKey{}, c)
	}
	alice, bob := clientFor("005ALICE"), clientFor("005BOB")
	tasks := NewTasks()
	NewServer(Options{Tools: allTools(t), Tasks: tasks, Client: func(ctx context.Context) (*salesforce.Client, error) {
		return ctx.Value(clientKey{}).(*salesforce.Client), nil
	}})
	tasks.limitPerOwner(2)
	tasks.limitPerOwner(0) // no limit set: the bound stays
	call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"salesforce_bulk_query","arguments":{"sobject":"Account","soql":"SELECT Id FROM Account"},` + modernMeta(true) + `}}`
	var made []bool
	for _, ctx := range []context.Context{alice, alice, alice, bob} {
		_, ok := tasks.handle(ctx, []byte(call), nil)
		made = append(made, ok)
	}
	if !slices.Equal(made, []bool{true, true, false, true}) {
		t.Errorf("tasks made for alice, alice, alice, bob: %v; want alice's third served without a task", made)
	}
	free()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tasks.mu.Lock()
		running := tasks.running
		tasks.mu.Unlock()
		if running == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d tasks still running", running)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, ok := tasks.handle(alice, []byte(call), nil); !ok {
		t.Error("after alice's tasks ended: no task made")
	}
}

// TestModernRequestsGetNoLegacyTasks checks what 2026-07-28 requests get of
// the 2025-11-25 task surface that mcp-go serves: a params.task hint does
// not make a task (the answer is the tool's own result), and tasks/list and
// tasks/result are the removed methods' -32601.
func TestModernRequestsGetNoLegacyTasks(t *testing.T) {
	s := NewServer(Options{Tools: allTools(t)}) // no Tasks: every message reaches mcp-go
	call := func(msg string) map[string]any {
		b, _ := json.Marshal(s.HandleMessage(context.Background(), json.RawMessage(msg)))
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return m
	}
	res := call(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"salesforce_bulk_query","arguments":{"sobject":"Account","soql":"SELECT Id FROM Account"},"task":{"ttl":1000},` + modernMeta(true) + `}}`)
	r, _ := res["result"].(map[string]any)
	if r == nil || r["task"] != nil || r["content"] == nil || r["resultType"] != "complete" {
		t.Errorf("2026-07-28 tools/call with a task hint: %v; want the tool's own result", res)
	}
	for _, method := range []string{"tasks/list", "tasks/result"} {
		res := call(`{"jsonrpc":"2.0","id":2,"method":"` + method + `","params":{"taskId":"x",` + modernMeta(true) + `}}`)
		if e, _ := res["error"].(map[string]any); e == nil || e["code"] != float64(-32601) {
			t.Errorf("2026-07-28 %s: %v; want -32601", method, res)
		}
	}
	// 2025-11-25 keeps them: a task, and tasks/list refused.
	res = call(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"salesforce_bulk_query","arguments":{"sobject":"Account","soql":"SELECT Id FROM Account"},"task":{}}}`)
	if r, _ := res["result"].(map[string]any); r == nil || r["task"] == nil {
		t.Errorf("2025-11-25 tools/call with params.task: %v; want a task", res)
	}
	if res := call(`{"jsonrpc":"2.0","id":4,"method":"tasks/list","params":{}}`); res["error"] == nil {
		t.Errorf("2025-11-25 tasks/list: %v; want it refused", res)
	}
}

// TestTaskStatusShowsProgress: while a bulk load task works, tasks/get's
// statusMessage says how far it has come (the ops progress reports), also
// when the call asked for progress notifications too; the ended task's
// message is the result's summary line.
func TestTaskStatusShowsProgress(t *testing.T) {
	em := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	// Every GET (the job's state polls among them) is slow, so the task is
	// seen between its upload and its end.
	em.AddFault(t, emulator.Fault{PathPrefix: "/services/data/", Method: http.MethodGet, LatencyMS: 300})
	sf := emulatorClient(t, em)
	tasks := NewTasks()
	NewServer(Options{Tools: allTools(t), Tasks: tasks, Client: func(context.Context) (*salesforce.Client, error) { return sf, nil }})
	records, _ := json.Marshal([]map[string]any{{"Name": "A"}, {"Name": "B"}, {"Name": "C"}})
	resp, ok := tasks.handle(context.Background(), []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"salesforce_bulk_insert","arguments":{"sobject":"Account","records":`+string(records)+`},`+strings.Replace(modernMeta(true), `"_meta":{`, `"_meta":{"progressToken":"p1",`, 1)+`}}`), nil)
	var created struct {
		Result struct {
			TaskID string `json:"taskId"`
		} `json:"result"`
	}
	if !ok || json.Unmarshal(resp, &created) != nil || created.Result.TaskID == "" {
		t.Fatalf("no task: %s", resp)
	}
	var working []string
	var final taskResult
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		v, ok := tasks.get(context.Background(), created.Result.TaskID)
		if !ok {
			t.Fatal("task not found")
		}
		if v.Status != "working" {
			final = v
			break
		}
		if len(working) == 0 || working[len(working)-1] != v.StatusMessage {
			working = append(working, v.StatusMessage)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !slices.ContainsFunc(working, func(m string) bool { return strings.Contains(m, "uploaded 3 rows as job") }) {
		t.Errorf("working status messages %q; want the upload reported", working)
	}
	if final.Status != "completed" || !strings.HasPrefix(final.StatusMessage, "ok: ") || !strings.Contains(final.StatusMessage, "processed=3") {
		t.Errorf("ended task: %s %q; want completed with the result's summary", final.Status, final.StatusMessage)
	}
}

// TestTasksExtensionRecovers: a fault while deciding about a call does not
// take the transport down; the message goes on to mcp-go.
func TestTasksExtensionRecovers(t *testing.T) {
	tasks := NewTasks()
	NewServer(Options{Tools: allTools(t), Tasks: tasks})
	tasks.eligible["salesforce_bulk_query"] = func(mcp.CallToolRequest) bool { panic("boom") }
	resp, ok := tasks.handle(context.Background(), []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"salesforce_bulk_query","arguments":{},`+modernMeta(true)+`}}`), nil)
	if ok || resp != nil {
		t.Errorf("after a panic: %s, %v; want the message passed on", resp, ok)
	}
}

// TestTasksStoredBytes: past the bytes ended tasks may keep, calls are
// served without a task until those tasks expire (their TTL), which frees
// the bytes.
func TestTasksStoredBytes(t *testing.T) {
	now := time.Now()
	tasks := NewTasks()
	tasks.now = func() time.Time { return now }
	tasks.maxBytes = 100                                 // less than one result
	NewServer(Options{Tools: allTools(t), Tasks: tasks}) // no login: every call ends with an error result
	call := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"salesforce_bulk_query","arguments":{"sobject":"Account","soql":"SELECT Id FROM Account"},` + modernMeta(true) + `}}`)
	ended := func() {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			tasks.mu.Lock()
			running := tasks.running
			tasks.mu.Unlock()
			if running == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the task did not end")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if _, ok := tasks.handle(context.Background(), call, nil); !ok {
		t.Fatal("first call: no task")
	}
	ended()
	if _, ok := tasks.handle(context.Background(), call, nil); ok {
		t.Errorf("with %d bytes kept (bound %d): a task made; want the call served without one", tasks.stored, tasks.maxBytes)
	}
	now = now.Add(2 * time.Hour) // past the TTL: the ended task is forgotten
	if _, ok := tasks.handle(context.Background(), call, nil); !ok {
		t.Errorf("after the first task expired (%d bytes kept): no task", tasks.stored)
	}
	ended()
}

// TestTasksExtensionIDs: only requests (a string or number id) start a task
// or get an answer, and the answer carries the id exactly as it was written.
// A null id is a notification to mcp-go: nothing may run for it.
func TestTasksExtensionIDs(t *testing.T) {
	tasks := NewTasks()
	NewServer(Options{Tools: allTools(t), Tasks: tasks})
	call := func(id string) string {
		return `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"salesforce_bulk_query","arguments":{"sobject":"Account","soql":"SELECT Id FROM Account"},` + modernMeta(true) + `}}`
	}
	get := func(id string) string {
		return `{"jsonrpc":"2.0","id":` + id + `,"method":"tasks/get","params":{"taskId":"nope",` + modernMeta(true) + `}}`
	}
	for _, tt := range []struct {
		name, msg string
		answered  bool
		id        string // the id the answer must carry, byte for byte
	}{
		{"tools/call, string id", call(`"a\u0062"`), true, `"a\u0062"`},
		{"tools/call, number id", call(`1.0e0`), true, `1.0e0`},
		{"tools/call, null id", call(`null`), false, ""},
		{"tools/call, object id", call(`{"a":1}`), false, ""},
		{"tools/call, array id", call(`[1]`), false, ""},
		{"tools/call, boolean id", call(`true`), false, ""},
		{"tasks/get, null id", get(`null`), false, ""},
		{"tasks/get, string id", get(` "x" `), true, `"x"`},
	} {
		resp, ok := tasks.handle(context.Background(), []byte(tt.msg), nil)
		if ok != tt.answered {
			t.Errorf("%s: answered %v (%s); want %v", tt.name, ok, resp, tt.answered)
			continue
		}
		if ok && !strings.HasPrefix(string(resp), `{"jsonrpc":"2.0","id":`+tt.id+`,`) {
			t.Errorf("%s: %s; want id %s as written", tt.name, resp, tt.id)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		tasks.mu.Lock()
		running, kept := tasks.running, len(tasks.tasks)
		tasks.mu.Unlock()
		if running == 0 {
			if kept != 2 {
				t.Errorf("%d tasks kept; want the 2 of the two requests", kept)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d tasks still running", running)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestTasksExtensionMemberNames: a message whose protocol member names are
// spelled otherwise than defined ("Method", "params.taskid"), or repeated,
// is refused by mcp-go (-32600); the extension leaves it to that refusal
// rather than making a task of it or answering it.
func TestTasksExtensionMemberNames(t *testing.T) {
	tasks := NewTasks()
	s := NewServer(Options{Tools: allTools(t), Tasks: tasks})
	const args = `"arguments":{"sobject":"Account","soql":"SELECT Id FROM Account"}`
	call := func(envelope, params string) string {
		return `{"jsonrpc":"2.0","id":1,"method":"tools/call"` + envelope + `,"params":{"name":"salesforce_bulk_query",` + params + modernMeta(true) + `}}`
	}
	get := func(params string) string {
		return `{"jsonrpc":"2.0","id":1,"method":"tasks/get","params":{` + params + modernMeta(true) + `}}`
	}
	for _, tt := range []struct {
		name, msg string
		refused   bool // by mcp-go, and so not the extension's
	}{
		{"as defined", call(``, args+`,`), false},
		{"an escaped name", `{"jsonrpc":"2.0","id":1,"meth\u006fd":"tools/call","params":{"name":"salesforce_bulk_query",` + args + `,` + modernMeta(true) + `}}`, false},
		{"Method besides method", call(`,"Method":"tools/call"`, args+`,`), true},
		{"METHOD alone", strings.Replace(call(``, args+`,`), `"method"`, `"METHOD"`, 1), true},
		{"method twice", call(`,"method":"tools/call"`, args+`,`), true},
		{"params.Name", call(``, `"Name":"salesforce_bulk_query",`+args+`,`), true},
		{"params.Arguments", call(``, strings.Replace(args, `"arguments"`, `"Arguments"`, 1)+`,`), true},
		{"params.name twice", call(``, `"name":"salesforce_bulk_query",`+args+`,`), true},
		{"paramſ (Unicode folding)", strings.Replace(call(``, args+`,`), `"params"`, `"paramſ"`, 1), true},
		{"tasks/get as defined", get(`"taskId":"nope",`), false},
		{"tasks/get, params.taskid", get(`"taskid":"nope",`), true},
		{"tasks/get, params.taskId twice", get(`"taskId":"nope","taskId":"nope",`), true},
	} {
		b, _ := json.Marshal(s.HandleMessage(context.Background(), json.RawMessage(tt.msg)))
		var direct struct {
			Error *struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.Unmarshal(b, &direct)
		// (mcp-go's tasks/get of an unknown task is a -32600 too, about the task.)
		if got := direct.Error != nil && direct.Error.Code == mcp.INVALID_REQUEST && strings.Contains(direct.Error.Message, "member"); got != tt.refused {
			t.Errorf("%s: mcp-go answers %s; want refused %v", tt.name, b, tt.refused)
		}
		resp, ok := tasks.handle(context.Background(), []byte(tt.msg), nil)
		if ok == tt.refused {
			t.Errorf("%s: extension answered %v (%s); want %v", tt.name, ok, resp, !tt.refused)
		}
	}
}

// TestTasksExtensionRunRecovers: a panic while a task runs, outside the
// tool's handler (here a hook of the server), fails that task with an
// internal error and frees its slot; it does not end the process.
func TestTasksExtensionRunRecovers(t *testing.T) {
	tasks := NewTasks()
	NewServer(Options{Tools: allTools(t), Tasks: tasks})
	hooks := &server.Hooks{}
	hooks.AddBeforeAny(func(context.Context, any, mcp.MCPMethod, any) { panic("boom") })
	tasks.srv = server.NewMCPServer("panics", "1", server.WithHooks(hooks), server.WithToolCapabilities(false))
	call := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"salesforce_bulk_query","arguments":{"sobject":"Account","soql":"SELECT Id FROM Account"},` + modernMeta(true) + `}}`)
	if _, ok := tasks.handle(context.Background(), call, nil); !ok {
		t.Fatal("no task made")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		tasks.mu.Lock()
		running := tasks.running
		var task *extTask
		for _, v := range tasks.tasks {
			task = v
		}
		status, rpcErr := task.status, string(task.rpcError)
		tasks.mu.Unlock()
		if running == 0 {
			if status != "failed" || !strings.Contains(rpcErr, "-32603") {
				t.Errorf("task %s %s; want failed with an internal error", status, rpcErr)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the task did not end")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
