package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth/store/redistest"
)

// concurrentSyncs is how many syncs of one new email race in each front.
const concurrentSyncs = 50

// leadsEver counts the org's leads with email, deleted ones included (queryAll):
// a lead created and then removed as a duplicate still counts.
func leadsEver(t *testing.T, em *emulatortest.Server, email string) int {
	t.Helper()
	q := "SELECT Id, IsDeleted FROM Lead WHERE Email = '" + email + "'"
	status, body := em.Do(t, "GET", "/services/data/v62.0/queryAll?q="+strings.ReplaceAll(strings.ReplaceAll(q, " ", "+"), "'", "%27"), nil)
	if status != 200 {
		t.Fatalf("queryAll: %d %s", status, body)
	}
	var res struct{ TotalSize int }
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	return res.TotalSize
}

// TestLeadSyncConcurrentCLIProcesses runs 50 `sfmcp lead sync` processes for
// one new email at once: they serialize on a lock file before creating, so
// exactly one lead is ever created (none created and then deleted).
func TestLeadSyncConcurrentCLIProcesses(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := orgEnv(t, em)
	var wg sync.WaitGroup
	results := make([]result, concurrentSyncs)
	for i := range concurrentSyncs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = run(t, env, "", "lead", "sync", "--email", "cli.race@example.com", "--last-name", fmt.Sprint("Race ", i), "--json")
		}()
	}
	wg.Wait()
	created := 0
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("sync %d: exit %d\n%s", i, r.code, r.err)
		}
		if strings.Contains(r.out, `"duplicate_removed"`) {
			t.Errorf("sync %d removed a duplicate it created: %s", i, r.out)
		}
		if strings.Contains(r.out, `"action":"created"`) || strings.Contains(r.out, `"action": "created"`) {
			created++
		}
	}
	if n := leadsEver(t, em, "cli.race@example.com"); n != 1 || created != 1 {
		t.Fatalf("%d leads ever (queryAll), %d syncs said created; want 1 and 1", n, created)
	}
}

// mcpHTTPClient connects an MCP client to an HTTP server in bearer mode.
func mcpHTTPClient(t *testing.T, base, token string) *client.Client {
	t.Helper()
	c, err := client.NewStreamableHttpClient(base+"/mcp", transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "sfmcp-e2e", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLeadSyncConcurrentServers sends 50 concurrent salesforce_sync_lead
// calls for one new email through one HTTP server (an in-process lock), and
// through two replicas sharing a real redis-server (a Redis lock).
func TestLeadSyncConcurrentServers(t *testing.T) {
	t.Parallel()
	for _, replicas := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d replicas", replicas), func(t *testing.T) {
			t.Parallel()
			em := emulatortest.New(t)
			env := append(baseEnv(t), "OAUTH_MODE=bearer", "SALESFORCE_INSTANCE_URL="+em.URL, "SFMCP_ALLOWED_INSTANCE_HOSTS="+emulatorHost(em))
			if replicas > 1 {
				env = append(env, "REDIS_URL="+redistest.Start(t).URL)
			}
			var clients []*client.Client
			for range replicas {
				clients = append(clients, mcpHTTPClient(t, startServeHTTP(t, env), em.Token.AccessToken))
			}
			email := fmt.Sprintf("srv%d.race@example.com", replicas)
			var wg sync.WaitGroup
			outs := make([]map[string]any, concurrentSyncs)
			errs := make([]error, concurrentSyncs)
			for i := range concurrentSyncs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					req := mcp.CallToolRequest{}
					req.Params.Name = "salesforce_sync_lead"
					req.Params.Arguments = map[string]any{"email": email, "last_name": fmt.Sprint("Race ", i)}
					res, err := clients[i%replicas].CallTool(context.Background(), req)
					if err == nil && res.IsError {
						err = fmt.Errorf("tool error: %+v", res.Content)
					}
					if err == nil {
						raw, _ := json.Marshal(res.StructuredContent)
						err = json.Unmarshal(raw, &outs[i])
					}
					errs[i] = err
				}()
			}
			wg.Wait()
			created := 0
			for i := range concurrentSyncs {
				if errs[i] != nil {
					t.Fatalf("sync %d: %v", i, errs[i])
				}
				if outs[i]["duplicate_removed"] != nil {
					t.Errorf("sync %d removed a duplicate it created: %v", i, outs[i])
				}
				if outs[i]["action"] == "created" {
					created++
				}
			}
			if n := leadsEver(t, em, email); n != 1 || created != 1 {
				t.Fatalf("%d leads ever (queryAll), %d calls said created; want 1 and 1", n, created)
			}
		})
	}
}
