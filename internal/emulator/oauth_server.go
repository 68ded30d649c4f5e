package emulator

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sfmcp/sfmcp/internal/emulator/store"
)

// The server-to-server flows: the JWT bearer flow (a JWT signed with the
// key of a certificate registered on the app) and the client-credentials
// flow of External Client Apps (the app's secret, run as a chosen user).
// Neither issues a refresh token, as on Salesforce.

const grantJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// jwtAudiences are the audiences Salesforce accepts besides the org's own
// login URL (the emulator's base URL).
var jwtAudiences = []string{"https://login.salesforce.com", "https://test.salesforce.com"}

func (e *Emulator) grantJWT(w http.ResponseWriter, r *http.Request, f url.Values) {
	assertion := f.Get("assertion")
	if assertion == "" {
		oauthError(w, 400, "invalid_request", "assertion is required")
		return
	}
	var claims jwt.RegisteredClaims
	// First read the issuer, unverified, to know whose certificate checks it.
	if _, _, err := jwt.NewParser().ParseUnverified(assertion, &claims); err != nil {
		oauthError(w, 400, "invalid_grant", "invalid assertion")
		return
	}
	app := e.apps.get(claims.Issuer)
	if app == nil {
		oauthError(w, 400, "invalid_client_id", "client identifier invalid")
		return
	}
	if app.key == nil {
		// No digital signature registered: nothing can verify the JWT.
		oauthError(w, 400, "invalid_grant", "invalid assertion")
		return
	}
	claims = jwt.RegisteredClaims{}
	p := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(e.org.now))
	_, err := p.ParseWithClaims(assertion, &claims, func(*jwt.Token) (any, error) { return app.key, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		// What Salesforce answers for an assertion past its exp.
		oauthError(w, 400, "invalid_grant", "expired authorization code")
		return
	case err != nil:
		oauthError(w, 400, "invalid_grant", "invalid assertion")
		return
	}
	if !e.audienceOK(r, claims.Audience) {
		oauthError(w, 400, "invalid_grant", "audience is invalid")
		return
	}
	userID, ok, err := e.activeUser(r.Context(), claims.Subject)
	if err != nil {
		oauthError(w, 500, "server_error", "the emulator could not read the user")
		return
	}
	if !ok {
		oauthError(w, 400, "invalid_grant", "user hasn't approved this consumer")
		return
	}
	e.issueFor(w, r, session{UserID: userID, Client: app.ClientID}, "api")
}

func (e *Emulator) audienceOK(r *http.Request, aud jwt.ClaimStrings) bool {
	own := strings.TrimRight(e.baseFor(r), "/")
	for _, a := range aud {
		a = strings.TrimRight(a, "/")
		if a == own || slices.Contains(jwtAudiences, a) {
			return true
		}
	}
	return false
}

func (e *Emulator) grantClientCredentials(w http.ResponseWriter, r *http.Request, f url.Values) {
	app := e.apps.get(f.Get("client_id"))
	if app == nil {
		oauthError(w, 400, "invalid_client_id", "client identifier invalid")
		return
	}
	if !app.secretMatches(f.Get("client_secret")) {
		oauthError(w, 400, "invalid_client", "invalid client credentials")
		return
	}
	if app.RunAs == "" {
		oauthError(w, 400, "invalid_grant", "no client credentials user enabled")
		return
	}
	userID, ok, err := e.activeUser(r.Context(), app.RunAs)
	if err != nil {
		oauthError(w, 500, "server_error", "the emulator could not read the user")
		return
	}
	if !ok {
		oauthError(w, 400, "invalid_grant", "no client credentials user enabled")
		return
	}
	e.issueFor(w, r, session{UserID: userID, Client: app.ClientID}, "api")
}

func (e *Emulator) issueFor(w http.ResponseWriter, r *http.Request, s session, scope string) {
	tok, err := e.issue(r.Context(), e.baseFor(r), s, false, scope)
	if err != nil {
		oauthError(w, 500, "server_error", "the emulator could not issue a token")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, 200, tok)
}

// activeUser finds an active user by username (case-insensitive, as
// Salesforce usernames are).
func (e *Emulator) activeUser(ctx context.Context, username string) (string, bool, error) {
	if username == "" {
		return "", false, nil
	}
	var id string
	errFound := errors.New("found")
	err := e.org.store.Scan(ctx, "User", false, func(rec store.Record) error {
		if u, _ := rec["Username"].(string); strings.EqualFold(u, username) {
			if active, _ := rec["IsActive"].(bool); active {
				id, _ = rec["Id"].(string)
				return errFound
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errFound) {
		return "", false, err
	}
	return id, id != "", nil
}
