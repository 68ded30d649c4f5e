package salesforce

import (
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// ErrorCodeAPIBudgetExceeded is the errorCode of a call sfmcp refused
// itself because the org's daily API usage reached the configured budget.
const ErrorCodeAPIBudgetExceeded = "API_BUDGET_EXCEEDED"

// Usage follows each org's daily API usage as Salesforce last reported it in
// the Sforce-Limit-Info header, and refuses requests once it reaches a
// budget. One Usage is shared by every client of a process, so that all the
// users of one org see the same figure.
type Usage struct {
	budget float64 // percent of the daily maximum; 0 means no budget
	log    *slog.Logger
	warned atomic.Bool

	mu   sync.Mutex
	orgs map[string]orgUsage // by instance URL
}

type orgUsage struct{ used, max int }

// NewUsage returns a tracker. budgetPercent 0 means no budget; otherwise it
// must be more than 0 and at most 100. log receives the one warning about a
// malformed header (nil: none).
func NewUsage(budgetPercent float64, log *slog.Logger) (*Usage, error) {
	if math.IsNaN(budgetPercent) || budgetPercent < 0 || budgetPercent > 100 {
		return nil, &ValidationError{Field: "API budget", Message: fmt.Sprintf("%v%% is not a percentage from 0 to 100", budgetPercent)}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Usage{budget: budgetPercent, log: log, orgs: map[string]orgUsage{}}, nil
}

// Budget returns the budget in percent; 0 means none.
func (u *Usage) Budget() float64 { return u.budget }

// Last returns the latest figures reported for the org at instance.
func (u *Usage) Last(instance string) (used, max int, ok bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	o, ok := u.orgs[instance]
	return o.used, o.max, ok
}

// record reads a response's Sforce-Limit-Info. A header that is present but
// carries no readable api-usage entry is ignored with one warning per
// process: a proxy that mangles it must not break calls, nor flood the log.
func (u *Usage) record(instance string, h http.Header) (used, max int, ok bool) {
	v := h.Get("Sforce-Limit-Info")
	if v == "" {
		return 0, 0, false
	}
	used, max, ok = parseLimitInfo(v)
	if !ok {
		if u.warned.CompareAndSwap(false, true) {
			u.log.Warn("ignoring a malformed Sforce-Limit-Info header (want api-usage=USED/MAX); API usage and --api-budget use the last good figure",
				"instance", instance, "header", truncate(v, 100))
		}
		return 0, 0, false
	}
	u.mu.Lock()
	u.orgs[instance] = orgUsage{used: used, max: max}
	u.mu.Unlock()
	return used, max, true
}

// check refuses a request to the org at instance once its last reported
// usage is at or past the budget.
func (u *Usage) check(instance string) error {
	if u.budget == 0 {
		return nil
	}
	used, max, ok := u.Last(instance)
	if !ok || max <= 0 || float64(used)*100 < u.budget*float64(max) {
		return nil
	}
	return &APIError{
		ErrorCode: ErrorCodeAPIBudgetExceeded,
		Message: fmt.Sprintf("the org has used %d of its %d daily API requests (%.1f%%), at or past the budget of %s%% set by --api-budget; "+
			"calls that reach Salesforce are refused until usage falls (limits still answer)",
			used, max, float64(used)*100/float64(max), strconv.FormatFloat(u.budget, 'f', -1, 64)),
	}
}

// parseLimitInfo reads "api-usage=25/15000" out of a header that may carry
// other comma-separated entries such as "per-app-api-usage=17/250(appName=x)".
func parseLimitInfo(v string) (used, max int, ok bool) {
	for part := range strings.SplitSeq(v, ",") {
		name, val, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found || !strings.EqualFold(strings.TrimSpace(name), "api-usage") {
			continue
		}
		u, m, found := strings.Cut(strings.TrimSpace(val), "/")
		if !found {
			return 0, 0, false
		}
		var err1, err2 error
		used, err1 = strconv.Atoi(u)
		max, err2 = strconv.Atoi(m)
		if err1 != nil || err2 != nil || used < 0 || max < 0 {
			return 0, 0, false
		}
		return used, max, true
	}
	return 0, 0, false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
