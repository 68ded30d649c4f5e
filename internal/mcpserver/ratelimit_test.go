package mcpserver

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// TestUserRateLimit: past a user's requests per second the server answers
// 429 with Retry-After, another user is unaffected, and the user is served
// again once the bucket refills.
func TestUserRateLimit(t *testing.T) {
	em := emulatortest.New(t)
	other := emulatortest.New(t) // bob is a user of another org
	alice := em.Token.AccessToken
	srv := startHTTP(t, HTTPOptions{Mode: AuthBearer, LoginURL: em.URL, Instances: InstancePolicy{Allowed: []string{hostOf(em.URL), hostOf(other.URL)}},
		Limits: UserLimits{RequestsPerSecond: 2, Burst: 2}})
	bob := bearer(other.Token.AccessToken)
	bob["X-Salesforce-Instance-URL"] = other.URL
	for i := range 2 {
		if r := srv.post(t, bearer(alice), toolsList); r.status != 200 {
			t.Fatalf("request %d within the burst: %d %s", i, r.status, r.body)
		}
	}
	r := srv.post(t, bearer(alice), toolsList)
	if r.status != 429 {
		t.Fatalf("third request at once: %d %s", r.status, r.body)
	}
	if secs, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || secs < 1 {
		t.Errorf("Retry-After = %q", r.header.Get("Retry-After"))
	}
	if !strings.Contains(string(r.body), "too many requests from this user") {
		t.Errorf("429 body: %s", r.body)
	}
	if r := srv.post(t, bob, toolsList); r.status != 200 {
		t.Errorf("another user was limited too: %d", r.status)
	}
	time.Sleep(600 * time.Millisecond) // 2/s refills one request in 0.5 s
	if r := srv.post(t, bearer(alice), toolsList); r.status != 200 {
		t.Errorf("after the bucket refilled: %d %s", r.status, r.body)
	}
}

// TestUserConcurrencyLimit: a user with one call running gets 429 for a
// second one at the same time; the first completes normally.
func TestUserConcurrencyLimit(t *testing.T) {
	em := emulatortest.New(t)
	srv := startHTTP(t, HTTPOptions{Mode: AuthBearer, LoginURL: em.URL, Instances: InstancePolicy{Allowed: []string{hostOf(em.URL)}},
		Limits: UserLimits{Concurrent: 1}})
	tok := em.Token.AccessToken
	// Warm the validation cache so the slow call below is slow only upstream.
	if r := srv.post(t, bearer(tok), toolsList); r.status != 200 {
		t.Fatal(r.status)
	}
	em.AddFault(t, emulator.Fault{PathPrefix: "/services/data/", LatencyMS: 800, Times: 1})
	var wg sync.WaitGroup
	var slow rpcReply
	wg.Add(1)
	go func() {
		defer wg.Done()
		slow = srv.post(t, bearer(tok), toolCall("salesforce_query", map[string]any{"soql": "SELECT Id FROM Account LIMIT 1"}))
	}()
	time.Sleep(300 * time.Millisecond)
	r := srv.post(t, bearer(tok), toolsList)
	wg.Wait()
	if r.status != 429 || r.header.Get("Retry-After") == "" || !strings.Contains(string(r.body), "already has 1 requests running") {
		t.Errorf("second request while one runs: %d %q %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	if slow.status != 200 {
		t.Errorf("the running call: %d %s", slow.status, slow.body)
	}
	if r := srv.post(t, bearer(tok), toolsList); r.status != 200 {
		t.Errorf("after the call ended: %d", r.status)
	}
}
