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

// TestUserRateLimit: past a user's burst the server answers 429 with
// Retry-After, and another user is unaffected. The rate is one request per
// 100 s so that no refill can happen during the test, however slow the
// machine; TestUserLimiterRefills checks the refill with a clock.
func TestUserRateLimit(t *testing.T) {
	em := emulatortest.New(t)
	other := emulatortest.New(t) // bob is a user of another org
	alice := em.Token.AccessToken
	srv := startHTTP(t, HTTPOptions{Mode: AuthBearer, LoginURL: em.URL, Instances: InstancePolicy{Allowed: []string{hostOf(em.URL), hostOf(other.URL)}},
		Limits: UserLimits{RequestsPerSecond: 0.01, Burst: 2}})
	bob := bearer(other.Token.AccessToken)
	bob["X-Salesforce-Instance-URL"] = other.URL
	for i := range 2 {
		if r := srv.post(t, bearer(alice), toolsList); r.status != 200 {
			t.Fatalf("request %d within the burst: %d %s", i, r.status, r.body)
		}
	}
	r := srv.post(t, bearer(alice), toolsList)
	if r.status != 429 {
		t.Fatalf("third request: %d %.200s", r.status, r.body)
	}
	if secs, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || secs < 50 || secs > 100 {
		t.Errorf("Retry-After = %q, want the ~100 s until the next token", r.header.Get("Retry-After"))
	}
	if !strings.Contains(string(r.body), "too many requests from this user") {
		t.Errorf("429 body: %s", r.body)
	}
	if r := srv.post(t, bob, toolsList); r.status != 200 {
		t.Errorf("another user was limited too: %d", r.status)
	}
}

// TestUserLimiterRefills: the bucket refills at the rate, up to the burst.
func TestUserLimiterRefills(t *testing.T) {
	now := time.Unix(1000, 0)
	u := newUserLimiter(UserLimits{RequestsPerSecond: 2, Burst: 2}, nil)
	u.now = func() time.Time { return now }
	take := func() (time.Duration, string) {
		d, which := u.acquire("alice")
		if which == "" {
			u.release("alice")
		}
		return d, which
	}
	for i := range 2 {
		if _, which := take(); which != "" {
			t.Fatalf("request %d within the burst refused (%s)", i, which)
		}
	}
	if d, which := take(); which != "rate" || d != 500*time.Millisecond {
		t.Fatalf("past the burst: %v %q, want rate and 500ms", d, which)
	}
	now = now.Add(500 * time.Millisecond)
	if _, which := take(); which != "" {
		t.Fatalf("after half a second (one token): refused (%s)", which)
	}
	if _, which := take(); which != "rate" {
		t.Fatal("the bucket gave more than it had")
	}
	now = now.Add(time.Hour)
	for i := range 3 {
		_, which := take()
		if (which == "") != (i < 2) {
			t.Fatalf("after an hour, request %d: %q (the burst caps the bucket at 2)", i, which)
		}
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
	em.AddFault(t, emulator.Fault{PathPrefix: "/services/data/", LatencyMS: 4000, Times: 1})
	var wg sync.WaitGroup
	var slow rpcReply
	wg.Add(1)
	go func() {
		defer wg.Done()
		slow = srv.post(t, bearer(tok), toolCall("salesforce_query", map[string]any{"soql": "SELECT Id FROM Account LIMIT 1"}))
	}()
	time.Sleep(1500 * time.Millisecond) // the slow call is in flight by then, even on a loaded machine
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
