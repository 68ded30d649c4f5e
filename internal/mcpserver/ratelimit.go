package mcpserver

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/sfmcp/sfmcp/internal/telemetry"
)

// UserLimits bound what one user may ask of the HTTP server, so that one
// busy agent cannot take every connection to the org or all its API calls.
// A user is the org and user id the authentication found, or, when the mode
// does not know them (headers), the Salesforce client of the caller's tokens.
type UserLimits struct {
	// RequestsPerSecond is the sustained rate of MCP requests per user;
	// 0 means unlimited. Bursts of up to Burst are let through.
	RequestsPerSecond float64
	// Burst defaults to max(1, ceil(RequestsPerSecond)).
	Burst int
	// Concurrent is how many requests one user may have running at once; 0 means unlimited.
	Concurrent int
}

// userLimiter enforces UserLimits with a token bucket and a counter per user.
type userLimiter struct {
	l       UserLimits
	metrics *telemetry.Metrics
	now     func() time.Time

	mu        sync.Mutex
	users     map[any]*userState
	lastSweep time.Time
}

type userState struct {
	tokens   float64
	last     time.Time
	inFlight int
}

func newUserLimiter(l UserLimits, m *telemetry.Metrics) *userLimiter {
	if l.RequestsPerSecond <= 0 && l.Concurrent <= 0 {
		return nil
	}
	if l.Burst <= 0 {
		l.Burst = max(1, int(math.Ceil(l.RequestsPerSecond)))
	}
	return &userLimiter{l: l, metrics: m, now: time.Now, users: map[any]*userState{}}
}

// wrap limits next per user; it must run after authentication.
func (u *userLimiter) wrap(next http.Handler) http.Handler {
	if u == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := userKey(r)
		if key == nil || r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		wait, which := u.acquire(key)
		if which != "" {
			u.metrics.RateLimited(which)
			secs := max(1, int(math.Ceil(wait.Seconds())))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			msg := fmt.Sprintf("too many requests from this user (limit %g per second); retry after %d s", u.l.RequestsPerSecond, secs)
			if which == "concurrency" {
				msg = fmt.Sprintf("this user already has %d requests running (the limit); retry after %d s", u.l.Concurrent, secs)
			}
			_, _ = fmt.Fprintf(w, `{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":%q}}`+"\n", msg)
			return
		}
		defer u.release(key)
		next.ServeHTTP(w, r)
	})
}

// userKey is who the request comes from, as the auth middleware found it:
// the user at their org's instance, else their Salesforce client.
func userKey(r *http.Request) any {
	c, err := ClientFromContext(r.Context())
	if err != nil {
		return nil
	}
	if org, user := c.Identity(); user != "" {
		return struct{ instance, org, user string }{c.InstanceURL(), org, user}
	}
	return c
}

// acquire takes one request slot for key, or says which limit refused it
// and how long to wait.
func (u *userLimiter) acquire(key any) (time.Duration, string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	now := u.now()
	u.sweep(now)
	s, ok := u.users[key]
	if !ok {
		s = &userState{tokens: float64(u.l.Burst), last: now}
		u.users[key] = s
	}
	if u.l.Concurrent > 0 && s.inFlight >= u.l.Concurrent {
		return time.Second, "concurrency"
	}
	rps := u.l.RequestsPerSecond
	if rps > 0 {
		s.tokens = min(float64(u.l.Burst), s.tokens+now.Sub(s.last).Seconds()*rps)
	}
	s.last = now
	if rps > 0 {
		if s.tokens < 1 {
			return time.Duration((1 - s.tokens) / rps * float64(time.Second)), "rate"
		}
		s.tokens--
	}
	s.inFlight++
	return 0, ""
}

func (u *userLimiter) release(key any) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if s, ok := u.users[key]; ok {
		s.inFlight--
	}
}

// sweep forgets users idle long enough for their bucket to be full again,
// so the map holds only recent users.
func (u *userLimiter) sweep(now time.Time) {
	if now.Sub(u.lastSweep) < time.Minute {
		return
	}
	u.lastSweep = now
	for k, s := range u.users {
		if s.inFlight == 0 && now.Sub(s.last) > time.Minute {
			delete(u.users, k)
		}
	}
}
