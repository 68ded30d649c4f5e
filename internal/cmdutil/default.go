package cmdutil

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/sfmcp/sfmcp/internal/auth"
	"github.com/sfmcp/sfmcp/internal/browser"
	"github.com/sfmcp/sfmcp/internal/config"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
	"github.com/sfmcp/sfmcp/internal/telemetry"
)

// NewFactory wires the production dependencies, in dependency order.
// globalFlags are the root's persistent flags (--org, --emulator,
// --api-version, --quiet, --verbose); the config binds them, so they must be
// parsed before a command first calls Config.
func NewFactory(appVersion string, globalFlags *pflag.FlagSet) *Factory {
	f := &Factory{AppVersion: appVersion}
	f.Executable = executable()           // for hints that name the binary
	f.IOStreams = iostreams.System()      // the real stdin/stdout/stderr
	f.Config = configFunc(globalFlags)    // loaded on first use, then cached
	f.HTTPClient = httpClientFunc(f)      // built on first use, then shared; -v logs its requests
	f.TokenStore = tokenStoreFunc(f)      // keyring + tokens file beside the config
	f.Browser = browserFunc(f)            // $BROWSER or the platform's opener
	f.KeyringLookup = NewKeyringLookup(f) // config file logins + their tokens
	f.EmulatorCredentials = nil           // set when the emulator is wired in
	f.Credentials = func(ctx context.Context) (*Credentials, error) { return ResolveCredentials(ctx, f) }
	f.APIUsage = apiUsageFunc(f)         // --api-budget, shared by every client
	f.OrgCache = orgCacheFor             // per login, under the user cache directory
	f.Telemetry = &telemetry.Telemetry{} // filled in by serve and cli.Main
	return f
}

// orgCacheFor is the cache of creds's org in $XDG_CACHE_HOME/sfmcp/orgs (the
// platform's cache directory elsewhere). The --emulator org listens on a
// new port each run and answers at once: it gets none.
func orgCacheFor(creds *Credentials) *ops.OrgCache {
	if creds == nil || creds.Source == "emulator" {
		return nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return nil
	}
	return ops.NewOrgCache(filepath.Join(dir, "sfmcp", "orgs"), creds.Source, creds.InstanceURL)
}

func executable() string {
	exe, err := os.Executable()
	if err != nil {
		return "sfmcp"
	}
	return exe
}

func configFunc(flags *pflag.FlagSet) func() (*config.Config, error) {
	return sync.OnceValues(func() (*config.Config, error) {
		return config.Load(config.Options{Flags: flags})
	})
}

func apiUsageFunc(f *Factory) func() (*salesforce.Usage, error) {
	return sync.OnceValues(func() (*salesforce.Usage, error) {
		cfg, err := f.Config()
		if err != nil {
			return nil, err
		}
		budget, err := cfg.APIBudget()
		if err != nil {
			return nil, FlagErrorWrap(err)
		}
		return salesforce.NewUsage(budget, slog.New(slog.NewTextHandler(f.IOStreams.ErrOut, nil)))
	})
}

func httpClientFunc(f *Factory) func() (*http.Client, error) {
	return sync.OnceValues(func() (*http.Client, error) {
		hc := NewHTTPClient(f.AppVersion)
		cfg, err := f.Config()
		if err != nil {
			return nil, err
		}
		if cfg.Verbose() {
			hc.Transport = &verboseTransport{next: hc.Transport, w: f.IOStreams.ErrOut, now: time.Now}
		}
		return hc, nil
	})
}

// NewHTTPClient returns the client every Salesforce call shares: pooled
// keep-alive connections and timeouts on each phase of a request (dial, TLS,
// waiting for response headers). There is deliberately no overall
// Client.Timeout, which would cut off long Bulk API downloads; callers bound
// whole operations with their context.
func NewHTTPClient(appVersion string) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 150 * time.Second // a slow SOQL query may think for two minutes
	t.ExpectContinueTimeout = time.Second
	t.IdleConnTimeout = 90 * time.Second
	t.MaxIdleConns = 64
	t.MaxIdleConnsPerHost = 16
	// Salesforce never redirects an API call; a redirect is refused with an
	// error naming its Location instead of carrying the token elsewhere.
	return salesforce.WithoutRedirects(&http.Client{Transport: &userAgentTransport{next: t, agent: "sfmcp/" + appVersion}})
}

// userAgentTransport names sfmcp in every request that does not name itself.
type userAgentTransport struct {
	next  http.RoundTripper
	agent string
}

func (t *userAgentTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("User-Agent") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("User-Agent", t.agent)
	}
	return t.next.RoundTrip(req)
}

// NoLoginError is the error for "there is no login to use"; org "" means the default org.
func NoLoginError(org string) *AuthError {
	if org != "" {
		return &AuthError{Msg: fmt.Sprintf("no Salesforce login for org %q: run `sfmcp login --alias %s` or set SALESFORCE_ACCESS_TOKEN and SALESFORCE_INSTANCE_URL", org, org)}
	}
	return &AuthError{Msg: "no Salesforce login: run `sfmcp login` or set SALESFORCE_ACCESS_TOKEN and SALESFORCE_INSTANCE_URL"}
}

// noKeyring is a KeyringLookup that finds no login (for factories built
// without a keyring, in tests).
func noKeyring(_ context.Context, org string) (*Credentials, error) {
	return nil, NoLoginError(org)
}

func tokenStoreFunc(f *Factory) func() (*auth.TokenStore, error) {
	return sync.OnceValues(func() (*auth.TokenStore, error) {
		cfg, err := f.Config()
		if err != nil {
			return nil, err
		}
		// No warning on each use of the tokens file: login and org list say it.
		return auth.NewTokenStore(cfg.Path(), nil), nil
	})
}

func browserFunc(f *Factory) func() browser.Browser {
	return func() browser.Browser { return browser.FromEnv(f.IOStreams.ErrOut) }
}

// NewKeyringLookup is the production KeyringLookup over f's Config and
// TokenStore: a stored login's metadata from the config file, its tokens
// from the keyring (or the tokens file), and a hook that writes refreshed
// tokens back.
func NewKeyringLookup(f *Factory) func(ctx context.Context, org string) (*Credentials, error) {
	return func(ctx context.Context, org string) (*Credentials, error) {
		cfg, err := f.Config()
		if err != nil {
			return nil, err
		}
		login, ok, err := auth.FindLogin(cfg, org)
		if err != nil {
			return nil, err
		}
		if !ok {
			if org == "" && auth.DefaultAlias(cfg) != "" {
				org = auth.DefaultAlias(cfg)
			}
			return nil, NoLoginError(org)
		}
		store, err := f.TokenStore()
		if err != nil {
			return nil, err
		}
		sec, err := store.Load(ctx, login)
		if err != nil {
			return nil, &AuthError{Msg: fmt.Sprintf("cannot read the tokens of login %q", login.Alias), Err: err}
		}
		creds := &Credentials{
			AccessToken:  sec.AccessToken,
			RefreshToken: sec.RefreshToken,
			InstanceURL:  login.InstanceURL,
			ClientID:     login.ClientID,
			LoginURL:     login.LoginURL,
			Source:       "keyring:" + login.Alias,
			OnRefresh:    store.WriteBack(login, sec),
			// A token refreshed but not saved is said out loud: with an org
			// that rotates refresh tokens the stored login may be dead.
			Coordinate: store.Coordinator(login, sec, func(err error) {
				if f.IOStreams != nil {
					fmt.Fprintln(f.IOStreams.ErrOut, "warning:", err)
				}
			}),
		}
		if sec.RefreshToken == "" {
			hc, err := f.HTTPClient()
			if err != nil {
				return nil, err
			}
			if renew := auth.Renewal(login, sec, hc); renew != nil {
				creds.Renew = func(ctx context.Context) (salesforce.Token, error) {
					t, err := renew(ctx)
					if err != nil {
						return salesforce.Token{}, err
					}
					return salesforce.Token{AccessToken: t.AccessToken, InstanceURL: t.InstanceURL}, nil
				}
			}
		}
		switch {
		case sec.ClientSecret != "":
			creds.ClientSecret = sec.ClientSecret // kept with the login (an auth URL's, or client credentials')
		case cfg.ClientSecret() != "" && cfg.ClientID() == login.ClientID:
			creds.ClientSecret = cfg.ClientSecret() // a confidential Connected App's secret, from the environment
		}
		return creds, nil
	}
}

// ResolveCredentials finds the login a command should use, in order:
//
//  1. --emulator (or SFMCP_EMULATOR): f.EmulatorCredentials;
//  2. an access token in the environment (SFMCP_ACCESS_TOKEN,
//     SALESFORCE_ACCESS_TOKEN, SF_ACCESS_TOKEN) with an instance URL
//     (SFMCP_INSTANCE_URL, SALESFORCE_INSTANCE_URL, SF_INSTANCE_URL);
//  3. f.KeyringLookup for --org / SFMCP_ORG / the config file's default org.
//
// Every "no login" outcome is an *AuthError (exit 4).
func ResolveCredentials(ctx context.Context, f *Factory) (*Credentials, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	if cfg.Emulator() {
		if f.EmulatorCredentials == nil {
			return nil, fmt.Errorf("--emulator: the emulator is not available in this build")
		}
		return f.EmulatorCredentials(ctx)
	}
	if token := cfg.AccessToken(); token != "" {
		instance := cfg.InstanceURL()
		if instance == "" {
			return nil, &AuthError{Msg: "an access token is set in the environment but no instance URL: set SALESFORCE_INSTANCE_URL too"}
		}
		return &Credentials{
			AccessToken:  token,
			InstanceURL:  instance,
			RefreshToken: cfg.RefreshToken(),
			ClientID:     cfg.ClientID(),
			ClientSecret: cfg.ClientSecret(),
			LoginURL:     cfg.LoginURL(),
			Source:       "env",
		}, nil
	}
	if f.KeyringLookup == nil {
		return nil, NoLoginError(cfg.Org())
	}
	return f.KeyringLookup(ctx, cfg.Org())
}
