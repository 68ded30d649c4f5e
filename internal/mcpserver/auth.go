package mcpserver

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth/store"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
	"github.com/sfmcp/sfmcp/internal/telemetry"
)

// AuthMode is how the HTTP transport learns who a request comes from (OAUTH_MODE).
type AuthMode string

// The modes of design.md §4.
const (
	AuthBearer  AuthMode = "bearer"  // a Salesforce token, validated at userinfo
	AuthHeaders AuthMode = "headers" // the lead-sync server's headers, not validated up front
	AuthProxy   AuthMode = "proxy"   // sfmcp as an OAuth 2.1 server in front of Salesforce
)

// ParseAuthMode reads OAUTH_MODE; "" is bearer.
func ParseAuthMode(s string) (AuthMode, error) {
	switch m := AuthMode(strings.ToLower(strings.TrimSpace(s))); m {
	case "", AuthBearer:
		return AuthBearer, nil
	case AuthHeaders:
		return AuthHeaders, nil
	case AuthProxy:
		return AuthProxy, nil
	default:
		return "", fmt.Errorf("OAUTH_MODE=%q: want bearer, headers or proxy", s)
	}
}

// Request headers of the two modes.
const (
	headerInstance       = "X-Salesforce-Instance-URL" // bearer mode, optional
	headerSFInstance     = "X-SF-Instance-Url"         // headers mode, required
	headerSFRefreshToken = "X-SF-Refresh-Token"        // headers mode, optional ("Bearer <token>" or the bare token)
	// The same names in Go's canonical form, the map keys of a parsed
	// request's headers: Header.Get with the spellings above allocates
	// the canonical key on every request.
	keyInstance           = "X-Salesforce-Instance-Url"
	keySFInstance         = "X-Sf-Instance-Url"
	keySFRefreshToken     = "X-Sf-Refresh-Token"
	defaultValidationTTL  = 2 * time.Minute
	defaultMaxUserClients = 1000
)

// tokenKey identifies a token without holding it.
type tokenKey [sha256.Size]byte

// hashToken is the SHA-256 of the parts, each followed by a NUL: the key a
// validation is kept under, in this process and in the store replicas share
// (so its framing must not change).
func hashToken(parts ...string) tokenKey {
	// One buffer on the stack for a bearer token and its instance (a
	// longer input grows onto the heap), and Sum256's array: a digest
	// object and Sum's slice were two allocations on every request.
	var stack [512]byte
	b := stack[:0]
	for _, p := range parts {
		b = append(b, p...)
		b = append(b, 0)
	}
	return sha256.Sum256(b)
}

// bearerToken returns the token of "Authorization: Bearer <token>".
func bearerToken(r *http.Request) string {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// bearerHowTo tells a client without a token what works in bearer mode: the
// authorization server named in the metadata (Salesforce) has no dynamic
// client registration, so an OAuth client that needs it stops there.
const bearerHowTo = "send a Salesforce access token as Authorization: Bearer <token> (sfmcp org display --show-token prints one; " +
	"sfmcp serve config <client> --transport http prints a client's configuration that sends it); " +
	"this server does not register OAuth clients: for sign-in with dynamic client registration run it with OAUTH_MODE=proxy"

// localAuth lends the local login to requests without a token and leaves
// the others to next.
type localAuth struct {
	next  authenticator
	local *salesforce.Client
}

func (a localAuth) authenticate(r *http.Request) (*salesforce.Client, *authFailure) {
	if bearerToken(r) == "" {
		return a.local, nil
	}
	return a.next.authenticate(r)
}

// authFailure is why a request was not let in; the middleware writes it.
type authFailure struct {
	status     int
	code       string // for the JSON body
	msg        string
	retryAfter time.Duration // for 429
}

func (f *authFailure) Error() string { return f.msg }

// clientBuilder makes Salesforce clients for requests.
type clientBuilder struct {
	hc           *http.Client
	apiVersion   string
	userAgent    string
	tokenURL     string // headers mode refresh: SF_TOKEN_URL ("" = the instance's)
	clientID     string
	clientSecret string
	retry        salesforce.RetryPolicy
	usage        *salesforce.Usage
	obs          salesforce.Observer
}

func (b *clientBuilder) build(tok salesforce.Token, tokenURL string) (*salesforce.Client, error) {
	return b.buildWith(salesforce.TokenSourceConfig{Token: tok, TokenURL: tokenURL})
}

// buildWith makes a client with the server's shared HTTP client, version,
// user agent, retries and connected app; tsc gives the login's token and
// whatever else it needs (a refresh write-back, a re-login hint).
func (b *clientBuilder) buildWith(tsc salesforce.TokenSourceConfig) (*salesforce.Client, error) {
	return b.buildAs(tsc, telemetry.Identity{})
}

// buildAs is buildWith for a login whose org and user are known.
func (b *clientBuilder) buildAs(tsc salesforce.TokenSourceConfig, id telemetry.Identity) (*salesforce.Client, error) {
	tsc.ClientID, tsc.ClientSecret = b.clientID, b.clientSecret
	return salesforce.New(salesforce.Config{
		HTTPClient: b.hc,
		Tokens:     salesforce.NewTokenSource(tsc),
		APIVersion: b.apiVersion,
		UserAgent:  b.userAgent,
		Retry:      b.retry,
		Usage:      b.usage,
		Observer:   b.obs,
		OrgID:      id.OrgID,
		UserID:     id.UserID,
	})
}

// validation is a cached userinfo answer for one token.
type validation struct {
	instance string // the org's instance URL
	user     string // org id / user id: whose client to use
	expires  time.Time
}

// bearerAuth validates Salesforce tokens at userinfo and hands out one client per user.
type bearerAuth struct {
	b        *clientBuilder
	policy   InstancePolicy
	loginURL string // where userinfo is asked when the request names no instance
	ttl      time.Duration
	now      func() time.Time
	metrics  *telemetry.Metrics // nil: not counted
	// shared holds validations and refusals for every replica that points
	// at it (Redis); nil: this process's memory only.
	shared *sharedValidations

	mu      sync.Mutex
	valid   map[tokenKey]validation
	refused map[tokenKey]refusal // tokens Salesforce refused, briefly remembered

	limiter *addrLimiter // validations at Salesforce per client address
	refusal *refusalLog

	// inflight holds the validations under way, by token: requests that
	// arrive with the same token meanwhile wait for that one answer instead
	// of asking Salesforce again (and spending their address's allowance).
	inflight map[tokenKey]*pendingValidation

	clients *clientLRU
}

// pendingValidation is one userinfo validation that other requests with the
// same token wait for.
type pendingValidation struct {
	done chan struct{}
	v    validation
	fail *authFailure
}

// refusal is a remembered "Salesforce did not accept this token".
type refusal struct {
	fail    *authFailure
	expires time.Time
}

// Bounds of bearer validation: a refused token is answered from memory for
// refusedTTL; one client address may cause validationsPerMinute userinfo
// calls. Both maps are bounded by maxRemembered entries.
const (
	refusedTTL                  = 30 * time.Second
	defaultValidationsPerMinute = 30
	maxRemembered               = 4 * defaultMaxUserClients
)

func (a *bearerAuth) authenticate(r *http.Request) (*salesforce.Client, *authFailure) {
	tok := bearerToken(r)
	if tok == "" {
		return nil, &authFailure{status: http.StatusUnauthorized, code: "invalid_request", msg: bearerHowTo}
	}
	headerInst := ""
	if h := r.Header.Get(keyInstance); h != "" {
		origin, err := a.policy.Check(h)
		if err != nil {
			return nil, &authFailure{status: http.StatusBadRequest, code: "invalid_instance_url", msg: headerInstance + ": " + err.Error()}
		}
		headerInst = origin
	}
	base := headerInst
	if base == "" {
		base = a.loginURL
	}
	key := hashToken(tok, base)
	v, ok, fail := a.cached(key)
	if fail != nil {
		return nil, fail
	}
	if ok {
		a.metrics.TokenValidation("cache_hit")
	} else if v, fail = a.validateOnce(r, key, tok, base, headerInst); fail != nil {
		return nil, fail
	}
	c, err := a.clients.get(lruKey{v.user, v.instance}, hashToken(tok), func() (*salesforce.Client, error) {
		org, user, _ := strings.Cut(v.user, "/")
		return a.b.buildAs(salesforce.TokenSourceConfig{Token: salesforce.Token{AccessToken: tok, InstanceURL: v.instance}}, telemetry.Identity{OrgID: org, UserID: user})
	})
	if err != nil {
		return nil, &authFailure{status: http.StatusUnauthorized, code: "invalid_token", msg: "cannot use this token: " + err.Error()}
	}
	return c, nil
}

// validateOnce validates tok at Salesforce, or waits for the validation of
// the same token that another request already started.
func (a *bearerAuth) validateOnce(r *http.Request, key tokenKey, tok, base, headerInst string) (validation, *authFailure) {
	a.mu.Lock()
	if p, ok := a.inflight[key]; ok {
		a.mu.Unlock()
		select {
		case <-p.done:
			return p.v, p.fail
		case <-r.Context().Done():
			return validation{}, &authFailure{status: http.StatusServiceUnavailable, code: "temporarily_unavailable", msg: "request ended while its token was being validated"}
		}
	}
	if a.inflight == nil {
		a.inflight = map[tokenKey]*pendingValidation{}
	}
	p := &pendingValidation{done: make(chan struct{})}
	a.inflight[key] = p
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		delete(a.inflight, key)
		a.mu.Unlock()
		close(p.done)
	}()

	if v, fail, ok := a.shared.get(r.Context(), key, a.now()); ok {
		a.metrics.TokenValidation("shared_hit")
		if fail != nil {
			a.remember(key, refusal{fail: fail, expires: v.expires})
			p.fail = fail
			return validation{}, fail
		}
		a.keep(key, v)
		p.v = v
		return v, nil
	}
	if wait, allowed := a.limiter.allow(clientAddr(r), a.now()); !allowed {
		p.fail = &authFailure{status: http.StatusTooManyRequests, code: "rate_limited", retryAfter: wait,
			msg: "too many token validations from this address; retry later"}
		return validation{}, p.fail
	}
	p.v, p.fail = a.validate(r.Context(), tok, base, headerInst)
	if p.fail != nil {
		a.metrics.TokenValidation("refused")
		if p.fail.status == http.StatusUnauthorized {
			exp := a.now().Add(refusedTTL)
			a.remember(key, refusal{fail: p.fail, expires: exp})
			a.shared.put(r.Context(), key, validation{expires: exp}, p.fail, a.now())
		}
		return validation{}, p.fail
	}
	a.metrics.TokenValidation("ok")
	a.keep(key, p.v)
	a.shared.put(r.Context(), key, p.v, nil, a.now())
	return p.v, nil
}

// keep caches a validation in this process.
func (a *bearerAuth) keep(key tokenKey, v validation) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.valid) >= maxRemembered { // bound the cache: drop it all rather than grow
		clear(a.valid)
	}
	a.valid[key] = v
}

// sharedValidations keeps bearer validations in a store shared by every
// replica (Redis), so that a token validated at Salesforce by one replica is
// not validated again by the next one the load balancer picks. Keys are
// the token's SHA-256 (with the instance it was validated at), never the
// token; values are whose token it is (org/user id, instance) or the
// refusal, with their expiry: a validation lives its TTL from the moment
// Salesforce answered, on every replica alike.
//
// The store is an optimization: when it fails, the replica validates at
// Salesforce as it would alone, and says so in a warning at most once a
// minute.
type sharedValidations struct {
	st  store.Store
	log *slog.Logger

	mu       sync.Mutex
	lastWarn time.Time
}

// sharedTimeout bounds each read and write of a shared validation: a slow
// Redis costs a request at most this much before it is validated without.
const sharedTimeout = time.Second

// sharedEntry is a validation or a refusal as the shared store holds it.
type sharedEntry struct {
	Instance string `json:"instance,omitempty"`
	User     string `json:"user,omitempty"`
	Status   int    `json:"status,omitempty"` // a refusal's HTTP status; 0: valid
	Code     string `json:"code,omitempty"`
	Message  string `json:"message,omitempty"`
	Expires  int64  `json:"expires"` // Unix ms
}

func sharedKey(k tokenKey) string { return "validation:" + hex.EncodeToString(k[:]) }

// get returns the shared answer for key: a validation, or a refusal (fail
// set, v.expires its expiry); ok is false when there is none in date.
func (s *sharedValidations) get(ctx context.Context, key tokenKey, now time.Time) (v validation, fail *authFailure, ok bool) {
	if s == nil {
		return validation{}, nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	defer cancel()
	raw, err := s.st.Get(ctx, sharedKey(key))
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.warn(err)
		}
		return validation{}, nil, false
	}
	var e sharedEntry
	if err := json.Unmarshal(raw, &e); err != nil || e.Expires == 0 {
		s.warn(fmt.Errorf("a shared token validation does not decode: %v", err))
		return validation{}, nil, false
	}
	exp := time.UnixMilli(e.Expires)
	if !now.Before(exp) {
		return validation{}, nil, false
	}
	if e.Status != 0 {
		return validation{expires: exp}, &authFailure{status: e.Status, code: e.Code, msg: e.Message}, true
	}
	if e.Instance == "" || e.User == "" {
		return validation{}, nil, false
	}
	return validation{instance: e.Instance, user: e.User, expires: exp}, nil, true
}

// put shares a validation, or a refusal (fail set; v.expires its expiry).
func (s *sharedValidations) put(ctx context.Context, key tokenKey, v validation, fail *authFailure, now time.Time) {
	if s == nil {
		return
	}
	ttl := v.expires.Sub(now)
	if ttl <= 0 {
		return
	}
	e := sharedEntry{Instance: v.instance, User: v.user, Expires: v.expires.UnixMilli()}
	if fail != nil {
		e = sharedEntry{Status: fail.status, Code: fail.code, Message: fail.msg, Expires: v.expires.UnixMilli()}
	}
	raw, _ := json.Marshal(e)
	// The request may end as soon as it is answered; the write need not.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sharedTimeout)
	defer cancel()
	if err := s.st.Set(ctx, store.Entry{Key: sharedKey(key), Value: raw, TTL: ttl}); err != nil {
		s.warn(err)
	}
}

func (s *sharedValidations) warn(err error) {
	s.mu.Lock()
	now := time.Now()
	if now.Sub(s.lastWarn) < time.Minute {
		s.mu.Unlock()
		return
	}
	s.lastWarn = now
	s.mu.Unlock()
	s.log.Warn("bearer tokens are validated without the shared store (each replica asks Salesforce itself) until it answers again", "err", err)
}

// cached returns a validation still in date, or a refusal still in date.
func (a *bearerAuth) cached(k tokenKey) (validation, bool, *authFailure) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if rf, ok := a.refused[k]; ok {
		if now.Before(rf.expires) {
			return validation{}, false, rf.fail
		}
		delete(a.refused, k)
	}
	v, ok := a.valid[k]
	if ok && now.After(v.expires) {
		delete(a.valid, k)
		return validation{}, false, nil
	}
	return v, ok, nil
}

func (a *bearerAuth) remember(k tokenKey, rf refusal) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.refused) >= maxRemembered {
		clear(a.refused)
	}
	a.refused[k] = rf
}

// validate asks base's userinfo who tok belongs to (ops.Identify), and
// words the answer as the HTTP front's refusal.
func (a *bearerAuth) validate(ctx context.Context, tok, base, headerInst string) (validation, *authFailure) {
	c, err := a.b.build(salesforce.Token{AccessToken: tok, InstanceURL: base}, "")
	if err != nil {
		return validation{}, &authFailure{status: http.StatusInternalServerError, code: "server_error", msg: "token validation is misconfigured: " + err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	id, err := ops.Identify(ctx, c, headerInst, a.policy.Check)
	if err != nil {
		var apiErr *salesforce.APIError
		var refused *ops.InstanceRefusedError
		switch {
		case errors.As(err, &refused):
			return validation{}, &authFailure{status: http.StatusUnauthorized, code: "invalid_token", msg: refused.Error()}
		case salesforce.IsAuthError(err) || (errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusForbidden || apiErr.StatusCode == http.StatusUnauthorized)):
			return validation{}, &authFailure{status: http.StatusUnauthorized, code: "invalid_token", msg: "Salesforce did not accept the access token"}
		}
		return validation{}, &authFailure{status: http.StatusBadGateway, code: "server_error", msg: "could not validate the token with Salesforce: " + err.Error()}
	}
	return validation{instance: id.Instance, user: id.OrgID + "/" + id.UserID, expires: a.now().Add(a.ttl)}, nil
}

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// headersAuth is the lead-sync server's contract: the caller's access token,
// instance URL and optional refresh token in headers, used as given.
type headersAuth struct {
	b       *clientBuilder
	policy  InstancePolicy
	clients *clientLRU
}

func (a *headersAuth) authenticate(r *http.Request) (*salesforce.Client, *authFailure) {
	tok := bearerToken(r)
	inst := strings.TrimSpace(r.Header.Get(keySFInstance))
	if tok == "" || inst == "" {
		return nil, &authFailure{status: http.StatusUnauthorized, code: "AUTHENTICATION_REQUIRED", msg: "Authentication required to access this resource"}
	}
	origin, err := a.policy.Check(inst)
	if err != nil {
		return nil, &authFailure{status: http.StatusBadRequest, code: "INVALID_INSTANCE_URL", msg: headerSFInstance + ": " + err.Error()}
	}
	refresh := strings.TrimSpace(r.Header.Get(keySFRefreshToken))
	if s, t, ok := strings.Cut(refresh, " "); ok && strings.EqualFold(s, "Bearer") {
		refresh = strings.TrimSpace(t)
	}
	tokenURL := a.b.tokenURL
	if tokenURL == "" {
		tokenURL = origin + "/services/oauth2/token"
	}
	// The caller keeps sending the access token it has; after a refresh the
	// cached client holds the new one, so the key is the caller's tokens.
	key := fmt.Sprintf("%x", hashToken(tok, origin, refresh))
	c, err := a.clients.get(lruKey{key, ""}, hashToken(tok), func() (*salesforce.Client, error) {
		return a.b.build(salesforce.Token{AccessToken: tok, RefreshToken: refresh, InstanceURL: origin}, tokenURL)
	})
	if err != nil {
		return nil, &authFailure{status: http.StatusBadRequest, code: "INVALID_INSTANCE_URL", msg: err.Error()}
	}
	return c, nil
}

// clientLRU keeps a bounded number of Salesforce clients, one per user. A
// user whose token changed gets a new client.
type clientLRU struct {
	mu  sync.Mutex
	max int
	ll  *list.List // front: most recently used
	m   map[lruKey]*list.Element
}

// lruKey names whose client an entry holds: in bearer mode the user and
// their instance (a struct, so that a lookup builds no string), in the other
// modes one string and "".
type lruKey struct{ who, instance string }

type lruEntry struct {
	user   lruKey
	token  tokenKey
	client *salesforce.Client
}

func newClientLRU(max int) *clientLRU {
	if max <= 0 {
		max = defaultMaxUserClients
	}
	return &clientLRU{max: max, ll: list.New(), m: map[lruKey]*list.Element{}}
}

func (l *clientLRU) get(user lruKey, token tokenKey, build func() (*salesforce.Client, error)) (*salesforce.Client, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.m[user]; ok {
		e := el.Value.(*lruEntry)
		if e.token == token {
			l.ll.MoveToFront(el)
			return e.client, nil
		}
		l.ll.Remove(el)
		delete(l.m, user)
	}
	c, err := build()
	if err != nil {
		return nil, err
	}
	l.m[user] = l.ll.PushFront(&lruEntry{user: user, token: token, client: c})
	for l.ll.Len() > l.max {
		old := l.ll.Back()
		l.ll.Remove(old)
		delete(l.m, old.Value.(*lruEntry).user)
	}
	return c, nil
}

func (l *clientLRU) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ll.Len()
}
