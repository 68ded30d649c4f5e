package salesforce

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestMalformedLimitInfoWarnsOnce: a mangled Sforce-Limit-Info header does
// not break calls; it is ignored, with one warning however many arrive,
// and the last good figure stays.
func TestMalformedLimitInfoWarnsOnce(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv, _ := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Sforce-Limit-Info", "api-usage=7/100")
		} else {
			w.Header().Set("Sforce-Limit-Info", "api-usage=lots")
		}
		writeJSON(w, 200, `{"totalSize":0,"done":true,"records":[]}`)
	})
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	usage, err := NewUsage(50, log)
	if err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, srv.URL, func(c *Config, _ *TokenSourceConfig) { c.Usage = usage; c.Logger = log })
	for i := range 4 {
		if _, err := c.QueryPage(context.Background(), "SELECT Id FROM Account", false); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if got := strings.Count(logs.String(), "malformed Sforce-Limit-Info"); got != 1 {
		t.Errorf("%d warnings, want 1:\n%s", got, logs.String())
	}
	if used, max, ok := c.APIUsage(); used != 7 || max != 100 || !ok {
		t.Errorf("usage = %d/%d %v, want the last good 7/100", used, max, ok)
	}
}

// TestAPIBudgetRefusesPastBudget: once the org reports usage at or past
// the budget, requests are refused before they are sent, with
// API_BUDGET_EXCEEDED naming usage and limit; limits and userinfo still go.
func TestAPIBudgetRefusesPastBudget(t *testing.T) {
	t.Parallel()
	srv, rec := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Sforce-Limit-Info", "api-usage=80/100")
		switch {
		case strings.HasSuffix(r.URL.Path, "/limits"):
			writeJSON(w, 200, `{"DailyApiRequests":{"Max":100,"Remaining":20}}`)
		case strings.HasSuffix(r.URL.Path, "/userinfo"):
			writeJSON(w, 200, `{"user_id":"005x","organization_id":"00Dx"}`)
		default:
			writeJSON(w, 200, `{"totalSize":0,"done":true,"records":[]}`)
		}
	})
	for _, tt := range []struct {
		budget  float64
		refused bool
	}{{80, true}, {79.5, true}, {81, false}, {0, false}} {
		t.Run(fmt.Sprint(tt.budget), func(t *testing.T) {
			usage, err := NewUsage(tt.budget, nil)
			if err != nil {
				t.Fatal(err)
			}
			c := newTestClient(t, srv.URL, func(c *Config, _ *TokenSourceConfig) { c.Usage = usage })
			if _, err := c.QueryPage(context.Background(), "SELECT Id FROM Account", false); err != nil {
				t.Fatalf("first call (usage unknown): %v", err)
			}
			before := len(rec.all())
			_, err = c.QueryPage(context.Background(), "SELECT Id FROM Account", false)
			var apiErr *APIError
			if tt.refused {
				want := fmt.Sprintf("used 80 of its 100 daily API requests (80.0%%), at or past the budget of %v%% set", tt.budget)
				if !errors.As(err, &apiErr) || apiErr.ErrorCode != ErrorCodeAPIBudgetExceeded || !strings.Contains(err.Error(), want) {
					t.Fatalf("past the budget: %v", err)
				}
				if len(rec.all()) != before {
					t.Error("a refused call still reached Salesforce")
				}
			} else if err != nil {
				t.Fatalf("within the budget: %v", err)
			}
			if _, err := c.Limits(context.Background()); err != nil {
				t.Errorf("limits: %v", err)
			}
			if _, err := c.UserInfo(context.Background()); err != nil {
				t.Errorf("userinfo: %v", err)
			}
		})
	}
	for _, bad := range []float64{-1, 100.5, 101, math.NaN()} {
		if _, err := NewUsage(bad, nil); err == nil {
			t.Errorf("NewUsage(%v) accepted", bad)
		}
	}
	if _, err := NewUsage(100, nil); err != nil {
		t.Errorf("NewUsage(100): %v", err)
	}
}

// TestAPIBudgetEdges: usage figures of zero are real figures, and an org
// reporting a limit of 0 gives no basis for a refusal.
func TestAPIBudgetEdges(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		header    string
		used, max int
		ok        bool
	}{
		{"api-usage=0/15000", 0, 15000, true},
		{"api-usage=5/0", 5, 0, true},
		{"per-app-api-usage=17/250(appName=x), api-usage=25/15000", 25, 15000, true},
		{"api-usage=-1/15000", 0, 0, false},
		{"api-usage=1/-5", 0, 0, false},
	} {
		used, max, ok := parseLimitInfo(tt.header)
		if used != tt.used || max != tt.max || ok != tt.ok {
			t.Errorf("parseLimitInfo(%q) = %d, %d, %v; want %d, %d, %v", tt.header, used, max, ok, tt.used, tt.max, tt.ok)
		}
	}
	u, err := NewUsage(50, nil)
	if err != nil {
		t.Fatal(err)
	}
	u.record("https://x", http.Header{"Sforce-Limit-Info": {"api-usage=5/0"}})
	if err := u.check("https://x"); err != nil {
		t.Errorf("a reported limit of 0 refused the call: %v", err)
	}
	if got := truncate("abc", 3); got != "abc" {
		t.Errorf("truncate at exactly the length = %q", got)
	}
}

// recordingObserver keeps what a client reported.
type recordingObserver struct {
	mu        sync.Mutex
	results   []string
	refreshes []error
	usage     string
}

func (o *recordingObserver) RequestStarted(ctx context.Context, info RequestInfo) (context.Context, func(RequestResult)) {
	return ctx, func(r RequestResult) {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.results = append(o.results, fmt.Sprintf("%s %d %d %s %v", info.Method, info.Attempt, r.Status, r.ErrorCode, r.Err != nil))
	}
}

func (o *recordingObserver) Refreshed(_ context.Context, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.refreshes = append(o.refreshes, err)
}

func (o *recordingObserver) APIUsage(instance string, used, max int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.usage = fmt.Sprintf("%d/%d", used, max)
}

// TestObserverSeesAttemptsRetriesAndRefreshes: each attempt is reported
// with its status and errorCode, a retry as attempt 2, a refresh once.
func TestObserverSeesAttemptsRetriesAndRefreshes(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv, _ := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/services/oauth2/token" {
			writeJSON(w, 200, `{"access_token":"`+freshAccessToken+`","instance_url":"http://`+r.Host+`"}`)
			return
		}
		w.Header().Set("Sforce-Limit-Info", "api-usage=3/15000")
		switch n.Add(1) {
		case 1:
			writeInvalidSession(w)
		case 2:
			writeSFError(w, 503, "SERVER_UNAVAILABLE", "busy")
		default:
			writeJSON(w, 200, `{"totalSize":0,"done":true,"records":[]}`)
		}
	})
	obs := &recordingObserver{}
	c := newTestClient(t, srv.URL, withRefresh(srv.URL+"/services/oauth2/token", nil), func(c *Config, _ *TokenSourceConfig) { c.Observer = obs })
	if _, err := c.QueryPage(context.Background(), "SELECT Id FROM Account", false); err != nil {
		t.Fatal(err)
	}
	want := []string{"GET 1 401 INVALID_SESSION_ID false", "GET 1 503 SERVER_UNAVAILABLE false", "GET 2 200  false"}
	if strings.Join(obs.results, "|") != strings.Join(want, "|") {
		t.Errorf("attempts = %q, want %q", obs.results, want)
	}
	if len(obs.refreshes) != 1 || obs.refreshes[0] != nil {
		t.Errorf("refreshes = %v", obs.refreshes)
	}
	if obs.usage != "3/15000" {
		t.Errorf("usage = %q", obs.usage)
	}
}
