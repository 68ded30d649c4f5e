package salesforce

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RetryPolicy bounds how transient failures are retried. Only requests that
// are safe to repeat are retried: GET, HEAD, PUT, DELETE, record and upsert
// PATCHes, and POSTs that only read. A record-creating POST never is, since a
// lost answer does not mean a lost record.
type RetryPolicy struct {
	// MaxAttempts counts the first try; 1 disables retries. Default 4.
	MaxAttempts int
	// BaseDelay is the backoff before the first retry, doubling each time. Default 500ms.
	BaseDelay time.Duration
	// MaxDelay caps one backoff. Default 8s.
	MaxDelay time.Duration
	// MaxRetryAfter caps how long a Retry-After header can make us wait. Default 30s.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy returns the policy used for a zero RetryPolicy: 4
// attempts, backoff from 500ms up to 8s, Retry-After honoured up to 30s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxAttempts:   4,
		BaseDelay:     500 * time.Millisecond,
		MaxDelay:      8 * time.Second,
		MaxRetryAfter: 30 * time.Second,
	}
}

func (p RetryPolicy) withDefaults() (RetryPolicy, error) {
	if p.MaxAttempts < 0 || p.BaseDelay < 0 || p.MaxDelay < 0 || p.MaxRetryAfter < 0 {
		return p, &ValidationError{Field: "Retry", Message: "values must not be negative"}
	}
	d := DefaultRetryPolicy()
	if p.MaxAttempts == 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.BaseDelay == 0 {
		p.BaseDelay = d.BaseDelay
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = d.MaxDelay
	}
	if p.MaxRetryAfter == 0 {
		p.MaxRetryAfter = d.MaxRetryAfter
	}
	return p, nil
}

// backoff returns the wait before retry number attempt (1-based) using "full
// jitter": a uniform draw in [0, min(MaxDelay, BaseDelay·2^(attempt-1))].
// Spreading waits over the whole interval keeps many clients that failed
// together from retrying together.
func (p RetryPolicy) backoff(attempt int) time.Duration {
	ceiling := p.MaxDelay
	if shift := attempt - 1; shift < 32 {
		if d := p.BaseDelay << shift; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	if ceiling <= 0 {
		return 0
	}
	return rand.N(ceiling + 1)
}

// parseRetryAfter reads a Retry-After header: delta seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second) // avoid overflow; the caller caps anyway
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// sleepCtx waits for d or until ctx is done, whichever comes first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// isTransientNetError reports failures where the same request may well
// succeed if sent again: a refused, reset or dropped connection, or a timeout.
// DNS "no such host" and TLS certificate errors are not: they will not heal
// within a few seconds.
func isTransientNetError(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.IsTemporary || dnsErr.IsTimeout
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
