package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// exttasksDir holds the npm project pinning the clients of the MCP
// 2026-07-28 Tasks extension (@modelcontextprotocol/client 2.4.0 and
// @modelcontextprotocol/ext-tasks 0.2.2).
var exttasksDir, _ = filepath.Abs("exttasks")

var exttasksNpm npmInstall

// exttasksStep is a step of exttasks/exttasks.mjs's plan.
type exttasksStep struct {
	Op     string         `json:"op"`
	Name   string         `json:"name,omitempty"`
	Args   map[string]any `json:"args,omitempty"`
	TaskID string         `json:"taskId,omitempty"`
	Answer string         `json:"answer,omitempty"`
	// Reference is a task handed off by another client process ("resume").
	Reference json.RawMessage `json:"reference,omitempty"`
}

type exttasksRun struct {
	ProtocolEra        string         `json:"protocolEra"`
	ServerCapabilities map[string]any `json:"serverCapabilities"`
	Steps              []struct {
		Op         string       `json:"op"`
		Kind       string       `json:"kind"`
		TaskID     string       `json:"taskId"`
		Outcome    string       `json:"outcome"`
		LastStatus string       `json:"lastStatus"`
		Result     *toolOutcome `json:"result"`
		Error      *struct {
			Message string   `json:"message"`
			Code    *float64 `json:"code"`
		} `json:"error"`
		Created       string          `json:"created"`
		Statuses      []string        `json:"statuses"`
		Final         string          `json:"final"`
		StatusMessage string          `json:"statusMessage"`
		Status        string          `json:"status"`
		Reference     json.RawMessage `json:"reference"`
		Asked         []struct {
			Kind, Message, Scope string
		} `json:"asked"`
	} `json:"steps"`
}

// runExtTasks runs exttasks/exttasks.mjs with plan against a server.
func runExtTasks(t *testing.T, env []string, plan []exttasksStep, args ...string) exttasksRun {
	t.Helper()
	node := nodeFor(t, false)
	exttasksNpm.ensure(t, exttasksDir, "@modelcontextprotocol", "ext-tasks")
	in, _ := json.Marshal(plan)
	planFile := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(planFile, in, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{filepath.Join(exttasksDir, "exttasks.mjs")}, args...)...)
	cmd.Env = append(env, "EXTTASKS_PLAN="+planFile)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("exttasks.mjs %v: %v\nstderr: %s", args, err, errOut.String())
	}
	var run exttasksRun
	if err := json.Unmarshal(out.Bytes(), &run); err != nil {
		t.Fatalf("exttasks.mjs output: %v\n%s\nstderr: %s", err, out.String(), errOut.String())
	}
	if len(run.Steps) != len(plan) {
		t.Fatalf("exttasks.mjs ran %d steps of %d", len(run.Steps), len(plan))
	}
	if run.ProtocolEra != "modern" {
		t.Fatalf("exttasks.mjs connected in the %q era; want modern (2026-07-28)", run.ProtocolEra)
	}
	return run
}

// accountIDs are the ids of up to n of the org's accounts.
func accountIDs(t *testing.T, em *emulatortest.Server, n int) []string {
	t.Helper()
	q := url.QueryEscape(fmt.Sprintf("SELECT Id FROM Account ORDER BY Name LIMIT %d", n))
	status, body := em.Do(t, http.MethodGet, "/services/data/v62.0/query?q="+q, nil)
	var res struct{ Records []struct{ ID string } }
	if err := json.Unmarshal(body, &res); status != http.StatusOK || err != nil {
		t.Fatalf("accounts: %d %s", status, body)
	}
	ids := make([]string, len(res.Records))
	for i, r := range res.Records {
		ids[i] = r.ID
	}
	return ids
}

// otherUserToken is a session of an org user other than the admin, whose
// session em.Token is.
func otherUserToken(t *testing.T, em *emulatortest.Server) string {
	t.Helper()
	q := url.QueryEscape(fmt.Sprintf("SELECT Id FROM User WHERE Id != '%s' LIMIT 1", em.Org().AdminUserID()))
	status, body := em.Do(t, http.MethodGet, "/services/data/v62.0/query?q="+q, nil)
	var res struct{ Records []struct{ ID string } }
	if err := json.Unmarshal(body, &res); status != http.StatusOK || err != nil || len(res.Records) == 0 {
		t.Fatalf("another user: %d %s", status, body)
	}
	tok, err := em.IssueTokenFor(context.Background(), emulatortest.ClientID, res.Records[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

// TestMCPTasksExtension runs bulk loads as tasks of the MCP 2026-07-28 Tasks
// extension (io.modelcontextprotocol/tasks), over stdio and HTTP, with the
// extension's own requester library on the TypeScript SDK v2 client: the
// server answers tools/call with a task, tasks/get carries the tool's result
// (50 rows processed); a bulk delete asks its user on the call first (the
// multi round-trip) and only a yes makes it a task; a task cancelled with
// tasks/cancel while its Bulk job is open ends cancelled, its job Aborted at
// the emulator; an unknown task id is the extension's -32602; and over HTTP
// another user can neither read, cancel nor resume the task, while a second
// process of its owner resumes one the first handed off.
func TestMCPTasksExtension(t *testing.T) {
	t.Parallel()
	for _, transport := range []string{"stdio", "http"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			em := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
			clientAs := func(token string) func([]exttasksStep, ...string) exttasksRun {
				return func(plan []exttasksStep, extraEnv ...string) exttasksRun {
					return runExtTasks(t, append(orgEnv(t, em), extraEnv...), plan, "stdio", binary, "serve", "--transport", "stdio")
				}
			}
			if transport == "http" {
				env := append(baseEnv(t), "OAUTH_MODE=bearer", "SALESFORCE_INSTANCE_URL="+em.URL, "SFMCP_ALLOWED_INSTANCE_HOSTS="+emulatorHost(em))
				base := startServeHTTP(t, env)
				clientAs = func(token string) func([]exttasksStep, ...string) exttasksRun {
					headers, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + token})
					return func(plan []exttasksStep, extraEnv ...string) exttasksRun {
						return runExtTasks(t, append(append(baseEnv(t), "MCP_HEADERS="+string(headers)), extraEnv...), plan, "http", base+"/mcp")
					}
				}
			}
			client := clientAs(em.Token.AccessToken)

			run := client([]exttasksStep{
				{Op: "task", Name: "salesforce_bulk_insert", Args: map[string]any{"sobject": "Account", "records": accounts(50)}},
				{Op: "get", TaskID: "no-such-task"},
			})
			ext, _ := run.ServerCapabilities["extensions"].(map[string]any)
			if _, ok := ext["io.modelcontextprotocol/tasks"]; !ok {
				t.Errorf("server capabilities %v; want extensions[io.modelcontextprotocol/tasks]", run.ServerCapabilities)
			}
			done := run.Steps[0]
			if done.Error != nil || done.Kind != "task" || done.TaskID == "" || done.Outcome != "completed" || done.LastStatus != "completed" {
				t.Fatalf("task: %+v (error %+v); want a task that completed", done, done.Error)
			}
			if r := done.Result; r == nil || r.IsError || r.Structured["processed"] != float64(50) || r.Structured["state"] != "JobComplete" {
				t.Errorf("task result %+v; want the bulk insert's result, 50 rows processed", done.Result)
			}
			if e := run.Steps[1].Error; e == nil || e.Code == nil || *e.Code != -32602 {
				t.Errorf("tasks/get of an unknown task: %+v; want error -32602", run.Steps[1])
			}

			if transport == "http" {
				// Another user of the org learns nothing of the task and
				// cannot cancel it; its owner still reads it, completed.
				other := clientAs(otherUserToken(t, em))([]exttasksStep{{Op: "get", TaskID: done.TaskID}, {Op: "cancelId", TaskID: done.TaskID}})
				for _, s := range other.Steps {
					if s.Error == nil || s.Error.Code == nil || *s.Error.Code != -32602 {
						t.Errorf("another user's %s of the task: %+v; want error -32602 (task not found)", s.Op, s)
					}
				}
				again := client([]exttasksStep{{Op: "get", TaskID: done.TaskID}})
				if again.Steps[0].Status != "completed" {
					t.Errorf("the owner's tasks/get after the other user: %+v; want completed", again.Steps[0])
				}
			}
			// A bulk delete asks its user first, on the call itself; a no
			// changes nothing, a yes makes it a task that deletes.
			ids := accountIDs(t, em, 10)
			del := map[string]any{"sobject": "Account", "record_ids": ids}
			run = client([]exttasksStep{
				{Op: "task", Name: "salesforce_bulk_delete", Args: del, Answer: "decline"},
				{Op: "task", Name: "salesforce_bulk_delete", Args: del, Answer: "accept"},
			})
			no, yes := run.Steps[0], run.Steps[1]
			if len(no.Asked) != 1 || no.Asked[0].Kind != "elicitation" || no.Asked[0].Scope != "request" || no.Kind != "immediate" ||
				no.Result == nil || !no.Result.IsError || !strings.Contains(no.Result.Text, "DECLINED_BY_USER") {
				t.Errorf("declined bulk delete: %+v (result %+v); want one question on the call, then DECLINED_BY_USER without a task", no, no.Result)
			}
			if len(yes.Asked) != 1 || yes.Kind != "task" || yes.Outcome != "completed" || yes.Result == nil || yes.Result.IsError ||
				yes.Result.Structured["processed"] != float64(10) {
				t.Errorf("accepted bulk delete: %+v (result %+v); want one question, then a task that deletes 10", yes, yes.Result)
			}
			if left := len(accountIDs(t, em, 100)); left != 40 {
				t.Errorf("%d accounts left; want 40 (10 of 50 deleted, once)", left)
			}
			if transport == "http" {
				// A task outlives the client that made it: one process hands
				// it off, another resumes it and gets the result; another
				// user cannot resume it.
				started := client([]exttasksStep{{Op: "start", Name: "salesforce_bulk_insert", Args: map[string]any{"sobject": "Account", "records": accounts(30)}}}).Steps[0]
				if started.Error != nil || started.Kind != "task" || len(started.Reference) == 0 {
					t.Fatalf("start: %+v (error %+v); want a task handed off", started, started.Error)
				}
				stranger := clientAs(otherUserToken(t, em))([]exttasksStep{{Op: "resume", Reference: started.Reference}}).Steps[0]
				if stranger.Error == nil || stranger.Error.Code == nil || *stranger.Error.Code != -32602 {
					t.Errorf("another user resuming the task: %+v; want error -32602", stranger)
				}
				resumed := client([]exttasksStep{{Op: "resume", Reference: started.Reference}}).Steps[0]
				if resumed.Error != nil || resumed.TaskID != started.TaskID || resumed.Outcome != "completed" || resumed.Result == nil ||
					resumed.Result.Structured["processed"] != float64(30) {
					t.Errorf("resumed: %+v (result %+v); want the handed-off task's result, 30 processed", resumed, resumed.Result)
				}
			}
			before := jobStates(t, em)

			// The next load's job stays open (its closing request is slow)
			// until the cancel; the client stays until the job has ended.
			em.AddFault(t, emulator.Fault{PathPrefix: "/services/data/", Method: http.MethodPatch, LatencyMS: 5000, Times: 1})
			cancelWhen, endedWhen := filepath.Join(t.TempDir(), "job-runs"), filepath.Join(t.TempDir(), "job-ended")
			stop := make(chan struct{})
			defer close(stop)
			go signalJob(em, before, cancelWhen, endedWhen, stop)
			run = client([]exttasksStep{{Op: "cancel", Name: "salesforce_bulk_insert", Args: map[string]any{"sobject": "Account", "records": accounts(10000)}}},
				"EXTTASKS_CANCEL_WHEN="+cancelWhen, "EXTTASKS_ENDED_WHEN="+endedWhen)
			c := run.Steps[0]
			if c.Error != nil || c.Kind != "task" || c.Created != "working" || c.Final != "cancelled" {
				t.Fatalf("cancel: %+v (error %+v); want a working task that ends cancelled", c, c.Error)
			}
			var added []string
			for id, state := range jobStates(t, em) {
				if before[id] == "" {
					added = append(added, state)
				}
			}
			if !slices.Equal(added, []string{"Aborted"}) {
				t.Errorf("states of the jobs the cancelled load made: %v; want one, Aborted", added)
			}
		})
	}
}
