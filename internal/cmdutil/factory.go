// Package cmdutil is what every command builds on: the Factory of lazy
// dependencies, typed errors and exit codes, and the --json/--jq/--csv flags.
package cmdutil

import (
	"context"
	"net/http"

	"github.com/sfmcp/sfmcp/internal/auth"
	"github.com/sfmcp/sfmcp/internal/browser"
	"github.com/sfmcp/sfmcp/internal/config"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
	"github.com/sfmcp/sfmcp/internal/telemetry"
)

// Factory hands commands their dependencies. Each func field is lazy: nothing
// is read, dialled or resolved until a command asks, so `sfmcp version` never
// touches the config file or the network. Tests build a Factory by hand with
// stubs; production code gets one from NewFactory.
type Factory struct {
	AppVersion string               // sfmcp's version, for User-Agent and MCP server info
	Executable string               // path of the running binary, for hints and re-exec
	IOStreams  *iostreams.IOStreams // stdin/stdout/stderr and their terminal properties

	Config     func() (*config.Config, error) // flags > env > file > defaults; loaded once
	HTTPClient func() (*http.Client, error)   // one shared client: keep-alive, timeouts, User-Agent

	// Credentials resolves the Salesforce login a command should use:
	// EmulatorCredentials under --emulator, else SALESFORCE_ACCESS_TOKEN +
	// SALESFORCE_INSTANCE_URL (or their aliases) from the environment, else
	// KeyringLookup for --org / the default org. Failures are *AuthError (exit 4).
	Credentials func(ctx context.Context) (*Credentials, error)
	// EmulatorCredentials starts or finds the local emulator org; nil until the emulator is wired in.
	EmulatorCredentials func(ctx context.Context) (*Credentials, error)
	// KeyringLookup loads the stored login for an org alias ("" = default org)
	// from the config file and the keyring (TokenStore).
	KeyringLookup func(ctx context.Context, org string) (*Credentials, error)
	// TokenStore keeps the logins' tokens: the OS keyring, or the tokens file
	// for logins made with --insecure-storage.
	TokenStore func() (*auth.TokenStore, error)
	// Browser opens URLs in the user's browser ($BROWSER honoured).
	Browser func() browser.Browser
	// APIUsage is the process's one tracker of the orgs' API usage, with the
	// configured --api-budget; every Salesforce client shares it.
	APIUsage func() (*salesforce.Usage, error)
	// OrgCache is the on-disk cache of what rarely changes about a login's
	// org (its API versions, its object names); nil, or a nil result, caches
	// nothing.
	OrgCache func(creds *Credentials) *ops.OrgCache
	// Telemetry observes Salesforce requests (metrics, traces, audit). It
	// is filled in before the first client is built (serve sets its
	// metrics and tracer, cli.Main the audit log); nil observes nothing.
	Telemetry *telemetry.Telemetry
}

// Credentials is one Salesforce login, wherever it came from. Never print it:
// String hides the secrets.
type Credentials struct {
	AccessToken  string // OAuth access token (session id)
	InstanceURL  string // https://acme.my.salesforce.com, no trailing slash
	RefreshToken string // "" when the login cannot be refreshed
	ClientID     string // Connected App consumer key used for refresh
	ClientSecret string // "" for PKCE-only public clients
	LoginURL     string // where refresh and re-login go: login.salesforce.com, test.salesforce.com, ...
	Source       string // where it came from: "env", "emulator", "keyring:<alias>"
	// OnRefresh, when set, persists a refreshed token (keyring logins write
	// it back to the keyring); the Salesforce client calls it after a refresh.
	OnRefresh TokenSaver
	// Coordinate, when set, makes one refresh serve every process sharing
	// the stored login and saves the result (salesforce.TokenSourceConfig.Coordinate);
	// it takes the place of OnRefresh.
	Coordinate func(ctx context.Context, stale salesforce.Token, refresh func(context.Context) (salesforce.Token, error)) (salesforce.Token, error)
	// Renew, when set, gets a new session for a login without a refresh
	// token (JWT and client-credentials logins run their grant again).
	Renew func(ctx context.Context) (salesforce.Token, error)
}

// String describes the credentials without their secrets.
func (c *Credentials) String() string {
	if c == nil {
		return "<no credentials>"
	}
	return "Salesforce login for " + c.InstanceURL + " (from " + c.Source + ")"
}

// GoString keeps %#v from printing tokens too.
func (c *Credentials) GoString() string { return c.String() }
