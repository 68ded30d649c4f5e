package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// TestConcurrentLeadSyncsMakeOneLead: 50 clients sync the same new email at
// once through the HTTP server. The server's one LeadSyncer runs them one at
// a time, so exactly one call creates the lead, no call has to delete a
// duplicate, and the org ends with one lead.
func TestConcurrentLeadSyncsMakeOneLead(t *testing.T) {
	em := emulatortest.New(t)
	srv := startHTTP(t, HTTPOptions{Mode: AuthBearer, LoginURL: em.URL, Instances: InstancePolicy{Allowed: []string{hostOf(em.URL)}}})
	h := bearer(em.Token.AccessToken)
	const email = "Race.Condition@Example.com"

	var (
		mu      sync.Mutex
		actions = map[string]int{}
		leadIDs = map[string]bool{}
		removed int
	)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			// Vary the case: leads are matched, and locked, without regard to it.
			e := email
			if i%2 == 1 {
				e = strings.ToLower(email)
			}
			r := srv.post(t, h, toolCall("salesforce_sync_lead", map[string]any{"email": e, "last_name": "Racer", "company": "Races Ltd"}))
			if r.status != 200 || r.msg.Error != nil {
				t.Errorf("HTTP %d %s", r.status, r.body)
				return
			}
			var res struct {
				IsError bool           `json:"isError"`
				SC      map[string]any `json:"structuredContent"`
			}
			_ = json.Unmarshal(r.msg.Result, &res)
			mu.Lock()
			defer mu.Unlock()
			if res.IsError {
				t.Errorf("sync failed: %s", r.body)
				return
			}
			actions[res.SC["action"].(string)]++
			leadIDs[res.SC["lead_id"].(string)] = true
			if res.SC["duplicate_removed"] != nil {
				removed++
			}
		})
	}
	wg.Wait()
	if actions[ops.ActionCreated] != 1 || actions[ops.ActionUnchanged] != 49 || removed != 0 || len(leadIDs) != 1 {
		t.Errorf("actions %v, %d duplicates removed, lead ids %v; want one created and 49 unchanged of one lead", actions, removed, leadIDs)
	}
	isErr, sc := srv.post(t, h, toolCall("salesforce_list_leads", map[string]any{"email": strings.ToLower(email)})).result(t)
	if isErr || sc["count"] != 1.0 {
		t.Errorf("leads with the email: %v", sc)
	}
}

// TestLeadToolsUseTheServersSyncer: the server runs the lead tools with the
// LeadSyncer it was given (here one configured with a not-converted status
// the org lacks), not one of their own.
func TestLeadToolsUseTheServersSyncer(t *testing.T) {
	em := emulatortest.New(t)
	sf := emulatorClient(t, em)
	s := NewServer(Options{Version: "test", Tools: allTools(t), Leads: ops.NewLeadSyncer(ops.LeadSyncConfig{NotConvertedStatus: "No Such Status"}),
		Client: func(context.Context) (*salesforce.Client, error) { return sf, nil }})
	c := inProcessServer(t, s)
	sc := wantError(t, c, "salesforce_sync_lead", map[string]any{"email": "objector@example.com", "last_name": "Objector", "status": "objected"}, "ERROR", "")
	if msg, _ := sc["message"].(string); !strings.Contains(msg, "No Such Status") || !strings.Contains(msg, ops.EnvLeadNotConvertedStatus) {
		t.Errorf("message: %v", sc["message"])
	}
}

// TestOperationsSeeTheCallsCorrelationID: the id in a result is the id the
// operation saw in its context (ops.CorrelationID), so an operation's errors
// and logs name the same call.
func TestOperationsSeeTheCallsCorrelationID(t *testing.T) {
	echo := ops.Entry{
		Meta:   ops.Meta{Name: "test_echo_correlation", Title: "Echo", Description: "Fails with the correlation id it sees.", OpenWorld: true, Toolset: ops.ToolsetLimits},
		Input:  reflect.TypeFor[struct{}](),
		Output: reflect.TypeFor[struct{}](),
		Call: func(ctx context.Context, _ *salesforce.Client, _ json.RawMessage) (any, error) {
			return nil, &ops.LeadError{Err: errors.New("saw " + ops.CorrelationID(ctx)), CorrelationID: ops.CorrelationID(ctx)}
		},
	}
	tool, err := NewTool(echo)
	if err != nil {
		t.Fatal(err)
	}
	c := inProcess(t, []Tool{tool}, func(context.Context) (*salesforce.Client, error) { return &salesforce.Client{}, nil })
	for range 2 {
		sc := wantError(t, c, "test_echo_correlation", map[string]any{}, "ERROR", "")
		if id, _ := sc["correlation_id"].(string); id == "" || sc["message"] != "saw "+id {
			t.Errorf("the operation saw %v; the result says %v", sc["message"], sc["correlation_id"])
		}
	}
}
