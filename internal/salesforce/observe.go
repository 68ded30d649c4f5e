package salesforce

import (
	"context"
	"time"
)

// Observer hears about a client's exchanges with Salesforce, for metrics,
// traces and audit records. Its methods are called on the request's
// goroutine, so they must be quick and safe for concurrent use.
type Observer interface {
	// RequestStarted is called before each HTTP attempt (retries included).
	// The context it returns is used for the attempt (a tracer puts its
	// span there); done is called exactly once with the attempt's outcome.
	RequestStarted(ctx context.Context, info RequestInfo) (_ context.Context, done func(RequestResult))
	// Refreshed is called after each attempt to renew an expired session;
	// err is nil when it worked.
	Refreshed(ctx context.Context, err error)
	// APIUsage is called when a response reports the org's daily API usage
	// (Sforce-Limit-Info).
	APIUsage(instance string, used, max int)
}

// RequestInfo names one HTTP attempt. Path carries no query string, so
// neither SOQL nor anything else from the caller's arguments beyond ids.
type RequestInfo struct {
	Method   string
	Path     string
	Instance string // scheme://host of the org
	Attempt  int    // 1 for the first try; more for retries
}

// RequestResult is how one attempt ended: an HTTP status (with Salesforce's
// errorCode when it answered with an error), or Err when no answer came.
type RequestResult struct {
	Status    int
	ErrorCode string
	Err       error
	Duration  time.Duration
}

// observe starts observing one attempt; end the observation exactly once.
func (c *Client) observe(ctx context.Context, method, path string, attempt int) (context.Context, observation) {
	if c.obs == nil {
		return ctx, observation{}
	}
	start := time.Now()
	octx, done := c.obs.RequestStarted(ctx, RequestInfo{Method: method, Path: path, Instance: c.instanceStr, Attempt: attempt})
	if octx == nil {
		octx = ctx
	}
	return octx, observation{done: done, start: start}
}

// observation is one attempt under observation: a value with a method
// rather than a closure over start and done, which would be an allocation
// an attempt.
type observation struct {
	done  func(RequestResult) // nil: nobody hears of the end
	start time.Time
}

// end tells the observer how the attempt ended, and how long it took.
func (o observation) end(r RequestResult) {
	if o.done == nil {
		return
	}
	r.Duration = time.Since(o.start)
	o.done(r)
}

// refresh renews the session and tells the observer.
func (c *Client) refresh(ctx context.Context, stale string) error {
	_, err := c.tokens.refresh(ctx, c.hc, c.log, stale)
	if c.obs != nil {
		c.obs.Refreshed(ctx, err)
	}
	return err
}
