package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth/store"
)

// registration is the client metadata of RFC 7591 §2 that sfmcp reads.
type registration struct {
	RedirectURIs            []string `json:"redirect_uris"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	ClientName              string   `json:"client_name"`
	ClientURI               string   `json:"client_uri"`
	Scope                   string   `json:"scope"`
}

func errMetadata(desc string) *oauthError { return &oauthError{400, "invalid_client_metadata", desc} }

// handleRegister is RFC 7591 dynamic client registration.
func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	addr := clientAddr(r)
	n, err := s.cfg.Store.Incr(ctx, "rl:register:"+addr, time.Minute)
	if err != nil {
		writeError(w, s.storeError(err))
		return
	}
	if n > int64(s.cfg.RegistrationsPerMinute) {
		s.log.Warn("client registrations refused: too many from one address", "remote", addr)
		writeError(w, &oauthError{http.StatusTooManyRequests, "too_many_requests", "too many client registrations from this address; try again in a minute"})
		return
	}
	if r.ContentLength > maxRegistrationLen {
		writeError(w, &oauthError{http.StatusRequestEntityTooLarge, "invalid_client_metadata", "the registration request is too large"})
		return
	}
	body := http.MaxBytesReader(w, r.Body, maxRegistrationLen)
	var reg registration
	dec := json.NewDecoder(body)
	if err := dec.Decode(&reg); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, &oauthError{http.StatusRequestEntityTooLarge, "invalid_client_metadata", "the registration request is too large"})
			return
		}
		writeError(w, errMetadata("the body is not a JSON client metadata document"))
		return
	}
	rec, oerr := s.validateRegistration(reg)
	if oerr != nil {
		writeError(w, oerr)
		return
	}
	rec.ClientID = newSecret("sfmcp_client_")
	rec.IssuedAt = s.now()
	// The deployment-wide cap: per-address limits alone do not stop many
	// addresses (or one IPv6 prefix) from filling the store.
	ok, wait, err := s.cfg.Store.Reserve(ctx, clientsSet, rec.ClientID, s.cfg.UnusedClientTTL, s.cfg.MaxClients)
	if err != nil {
		writeError(w, s.storeError(err))
		return
	}
	if !ok {
		secs := max(int64((wait+time.Second-1)/time.Second), 1)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		s.log.Warn("client registrations refused: the deployment holds its maximum of live registrations", "max", s.cfg.MaxClients, "remote", addr)
		writeError(w, &oauthError{http.StatusServiceUnavailable, "temporarily_unavailable",
			fmt.Sprintf("sfmcp holds its maximum of %d client registrations; registrations never used expire after %s, try again later", s.cfg.MaxClients, s.cfg.UnusedClientTTL)})
		return
	}
	secret := ""
	if rec.AuthMethod != "none" {
		secret = newSecret("sfmcp_secret_")
		rec.SecretHash = hashOf(secret)
	}
	if err := s.cfg.Store.Set(ctx, store.Entry{Key: "client:" + rec.ClientID, Value: mustJSON(rec), TTL: s.cfg.UnusedClientTTL}); err != nil {
		writeError(w, s.storeError(err))
		return
	}
	out := map[string]any{
		"client_id":                  rec.ClientID,
		"client_id_issued_at":        rec.IssuedAt.Unix(),
		"redirect_uris":              rec.RedirectURIs,
		"token_endpoint_auth_method": rec.AuthMethod,
		"grant_types":                rec.GrantTypes,
		"response_types":             []string{"code"},
		"scope":                      rec.Scope,
	}
	if rec.Name != "" {
		out["client_name"] = rec.Name
	}
	if secret != "" {
		out["client_secret"] = secret
		out["client_secret_expires_at"] = 0
	}
	s.log.Info("client registered", "client_id", rec.ClientID, "client_name", rec.Name, "auth", rec.AuthMethod, "remote", addr)
	writeJSON(w, http.StatusCreated, out)
}

// touchClient gives a client that just got a token the long lifetime
// (ClientTTL from now), at most once a day per client: a registration nobody
// uses expires after UnusedClientTTL, one in use stays.
func (s *Server) touchClient(ctx context.Context, c *clientRecord) {
	now := s.now()
	if !c.UsedAt.IsZero() && now.Sub(c.UsedAt) < clientTouchEvery {
		return
	}
	if _, _, err := s.cfg.Store.Reserve(ctx, clientsSet, c.ClientID, s.cfg.ClientTTL, s.cfg.MaxClients); err != nil {
		s.log.Warn("could not extend a client registration's lifetime", "client_id", c.ClientID, "error", err)
		return
	}
	c.UsedAt = now
	if err := s.cfg.Store.Set(ctx, store.Entry{Key: "client:" + c.ClientID, Value: mustJSON(c), TTL: s.cfg.ClientTTL}); err != nil {
		s.log.Warn("could not extend a client registration's lifetime", "client_id", c.ClientID, "error", err)
	}
}

func (s *Server) validateRegistration(reg registration) (*clientRecord, *oauthError) {
	if len(reg.RedirectURIs) == 0 {
		return nil, &oauthError{400, "invalid_redirect_uri", "redirect_uris is required"}
	}
	if len(reg.RedirectURIs) > maxRedirectURIs {
		return nil, errMetadata("too many redirect_uris (at most 10)")
	}
	if len(reg.ClientName) > maxNameLen || len(reg.ClientURI) > maxURILen {
		return nil, errMetadata("client_name or client_uri is too long")
	}
	for _, u := range reg.RedirectURIs {
		if err := s.checkRedirectURI(u); err != "" {
			return nil, &oauthError{400, "invalid_redirect_uri", err}
		}
	}
	method := reg.TokenEndpointAuthMethod
	if method == "" {
		method = "client_secret_basic" // RFC 7591 §2's default
	}
	if !slices.Contains([]string{"none", "client_secret_post", "client_secret_basic"}, method) {
		return nil, errMetadata("token_endpoint_auth_method must be none, client_secret_post or client_secret_basic")
	}
	grants := reg.GrantTypes
	if len(grants) == 0 {
		grants = []string{"authorization_code", "refresh_token"}
	}
	for _, g := range grants {
		if g != "authorization_code" && g != "refresh_token" {
			return nil, errMetadata("grant_types may hold authorization_code and refresh_token only")
		}
	}
	if !slices.Contains(grants, "authorization_code") {
		return nil, errMetadata("grant_types must include authorization_code")
	}
	for _, rt := range reg.ResponseTypes {
		if rt != "code" {
			return nil, errMetadata("response_types may hold code only")
		}
	}
	scope, ok := s.scopeWithin(reg.Scope, s.cfg.Scopes)
	if !ok {
		return nil, errMetadata("scope may hold only " + strings.Join(s.cfg.Scopes, " "))
	}
	return &clientRecord{AuthMethod: method, RedirectURIs: reg.RedirectURIs, Name: strings.TrimSpace(reg.ClientName),
		GrantTypes: grants, Scope: scope}, nil
}

// checkRedirectURI allows loopback http (any port), https, and the
// configured private-use schemes; it returns why not, or "".
func (s *Server) checkRedirectURI(raw string) string {
	if len(raw) > maxURILen {
		return "a redirect URI is too long"
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return "redirect URIs must be absolute URIs"
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "redirect URIs must not have a fragment"
	}
	if u.User != nil {
		return "redirect URIs must not carry credentials"
	}
	switch scheme := strings.ToLower(u.Scheme); scheme {
	case "http":
		if !isLoopback(u.Hostname()) {
			return "http redirect URIs must be loopback (localhost, 127.0.0.1 or [::1]); use https otherwise"
		}
	case "https":
		if u.Host == "" {
			return "https redirect URIs need a host"
		}
	default:
		if !slices.Contains(s.cfg.RedirectSchemes, scheme) {
			return "redirect URI scheme " + scheme + ": allowed are loopback http, https and " + strings.Join(s.cfg.RedirectSchemes, ", ") + " (SFMCP_OAUTH_REDIRECT_SCHEMES)"
		}
	}
	return ""
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// clientAddr is the request's peer address without the port. Forwarded
// headers are not trusted: whoever can set them could dodge the limit.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
