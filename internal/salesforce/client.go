// Package salesforce is sfmcp's client for the Salesforce APIs: REST here,
// Bulk API 2.0 and the SOAP convertLead call in their own files.
//
// Every call takes a context, goes through one shared *http.Client, refreshes
// an expired session once, retries transient failures when the request is safe
// to repeat, and turns Salesforce's error bodies into typed errors. Tokens never
// appear in errors or logs.
package salesforce

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// DefaultAPIVersion is the REST API version used when Config.APIVersion is
// empty. It matches the version the recorded fixtures and the sf CLI use.
const DefaultAPIVersion = "62.0"

// DefaultUserAgent is sent when Config.UserAgent is empty.
const DefaultUserAgent = "sfmcp/dev"

// apiVersionPattern accepts "62.0"; Salesforce has never shipped a minor
// version, so anything else is a typo that would only fail later as a 404.
var apiVersionPattern = regexp.MustCompile(`^[0-9]{2,3}\.0$`)

// Config holds what a Client needs. HTTPClient and Tokens are required.
type Config struct {
	// HTTPClient is shared by every Client of the process so connections are
	// reused; build it with NewHTTPClient.
	HTTPClient *http.Client
	// Tokens supplies the access token and instance URL, and refreshes the
	// session when it expires. Several Clients may share one TokenSource.
	Tokens *TokenSource
	// APIVersion is like "62.0" (a leading "v" is tolerated); default DefaultAPIVersion.
	APIVersion string
	// UserAgent is sent on every request; default DefaultUserAgent.
	UserAgent string
	// Retry bounds retries of transient failures; zero fields take DefaultRetryPolicy's values.
	Retry RetryPolicy
	// Logger receives debug logs (never tokens, never query text); nil means no logs.
	Logger *slog.Logger
	// DescribeCache lets clients of the same org and user share describe
	// results; nil gives the client a cache of its own.
	DescribeCache *DescribeCache
	// AllowInsecureHTTP permits a plain http:// instance URL on a host other
	// than loopback. Loopback (the local emulator) is always allowed.
	AllowInsecureHTTP bool
	// Usage tracks the org's API usage and enforces the API budget; share
	// one among the clients of a process. nil gives the client its own,
	// without a budget.
	Usage *Usage
	// Observer hears about every request, retry and refresh; nil: nobody.
	Observer Observer
	// OrgID and UserID name whose login this is, when the caller knows
	// (audit records carry them); the client itself never needs them.
	OrgID, UserID string
	// MaxResponseBytes bounds a response read whole into memory (REST JSON,
	// the SOAP convertLead answer); a larger one fails with a
	// *ResponseTooLargeError instead of exhausting memory. 0 means
	// DefaultMaxResponseBytes. Streamed Bulk results are not bounded by it.
	MaxResponseBytes int64
}

// Client talks to one Salesforce org (one instance URL) at one API version.
// It is safe for concurrent use.
type Client struct {
	hc *http.Client
	// direct is hc's transport when hc adds nothing a request needs (no
	// cookie jar, no overall timeout): attempt sends through it without
	// http.Client.Do, which copies every request's headers for redirects
	// that noRedirectTransport never lets through. nil: through hc.Do.
	direct      http.RoundTripper
	tokens      *TokenSource
	instance    *url.URL // scheme://host[:port], no path
	instanceStr string
	// reqURL and reqHost are what http.NewRequest makes of instanceStr
	// (its URL and Host), worked out once: newHTTPRequest starts each
	// request's URL from them instead of parsing the whole URL again.
	reqURL  url.URL
	reqHost string
	version string
	// queryPaths are dataPath("query") and dataPath("queryAll") at version,
	// which every query sends.
	queryPaths [2]string
	userAgent  string
	// fixedHeader holds "application/json" (Accept, and the usual
	// Content-Type) and the user agent: header values every request
	// sends, shared rather than allocated per request (see attempt).
	fixedHeader []string
	retry       RetryPolicy
	log         *slog.Logger
	describe    *DescribeCache
	usage       *Usage
	obs         Observer
	orgID       string
	userID      string
	maxBody     int64
}

// New validates cfg and returns a Client. No request is made.
func New(cfg Config) (*Client, error) {
	if cfg.HTTPClient == nil {
		return nil, &ValidationError{Field: "HTTPClient", Message: "is required (build one with NewHTTPClient)"}
	}
	if cfg.Tokens == nil {
		return nil, &ValidationError{Field: "Tokens", Message: "is required"}
	}
	tok := cfg.Tokens.Token()
	if tok.AccessToken == "" {
		return nil, &ValidationError{Field: "AccessToken", Message: "is empty"}
	}
	inst, err := parseInstanceURL(tok.InstanceURL, cfg.AllowInsecureHTTP)
	if err != nil {
		return nil, err
	}
	version, err := normalizeAPIVersion(cfg.APIVersion)
	if err != nil {
		return nil, err
	}
	retry, err := cfg.Retry.withDefaults()
	if err != nil {
		return nil, err
	}
	ua := cfg.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cache := cfg.DescribeCache
	if cache == nil {
		cache = NewDescribeCache()
	}
	maxBody := cfg.MaxResponseBytes
	if maxBody < 0 {
		return nil, &ValidationError{Field: "MaxResponseBytes", Message: "must not be negative"}
	}
	if maxBody == 0 {
		maxBody = DefaultMaxResponseBytes
	}
	usage := cfg.Usage
	if usage == nil {
		usage, _ = NewUsage(0, logger)
	}
	hc := WithoutRedirects(cfg.HTTPClient)
	var direct http.RoundTripper
	if hc.Jar == nil && hc.Timeout == 0 {
		direct = hc.Transport
	}
	instanceStr := inst.String()
	tmpl, err := http.NewRequest(http.MethodGet, instanceStr, nil)
	if err != nil {
		return nil, &ValidationError{Field: "InstanceURL", Message: "is not a URL"}
	}
	c := &Client{
		usage:       usage,
		obs:         cfg.Observer,
		orgID:       cfg.OrgID,
		userID:      cfg.UserID,
		maxBody:     maxBody,
		hc:          hc,
		direct:      direct,
		tokens:      cfg.Tokens,
		instance:    inst,
		instanceStr: instanceStr,
		reqURL:      *tmpl.URL,
		reqHost:     tmpl.Host,
		userAgent:   ua,
		fixedHeader: []string{"application/json", ua},
		retry:       retry,
		log:         logger,
		describe:    cache,
	}
	c.setVersion(version)
	return c, nil
}

// setVersion sets the API version and the paths made from it.
func (c *Client) setVersion(version string) {
	c.version = version
	c.queryPaths = [2]string{c.dataPath("query"), c.dataPath("queryAll")}
}

// NewHTTPClient returns an *http.Client tuned for Salesforce: keep-alive with a
// pool of idle connections, and timeouts on each phase of a request rather than
// on the whole exchange, so long streamed downloads (Bulk results) still work.
// Callers bound whole calls with their context. It refuses redirects (see
// WithoutRedirects).
func NewHTTPClient() *http.Client {
	return WithoutRedirects(&http.Client{Transport: NewTransport()})
}

// NewTransport is NewHTTPClient's transport, for a caller that tunes the pool
// before wrapping it with WithoutRedirects.
func NewTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
	}
}

// InstanceURL returns the org's base URL, like "https://acme.my.salesforce.com".
func (c *Client) InstanceURL() string { return c.instanceStr }

// Identity returns the org and user ids the client was built with ("" when unknown).
func (c *Client) Identity() (orgID, userID string) { return c.orgID, c.userID }

// CredentialDigest is a hex SHA-256 digest of the instance and the access
// token the client holds now: it tells callers apart by the credential they
// presented, where no identity is known, without keeping the token.
func (c *Client) CredentialDigest() string {
	sum := sha256.Sum256([]byte(c.instanceStr + "\x00" + c.tokens.Token().AccessToken))
	return hex.EncodeToString(sum[:])
}

// APIVersion returns the REST API version in use, like "62.0".
func (c *Client) APIVersion() string { return c.version }

// WithAPIVersion returns a client like c at another API version, sharing its
// tokens, HTTP client and usage; describes are cached apart, as they differ
// between versions.
func (c *Client) WithAPIVersion(v string) (*Client, error) {
	version, err := normalizeAPIVersion(v)
	if err != nil {
		return nil, err
	}
	if version == c.version {
		return c, nil
	}
	cp := *c
	cp.setVersion(version)
	cp.describe = NewDescribeCache()
	return &cp, nil
}

// APIUsage returns the latest api-usage figures Salesforce reported for
// this client's org in the Sforce-Limit-Info header (seen by any client
// sharing its Usage); ok is false until a response carried one.
func (c *Client) APIUsage() (used, max int, ok bool) {
	return c.usage.Last(c.instanceStr)
}

func (c *Client) recordUsage(h http.Header) {
	used, max, ok := c.usage.record(c.instanceStr, h)
	if ok && c.obs != nil {
		c.obs.APIUsage(c.instanceStr, used, max)
	}
}

// checkBudget refuses r once the org's usage reached the API budget, unless
// r only reads the limits or who the user is: those must keep working so
// that people can see why calls are refused.
func (c *Client) checkBudget(r *request) error {
	if r.budgetExempt {
		return nil
	}
	return c.usage.check(c.instanceStr)
}

func normalizeAPIVersion(v string) (string, error) {
	if v == "" {
		return DefaultAPIVersion, nil
	}
	v = strings.TrimPrefix(strings.TrimPrefix(v, "v"), "V")
	if !apiVersionPattern.MatchString(v) {
		return "", &ValidationError{Field: "APIVersion", Message: fmt.Sprintf("%q is not a version like 62.0", v)}
	}
	return v, nil
}

// parseInstanceURL accepts only an origin (scheme, host, optional port), so
// every request path is built by this package and never inherited from input.
func parseInstanceURL(raw string, allowHTTP bool) (*url.URL, error) {
	invalid := func(msg string) error {
		return &ValidationError{Field: "InstanceURL", Message: msg}
	}
	if raw == "" {
		return nil, invalid("is empty")
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil {
		return nil, invalid("is not a URL")
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return nil, invalid("must be scheme://host[:port] with nothing else")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !allowHTTP && !isLoopback(u.Hostname()) {
			return nil, invalid("must use https (plain http is allowed only for loopback, e.g. the local emulator)")
		}
	default:
		return nil, invalid("must use https")
	}
	return &url.URL{Scheme: u.Scheme, Host: strings.ToLower(u.Host)}, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// dataPath returns the REST path for a resource under /services/data/vNN.0.
func (c *Client) dataPath(resource string) string {
	return "/services/data/v" + c.version + "/" + strings.TrimPrefix(resource, "/")
}

// request describes one logical API call; send may issue it several times.
type request struct {
	method string
	// path is already escaped and starts with "/"; it is joined to the instance URL.
	path  string
	query url.Values
	// rawQuery, when set, is the query string already encoded (instead of
	// query): one allocation for a query's q rather than a map and Encode.
	rawQuery string
	// queryOptions is the Sforce-Query-Options header's value, if any.
	queryOptions string
	body         []byte
	contentType  string
	header       http.Header
	// idempotent marks a request that may be repeated after a transient failure.
	idempotent bool
	// okStatus lists non-2xx statuses the caller wants back as a response
	// rather than as an error (upsert's 300 Multiple Choices).
	okStatus []int
	// budgetExempt requests (limits, userinfo) are sent even past the API budget.
	budgetExempt bool
}

// response is a fully read HTTP response.
type response struct {
	status int
	header http.Header
	body   []byte
}

func newRequest(method, path string) *request {
	return &request{method: method, path: path, idempotent: methodIsIdempotent(method)}
}

// methodIsIdempotent holds for methods whose repetition cannot create a second
// effect. PATCH is not in the list: a record PATCH is idempotent, but a Bulk
// job state change or a future composite PATCH may not be, so callers opt in.
func methodIsIdempotent(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

func (r *request) withJSON(body []byte) *request {
	r.body = body
	r.contentType = "application/json"
	return r
}

func (r *request) allows(status int) bool {
	if status >= 200 && status < 300 {
		return true
	}
	for _, s := range r.okStatus {
		if s == status {
			return true
		}
	}
	return false
}

// send issues r with auth, refresh and retries, and returns the read response.
// Any status other than 2xx or r.okStatus comes back as an error.
//
// A connection that breaks while the body is read (a large query page cut
// short) is retried like one that breaks before the answer, for requests safe
// to repeat.
//
// The response comes back as a value: callers read its fields at once,
// and a pointer would cost an allocation a call.
func (c *Client) send(ctx context.Context, r *request) (response, error) {
	for try := 1; ; try++ {
		resp, err := c.roundTrip(ctx, r)
		if err != nil {
			return response{}, err
		}
		body, err := readLimitedSize(resp.Body, c.maxBody, resp.ContentLength)
		resp.Body.Close()
		if err == nil {
			return response{status: resp.StatusCode, header: resp.Header, body: body}, nil
		}
		if errors.Is(err, errBodyTooLarge) {
			return response{}, c.tooLarge(r.method, r.path)
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return response{}, ctxErr
		}
		if !r.idempotent || try >= c.retry.MaxAttempts || !isTransientNetError(err) {
			return response{}, c.transportError(r, err, try)
		}
		c.log.DebugContext(ctx, "salesforce response cut short; retrying", "method", r.method, "path", r.path, "error", c.redact(err.Error()))
		if werr := sleepCtx(ctx, c.retry.backoff(try)); werr != nil {
			return response{}, werr
		}
	}
}

// roundTrip is the retry and refresh loop. On success the caller owns the
// open response body, which lets Bulk downloads stream.
func (c *Client) roundTrip(ctx context.Context, r *request) (*http.Response, error) {
	refreshed := false
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := c.checkBudget(r); err != nil {
			return nil, err
		}
		accessToken, auth := c.tokens.authorization()
		start := time.Now()
		actx, obs := c.observe(ctx, r.method, r.path, attempt)
		resp, err := c.attempt(actx, r, auth)
		if err != nil {
			obs.end(RequestResult{Err: err})
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, ctxErr
			}
			c.log.DebugContext(ctx, "salesforce request failed", "method", r.method, "path", r.path, "attempt", attempt, "error", c.redact(err.Error()))
			if r.idempotent && attempt < c.retry.MaxAttempts && isTransientNetError(err) {
				if werr := sleepCtx(ctx, c.retry.backoff(attempt)); werr != nil {
					return nil, werr
				}
				continue
			}
			return nil, c.transportError(r, err, attempt)
		}
		c.recordUsage(resp.Header)
		// Asked first: the arguments (a slice, the duration boxed) cost two
		// allocations a request even when the logger drops the record.
		if c.log.Enabled(ctx, slog.LevelDebug) {
			c.log.DebugContext(ctx, "salesforce request", "method", r.method, "path", r.path, "status", resp.StatusCode, "attempt", attempt, "elapsed", time.Since(start))
		}
		if r.allows(resp.StatusCode) {
			obs.end(RequestResult{Status: resp.StatusCode})
			return resp, nil
		}

		apiErr := c.readError(resp)
		obs.end(RequestResult{Status: resp.StatusCode, ErrorCode: apiErr.ErrorCode})

		if apiErr.isExpiredSession() && !refreshed {
			refreshed = true
			if !c.tokens.CanRefresh() {
				return nil, &AuthError{Message: "the session has expired or is invalid and no refresh token is available; " + c.tokens.relogin, Err: apiErr}
			}
			if err := c.refresh(ctx, accessToken); err != nil {
				return nil, err
			}
			attempt-- // the retry after a refresh is not a transient-failure retry
			continue
		}
		if resp.StatusCode == http.StatusUnauthorized || apiErr.isExpiredSession() {
			return nil, &AuthError{Message: "Salesforce rejected the session; log in again", Err: apiErr}
		}
		if r.idempotent && isRetryable(apiErr) {
			if attempt < c.retry.MaxAttempts {
				delay := c.retry.backoff(attempt)
				if ra, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
					delay = min(ra, c.retry.MaxRetryAfter)
				}
				c.log.DebugContext(ctx, "salesforce retrying", "method", r.method, "path", r.path, "status", resp.StatusCode, "delay", delay)
				if werr := sleepCtx(ctx, delay); werr != nil {
					return nil, werr
				}
				continue
			}
			apiErr.Attempts = attempt
		}
		return nil, apiErr
	}
}

// attempt sends one HTTP request; auth is the Authorization header's value.
func (c *Client) attempt(ctx context.Context, r *request, auth []string) (*http.Response, error) {
	q := r.rawQuery
	if q == "" && len(r.query) > 0 {
		q = r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := c.newHTTPRequest(ctx, r.method, r.path, q, body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	// The values every request sends are slices shared between requests
	// (a slice each, as Header.Set makes, is an allocation each). Their
	// capacity is their length, so an append copies rather than writes
	// into them, and neither transport writes into a request's headers.
	h := req.Header
	h["Authorization"], h["Accept"], h["User-Agent"] = auth, c.fixedHeader[0:1:1], c.fixedHeader[1:2:2]
	switch r.contentType {
	case "":
	case "application/json":
		h["Content-Type"] = c.fixedHeader[0:1:1]
	default:
		h["Content-Type"] = []string{r.contentType}
	}
	if r.queryOptions != "" {
		h["Sforce-Query-Options"] = []string{r.queryOptions}
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	return c.do(req, r.path, q)
}

// newHTTPRequest is http.NewRequestWithContext for the instance's URL with
// path (escaped, starting with "/") and the encoded query q. When the
// whole URL would parse into the instance's URL with path and q as they
// are, which holds for the paths and queries of REST calls, it fills in
// the URL worked out in New rather than parse it all again: the same
// request, without the parse's time.
func (c *Client) newHTTPRequest(ctx context.Context, method, path, q string, body io.Reader) (*http.Request, error) {
	if !plainPath(path) || !plainQuery(q) {
		return http.NewRequestWithContext(ctx, method, c.requestURL(path, q), body)
	}
	// "/" parses at once; the URL struct it allocates is reused.
	req, err := http.NewRequestWithContext(ctx, method, "/", body)
	if err != nil {
		return nil, err
	}
	*req.URL = c.reqURL
	req.URL.Path, req.URL.RawQuery = path, q
	req.Host = c.reqHost
	return req, nil
}

// requestURL is the full URL of path and query q on the instance.
func (c *Client) requestURL(path, q string) string {
	if q == "" {
		return c.instanceStr + path
	}
	return c.instanceStr + path + "?" + q
}

// plainPath reports whether url.Parse keeps path as the URL's Path, with
// no RawPath: it starts with "/" and has only bytes that are never
// escaped or unescaped in a path (letters, digits, "-._~/").
func plainPath(path string) bool {
	if path == "" || path[0] != '/' {
		return false
	}
	for i := 0; i < len(path); i++ {
		if !unreservedByte(path[i]) && path[i] != '/' {
			return false
		}
	}
	return true
}

// plainQuery reports whether url.Parse keeps q, after the "?", as the
// URL's RawQuery: no "#" starts a fragment, and no control byte makes the
// URL invalid.
func plainQuery(q string) bool {
	for i := 0; i < len(q); i++ {
		if b := q[i]; b == '#' || b < ' ' || b == 0x7f {
			return false
		}
	}
	return true
}

// unreservedByte reports RFC 3986's unreserved characters, which URL
// escaping leaves as they are in every part of a URL.
func unreservedByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '-' || b == '.' || b == '_' || b == '~'
}

// do sends req (whose URL is path and query q on the instance) as c.hc.Do
// would: through c.direct when set, with http.Client's errors (a
// *url.Error around the transport's, naming the URL, which is only made
// then).
func (c *Client) do(req *http.Request, path, q string) (*http.Response, error) {
	if c.direct == nil {
		return c.hc.Do(req)
	}
	resp, err := c.direct.RoundTrip(req)
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		// As http.Client: a plain HTTP answer to a TLS request is
		// ErrSchemeMismatch, not a bad record header.
		if tlsErr, ok := err.(tls.RecordHeaderError); ok && string(tlsErr.RecordHeader[:]) == "HTTP/" {
			err = http.ErrSchemeMismatch
		}
		return nil, c.urlError(req.Method, path, q, err)
	}
	if resp == nil {
		return nil, c.urlError(req.Method, path, q,
			fmt.Errorf("http: RoundTripper implementation (%T) returned a nil *Response with a nil error", c.direct))
	}
	if resp.Body == nil {
		resp.Body = http.NoBody
	}
	return resp, nil
}

// urlError is http.Client's error for a request that got no response,
// made only then: the operation is the method as http.Client names it
// ("Get"), and the URL is the request's.
func (c *Client) urlError(method, path, q string, err error) *url.Error {
	return &url.Error{Op: method[:1] + strings.ToLower(method[1:]), URL: c.requestURL(path, q), Err: err}
}

func (c *Client) tooLarge(method, path string) *ResponseTooLargeError {
	return &ResponseTooLargeError{Method: method, Endpoint: path, Limit: c.maxBody, Setting: "salesforce.Config.MaxResponseBytes"}
}

// maxErrorBody bounds how much of an error body is read: a misbehaving proxy
// can answer with megabytes of HTML.
const maxErrorBody = 1 << 20

func (c *Client) readError(resp *http.Response) *APIError {
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	// Drain a little more so the connection can be reused; give up beyond that.
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	e := parseAPIError(resp.StatusCode, resp.Header.Get("Content-Type"), body)
	e.Message = c.redact(e.Message)
	for i := range e.Errors {
		e.Errors[i].Message = c.redact(e.Errors[i].Message)
	}
	return e
}

// transportError turns a failure below HTTP (connection refused, reset, TLS,
// timeout) into a short error naming the call. net/http's *url.Error repeats
// the whole URL, query string included; our URLs carry no tokens, but the
// query text is noise, so only the method and path are kept.
func (c *Client) transportError(r *request, err error, attempts int) error {
	if re, ok := AsRedirect(err); ok {
		return re
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := fmt.Sprintf("%s %s: cannot reach Salesforce at %s", r.method, r.path, c.instanceStr)
	if attempts > 1 {
		return &NetworkError{Message: fmt.Sprintf("%s (gave up after %d attempts)", msg, attempts), Err: err}
	}
	return &NetworkError{Message: msg, Err: err}
}

// redact removes the current tokens from text that came from the network,
// in case a proxy or an error page echoes a request header back.
func (c *Client) redact(s string) string {
	return c.tokens.redact(s)
}
