package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/sfmcp/sfmcp/internal/h1"
	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth"
	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth/store"
	"github.com/sfmcp/sfmcp/internal/salesforce"
	"github.com/sfmcp/sfmcp/internal/telemetry"
)

// HTTPOptions configure the streamable HTTP transport.
type HTTPOptions struct {
	Mode AuthMode
	// BaseURL is the server's public URL, for the protected resource
	// metadata; "" means http://<listen address>.
	BaseURL string
	// LoginURL is where bearer tokens are validated when a request names no
	// instance (SALESFORCE_INSTANCE_URL, else SALESFORCE_LOGIN_URL).
	LoginURL string
	// Instances decides which instance URLs from requests may be used.
	Instances InstancePolicy
	// CORSOrigins may call from a browser (SFMCP_CORS_ORIGINS; "*" for any).
	// Loopback origins are always allowed when the server listens on loopback.
	CORSOrigins []string
	// TokenURL, ClientID and ClientSecret refresh sessions in headers mode
	// (SF_TOKEN_URL, SF_CLIENT_ID, SF_CLIENT_SECRET).
	TokenURL, ClientID, ClientSecret string
	APIVersion                       string
	UserAgent                        string
	HTTPClient                       *http.Client // to Salesforce; nil: salesforce.NewHTTPClient()
	Retry                            salesforce.RetryPolicy
	// Proxy is the authorization server of OAUTH_MODE=proxy (NewProxy): its
	// endpoints are mounted and its tokens stand for users' Salesforce sessions.
	Proxy         *oauth.Server
	ValidationTTL time.Duration // how long a validated bearer token is trusted; default 2m
	MaxClients    int           // per-user clients kept; default 1000
	// ValidationsPerMinute bounds the userinfo calls one client address can
	// cause in bearer mode (429 with Retry-After beyond); default 30.
	ValidationsPerMinute int
	// LocalClient, in bearer mode on a loopback server only, serves the
	// requests that bring no token (serve --transport http --emulator: the
	// local emulator org's own login, so local clients need no token).
	LocalClient *salesforce.Client
	Logger      *slog.Logger
	// Telemetry observes the Salesforce requests of every client built for
	// a request, and counts token validations; nil: none.
	Telemetry *telemetry.Telemetry
	// Usage is the process's API usage tracker and budget; nil: one without a budget.
	Usage *salesforce.Usage
	// Limits bound each user's calls; zero values: unlimited.
	Limits UserLimits
	// SharedValidations, in bearer mode, keeps token validations and
	// refusals where every replica finds them (a Redis store shared by the
	// deployment; see OpenSharedValidations); nil: each process validates
	// on its own.
	SharedValidations store.Store
	// Tasks serves the 2026-07-28 Tasks extension: the value given to
	// NewServer (Options.Tasks); nil: none.
	Tasks *Tasks
	// FastCalls answers read-only tools' calls below mcp-go: the value given
	// to NewServer (Options.FastCalls); nil: mcp-go answers every request.
	FastCalls *FastCalls
}

type clientKey struct{}

// ClientFromContext is the ClientFunc of the HTTP transport: the client the
// auth middleware chose for the request.
func ClientFromContext(ctx context.Context) (*salesforce.Client, error) {
	if c, ok := ctx.Value(clientKey{}).(*salesforce.Client); ok && c != nil {
		return c, nil
	}
	return nil, errors.New("the request carried no Salesforce credentials")
}

type authenticator interface {
	authenticate(r *http.Request) (*salesforce.Client, *authFailure)
}

// HTTPHandler serves MCP at /mcp (stateless streamable HTTP, tools from s,
// which must use ClientFromContext), /healthz, and the RFC 9728 protected
// resource metadata, behind Host/Origin checks. listenAddr is the address
// the server listens on (for the loopback checks and the default base URL).
func HTTPHandler(s *server.MCPServer, listenAddr string, o HTTPOptions) (http.Handler, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = salesforce.NewHTTPClient()
	}
	base := strings.TrimRight(o.BaseURL, "/")
	if base == "" {
		base = "http://" + listenAddr
	}
	b := &clientBuilder{hc: hc, apiVersion: o.APIVersion, userAgent: o.UserAgent, tokenURL: o.TokenURL,
		clientID: o.ClientID, clientSecret: o.ClientSecret, retry: o.Retry, usage: o.Usage, obs: o.Telemetry.Observer()}
	var metrics *telemetry.Metrics
	if o.Telemetry != nil {
		metrics = o.Telemetry.Metrics
	}
	ttl := o.ValidationTTL
	if ttl <= 0 {
		ttl = defaultValidationTTL
	}
	var auth authenticator
	switch o.Mode {
	case AuthBearer, "":
		login := strings.TrimRight(o.LoginURL, "/")
		if login == "" {
			login = "https://login.salesforce.com"
		}
		ba := &bearerAuth{b: b, policy: o.Instances, loginURL: login, ttl: ttl, now: time.Now,
			valid: map[tokenKey]validation{}, refused: map[tokenKey]refusal{},
			limiter: newAddrLimiter(o.ValidationsPerMinute), clients: newClientLRU(o.MaxClients), metrics: metrics}
		if o.SharedValidations != nil {
			ba.shared = &sharedValidations{st: o.SharedValidations, log: log}
		}
		auth = ba
		if o.LocalClient != nil {
			if !isLoopbackListen(listenAddr) {
				return nil, fmt.Errorf("a login for requests without a token is served on loopback only, not on %s", listenAddr)
			}
			auth = localAuth{next: auth, local: o.LocalClient}
		}
	case AuthHeaders:
		auth = &headersAuth{b: b, policy: o.Instances, clients: newClientLRU(o.MaxClients)}
	case AuthProxy:
		if o.Proxy == nil {
			return nil, errors.New("OAUTH_MODE=proxy: no authorization server configured")
		}
		pb := *b
		pb.tokenURL = o.Proxy.UpstreamTokenURL()
		auth = &proxyAuth{srv: o.Proxy, b: &pb, clients: newClientLRU(o.MaxClients)}
	default:
		if _, err := ParseAuthMode(string(o.Mode)); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("auth mode %q is not served over HTTP", o.Mode)
	}

	metadataPath := "/.well-known/oauth-protected-resource"
	meta := map[string]any{
		"resource":                 base + "/mcp",
		"authorization_servers":    []string{strings.TrimRight(firstNonEmpty(o.LoginURL, "https://login.salesforce.com"), "/")},
		"bearer_methods_supported": []string{"header"},
		"scopes_supported":         []string{"api", "refresh_token"},
		"resource_name":            "sfmcp (Salesforce)",
	}
	if o.Mode != AuthHeaders {
		// Salesforce has no dynamic client registration: say what works
		// instead (an extension parameter, RFC 9728 section 2).
		meta["authorization_instructions"] = bearerHowTo
	}
	metadata, _ := json.Marshal(meta)
	if o.Mode == AuthProxy {
		metadata, _ = json.Marshal(o.Proxy.ProtectedResourceMetadata())
	}
	// GO-2026-6911 (mcp-go <= v1.2.x: a Location header followed unvalidated)
	// lives in mcp-go's client transports, which sfmcp does not link: it only
	// serves. internal/build's TestBinaryLeavesOutMCPClient keeps it so.
	// Stateless: no session can receive server-initiated messages, so GET
	// /mcp has nothing to stream and answers 405 (the spec's "no SSE stream
	// here") instead of holding a connection open for any caller, even one
	// with a made-up token in headers mode.
	streamable := server.NewStreamableHTTPServer(s, server.WithStateLess(true), server.WithEndpointPath("/mcp"),
		server.WithDisableStreaming(true),
		server.WithStreamableHTTPLogger(log))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	serveMetadata := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(metadata)
	}
	mux.HandleFunc("GET "+metadataPath, serveMetadata)
	mux.HandleFunc("GET "+metadataPath+"/mcp", serveMetadata)
	if o.Mode == AuthProxy {
		o.Proxy.Mount(mux)
	}
	limiter := newUserLimiter(o.Limits, metrics)
	// A task's work outlives its request: a user's running tasks are held
	// to the same bound as their requests.
	o.Tasks.limitPerOwner(o.Limits.Concurrent)
	refusals := newRefusalLog(log, time.Minute, time.Now)
	// Cancellations and log levels are per caller (callers), after
	// authentication and before the rate limit: a caller at its limit can
	// still cancel.
	perCaller := newCallers()
	mux.Handle("/mcp", limitBody(MaxArgumentBytes+64<<10, authMiddleware(auth, o.Mode, base+metadataPath, refusals, perCaller.wrap(limiter.wrap(interceptHTTP(echoIDs(o.FastCalls.wrap(streamable)), preHandlers(completionCheck(s), o.Tasks.handle, perCaller.levels.handle)))))))

	loopback := isLoopbackListen(listenAddr)
	origins := o.CORSOrigins
	if o.Mode == AuthProxy {
		// The consent page posts its form from the server's own origin.
		origins = append(slices.Clip(origins), originOf(base))
	}
	return guard(loopback, origins, mux), nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// authMiddleware lets a request through with its caller's Salesforce client
// in the context, or answers 401 (bearer: with WWW-Authenticate pointing at
// the resource metadata; headers: the lead-sync AUTHENTICATION_REQUIRED body).
func authMiddleware(auth authenticator, mode AuthMode, metadataURL string, refusals *refusalLog, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		c, fail := auth.authenticate(r)
		if fail != nil {
			refusals.add(fail, clientAddr(r))
			writeAuthFailure(w, mode, metadataURL, fail)
			return
		}
		// The call's context: who it runs as, in one layer, and its cancel
		// (for callers.wrap, which registers it).
		cc := &callCtx{Context: r.Context(), client: c, owner: clientOwner(c)}
		ctx, cancel := context.WithCancel(cc)
		defer cancel()
		cc.cancel = cancel
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func writeAuthFailure(w http.ResponseWriter, mode AuthMode, metadataURL string, f *authFailure) {
	w.Header().Set("Content-Type", "application/json")
	if f.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((f.retryAfter+time.Second-1)/time.Second)))
	}
	if mode == AuthHeaders {
		body := map[string]any{"error": map[string]any{"code": f.code, "message": f.msg}}
		if f.code == "AUTHENTICATION_REQUIRED" {
			body["error"].(map[string]any)["details"] = map[string]any{
				"authentication_requirements": []map[string]any{{
					"provider": "salesforce", "auth_type": "bearer", "header_name": "Authorization",
					"header_format": "Bearer {access_token}", "required_scopes": []string{"api", "refresh_token", "offline_access"},
					"token_source": "access_token",
				}},
			}
		}
		w.WriteHeader(f.status)
		_ = json.NewEncoder(w).Encode(body)
		return
	}
	if f.status == http.StatusServiceUnavailable {
		// The proxy's state storage is down: worth a retry soon.
		w.Header().Set("Retry-After", "5")
	}
	if f.status == http.StatusUnauthorized {
		v := fmt.Sprintf(`Bearer resource_metadata=%q`, metadataURL)
		if f.code != "invalid_request" {
			v += fmt.Sprintf(`, error=%q, error_description=%q`, f.code, f.msg)
		} else {
			// No credentials: no error code (RFC 6750 section 3.1), but what to send.
			v += fmt.Sprintf(`, error_description=%q`, f.msg)
		}
		w.Header().Set("WWW-Authenticate", v)
	}
	w.WriteHeader(f.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": f.code, "error_description": f.msg})
}

// limitBody refuses bodies over n bytes: 413 when Content-Length says so,
// else the read fails and the MCP handler answers with a parse error.
func limitBody(n int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			_, _ = fmt.Fprintf(w, `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"request body is larger than %d bytes"}}`+"\n", n)
			return
		}
		// A body readBodies holds whole is already known to be within n
		// (maxRequestBody); the MaxBytesReader would only make the next
		// reader copy it.
		if bb, ok := r.Body.(*bufferedBody); !ok || int64(len(bb.b)) > n {
			r.Body = http.MaxBytesReader(w, r.Body, n)
		}
		next.ServeHTTP(w, r)
	})
}

var corsAllowHeaders = strings.Join([]string{"Authorization", "Content-Type", "Accept", "Mcp-Session-Id", "Mcp-Protocol-Version",
	"Last-Event-ID", headerInstance, headerSFInstance, headerSFRefreshToken}, ", ")

// guard protects a loopback server from DNS rebinding (the Host must be a
// loopback name) and any server from pages of other origins (a browser's
// Origin must be allowed), and answers CORS.
func guard(loopback bool, origins []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if loopback && !isLoopbackName(hostOnly(r.Host)) {
			http.Error(w, "Forbidden: this server listens on loopback and the Host header is "+r.Host, http.StatusForbidden)
			return
		}
		origin := r.Header.Get("Origin")
		if origin != "" {
			if !originAllowed(origin, loopback, origins) {
				http.Error(w, "Forbidden: origin not allowed (SFMCP_CORS_ORIGINS)", http.StatusForbidden)
				return
			}
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Expose-Headers", "Mcp-Session-Id, WWW-Authenticate")
			if r.Method == http.MethodOptions {
				h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
				h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func originAllowed(origin string, loopback bool, allowed []string) bool {
	if slices.Contains(allowed, "*") || slices.Contains(allowed, strings.TrimRight(origin, "/")) {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && loopback && isLoopbackName(u.Hostname())
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return strings.Trim(h, "[]")
	}
	return strings.Trim(hostport, "[]")
}

func isLoopbackListen(addr string) bool {
	return isLoopbackName(strings.ToLower(hostOnly(addr)))
}

// ServeOptions bound the HTTP server; zero fields take the defaults.
type ServeOptions struct {
	Grace           time.Duration // for calls in flight at shutdown
	BodyTimeout     time.Duration // to receive a whole request body; DefaultBodyTimeout
	MaxConns        int           // open connections in all; DefaultMaxConns
	MaxConnsPerAddr int           // open connections from one client IP; DefaultMaxConnsPerAddr
	Logger          *slog.Logger
	// NetHTTP serves with net/http's server alone (SFMCP_NET_HTTP=1)
	// instead of h1.Server in front of it: the way back should the
	// synchronous server misbehave with some client.
	NetHTTP bool
}

// ServeHTTP serves h on ln until ctx ends, then shuts down gracefully,
// giving calls in flight up to grace to finish. The server's bounds are
// ServeOptions' defaults.
func ServeHTTP(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration, log *slog.Logger) error {
	return ServeHTTPWith(ctx, ln, h, ServeOptions{Grace: grace, Logger: log})
}

// ServeHTTPWith is ServeHTTP with explicit bounds: request headers within
// 10 s, whole bodies within BodyTimeout, and at most MaxConns connections
// (MaxConnsPerAddr from one address).
//
// Requests are read and answered by h1.Server, on each connection's own
// goroutine, which hands anything but plain HTTP/1.1 requests to the
// http.Server configured here (issue 16: net/http's background read per
// request cost a fifth of a one-row call's CPU). What that drops: a
// request's context is no longer cancelled when its client disconnects
// mid-call. For serve that is acceptable: a tool call is bounded by its
// Salesforce timeouts, a client that gives up on a call cancels it with an
// MCP notifications/cancelled (a separate request, which still works), and
// stateless HTTP keeps no stream that a lost client would hold open.
func ServeHTTPWith(ctx context.Context, ln net.Listener, h http.Handler, o ServeOptions) error {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.BodyTimeout <= 0 {
		o.BodyTimeout = DefaultBodyTimeout
	}
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.MaxConnsPerAddr <= 0 {
		o.MaxConnsPerAddr = DefaultMaxConnsPerAddr
	}
	var (
		mu    sync.Mutex
		fresh = map[net.Conn]struct{}{} // connections that have not begun a request
	)
	srv := &http.Server{
		Handler:           readBodies(o.BodyTimeout, h),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ConnState: func(c net.Conn, st http.ConnState) {
			mu.Lock()
			defer mu.Unlock()
			if st == http.StateNew {
				fresh[c] = struct{}{}
			} else {
				delete(fresh, c)
			}
		},
	}
	serve, shutdown, closeAll := srv.Serve, srv.Shutdown, srv.Close
	if !o.NetHTTP {
		// h1.Server takes its timeouts, error log and connection states
		// from srv, and leaves srv what it hands over.
		fast := &h1.Server{Handler: srv.Handler, Fallback: srv}
		serve, shutdown, closeAll = fast.Serve, fast.Shutdown, fast.Close
	}
	errc := make(chan error, 1)
	go func() { errc <- serve(newConnLimiter(ln, o.MaxConns, o.MaxConnsPerAddr)) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), o.Grace)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- shutdown(sctx) }()
	// Shutdown waits up to 5 s for a connection that has not sent a byte (a
	// client's spare keep-alive dial); it has no request to finish, so it is
	// closed now rather than holding up the exit.
	for {
		mu.Lock()
		for c := range fresh {
			_ = c.Close()
			delete(fresh, c)
		}
		mu.Unlock()
		select {
		case err := <-shut:
			if err != nil {
				_ = closeAll()
				return err
			}
			if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		case <-time.After(50 * time.Millisecond):
		}
	}
}
