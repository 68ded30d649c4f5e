package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth/store/redistest"
)

// roundRobin is a load balancer at one loopback address: each request goes
// to the next backend in turn, whatever it is, as a plain L7 balancer with
// no session affinity does. A request to a backend that cannot be reached
// is answered 502 and the backend is taken out of the rotation (nginx's
// max_fails=1), so the client's retry goes to one that is up.
type roundRobin struct {
	URL      string
	backends []string
	next     atomic.Uint64
	failed   atomic.Int64 // requests answered 502
	down     []atomic.Bool

	mu     sync.Mutex
	served []servedBy
}

// servedBy is one request the balancer passed on.
type servedBy struct {
	backend int
	path    string
}

// newRoundRobin listens on port (0: any) in front of backends.
func newRoundRobin(t *testing.T, port int, backends ...string) *roundRobin {
	t.Helper()
	lb := &roundRobin{backends: backends, down: make([]atomic.Bool, len(backends))}
	targets := make([]*url.URL, len(backends))
	for i, b := range backends {
		targets[i], _ = url.Parse(b)
	}
	type pick struct{}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			i := pr.In.Context().Value(pick{}).(int)
			pr.SetURL(targets[i])
			pr.Out.Host = pr.In.Host // the public address, as BASE_URL says
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, _ error) {
			lb.down[r.Context().Value(pick{}).(int)].Store(true)
			lb.failed.Add(1)
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int((lb.next.Add(1) - 1) % uint64(len(targets)))
		for tries := 0; lb.down[i].Load() && tries < len(targets); tries++ {
			i = (i + 1) % len(targets)
		}
		lb.mu.Lock()
		lb.served = append(lb.served, servedBy{backend: i, path: r.URL.Path})
		lb.mu.Unlock()
		rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), pick{}, i)))
	})}}
	srv.Start()
	t.Cleanup(srv.Close)
	lb.URL = srv.URL
	return lb
}

// firstBackend returns the backend that served the first request for path, or -1.
func (lb *roundRobin) firstBackend(path string) int {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	for _, s := range lb.served {
		if s.path == path {
			return s.backend
		}
	}
	return -1
}

// backendsServed returns how many requests each backend served.
func (lb *roundRobin) backendsServed() []int {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	n := make([]int, len(lb.backends))
	for _, s := range lb.served {
		n[s.backend]++
	}
	return n
}

// pathCounter stands in front of an emulator and counts the requests for one path.
type pathCounter struct {
	URL string
	n   atomic.Int64
}

func newPathCounter(t *testing.T, target, path string) *pathCounter {
	t.Helper()
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	c := &pathCounter{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == path {
			c.n.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	c.URL = ts.URL
	return c
}

// TestReplicasBehindRoundRobin runs three `sfmcp serve --transport http`
// replicas behind a round-robin balancer, sharing a real Redis Cluster of
// three masters, and in a second case one redis-server:
//   - an OAuth proxy login that starts on one replica and finishes on another;
//   - a bearer token validated once at Salesforce for calls spread over all three;
//   - one replica killed with SIGKILL under load: every call the client
//     retries after a connection error (a 502 from the balancer) succeeds on
//     the next replica, and no lead write is doubled.
func TestReplicasBehindRoundRobin(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		redis func(t *testing.T) string
	}{
		{"redis cluster", func(t *testing.T) string { return redistest.StartCluster(t).URL }},
		{"one redis", func(t *testing.T) string { return redistest.Start(t).URL }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			redisURL := tt.redis(t)
			em := emulatortest.New(t)

			t.Run("oauth proxy login across replicas", func(t *testing.T) {
				key := make([]byte, 32)
				_, _ = rand.Read(key)
				lbPort := freePort(t)
				base := fmt.Sprintf("http://127.0.0.1:%d", lbPort)
				env := append(baseEnv(t), proxyEnv(em, base)...)
				env = append(env, "OAUTH_STORAGE_TYPE=redis", "REDIS_URL="+redisURL,
					"STORAGE_ENCRYPTION_KEY="+base64.StdEncoding.EncodeToString(key))
				var replicas []string
				for range 3 {
					replicas = append(replicas, startServeHTTP(t, env))
				}
				lb := newRoundRobin(t, lbPort, replicas...)
				run := runOAuthFlow(t, base+"/mcp", "EMULATOR_URL="+em.URL)
				checkOAuthFlow(t, run, base, "none", true)
				// The browser's steps are sequential, so round robin hands
				// the callback to another replica than the one that started
				// the login; both then live only in Redis.
				start, finish := lb.firstBackend("/authorize"), lb.firstBackend("/auth/callback")
				if start < 0 || finish < 0 || start == finish {
					t.Errorf("the login started on replica %d and finished on %d; want two replicas", start, finish)
				}
				for i, n := range lb.backendsServed() {
					if n == 0 {
						t.Errorf("replica %d served nothing", i)
					}
				}
			})

			// The login's client expired and revoked Salesforce sessions:
			// the bearer cases get a session of their own.
			tok, err := em.IssueToken(context.Background(), emulatortest.ClientID)
			if err != nil {
				t.Fatal(err)
			}
			token := tok.AccessToken
			// Bearer replicas validate at a counter in front of the org.
			front := newPathCounter(t, em.URL, "/services/oauth2/userinfo")
			env := append(baseEnv(t), "OAUTH_MODE=bearer", "SALESFORCE_INSTANCE_URL="+front.URL, "REDIS_URL="+redisURL,
				"SFMCP_ALLOWED_INSTANCE_HOSTS="+hostPort(front.URL)+","+emulatorHost(em))
			var procs []*serveProc
			var replicas []string
			for range 3 {
				p := startServeProc(t, env, freePort(t), "--toolsets", "all")
				procs = append(procs, p)
				replicas = append(replicas, p.base)
			}
			lb := newRoundRobin(t, 0, replicas...)

			t.Run("bearer validations shared", func(t *testing.T) {
				const calls = 12
				for i := range calls {
					st, text, isErr, _ := callTool(t, lb.URL, token, "salesforce_query", map[string]any{"soql": "SELECT Id FROM Account LIMIT 1"})
					if st != 200 || isErr {
						t.Fatalf("call %d: %d %s", i, st, text)
					}
				}
				if n := front.n.Load(); n != 1 {
					t.Errorf("%d calls over 3 replicas validated the token %d times at userinfo; want 1", calls, n)
				}
				for i, n := range lb.backendsServed() {
					if n != calls/3 {
						t.Errorf("replica %d served %d calls; want %d", i, n, calls/3)
					}
				}
			})

			t.Run("a replica killed under load", func(t *testing.T) {
				const workers, perWorker = 8, 30
				var (
					okCalls, retries atomic.Int64
					wg               sync.WaitGroup
					errs             = make(chan error, workers)
					kill             = make(chan struct{})
					killOnce         sync.Once
				)
				for w := range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if w == 0 {
							defer killOnce.Do(func() { close(kill) }) // even when the worker ends early
						}
						email := fmt.Sprintf("replica.kill.%d@example.com", w)
						for i := range perWorker {
							if w == 0 && i == perWorker/3 {
								killOnce.Do(func() { close(kill) })
							}
							// Reads, and an idempotent upsert: a lead synced by
							// email, which a retried call must not create twice.
							name, args := "salesforce_query", map[string]any{"soql": "SELECT Id, Name FROM Account LIMIT 1"}
							if w%2 == 1 {
								name, args = "salesforce_sync_lead", map[string]any{"email": email, "last_name": "Kill", "company": "Replicas"}
							}
							n, err := callWithRetries(lb.URL, token, name, args)
							retries.Add(int64(n))
							if err != nil {
								errs <- fmt.Errorf("worker %d call %d (%s): %w", w, i, name, err)
								return
							}
							okCalls.Add(1)
						}
					}()
				}
				<-kill
				procs[2].kill(t)
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Error(err)
				}
				if n := okCalls.Load(); n != workers*perWorker {
					t.Errorf("%d of %d calls succeeded", n, workers*perWorker)
				}
				if retries.Load() == 0 || lb.failed.Load() == 0 {
					t.Errorf("no call needed a retry (%d retries, %d 502s): the kill tested nothing", retries.Load(), lb.failed.Load())
				}
				for w := 1; w < workers; w += 2 {
					if n := leadsEverAs(t, em, token, fmt.Sprintf("replica.kill.%d@example.com", w)); n != 1 {
						t.Errorf("worker %d's email has %d leads ever (queryAll); want 1", w, n)
					}
				}
				t.Logf("%d calls, %d retries, %d answered 502 by the balancer", okCalls.Load(), retries.Load(), lb.failed.Load())
			})
		})
	}
}

// callWithRetries calls a tool through the balancer as a client with
// retries does: a failed connection or a 502/503 is tried again (up to 5
// times in all), anything else is the answer. It returns how many retries
// it took, and an error unless the call ended in a result that is not an
// error.
func callWithRetries(base, token, name string, args map[string]any) (int, error) {
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": map[string]any{"name": name, "arguments": args}})
	var last error
	for attempt := range 5 {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
		}
		req, _ := http.NewRequest(http.MethodPost, base+"/mcp", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			last = err
			continue
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusServiceUnavailable {
			last = fmt.Errorf("HTTP %d", resp.StatusCode)
			continue
		}
		if resp.StatusCode != 200 {
			return attempt, fmt.Errorf("HTTP %d: %s", resp.StatusCode, raw)
		}
		var rpc struct {
			Result struct {
				Content []struct{ Text string } `json:"content"`
				IsError bool                    `json:"isError"`
			} `json:"result"`
			Error *struct{ Message string } `json:"error"`
		}
		if err := json.Unmarshal(raw, &rpc); err != nil {
			return attempt, fmt.Errorf("%v: %s", err, raw)
		}
		if rpc.Error != nil || rpc.Result.IsError {
			return attempt, fmt.Errorf("%s", raw)
		}
		return attempt, nil
	}
	return 4, fmt.Errorf("no replica answered in 5 tries; the last: %w", last)
}

func hostPort(u string) string {
	p, _ := url.Parse(u)
	return strings.TrimSpace(p.Host)
}

// leadsEverAs is leadsEver with a session of the test's own.
func leadsEverAs(t *testing.T, em *emulatortest.Server, token, email string) int {
	t.Helper()
	q := url.Values{"q": {"SELECT Id, IsDeleted FROM Lead WHERE Email = '" + email + "'"}}
	req, _ := http.NewRequest(http.MethodGet, em.URL+"/services/data/v62.0/queryAll?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res struct{ TotalSize int }
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != 200 {
		t.Fatalf("queryAll: %d %v", resp.StatusCode, err)
	}
	return res.TotalSize
}
