package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

func TestLongRunningTools(t *testing.T) {
	want := map[string]bool{"salesforce_bulk_insert": true, "salesforce_bulk_update": true, "salesforce_bulk_upsert": true,
		"salesforce_bulk_delete": true, "salesforce_bulk_query": true}
	for _, e := range ops.Catalogue() {
		if got := longRunning(e); got != want[e.Meta.Name] {
			t.Errorf("%s: longRunning %v; want %v", e.Meta.Name, got, want[e.Meta.Name])
		}
	}
}

func TestTaskOwners(t *testing.T) {
	now := time.Now()
	o := &taskOwners{m: map[string]taskOwner{}}
	o.add("t1", "org/alice", now)
	o.add("t2", "", now)
	tests := []struct {
		id, owner string
		want      bool
	}{
		{"t1", "org/alice", true},
		{"t1", "org/bob", false},
		{"t1", "", false},
		{"t2", "", true},
		{"t2", "org/alice", false},
		{"unknown", "", false},
	}
	for _, tt := range tests {
		if got := o.allowed(tt.id, tt.owner); got != tt.want {
			t.Errorf("allowed(%q, %q) = %v; want %v", tt.id, tt.owner, got, tt.want)
		}
	}
	// Owners of tasks long past their TTL are forgotten.
	o.add("t3", "org/carol", now.Add(2*time.Hour))
	if o.allowed("t1", "org/alice") || !o.allowed("t3", "org/carol") {
		t.Errorf("after two hours: %v", o.m)
	}
}

// TestTaskGuard creates a task as one user and asks for it as another, as
// stateless HTTP requests reach the server (no session; the caller's client
// in the context): the other user learns nothing and cancels nothing, and
// tasks/list is refused.
func TestTaskGuard(t *testing.T) {
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
	s := NewServer(Options{Tools: allTools(t), Client: func(ctx context.Context) (*salesforce.Client, error) {
		return ctx.Value(clientKey{}).(*salesforce.Client), nil
	}})
	call := func(ctx context.Context, msg string) map[string]any {
		b, _ := json.Marshal(s.HandleMessage(ctx, json.RawMessage(msg)))
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return m
	}
	created := call(alice, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"salesforce_bulk_query","arguments":{"sobject":"Account","soql":"SELECT Id FROM Account"},"task":{}}}`)
	task, _ := created["result"].(map[string]any)["task"].(map[string]any)
	id, _ := task["taskId"].(string)
	if id == "" {
		t.Fatalf("tools/call with a task: %v", created)
	}
	for _, tt := range []struct {
		name   string
		ctx    context.Context
		method string
		ok     bool
	}{
		{"other user polls", bob, "tasks/get", false},
		{"other user reads", bob, "tasks/result", false},
		{"other user cancels", bob, "tasks/cancel", false},
		{"owner polls", alice, "tasks/get", true},
	} {
		res := call(tt.ctx, `{"jsonrpc":"2.0","id":2,"method":"`+tt.method+`","params":{"taskId":"`+id+`"}}`)
		if _, failed := res["error"]; failed == tt.ok {
			t.Errorf("%s: %v", tt.name, res)
		}
		if !tt.ok && !strings.Contains(fmt.Sprint(res["error"]), "task not found") {
			t.Errorf("%s: %v; want 'task not found'", tt.name, res)
		}
	}
	if res := call(alice, `{"jsonrpc":"2.0","id":3,"method":"tasks/list","params":{}}`); res["error"] == nil {
		t.Errorf("tasks/list: %v; want it refused", res)
	}
}

// TestOwnerWithoutIdentity: a client with no known identity owns its tasks
// by the credential it presented (same token, same owner; another token,
// another owner), never by its address, and the owner holds no token.
func TestOwnerWithoutIdentity(t *testing.T) {
	client := func(token string) *salesforce.Client {
		c, err := salesforce.New(salesforce.Config{
			HTTPClient: http.DefaultClient,
			Tokens:     salesforce.NewTokenSource(salesforce.TokenSourceConfig{Token: salesforce.Token{AccessToken: token, InstanceURL: "https://example.my.salesforce.com"}}),
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	owner := func(c *salesforce.Client) string {
		return ownerOf(context.WithValue(context.Background(), clientKey{}, c))
	}
	a1, a2, b := owner(client("00Dtoken!aaa")), owner(client("00Dtoken!aaa")), owner(client("00Dtoken!bbb"))
	if a1 != a2 {
		t.Errorf("one token, two owners: %q, %q", a1, a2)
	}
	if a1 == b {
		t.Errorf("two tokens, one owner %q", a1)
	}
	if strings.Contains(a1, "00Dtoken") {
		t.Errorf("owner %q holds the token", a1)
	}
}
