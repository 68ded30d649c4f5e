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
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth"
	"github.com/sfmcp/sfmcp/internal/salesforce"
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
	Logger        *slog.Logger
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
		clientID: o.ClientID, clientSecret: o.ClientSecret, retry: o.Retry}
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
		auth = &bearerAuth{b: b, policy: o.Instances, loginURL: login, ttl: ttl, now: time.Now,
			valid: map[tokenKey]validation{}, clients: newClientLRU(o.MaxClients)}
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
	metadata, _ := json.Marshal(map[string]any{
		"resource":                 base + "/mcp",
		"authorization_servers":    []string{strings.TrimRight(firstNonEmpty(o.LoginURL, "https://login.salesforce.com"), "/")},
		"bearer_methods_supported": []string{"header"},
		"scopes_supported":         []string{"api", "refresh_token"},
		"resource_name":            "sfmcp (Salesforce)",
	})
	if o.Mode == AuthProxy {
		metadata, _ = json.Marshal(o.Proxy.ProtectedResourceMetadata())
	}
	// GO-2026-6911 (mcp-go <= v1.2.x: a Location header followed unvalidated)
	// lives in mcp-go's client transports, which sfmcp does not link: it only
	// serves. internal/build's TestBinaryLeavesOutMCPClient keeps it so.
	streamable := server.NewStreamableHTTPServer(s, server.WithStateLess(true), server.WithEndpointPath("/mcp"),
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
	mux.Handle("/mcp", limitBody(MaxArgumentBytes+64<<10, authMiddleware(auth, o.Mode, base+metadataPath, log, streamable)))

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
func authMiddleware(auth authenticator, mode AuthMode, metadataURL string, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		c, fail := auth.authenticate(r)
		if fail != nil {
			log.Info("request refused", "status", fail.status, "code", fail.code, "reason", fail.msg, "remote", r.RemoteAddr)
			writeAuthFailure(w, mode, metadataURL, fail)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey{}, c)))
	})
}

func writeAuthFailure(w http.ResponseWriter, mode AuthMode, metadataURL string, f *authFailure) {
	w.Header().Set("Content-Type", "application/json")
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
	if f.status == http.StatusUnauthorized {
		v := fmt.Sprintf(`Bearer resource_metadata=%q`, metadataURL)
		if f.code != "invalid_request" {
			v += fmt.Sprintf(`, error=%q, error_description=%q`, f.code, f.msg)
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
		r.Body = http.MaxBytesReader(w, r.Body, n)
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

// ServeHTTP serves h on ln until ctx ends, then shuts down gracefully,
// giving calls in flight up to grace to finish.
func ServeHTTP(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
