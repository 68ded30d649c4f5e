package oauth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth/store"
)

// authClient authenticates the client of a token or revocation request:
// client_secret_basic, client_secret_post, or none for public clients.
func (s *Server) authClient(ctx context.Context, r *http.Request) (*clientRecord, *oauthError) {
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	} else if f := r.PostForm.Get("client_id"); f != "" && f != id {
		return nil, errInvalidRequest("client_id differs from the Authorization header's")
	}
	if id == "" {
		return nil, errInvalidClient("client authentication is required (client_id)")
	}
	var c clientRecord
	if err := getJSON(ctx, s.cfg.Store, "client:"+id, &c); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, errInvalidClient("unknown client")
		}
		return nil, s.storeError(err)
	}
	if c.AuthMethod != "none" {
		if secret == "" || subtle.ConstantTimeCompare([]byte(hashOf(secret)), []byte(c.SecretHash)) != 1 {
			return nil, errInvalidClient("client authentication failed")
		}
	}
	return &c, nil
}

// handleToken is the token endpoint: authorization_code and refresh_token.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		writeError(w, errInvalidRequest("the body must be a form (application/x-www-form-urlencoded)"))
		return
	}
	ctx := r.Context()
	c, oerr := s.authClient(ctx, r)
	if oerr != nil {
		if oerr.status == http.StatusUnauthorized {
			if _, _, basic := r.BasicAuth(); basic {
				w.Header().Set("WWW-Authenticate", `Basic realm="sfmcp"`)
			}
		}
		writeError(w, oerr)
		return
	}
	var out map[string]any
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "authorization_code":
		out, oerr = s.exchangeCode(ctx, c, r)
	case "refresh_token":
		out, oerr = s.rotateRefresh(ctx, c, r)
	case "":
		oerr = errInvalidRequest("grant_type is required")
	default:
		oerr = &oauthError{400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token"}
	}
	if oerr != nil {
		s.log.Info("token request refused", "client_id", c.ClientID, "grant_type", r.PostForm.Get("grant_type"), "error", oerr.code, "reason", oerr.desc)
		writeError(w, oerr)
		return
	}
	s.touchClient(ctx, c)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) exchangeCode(ctx context.Context, c *clientRecord, r *http.Request) (map[string]any, *oauthError) {
	f := r.PostForm
	code := f.Get("code")
	if code == "" {
		return nil, errInvalidRequest("code is required")
	}
	h := hashOf(code)
	b, fresh, err := s.cfg.Store.Consume(ctx, "code:{"+h+"}", "code-used:{"+h+"}", tombstoneTTL)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errInvalidGrant("the authorization code is invalid or expired")
	}
	if err != nil {
		return nil, s.storeError(err)
	}
	var cr codeRecord
	if err := json.Unmarshal(b, &cr); err != nil {
		return nil, &oauthError{500, "server_error", "corrupt authorization code"}
	}
	// From here on the code is spent; whatever goes wrong, the grant it
	// stood for goes too (a replay means the code leaked: RFC 6749 §4.1.2).
	revoke := func(e *oauthError) (map[string]any, *oauthError) {
		if derr := s.cfg.Store.Delete(ctx, "grant:"+cr.GrantID); derr != nil {
			return nil, s.storeError(derr)
		}
		return nil, e
	}
	if !fresh {
		s.log.Warn("authorization code replayed: its grant is revoked", "client_id", cr.ClientID)
		return revoke(errInvalidGrant("the authorization code was already used; the tokens issued for it are revoked"))
	}
	switch {
	case !s.now().Before(cr.Expires):
		return revoke(errInvalidGrant("the authorization code has expired"))
	case cr.ClientID != c.ClientID:
		return revoke(errInvalidGrant("the authorization code was issued to another client"))
	case f.Get("redirect_uri") != "" && f.Get("redirect_uri") != cr.RedirectURI:
		return revoke(errInvalidGrant("redirect_uri does not match the authorization request's"))
	case f.Get("redirect_uri") == "" && len(c.RedirectURIs) > 1:
		return revoke(errInvalidRequest("redirect_uri is required"))
	case !verifierPattern.MatchString(f.Get("code_verifier")):
		return revoke(errInvalidGrant("code_verifier is missing or malformed (PKCE)"))
	case subtle.ConstantTimeCompare([]byte(s256(f.Get("code_verifier"))), []byte(cr.Challenge)) != 1:
		return revoke(errInvalidGrant("code_verifier does not match the code_challenge (PKCE)"))
	}
	if oerr := s.checkResource(r, cr.Resource); oerr != nil {
		return revoke(oerr)
	}
	g, oerr := s.loadGrant(ctx, cr.GrantID)
	if oerr != nil {
		return nil, oerr
	}
	sealed, err := s.cfg.Cipher.Seal(mustJSON(g))
	if err != nil {
		return nil, &oauthError{500, "server_error", "cannot encrypt the authorization"}
	}
	// Nobody else can hold this grant yet (its code was single use), so
	// writing it again cannot undo a concurrent change.
	return s.issue(ctx, cr.GrantID, g, cr.ClientID, cr.Resource, cr.Scope, slices.Contains(c.GrantTypes, "refresh_token"),
		store.Entry{Key: "grant:" + cr.GrantID, Value: sealed, TTL: g.Expires.Sub(s.now())})
}

func (s *Server) rotateRefresh(ctx context.Context, c *clientRecord, r *http.Request) (map[string]any, *oauthError) {
	f := r.PostForm
	if !slices.Contains(c.GrantTypes, "refresh_token") {
		return nil, &oauthError{400, "unauthorized_client", "this client did not register the refresh_token grant"}
	}
	rt := f.Get("refresh_token")
	if rt == "" {
		return nil, errInvalidRequest("refresh_token is required")
	}
	h := hashOf(rt)
	// Peek first, so a client that is not the token's cannot spend it.
	var peek tokenRecord
	if err := getJSON(ctx, s.cfg.Store, "rt:{"+h+"}", &peek); err == nil && peek.ClientID != c.ClientID {
		return nil, errInvalidGrant("the refresh token was issued to another client")
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, s.storeError(err)
	}
	b, fresh, err := s.cfg.Store.Consume(ctx, "rt:{"+h+"}", "rt-used:{"+h+"}", s.cfg.GrantTTL)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errInvalidGrant("the refresh token is invalid, expired or revoked")
	}
	if err != nil {
		return nil, s.storeError(err)
	}
	var tr tokenRecord
	if err := json.Unmarshal(b, &tr); err != nil {
		return nil, &oauthError{500, "server_error", "corrupt refresh token"}
	}
	if !fresh {
		// A rotated-out refresh token came back: someone holds a copy. Revoke
		// the whole family (OAuth 2.1 §4.3.1).
		s.log.Warn("refresh token reused after rotation: its grant is revoked", "client_id", tr.ClientID)
		if err := s.cfg.Store.Delete(ctx, "grant:"+tr.GrantID); err != nil {
			return nil, s.storeError(err)
		}
		return nil, errInvalidGrant("the refresh token was already used; the grant is revoked")
	}
	if tr.ClientID != c.ClientID {
		return nil, errInvalidGrant("the refresh token was issued to another client")
	}
	if oerr := s.checkResource(r, tr.Resource); oerr != nil {
		return nil, oerr
	}
	scope, ok := s.scopeWithin(f.Get("scope"), strings.Fields(tr.Scope))
	if !ok {
		return nil, &oauthError{400, "invalid_scope", "scope may not exceed the original grant's: " + tr.Scope}
	}
	g, oerr := s.loadGrant(ctx, tr.GrantID)
	if oerr != nil {
		return nil, oerr
	}
	return s.issue(ctx, tr.GrantID, g, tr.ClientID, tr.Resource, scope, true)
}

// checkResource enforces RFC 8707 at the token endpoint: a resource sent
// must be the one the grant is for.
func (s *Server) checkResource(r *http.Request, granted string) *oauthError {
	rs := r.PostForm["resource"]
	if len(rs) > 1 || (len(rs) == 1 && rs[0] != granted) {
		return &oauthError{400, "invalid_target", "resource must be " + granted}
	}
	return nil
}

func (s *Server) loadGrant(ctx context.Context, id string) (*grantRecord, *oauthError) {
	b, err := s.cfg.Store.Get(ctx, "grant:"+id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errInvalidGrant("the authorization was revoked or has expired")
	}
	if err != nil {
		return nil, s.storeError(err)
	}
	pt, err := s.cfg.Cipher.Open(b)
	if err != nil {
		s.log.Error("cannot decrypt a stored grant", "error", err)
		return nil, &oauthError{500, "server_error", "the stored authorization cannot be decrypted (STORAGE_ENCRYPTION_KEY changed?)"}
	}
	var g grantRecord
	if err := json.Unmarshal(pt, &g); err != nil {
		return nil, &oauthError{500, "server_error", "corrupt stored authorization"}
	}
	return &g, nil
}

// issue writes a new access and refresh token of the grant, together.
func (s *Server) issue(ctx context.Context, grantID string, g *grantRecord, clientID, resource, scope string, withRefresh bool, also ...store.Entry) (map[string]any, *oauthError) {
	now := s.now()
	left := g.Expires.Sub(now)
	if left <= 0 {
		return nil, errInvalidGrant("the authorization has expired")
	}
	accessTTL := min(s.cfg.AccessTTL, left)
	at, rt := newSecret("sfmcp_at_"), newSecret("sfmcp_rt_")
	atRec := tokenRecord{GrantID: grantID, ClientID: clientID, Resource: resource, Scope: scope, Expires: now.Add(accessTTL)}
	rtRec := tokenRecord{GrantID: grantID, ClientID: clientID, Resource: resource, Scope: scope, Expires: g.Expires}
	entries := append([]store.Entry{{Key: "at:" + hashOf(at), Value: mustJSON(atRec), TTL: accessTTL}}, also...)
	if withRefresh {
		entries = append(entries, store.Entry{Key: "rt:{" + hashOf(rt) + "}", Value: mustJSON(rtRec), TTL: left})
	}
	if err := s.cfg.Store.Set(ctx, entries...); err != nil {
		return nil, s.storeError(err)
	}
	out := map[string]any{
		"access_token": at,
		"token_type":   "Bearer",
		"expires_in":   int(accessTTL / time.Second),
		"scope":        scope,
	}
	if withRefresh {
		out["refresh_token"] = rt
	}
	return out, nil
}

// handleRevoke is RFC 7009: revoking a refresh token revokes its whole
// grant (and Salesforce's refresh token); an access token only itself.
// Unknown tokens are not an error.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		writeError(w, errInvalidRequest("the body must be a form"))
		return
	}
	ctx := r.Context()
	c, oerr := s.authClient(ctx, r)
	if oerr != nil {
		writeError(w, oerr)
		return
	}
	tok := r.PostForm.Get("token")
	if tok == "" {
		writeError(w, errInvalidRequest("token is required"))
		return
	}
	h := hashOf(tok)
	var rec tokenRecord
	if err := getJSON(ctx, s.cfg.Store, "rt:{"+h+"}", &rec); err == nil {
		if rec.ClientID == c.ClientID {
			g, _ := s.loadGrant(ctx, rec.GrantID)
			if err := s.cfg.Store.Delete(ctx, "rt:{"+h+"}", "grant:"+rec.GrantID); err != nil {
				writeError(w, s.storeError(err))
				return
			}
			if g != nil {
				s.revokeUpstream(g.SFRefresh)
			}
			s.log.Info("grant revoked by its client", "client_id", c.ClientID)
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		writeError(w, s.storeError(err))
		return
	} else if err := getJSON(ctx, s.cfg.Store, "at:"+h, &rec); err == nil {
		if rec.ClientID == c.ClientID {
			if err := s.cfg.Store.Delete(ctx, "at:"+h); err != nil {
				writeError(w, s.storeError(err))
				return
			}
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		writeError(w, s.storeError(err))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// ErrInvalidToken is returned by Resolve for a token that is unknown,
// expired, revoked or issued for another resource.
var ErrInvalidToken = errors.New("the access token is invalid, expired or revoked")

// Session is what one of sfmcp's access tokens stands for: a user's
// Salesforce session.
type Session struct {
	GrantID      string
	ClientID     string
	UserID       string
	OrgID        string
	InstanceURL  string
	AccessToken  string // Salesforce's
	RefreshToken string // Salesforce's
}

// String keeps the Salesforce tokens out of prints and logs. Its value
// receiver covers a Session printed by value as well as by pointer.
func (s Session) String() string {
	return "oauth.Session{" + s.OrgID + "/" + s.UserID + " at " + s.InstanceURL + "}"
}

// GoString keeps %#v from printing the Salesforce tokens.
func (s Session) GoString() string { return s.String() }

// LogValue keeps slog from printing the Salesforce tokens.
func (s Session) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user", s.OrgID+"/"+s.UserID), slog.String("instance", s.InstanceURL))
}

// Resolve maps one of sfmcp's access tokens to the Salesforce session of
// its grant. Errors: ErrInvalidToken, or one wrapping store.ErrUnavailable.
func (s *Server) Resolve(ctx context.Context, accessToken string) (*Session, error) {
	var rec tokenRecord
	if err := getJSON(ctx, s.cfg.Store, "at:"+hashOf(accessToken), &rec); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrInvalidToken
		}
		return nil, err
	}
	if !s.now().Before(rec.Expires) {
		return nil, ErrInvalidToken
	}
	if rec.Resource != s.resource { // RFC 8707: the token's audience is another server
		return nil, ErrInvalidToken
	}
	g, oerr := s.loadGrant(ctx, rec.GrantID)
	if oerr != nil {
		if oerr.status == http.StatusServiceUnavailable {
			return nil, store.ErrUnavailable
		}
		if oerr.code == "invalid_grant" {
			return nil, ErrInvalidToken
		}
		return nil, oerr
	}
	return &Session{GrantID: rec.GrantID, ClientID: rec.ClientID, UserID: g.UserID, OrgID: g.OrgID, InstanceURL: g.Instance,
		AccessToken: g.SFAccess, RefreshToken: g.SFRefresh}, nil
}

// SaveSalesforceToken writes a renewed Salesforce session back into its
// grant, so every replica uses it. A grant revoked meanwhile stays revoked.
func (s *Server) SaveSalesforceToken(ctx context.Context, grantID, access, refresh string) error {
	g, oerr := s.loadGrant(ctx, grantID)
	if oerr != nil {
		return oerr
	}
	g.SFAccess = access
	if refresh != "" {
		g.SFRefresh = refresh
	}
	sealed, err := s.cfg.Cipher.Seal(mustJSON(g))
	if err != nil {
		return err
	}
	err = s.cfg.Store.Replace(ctx, "grant:"+grantID, sealed)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}
