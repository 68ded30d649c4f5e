package oauth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"time"
)

// What the proxy keeps, one JSON value per key. Tokens, codes and secrets
// appear in keys only as SHA-256 hashes; the Salesforce tokens of a grant are
// sealed with the store's Cipher.
//
//	client:{id}          clientRecord                    registration
//	consent:{id}         authRequest (+ browser binding) consent page shown, not answered
//	pending:{state}      authRequest (+ upstream PKCE)   sent to Salesforce, not back yet
//	grant:{id}           sealed grantRecord              one user's consent: the token family
//	code:{h}             codeRecord                      sfmcp's code, single use
//	at:{h} / rt:{h}      tokenRecord                     access / refresh token
//	*-used:{h}           the consumed value              tombstones that catch replays
//	rl:register:{addr}   counter                         registrations per address per window

// clientRecord is a registered client (RFC 7591).
type clientRecord struct {
	ClientID     string    `json:"client_id"`
	SecretHash   string    `json:"secret_hash,omitempty"` // confidential clients
	AuthMethod   string    `json:"token_endpoint_auth_method"`
	RedirectURIs []string  `json:"redirect_uris"`
	Name         string    `json:"client_name,omitempty"`
	GrantTypes   []string  `json:"grant_types"`
	Scope        string    `json:"scope,omitempty"`
	IssuedAt     time.Time `json:"issued_at"`
	// UsedAt is when the client last got a token (its lifetime was extended
	// then); zero until its first use.
	UsedAt time.Time `json:"used_at,omitzero"`
}

// authRequest is a validated /authorize request on its way through consent
// and Salesforce.
type authRequest struct {
	ClientID    string `json:"client_id"`
	RedirectURI string `json:"redirect_uri"`
	State       string `json:"state,omitempty"`
	Challenge   string `json:"code_challenge"`
	Resource    string `json:"resource"`
	Scope       string `json:"scope"`
	// BrowserHash binds a consent id to the browser that was shown the page
	// (the hash of its consent cookie).
	BrowserHash string `json:"browser,omitempty"`
	// Verifier is sfmcp's own PKCE verifier towards Salesforce.
	Verifier string `json:"upstream_verifier,omitempty"`
}

// grantRecord is one user's authorization of one client: the family every
// code, access token and refresh token of that consent belongs to. Deleting
// it revokes them all.
type grantRecord struct {
	ClientID  string    `json:"client_id"`
	Resource  string    `json:"resource"`
	Scope     string    `json:"scope"`
	UserID    string    `json:"user_id"`
	OrgID     string    `json:"org_id"`
	Instance  string    `json:"instance_url"`
	SFAccess  string    `json:"sf_access_token"`
	SFRefresh string    `json:"sf_refresh_token,omitempty"`
	Expires   time.Time `json:"expires"`
}

// codeRecord is an authorization code sfmcp issued to a client.
type codeRecord struct {
	GrantID     string    `json:"grant"`
	ClientID    string    `json:"client_id"`
	RedirectURI string    `json:"redirect_uri"`
	Challenge   string    `json:"code_challenge"`
	Resource    string    `json:"resource"`
	Scope       string    `json:"scope"`
	Expires     time.Time `json:"expires"`
}

// tokenRecord is an access or refresh token sfmcp issued.
type tokenRecord struct {
	GrantID  string    `json:"grant"`
	ClientID string    `json:"client_id"`
	Resource string    `json:"resource"`
	Scope    string    `json:"scope"`
	Expires  time.Time `json:"expires"`
}

// newSecret returns 32 random bytes in base64url with a prefix that says what it is.
func newSecret(prefix string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// hashOf is the key form of a token or secret.
func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// s256 is the PKCE S256 challenge of verifier.
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
