package salesforce

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// failingOrg answers the first `failures` requests with fail, then succeeds.
// failures < 0 means it never succeeds.
func failingOrg(t *testing.T, failures int, fail http.HandlerFunc) (*Client, *recorder) {
	var n atomic.Int32
	srv, rec := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
		if failures < 0 || int(n.Add(1)) <= failures {
			fail(w, r)
			return
		}
		switch r.Method {
		case http.MethodPost:
			writeJSON(w, 201, `{"id":"001000000000001AAA","success":true,"errors":[]}`)
		case http.MethodPatch, http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		default:
			writeJSON(w, 200, pageBody(1, 0, 1, ""))
		}
	})
	return newTestClient(t, srv.URL), rec
}

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) }
}

func TestRetries(t *testing.T) {
	t.Parallel()
	query := func(c *Client) error {
		_, err := c.QueryPage(context.Background(), "SELECT Id FROM Account", false)
		return err
	}
	create := func(c *Client) error {
		_, err := c.CreateRecord(context.Background(), "Account", map[string]any{"Name": "X"})
		return err
	}
	update := func(c *Client) error {
		return c.UpdateRecord(context.Background(), "Account", "001000000000001", map[string]any{"Name": "Y"})
	}
	del := func(c *Client) error { return c.DeleteRecord(context.Background(), "Account", "001000000000001AAA") }

	tests := []struct {
		name         string
		failures     int
		fail         http.HandlerFunc
		call         func(*Client) error
		wantRequests int
		wantErr      string // substring; "" means success
	}{
		{"429 with Retry-After then success", 1, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "0")
			writeSFError(w, 429, "REQUEST_LIMIT_EXCEEDED", "Too many requests")
		}, query, 2, ""},
		{"503 retried", 2, func(w http.ResponseWriter, r *http.Request) {
			writeSFError(w, 503, "SERVER_UNAVAILABLE", "Server temporarily unavailable")
		}, query, 3, ""},
		{"502 retried", 1, status(502), query, 2, ""},
		{"504 retried", 1, status(504), query, 2, ""},
		{"403 REQUEST_LIMIT_EXCEEDED retried", 1, func(w http.ResponseWriter, r *http.Request) {
			writeSFError(w, 403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
		}, query, 2, ""},
		{"500 forever gives up after 4 attempts", -1, func(w http.ResponseWriter, r *http.Request) {
			writeSFError(w, 500, "UNKNOWN_EXCEPTION", "An unexpected error occurred")
		}, query, 4, "UNKNOWN_EXCEPTION: An unexpected error occurred (HTTP 500, gave up after 4 attempts)"},
		{"400 not retried", -1, func(w http.ResponseWriter, r *http.Request) {
			writeSFError(w, 400, "MALFORMED_QUERY", "unexpected token: FORM")
		}, query, 1, "MALFORMED_QUERY"},
		{"403 other not retried", -1, func(w http.ResponseWriter, r *http.Request) {
			writeSFError(w, 403, "INSUFFICIENT_ACCESS", "no")
		}, query, 1, "INSUFFICIENT_ACCESS"},
		{"POST create not retried on 503", -1, func(w http.ResponseWriter, r *http.Request) {
			writeSFError(w, 503, "SERVER_UNAVAILABLE", "Server temporarily unavailable")
		}, create, 1, "SERVER_UNAVAILABLE"},
		{"POST create not retried on 429", -1, status(429), create, 1, "HTTP 429"},
		{"PATCH update retried", 1, status(503), update, 2, ""},
		{"DELETE retried", 1, status(503), del, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, rec := failingOrg(t, tt.failures, tt.fail)
			err := tt.call(c)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("err = %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if got := rec.count(""); got != tt.wantRequests {
				t.Errorf("%d requests, want %d", got, tt.wantRequests)
			}
		})
	}
}

func TestRetryAfterHonouredAndCapped(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		times []time.Time
	)
	srv, _ := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		first := len(times) == 1
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "3600") // an hour: must be capped
			w.WriteHeader(429)
			return
		}
		writeJSON(w, 200, pageBody(1, 0, 1, ""))
	})
	p := fastRetry
	p.MaxRetryAfter = 50 * time.Millisecond
	p.MaxDelay = time.Millisecond
	c := newTestClient(t, srv.URL, withRetry(p))
	start := time.Now()
	if _, err := c.QueryPage(context.Background(), "SELECT Id FROM Account", false); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("took %v: Retry-After was not capped", elapsed)
	}
	// It waited for the (capped) Retry-After, not just the tiny backoff.
	mu.Lock()
	defer mu.Unlock()
	if gap := times[1].Sub(times[0]); gap < 40*time.Millisecond {
		t.Errorf("retried after %v, want about 50ms", gap)
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"7", 7 * time.Second, true},
		{" 12 ", 12 * time.Second, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"Fri, 02 Jan 2026 03:04:15 GMT", 10 * time.Second, true},
		{"Fri, 02 Jan 2026 03:00:00 GMT", 0, true}, // in the past
		{"99999999999999", 24 * time.Hour, true},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

// TestRetryPolicyDefaults: a zero policy gets the documented defaults (a
// zero MaxDelay or MaxRetryAfter would turn every wait into none).
func TestRetryPolicyDefaults(t *testing.T) {
	t.Parallel()
	want := RetryPolicy{MaxAttempts: 4, BaseDelay: 500 * time.Millisecond, MaxDelay: 8 * time.Second, MaxRetryAfter: 30 * time.Second}
	if got, err := (RetryPolicy{}).withDefaults(); err != nil || got != want {
		t.Errorf("zero policy with defaults = %+v, %v; want %+v", got, err, want)
	}
}

// TestBackoffShiftOverflow: when BaseDelay·2^(attempt-1) overflows (here to
// exactly zero: 2^40 ns shifted by 24), the ceiling is MaxDelay, not a zero
// that would turn every later retry into an immediate one.
func TestBackoffShiftOverflow(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{MaxAttempts: 30, BaseDelay: 1 << 40, MaxDelay: 1 << 41, MaxRetryAfter: time.Second}
	if p.BaseDelay<<24 != 0 {
		t.Fatal("the shift no longer overflows to zero; pick other values")
	}
	for range 20 {
		if d := p.backoff(25); d != 0 {
			return
		}
	}
	t.Fatal("backoff after an overflowing shift was 0 twenty times: the ceiling collapsed to zero")
}

func TestBackoffIsBoundedFullJitter(t *testing.T) {
	t.Parallel()
	p, _ := RetryPolicy{}.withDefaults()
	for attempt := 1; attempt <= 40; attempt++ {
		ceiling := min(p.MaxDelay, p.BaseDelay<<min(attempt-1, 30))
		for range 50 {
			if d := p.backoff(attempt); d < 0 || d > ceiling {
				t.Fatalf("backoff(%d) = %v, outside [0, %v]", attempt, d, ceiling)
			}
		}
	}
}

func TestConnectionRefusedGivesUpClearly(t *testing.T) {
	t.Parallel()
	srv, _ := newFakeOrg(t, func(http.ResponseWriter, *http.Request) {})
	srv.Close()
	c := newTestClient(t, srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.QueryPage(ctx, "SELECT Id FROM Account", false)
	var ne *NetworkError
	if !errors.As(err, &ne) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("err = %v (%T), want a NetworkError wrapping ECONNREFUSED", err, err)
	}
	if ctx.Err() != nil {
		t.Fatal("the call hung until the test deadline")
	}
	msg := err.Error()
	for _, want := range []string{"GET /services/data/v62.0/query", "cannot reach Salesforce", "gave up after 4 attempts", "connection refused"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Error() = %q, missing %q", msg, want)
		}
	}
	if strings.Contains(msg, "SELECT") {
		t.Errorf("Error() = %q repeats the query text", msg)
	}
}

func TestCreateNotRetriedOnConnectionRefused(t *testing.T) {
	t.Parallel()
	srv, _ := newFakeOrg(t, func(http.ResponseWriter, *http.Request) {})
	srv.Close()
	_, err := newTestClient(t, srv.URL).CreateRecord(context.Background(), "Account", map[string]any{"Name": "X"})
	if err == nil || strings.Contains(err.Error(), "attempts") {
		t.Errorf("err = %v, want one attempt", err)
	}
}

func TestContextCancelStopsBackoff(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	srv, rec := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(503)
		cancel() // the client is about to wait 30 seconds
	})
	p := fastRetry
	p.MaxRetryAfter = time.Minute
	c := newTestClient(t, srv.URL, withRetry(p))
	start := time.Now()
	_, err := c.QueryPage(ctx, "SELECT Id FROM Account", false)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("cancel took %v to stop the wait", elapsed)
	}
	if rec.count("") != 1 {
		t.Errorf("%d requests, want 1", rec.count(""))
	}
}

func TestDeadlineDuringBackoff(t *testing.T) {
	t.Parallel()
	c, _ := failingOrg(t, -1, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(503)
	})
	c.retry.MaxRetryAfter = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.QueryPage(ctx, "SELECT Id FROM Account", false)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
}

func TestTruncatedBodyRetried(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv, _ := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			// Promise more than is sent: the server drops the connection
			// and the client sees an unexpected EOF mid-body.
			w.Header().Set("Content-Length", "5000")
			w.WriteHeader(200)
			_, _ = w.Write([]byte(`{"totalSize":1,`))
			return
		}
		writeJSON(w, 200, pageBody(1, 0, 1, ""))
	})
	res, err := newTestClient(t, srv.URL).QueryPage(context.Background(), "SELECT Id FROM Account", false)
	if err != nil || len(res.Records) != 1 || calls.Load() != 2 {
		t.Fatalf("res %+v, err %v, %d calls", res, err, calls.Load())
	}
}

// TestSleepCtxZeroAfterCancel: a caller whose context has ended does not go
// on, even when there is nothing to wait.
func TestSleepCtxZeroAfterCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 50 {
		if err := sleepCtx(ctx, 0); !errors.Is(err, context.Canceled) {
			t.Fatalf("sleepCtx(cancelled, 0) = %v, want context.Canceled", err)
		}
	}
	if err := sleepCtx(context.Background(), 0); err != nil {
		t.Fatalf("sleepCtx(live, 0) = %v", err)
	}
}

// TestBackoffReachesItsCeiling: the draw is from [0, ceiling] inclusive,
// also for the smallest ceiling (1 ns), where an off-by-one would panic.
func TestBackoffReachesItsCeiling(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{MaxAttempts: 2, BaseDelay: 1, MaxDelay: 1, MaxRetryAfter: 1}
	seen := map[time.Duration]bool{}
	for range 200 {
		seen[p.backoff(1)] = true
	}
	if len(seen) != 2 || !seen[0] || !seen[1] {
		t.Fatalf("backoff with a 1 ns ceiling drew %v, want both 0 and 1", seen)
	}
}
