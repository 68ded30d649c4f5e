// Package oauth makes sfmcp an OAuth 2.1 authorization server in front of
// one Salesforce connected app (OAUTH_MODE=proxy), so MCP clients that find
// OAuth on their own (RFC 9728 → RFC 8414 → RFC 7591 → PKCE) can use sfmcp.
//
// The client's authorization goes through a consent page here, then on to
// Salesforce with sfmcp's own PKCE pair; Salesforce's tokens stay on the
// server (sealed in the store) and the client gets sfmcp's opaque tokens,
// bound to the client, the user and the /mcp resource.
package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth/store"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// DefaultRedirectSchemes are the private-use URI schemes of editors that
// registrations may use, besides loopback http and https.
func DefaultRedirectSchemes() []string {
	return []string{"vscode", "cursor", "vscode-webview", "claude"}
}

// DefaultScopes are OAUTH_REQUIRED_SCOPES' default.
func DefaultScopes() []string { return []string{"api", "refresh_token"} }

// Lifetimes and limits; Config fields override the first ones.
const (
	defaultCodeTTL     = 60 * time.Second
	defaultAccessTTL   = time.Hour
	defaultGrantTTL    = 30 * 24 * time.Hour
	defaultClientTTL   = 180 * 24 * time.Hour // after the client's last use
	defaultUnusedTTL   = 24 * time.Hour       // a registration never used to get a token
	defaultMaxClients  = 10000
	defaultRegPerMin   = 20
	clientsSet         = "clients" // Store.Reserve's set of live registrations
	clientTouchEvery   = 24 * time.Hour
	flowTTL            = 10 * time.Minute // consent page and the trip to Salesforce
	tombstoneTTL       = 10 * time.Minute // how long a replayed code is recognized
	maxRegistrationLen = 16 << 10
	maxRedirectURIs    = 10
	maxURILen          = 2000
	maxNameLen         = 200
	maxFormBytes       = 64 << 10
	upstreamTimeout    = 30 * time.Second
)

// Config configures a Server.
type Config struct {
	// BaseURL is the server's public URL (BASE_URL): the issuer, and the
	// prefix of every endpoint and of the resource BaseURL/mcp.
	BaseURL string
	// Store keeps the state; Cipher seals the Salesforce tokens in it.
	Store  store.Store
	Cipher *store.Cipher
	// LoginURL is Salesforce's (SALESFORCE_LOGIN_URL: production, sandbox or My Domain).
	LoginURL string
	// ClientID and ClientSecret are the connected app's; without a secret
	// the upstream leg is PKCE only (a public client).
	ClientID, ClientSecret string
	// Scopes are asked of Salesforce and offered to clients (OAUTH_REQUIRED_SCOPES).
	Scopes []string
	// RedirectSchemes are the private-use schemes registrations may use.
	RedirectSchemes []string
	// CheckInstance vets the instance URL Salesforce returns; it returns the
	// origin to use. Nil accepts any https URL.
	CheckInstance func(raw string) (string, error)
	// HTTPClient talks to Salesforce.
	HTTPClient *http.Client
	// RegistrationsPerMinute bounds registrations per client address; default 20.
	RegistrationsPerMinute int
	// MaxClients bounds the live client registrations of the whole
	// deployment (every address, every replica sharing the store); default
	// 10,000. Past it /register answers 503 with Retry-After.
	MaxClients int
	// UnusedClientTTL is how long a registration lives until it is first
	// used to get a token (default 24 h); ClientTTL how long it lives after
	// its latest use (default 180 days).
	UnusedClientTTL, ClientTTL time.Duration
	// CodeTTL, AccessTTL and GrantTTL default to 60 s, 1 h and 30 days (a
	// login's absolute lifetime: refresh tokens end with it).
	CodeTTL, AccessTTL, GrantTTL time.Duration
	Now                          func() time.Time
	Logger                       *slog.Logger
}

// Server is the authorization server. Its state is all in the store, so any
// replica sharing the store can serve any step of a flow.
type Server struct {
	cfg      Config
	base     string
	resource string
	log      *slog.Logger
	now      func() time.Time
}

// New checks cfg and returns a Server.
func New(cfg Config) (*Server, error) {
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" || !(strings.HasPrefix(base, "http://") || strings.HasPrefix(base, "https://")) {
		return nil, fmt.Errorf("BASE_URL %q: the proxy needs the server's public http(s) URL", cfg.BaseURL)
	}
	if cfg.ClientID == "" {
		return nil, errors.New("OAUTH_MODE=proxy needs SALESFORCE_CLIENT_ID (the connected app's consumer key)")
	}
	if cfg.Store == nil || cfg.Cipher == nil {
		return nil, errors.New("oauth: a store and a cipher are required")
	}
	cfg.LoginURL = strings.TrimRight(cfg.LoginURL, "/")
	if cfg.LoginURL == "" {
		cfg.LoginURL = "https://login.salesforce.com"
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = DefaultScopes()
	}
	if cfg.RedirectSchemes == nil {
		cfg.RedirectSchemes = DefaultRedirectSchemes()
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: upstreamTimeout}
	}
	// The token endpoint and userinfo never redirect; following one would
	// re-POST an authorization code or refresh token to another address.
	cfg.HTTPClient = salesforce.WithoutRedirects(cfg.HTTPClient)
	if cfg.RegistrationsPerMinute <= 0 {
		cfg.RegistrationsPerMinute = defaultRegPerMin
	}
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = defaultMaxClients
	}
	if cfg.UnusedClientTTL <= 0 {
		cfg.UnusedClientTTL = defaultUnusedTTL
	}
	if cfg.ClientTTL <= 0 {
		cfg.ClientTTL = defaultClientTTL
	}
	if cfg.CodeTTL <= 0 {
		cfg.CodeTTL = defaultCodeTTL
	}
	if cfg.AccessTTL <= 0 {
		cfg.AccessTTL = defaultAccessTTL
	}
	if cfg.GrantTTL <= 0 {
		cfg.GrantTTL = defaultGrantTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, base: base, resource: base + "/mcp", log: log, now: cfg.Now}, nil
}

// Resource is the protected resource's identifier: BaseURL/mcp.
func (s *Server) Resource() string { return s.resource }

// Scopes are the scopes clients may ask for.
func (s *Server) Scopes() []string { return slices.Clone(s.cfg.Scopes) }

// Paths served by Mount.
const (
	PathMetadata  = "/.well-known/oauth-authorization-server"
	PathRegister  = "/register"
	PathAuthorize = "/authorize"
	PathConsent   = "/authorize/consent"
	PathCallback  = "/auth/callback"
	PathToken     = "/token"
	PathRevoke    = "/revoke"
)

// Mount adds the authorization server's endpoints to mux.
func (s *Server) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET "+PathMetadata, s.handleMetadata)
	mux.HandleFunc("GET "+PathMetadata+"/mcp", s.handleMetadata)
	mux.HandleFunc("POST "+PathRegister, s.handleRegister)
	mux.HandleFunc("GET "+PathAuthorize, s.handleAuthorize)
	mux.HandleFunc("POST "+PathAuthorize, s.handleAuthorize)
	mux.HandleFunc("POST "+PathConsent, s.handleConsent)
	mux.HandleFunc("GET "+PathCallback, s.handleCallback)
	mux.HandleFunc("POST "+PathToken, s.handleToken)
	mux.HandleFunc("POST "+PathRevoke, s.handleRevoke)
}

// Metadata is the RFC 8414 document.
func (s *Server) Metadata() map[string]any {
	methods := []string{"none", "client_secret_post", "client_secret_basic"}
	return map[string]any{
		"issuer":                                         s.base,
		"authorization_endpoint":                         s.base + PathAuthorize,
		"token_endpoint":                                 s.base + PathToken,
		"registration_endpoint":                          s.base + PathRegister,
		"revocation_endpoint":                            s.base + PathRevoke,
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query"},
		"grant_types_supported":                          []string{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported":               []string{"S256"},
		"token_endpoint_auth_methods_supported":          methods,
		"revocation_endpoint_auth_methods_supported":     methods,
		"scopes_supported":                               s.cfg.Scopes,
		"authorization_response_iss_parameter_supported": true,
		"service_documentation":                          "https://github.com/sfmcp/sfmcp",
	}
}

// ProtectedResourceMetadata is the RFC 9728 document of BaseURL/mcp.
func (s *Server) ProtectedResourceMetadata() map[string]any {
	return map[string]any{
		"resource":                 s.resource,
		"authorization_servers":    []string{s.base},
		"bearer_methods_supported": []string{"header"},
		"scopes_supported":         s.cfg.Scopes,
		"resource_name":            "sfmcp (Salesforce)",
	}
}

func (s *Server) handleMetadata(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_ = json.NewEncoder(w).Encode(s.Metadata())
}

// oauthError is an error answer of the token, revocation or registration endpoint.
type oauthError struct {
	status int
	code   string
	desc   string
}

func (e *oauthError) Error() string { return e.code + ": " + e.desc }

func errInvalidRequest(desc string) *oauthError { return &oauthError{400, "invalid_request", desc} }
func errInvalidGrant(desc string) *oauthError   { return &oauthError{400, "invalid_grant", desc} }
func errInvalidClient(desc string) *oauthError  { return &oauthError{401, "invalid_client", desc} }

// storeError turns a store failure into 503 (Redis down) or 500.
func (s *Server) storeError(err error) *oauthError {
	if errors.Is(err, store.ErrUnavailable) {
		s.log.Error("OAuth state storage unavailable", "error", err)
		return &oauthError{503, "temporarily_unavailable", "the OAuth state storage is unavailable; try again shortly"}
	}
	s.log.Error("OAuth state storage failed", "error", err)
	return &oauthError{500, "server_error", "the OAuth state storage failed"}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, e *oauthError) {
	if (e.status == http.StatusServiceUnavailable || e.status == http.StatusTooManyRequests) && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "60")
	}
	writeJSON(w, e.status, map[string]string{"error": e.code, "error_description": e.desc})
}

// scopeWithin checks that every scope of requested is offered; "" is all of them.
func (s *Server) scopeWithin(requested string, offered []string) (string, bool) {
	if strings.TrimSpace(requested) == "" {
		return strings.Join(offered, " "), true
	}
	var out []string
	for sc := range strings.FieldsSeq(requested) {
		if !slices.Contains(offered, sc) {
			return "", false
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return strings.Join(out, " "), true
}

// getJSON reads and decodes key; ErrNotFound passes through.
func getJSON(ctx context.Context, st store.Store, key string, v any) error {
	b, err := st.Get(ctx, key)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain records are marshalled
	}
	return b
}

// UpstreamTokenURL is Salesforce's token endpoint, where sessions are renewed.
func (s *Server) UpstreamTokenURL() string { return s.cfg.LoginURL + "/services/oauth2/token" }
