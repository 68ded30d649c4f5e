package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// longworkStep is a step of mcpclient/longwork.mjs's plan.
type longworkStep struct {
	Op       string         `json:"op"`
	Name     string         `json:"name"`
	Args     map[string]any `json:"args"`
	Progress bool           `json:"progress,omitempty"`
}

type progressNote struct {
	Progress float64 `json:"progress"`
	Total    float64 `json:"total"`
	Message  string  `json:"message"`
	Unasked  bool    `json:"unasked"`
}

type toolOutcome struct {
	IsError    bool           `json:"isError"`
	Text       string         `json:"text"`
	Structured map[string]any `json:"structured"`
}

type longworkRun struct {
	ServerCapabilities map[string]any `json:"serverCapabilities"`
	Steps              []struct {
		Op       string         `json:"op"`
		Name     string         `json:"name"`
		Error    string         `json:"error"`
		Result   *toolOutcome   `json:"result"`
		Progress []progressNote `json:"progress"`
		Messages []struct {
			Type   string       `json:"type"`
			Status string       `json:"status"`
			TaskID string       `json:"taskId"`
			Result *toolOutcome `json:"result"`
			Error  string       `json:"error"`
		} `json:"messages"`
		Created       string   `json:"created"`
		Statuses      []string `json:"statuses"`
		Cancelled     string   `json:"cancelled"`
		Final         string   `json:"final"`
		StatusMessage string   `json:"statusMessage"`
	} `json:"steps"`
}

// runLongwork runs mcpclient/longwork.mjs with plan against a server.
func runLongwork(t *testing.T, env []string, plan []longworkStep, args ...string) longworkRun {
	t.Helper()
	node := nodeFor(t, false)
	in, _ := json.Marshal(plan)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{filepath.Join(mcpClientDir, "longwork.mjs")}, args...)...)
	// A file, not stdin: node reads a large piped plan in one go and can get EAGAIN.
	planFile := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(planFile, in, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(env, "LONGWORK_PLAN="+planFile)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("longwork.mjs %v: %v\nstderr: %s", args, err, errOut.String())
	}
	var run longworkRun
	if err := json.Unmarshal(out.Bytes(), &run); err != nil {
		t.Fatalf("longwork.mjs output: %v\n%s\nstderr: %s", err, out.String(), errOut.String())
	}
	if len(run.Steps) != len(plan) {
		t.Fatalf("longwork.mjs ran %d steps of %d", len(run.Steps), len(plan))
	}
	return run
}

func accounts(n int) []map[string]any {
	recs := make([]map[string]any, n)
	for i := range recs {
		recs[i] = map[string]any{"Name": fmt.Sprintf("Progress %04d", i)}
	}
	return recs
}

// checkProgress wants notes to be what the client asked for, moving forward,
// within total, and at least min of them.
func checkProgress(t *testing.T, what string, notes []progressNote, min int, total float64) {
	t.Helper()
	if len(notes) < min {
		t.Errorf("%s: %d progress notifications %v; want at least %d", what, len(notes), notes, min)
	}
	last := -1.0
	for _, n := range notes {
		if n.Unasked {
			t.Errorf("%s: a progress notification for no token the client gave: %+v", what, n)
		}
		if n.Progress <= last {
			t.Errorf("%s: progress went from %v to %v", what, last, n.Progress)
		}
		if n.Total != total || n.Progress > n.Total || n.Message == "" {
			t.Errorf("%s: progress %+v; want total %v, a message, and progress within it", what, n, total)
		}
		last = n.Progress
	}
}

// TestMCPProgress has the TypeScript SDK client ask for progress (onprogress
// sends a progressToken) on a bulk load and on a query that reads several
// pages, over stdio and HTTP, and checks that a call without a token gets
// no notification.
func TestMCPProgress(t *testing.T) {
	t.Parallel()
	for _, transport := range []string{"stdio", "http"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			// 500-row pages: a 2000-row query reads four of them.
			em := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true; o.PageSize = 500 })
			query := map[string]any{"soql": "SELECT Id, Name FROM Account ORDER BY Name", "max_records": 2000}
			plan := []longworkStep{
				{Op: "call", Name: "salesforce_bulk_insert", Args: map[string]any{"sobject": "Account", "records": accounts(2500)}, Progress: true},
				{Op: "call", Name: "salesforce_query", Args: query, Progress: true},
				{Op: "call", Name: "salesforce_query", Args: query},
				{Op: "call", Name: "salesforce_bulk_insert", Args: map[string]any{"sobject": "Account", "records": accounts(300)}},
			}
			var run longworkRun
			if transport == "stdio" {
				run = runLongwork(t, orgEnv(t, em), plan, "stdio", binary, "serve", "--transport", "stdio", "--toolsets", "all")
			} else {
				env := append(baseEnv(t), "OAUTH_MODE=bearer", "SALESFORCE_INSTANCE_URL="+em.URL, "SFMCP_ALLOWED_INSTANCE_HOSTS="+emulatorHost(em))
				base := startServeHTTP(t, env, "--toolsets", "all")
				headers, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + em.Token.AccessToken})
				run = runLongwork(t, append(baseEnv(t), "MCP_HEADERS="+string(headers)), plan, "http", base+"/mcp")
			}
			for i, s := range run.Steps {
				if s.Error != "" || s.Result == nil || s.Result.IsError {
					t.Fatalf("step %d %s: %s %+v", i, s.Name, s.Error, s.Result)
				}
			}
			load := run.Steps[0]
			checkProgress(t, "bulk insert", load.Progress, 2, 2500)
			if n := len(load.Progress); n > 0 && load.Progress[n-1].Progress != 2500 {
				t.Errorf("bulk insert: last progress %+v; want all 2500 rows processed", load.Progress[n-1])
			}
			// Pages 1-3 are read when the next is fetched; the fourth is the last one needed.
			q := run.Steps[1]
			checkProgress(t, "query", q.Progress, 3, 2000)
			if len(q.Progress) == 3 && (q.Progress[0].Progress != 500 || q.Progress[2].Progress != 1500) {
				t.Errorf("query progress %+v; want 500, 1000, 1500 of 2000", q.Progress)
			}
			if got := q.Result.Structured["returned"]; got != float64(2000) {
				t.Errorf("query returned %v", got)
			}
			for _, s := range run.Steps[2:] {
				if len(s.Progress) != 0 {
					t.Errorf("%s without a progress token got notifications: %+v", s.Name, s.Progress)
				}
			}
		})
	}
}

// TestMCPTasks has the TypeScript SDK client run bulk loads as tasks
// (tools/call with params.task), over stdio and HTTP: one to completion
// (tasks/get until completed, then tasks/result gives the tool's result),
// and one cancelled with tasks/cancel while its job is open, whose Bulk job
// must end Aborted at the emulator. (That a job already processing is
// aborted too is TestBulkCancelAborts in internal/ops: in the emulator a
// 10000-row job processes faster than a cancel can reliably catch it.)
func TestMCPTasks(t *testing.T) {
	t.Parallel()
	for _, transport := range []string{"stdio", "http"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			em := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
			client := func(plan []longworkStep, extraEnv ...string) longworkRun {
				return runLongwork(t, append(orgEnv(t, em), extraEnv...), plan, "stdio", binary, "serve", "--transport", "stdio")
			}
			if transport == "http" {
				env := append(baseEnv(t), "OAUTH_MODE=bearer", "SALESFORCE_INSTANCE_URL="+em.URL, "SFMCP_ALLOWED_INSTANCE_HOSTS="+emulatorHost(em))
				base := startServeHTTP(t, env)
				headers, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + em.Token.AccessToken})
				client = func(plan []longworkStep, extraEnv ...string) longworkRun {
					return runLongwork(t, append(append(baseEnv(t), "MCP_HEADERS="+string(headers)), extraEnv...), plan, "http", base+"/mcp")
				}
			}

			run := client([]longworkStep{{Op: "task", Name: "salesforce_bulk_insert", Args: map[string]any{"sobject": "Account", "records": accounts(50)}}})
			tasks, _ := run.ServerCapabilities["tasks"].(map[string]any)
			if tasks == nil || tasks["cancel"] == nil || tasks["list"] != nil {
				t.Errorf("tasks capability %v; want cancel and tools/call, no list", run.ServerCapabilities["tasks"])
			}
			done := run.Steps[0]
			if done.Error != "" || len(done.Messages) < 2 {
				t.Fatalf("task: %s %+v", done.Error, done.Messages)
			}
			first, last := done.Messages[0], done.Messages[len(done.Messages)-1]
			if first.Type != "taskCreated" || first.Status != "working" || first.TaskID == "" {
				t.Errorf("task: first message %+v; want taskCreated, working", first)
			}
			if last.Type != "result" || last.Result == nil || last.Result.IsError ||
				last.Result.Structured["processed"] != float64(50) || last.Result.Structured["state"] != "JobComplete" {
				t.Errorf("task: last message %+v; want the bulk insert's result, 50 rows processed", last)
			}
			before := jobStates(t, em)

			// The next load's job stays open (its closing request is slow)
			// until the cancel; the client stays until the job has ended.
			em.AddFault(t, emulator.Fault{PathPrefix: "/services/data/", Method: http.MethodPatch, LatencyMS: 5000, Times: 1})
			cancelWhen, endedWhen := filepath.Join(t.TempDir(), "job-runs"), filepath.Join(t.TempDir(), "job-ended")
			stop := make(chan struct{})
			defer close(stop)
			go signalJob(em, before, cancelWhen, endedWhen, stop)
			run = client([]longworkStep{{Op: "cancel", Name: "salesforce_bulk_insert", Args: map[string]any{"sobject": "Account", "records": accounts(10000)}}},
				"LONGWORK_CANCEL_WHEN="+cancelWhen, "LONGWORK_ENDED_WHEN="+endedWhen)
			c := run.Steps[0]
			if c.Error != "" || c.Created != "working" || c.Cancelled != "cancelled" || c.Final != "cancelled" {
				t.Fatalf("cancel: %+v", c)
			}
			states := jobStates(t, em)
			vals := slices.Sorted(maps.Values(states))
			if !slices.Equal(vals, []string{"Aborted", "JobComplete"}) {
				t.Errorf("job states %v; want the first JobComplete and the cancelled one Aborted", states)
			}
		})
	}
}

// signalJob creates runs once the emulator has an ingest job not in before
// that has not ended, and ended once that job has ended.
func signalJob(em *emulatortest.Server, before map[string]string, runs, ended string, stop <-chan struct{}) {
	second := ""
	for {
		select {
		case <-stop:
			return
		case <-time.After(5 * time.Millisecond):
		}
		req, _ := http.NewRequest(http.MethodGet, em.URL+"/services/data/v62.0/jobs/ingest", nil)
		req.Header.Set("Authorization", "Bearer "+em.Token.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			continue
		}
		var res struct{ Records []struct{ ID, State string } }
		_ = json.NewDecoder(resp.Body).Decode(&res)
		resp.Body.Close()
		for _, r := range res.Records {
			switch {
			case before[r.ID] != "":
			case second == "" && r.State != "JobComplete" && r.State != "Aborted" && r.State != "Failed":
				second = r.ID
				_ = os.WriteFile(runs, nil, 0o600)
			case r.ID == second && (r.State == "JobComplete" || r.State == "Aborted" || r.State == "Failed"):
				_ = os.WriteFile(ended, nil, 0o600)
				return
			}
		}
	}
}
