package mcpserver

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth"
	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth/store"
	"github.com/sfmcp/sfmcp/internal/salesforce"
	"github.com/sfmcp/sfmcp/internal/telemetry"
)

// ProxyConfig is the configuration of OAUTH_MODE=proxy (design.md §4, §5).
type ProxyConfig struct {
	BaseURL     string // BASE_URL; "" means http://<listen address>
	StorageType string // OAUTH_STORAGE_TYPE: memory (default) or redis
	RedisURL    string // REDIS_URL; default redis://localhost:6379
	// EncryptionKey is STORAGE_ENCRYPTION_KEY: comma-separated keys, the
	// first encrypts. Required with redis; in memory a random key is made.
	EncryptionKey          string
	LoginURL               string // SALESFORCE_LOGIN_URL
	ClientID, ClientSecret string // SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET
	Scopes                 string // OAUTH_REQUIRED_SCOPES, comma- or space-separated
	RedirectSchemes        string // SFMCP_OAUTH_REDIRECT_SCHEMES, comma-separated; "" = the defaults
	RegistrationsPerMinute int
	MaxClients             int // SFMCP_OAUTH_MAX_CLIENTS: live client registrations in all; 0 = the default (10,000)
	Instances              InstancePolicy
	HTTPClient             *http.Client
	Logger                 *slog.Logger
}

// NewProxy opens the proxy's storage and returns its authorization server
// for HTTPOptions.Proxy, and a function that closes the storage.
func NewProxy(ctx context.Context, listenAddr string, c ProxyConfig) (*oauth.Server, func() error, error) {
	keys := strings.TrimSpace(c.EncryptionKey)
	var st store.Store
	switch strings.ToLower(strings.TrimSpace(c.StorageType)) {
	case "", "memory":
		st = store.NewMemory(nil)
		if keys == "" {
			// Nothing outlives the process, so a key of its own will do.
			keys = randomKey()
		}
	case "redis":
		if keys == "" {
			return nil, nil, errors.New("OAUTH_STORAGE_TYPE=redis needs STORAGE_ENCRYPTION_KEY: the Salesforce tokens kept in Redis are encrypted with it " +
				"(one or more comma-separated keys of 32 random bytes in base64, e.g. `openssl rand -base64 32`; the first encrypts, all decrypt)")
		}
		u := c.RedisURL
		if u == "" {
			u = "redis://localhost:6379"
		}
		r, err := store.NewRedis(ctx, u)
		if err != nil {
			return nil, nil, err
		}
		st = r
	default:
		return nil, nil, fmt.Errorf("OAUTH_STORAGE_TYPE=%q: want memory or redis", c.StorageType)
	}
	cipher, err := store.ParseKeys(keys)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	base := strings.TrimRight(c.BaseURL, "/")
	if base == "" {
		base = "http://" + listenAddr
	}
	var schemes []string
	if strings.TrimSpace(c.RedirectSchemes) != "" {
		for _, s := range SplitList([]string{c.RedirectSchemes}) {
			schemes = append(schemes, strings.ToLower(strings.TrimSuffix(s, "://")))
		}
	}
	srv, err := oauth.New(oauth.Config{
		BaseURL: base, Store: st, Cipher: cipher,
		LoginURL: c.LoginURL, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		Scopes: strings.FieldsFunc(c.Scopes, func(r rune) bool { return r == ',' || r == ' ' }), RedirectSchemes: schemes,
		CheckInstance: c.Instances.Check, HTTPClient: c.HTTPClient, RegistrationsPerMinute: c.RegistrationsPerMinute,
		MaxClients: c.MaxClients,
		Logger:     c.Logger,
	})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return srv, st.Close, nil
}

// OpenSharedValidations connects to the Redis at redisURL for
// HTTPOptions.SharedValidations: bearer validations under keys of their
// own ("sfmcp:bearer:"), beside the proxy's and the lead locks'.
func OpenSharedValidations(ctx context.Context, redisURL string) (store.Store, error) {
	r, err := store.NewRedisPrefix(ctx, redisURL, "sfmcp:bearer:")
	if err != nil {
		return nil, fmt.Errorf("shared bearer validations: %w", err)
	}
	return r, nil
}

func randomKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// proxyAuth lets in requests that carry an access token sfmcp issued, with
// a Salesforce client for its user's stored session. A session Salesforce
// renews is written back to the store for every replica.
type proxyAuth struct {
	srv     *oauth.Server
	b       *clientBuilder
	clients *clientLRU
}

func (a *proxyAuth) authenticate(r *http.Request) (*salesforce.Client, *authFailure) {
	tok := bearerToken(r)
	if tok == "" {
		return nil, &authFailure{status: http.StatusUnauthorized, code: "invalid_request", msg: "an access token is required (Authorization: Bearer <token>); get one from this server's OAuth endpoints"}
	}
	sess, err := a.srv.Resolve(r.Context(), tok)
	switch {
	case errors.Is(err, store.ErrUnavailable):
		return nil, &authFailure{status: http.StatusServiceUnavailable, code: "temporarily_unavailable", msg: "the OAuth state storage is unavailable; try again shortly"}
	case errors.Is(err, oauth.ErrInvalidToken):
		return nil, &authFailure{status: http.StatusUnauthorized, code: "invalid_token", msg: err.Error()}
	case err != nil:
		return nil, &authFailure{status: http.StatusInternalServerError, code: "server_error", msg: "cannot read the session of this token"}
	}
	grant := sess.GrantID
	c, err := a.clients.get(lruKey{grant, ""}, hashToken(sess.AccessToken), func() (*salesforce.Client, error) {
		return a.b.buildAs(salesforce.TokenSourceConfig{
			Token:    salesforce.Token{AccessToken: sess.AccessToken, RefreshToken: sess.RefreshToken, InstanceURL: sess.InstanceURL},
			TokenURL: a.b.tokenURL,
			OnRefresh: func(ctx context.Context, t salesforce.Token) error {
				return a.srv.SaveSalesforceToken(ctx, grant, t.AccessToken, t.RefreshToken)
			},
			Relogin: "authorize this MCP client again",
		}, telemetry.Identity{OrgID: sess.OrgID, UserID: sess.UserID})
	})
	if err != nil {
		return nil, &authFailure{status: http.StatusInternalServerError, code: "server_error", msg: "cannot use the stored Salesforce session: " + err.Error()}
	}
	return c, nil
}
