package cmdutil

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/sfmcp/sfmcp/internal/config"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// RetryBaseDelayEnv names the environment variable that overrides the first
// retry's backoff (a Go duration, like "5ms"). Tests set it so that retry and
// 500-forever cases run in milliseconds; people rarely need it.
const RetryBaseDelayEnv = "SFMCP_RETRY_BASE_DELAY"

// TokenSaver persists a refreshed token; the keyring work supplies one. nil
// means refreshed tokens live only as long as the process.
type TokenSaver func(ctx context.Context, t salesforce.Token) error

// Salesforce resolves the command's login (f.Credentials) and returns a
// client for it, sharing f's HTTP client and using the configured API
// version. A refreshed token goes to the login's OnRefresh (keyring logins
// write it back); see SalesforceWith to override.
func (f *Factory) Salesforce(ctx context.Context) (*salesforce.Client, error) {
	return SalesforceWith(ctx, f, nil)
}

// SalesforceWith is Factory.Salesforce with a hook that receives each
// refreshed token. When a refresh token and client id are known, an expired
// session is renewed at the login URL's token endpoint (the configured token
// URL if any) and the request is retried once.
func SalesforceWith(ctx context.Context, f *Factory, onRefresh TokenSaver) (*salesforce.Client, error) {
	if f.Credentials == nil {
		return nil, NoLoginError("")
	}
	creds, err := f.Credentials(ctx)
	if err != nil {
		return nil, err
	}
	return ClientFor(ctx, f, creds, onRefresh)
}

// SalesforceFor returns a client for the stored login alias (KeyringLookup),
// built like every other command's client: `org list --check` uses it.
func (f *Factory) SalesforceFor(ctx context.Context, alias string) (*salesforce.Client, error) {
	if f.KeyringLookup == nil {
		return nil, NoLoginError(alias)
	}
	creds, err := f.KeyringLookup(ctx, alias)
	if err != nil {
		return nil, err
	}
	return ClientFor(ctx, f, creds, nil)
}

// ClientFor is the one builder of Salesforce clients for the CLI: creds's
// tokens, f's shared HTTP client, the token URL and retry policy, and the
// API version ops.UseAPIVersion picks (the configured one if the org serves
// it, else the org's newest, cached per login in f.OrgCache). onRefresh
// (else creds.OnRefresh) receives refreshed tokens.
func ClientFor(ctx context.Context, f *Factory, creds *Credentials, onRefresh TokenSaver) (*salesforce.Client, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	hc, err := f.HTTPClient()
	if err != nil {
		return nil, err
	}
	tokenURL := cfg.TokenURL()
	if tokenURL == "" && creds.LoginURL != "" {
		tokenURL = strings.TrimRight(creds.LoginURL, "/") + "/services/oauth2/token"
	}
	tsc := salesforce.TokenSourceConfig{
		Token:        salesforce.Token{AccessToken: creds.AccessToken, RefreshToken: creds.RefreshToken, InstanceURL: creds.InstanceURL},
		ClientID:     creds.ClientID,
		ClientSecret: creds.ClientSecret,
		TokenURL:     tokenURL,
		Relogin:      reloginHint(creds),
		Renew:        creds.Renew,
	}
	if onRefresh == nil {
		onRefresh = creds.OnRefresh
		tsc.Coordinate = creds.Coordinate
	}
	if onRefresh != nil {
		tsc.OnRefresh = onRefresh
	}
	retry, err := retryPolicyFromEnv()
	if err != nil {
		return nil, err
	}
	var usage *salesforce.Usage
	if f.APIUsage != nil {
		if usage, err = f.APIUsage(); err != nil {
			return nil, err
		}
	}
	scfg := salesforce.Config{
		HTTPClient: hc,
		Tokens:     salesforce.NewTokenSource(tsc),
		APIVersion: cfg.APIVersion(),
		UserAgent:  "sfmcp/" + f.AppVersion,
		Retry:      retry,
		Usage:      usage,
		Observer:   f.Telemetry.Observer(),
	}
	if creds.Source == "env" {
		// SALESFORCE_ORG_ID and SALESFORCE_USER_ID describe the environment's token only.
		scfg.OrgID, scfg.UserID = cfg.String(config.KeyOrgID), cfg.String(config.KeyUserID)
	}
	c, err := salesforce.New(scfg)
	if err != nil {
		var ve *salesforce.ValidationError
		if errors.As(err, &ve) {
			// A malformed instance URL or version comes from the login or the config.
			return nil, &AuthError{Msg: "cannot use this Salesforce login", Err: err}
		}
		return nil, err
	}
	var cache *ops.OrgCache
	if f.OrgCache != nil {
		cache = f.OrgCache(creds)
	}
	c, err = ops.UseAPIVersion(ctx, c, cfg.ExplicitAPIVersion(), cache)
	if err != nil {
		var ie *ops.InputError
		if errors.As(err, &ie) {
			return nil, FlagErrorWrap(err)
		}
		return nil, err
	}
	return c, nil
}

func retryPolicyFromEnv() (salesforce.RetryPolicy, error) {
	v := strings.TrimSpace(os.Getenv(RetryBaseDelayEnv))
	if v == "" {
		return salesforce.RetryPolicy{}, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return salesforce.RetryPolicy{}, FlagErrorf("%s=%q: want a positive duration like 10ms", RetryBaseDelayEnv, v)
	}
	p := salesforce.DefaultRetryPolicy()
	p.BaseDelay = d
	p.MaxDelay = min(p.MaxDelay, 16*d)
	p.MaxRetryAfter = min(p.MaxRetryAfter, 16*d)
	return p, nil
}

// SalesforceError makes a Salesforce answer read the way Salesforce wrote it
// ("INVALID_FIELD: No such column ..."), without the call-site prefixes the
// client adds, keeping the original in the chain for exit codes.
func SalesforceError(err error) error {
	if err == nil {
		return nil
	}
	var apiErr *salesforce.APIError
	var authErr *salesforce.AuthError
	var mm *salesforce.MultipleMatchesError
	var unknown *ops.UnknownSObjectError
	switch {
	case errors.As(err, &authErr):
		return err
	case errors.As(err, &unknown):
		return unknown // Salesforce's answer, and the names the user probably meant
	case errors.As(err, &mm):
		return err
	case errors.As(err, &apiErr):
		return &salesforceAnswer{err: apiErr}
	}
	return err
}

type salesforceAnswer struct{ err *salesforce.APIError }

func (e *salesforceAnswer) Error() string { return e.err.Error() }
func (e *salesforceAnswer) Unwrap() error { return e.err }

// Ensure the client's auth failures keep exit code 4 through ExitCodeOf.
var _ ExitCoder = (*salesforce.AuthError)(nil)

// reloginHint tells the user how to replace a login that can no longer be
// renewed, according to where it came from.
func reloginHint(creds *Credentials) string {
	switch {
	case strings.HasPrefix(creds.Source, "keyring:"):
		alias := strings.TrimPrefix(creds.Source, "keyring:")
		if alias == "" {
			return "run `sfmcp login` again"
		}
		return "run `sfmcp login --alias " + alias + "` again"
	case creds.Source == "env":
		return "set a new SALESFORCE_ACCESS_TOKEN, or run `sfmcp login`"
	}
	return "log in again"
}
