package salesforce

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// RedirectError is a 3xx answer with a Location. Salesforce's APIs (REST,
// Bulk, SOAP, OAuth token, userinfo, revoke, device flow) never redirect an
// API call, so a redirect means a misconfigured or hostile instance: following
// it would send the bearer token (same host) or re-POST the body (307/308) to
// an address nobody allowlisted, and hand its answer back as Salesforce's.
type RedirectError struct {
	StatusCode int    // the 3xx status
	Method     string // of the refused request
	From       string // scheme://host/path of the request that was redirected
	Location   string // where it pointed, without query or credentials
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("%s %s answered %d with a redirect to %s; sfmcp does not follow redirects (Salesforce API calls never redirect): check the instance or login URL",
		e.Method, e.From, e.StatusCode, e.Location)
}

// refuseRedirect is the CheckRedirect of every client sfmcp uses toward
// Salesforce. net/http has already closed the 3xx body; req is the request it
// would send next (never sent), req.Response the 3xx that caused it.
func refuseRedirect(req *http.Request, via []*http.Request) error {
	e := &RedirectError{Location: safeURL(req.URL)}
	if len(via) > 0 {
		e.Method, e.From = via[len(via)-1].Method, safeURL(via[len(via)-1].URL)
	}
	if req.Response != nil {
		e.StatusCode = req.Response.StatusCode
	}
	return e
}

// safeURL keeps scheme, host and path: a query or user info may hold secrets
// (a hostile server can put anything in a Location).
func safeURL(u *url.URL) string {
	if u == nil {
		return "(no location)"
	}
	c := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	return c.String()
}

// WithoutRedirects returns a copy of hc (sharing its Transport and pool) that
// refuses every redirect with a *RedirectError; nil gives a copy of
// http.DefaultClient's settings. Every HTTP client sfmcp points at Salesforce
// goes through here, so the policy holds even for a client a caller built.
//
// Two layers: CheckRedirect stops the redirects net/http would follow, and
// the transport turns the ones it would not follow (a 307 of a streamed body
// it cannot replay) into the same error, so no caller mistakes a 3xx for an
// answer.
func WithoutRedirects(hc *http.Client) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
	}
	c.CheckRedirect = refuseRedirect
	if _, ok := c.Transport.(*noRedirectTransport); !ok {
		c.Transport = &noRedirectTransport{next: c.Transport}
	}
	return &c
}

// noRedirectTransport answers a redirect status with a *RedirectError.
type noRedirectTransport struct {
	next http.RoundTripper // nil means http.DefaultTransport
}

func (t *noRedirectTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	next := t.next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		return resp, nil
	}
	resp.Body.Close()
	e := &RedirectError{StatusCode: resp.StatusCode, Method: req.Method, From: safeURL(req.URL), Location: "(no location)"}
	if loc, lerr := resp.Location(); lerr == nil {
		e.Location = safeURL(loc)
	}
	return nil, e
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the pool.
func (t *noRedirectTransport) CloseIdleConnections() {
	type closer interface{ CloseIdleConnections() }
	next := t.next
	if next == nil {
		next = http.DefaultTransport
	}
	if c, ok := next.(closer); ok {
		c.CloseIdleConnections()
	}
}

// AsRedirect returns the *RedirectError inside err, if any.
func AsRedirect(err error) (*RedirectError, bool) {
	var re *RedirectError
	ok := errors.As(err, &re)
	return re, ok
}
