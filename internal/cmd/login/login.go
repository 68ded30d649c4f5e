// Package login implements `sfmcp login`.
package login

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/auth"
	"github.com/sfmcp/sfmcp/internal/browser"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/config"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/keyring"
)

// SandboxLoginURL is where sandbox orgs log in.
const SandboxLoginURL = "https://test.salesforce.com"

// Options are the inputs of `sfmcp login`.
type Options struct {
	IO         *iostreams.IOStreams
	Config     func() (*config.Config, error)
	HTTPClient func() (*http.Client, error)
	TokenStore func() (*auth.TokenStore, error)
	Browser    func() browser.Browser

	InstanceURL     string
	Sandbox         bool
	Alias           string
	ClientID        string
	Port            int
	Timeout         time.Duration
	Device          bool
	WithToken       bool
	InsecureStorage bool

	// deviceInterval overrides the device flow's polling interval (tests).
	deviceInterval time.Duration
	ctx            context.Context
}

// NewCmdLogin builds the command; runF replaces loginRun in tests.
func NewCmdLogin(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Config: f.Config, HTTPClient: f.HTTPClient, TokenStore: f.TokenStore, Browser: f.Browser}
	cmd := &cobra.Command{
		Use:   "login [flags]",
		Short: "Log in to a Salesforce org",
		Long: `Log in to a Salesforce org and keep the login in the system keyring.

By default sfmcp opens your browser on Salesforce's login page (OAuth 2.0
with PKCE) and waits for Salesforce to redirect to
http://localhost:1717/OAuthRedirect. This needs a Connected App whose
consumer key you give with --client-id, SALESFORCE_CLIENT_ID or client_id in
the config file.

--device logs in from a machine without a browser: you enter a code on any
other device. --with-token stores an access token read from stdin (its first
line; the instance URL on the second line or with --instance-url); such a
login cannot be refreshed.

The first login becomes the default org; choose another with sfmcp org use.`,
		Example: `  sfmcp login --client-id 3MVG9...
  sfmcp login --sandbox --alias dev
  sfmcp login --instance-url https://acme.my.salesforce.com --alias acme
  sfmcp login --device
  echo "$TOKEN" | sfmcp login --with-token --instance-url https://acme.my.salesforce.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.InstanceURL != "" && opts.Sandbox {
				return cmdutil.FlagErrorf("--instance-url and --sandbox cannot be combined")
			}
			if opts.Device && opts.WithToken {
				return cmdutil.FlagErrorf("--device and --with-token cannot be combined")
			}
			if opts.Port < 0 || opts.Port > 65535 {
				return cmdutil.FlagErrorf("--port %d: want a port number between 1 and 65535", opts.Port)
			}
			if opts.Timeout <= 0 {
				return cmdutil.FlagErrorf("--timeout must be positive")
			}
			if opts.Alias != "" {
				if err := auth.ValidAlias(opts.Alias); err != nil {
					return cmdutil.FlagErrorWrap(err)
				}
			}
			opts.ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return loginRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.InstanceURL, "instance-url", "", "Log in at this `URL` (a My Domain, or login.salesforce.com); with --with-token, the org's instance URL")
	fl.BoolVar(&opts.Sandbox, "sandbox", false, "Log in to a sandbox (test.salesforce.com)")
	fl.StringVarP(&opts.Alias, "alias", "a", "", "Name the login `alias` (default: the username)")
	fl.StringVar(&opts.ClientID, "client-id", "", "The Connected App's consumer key (default: SALESFORCE_CLIENT_ID or the config file)")
	fl.IntVar(&opts.Port, "port", auth.DefaultPort, "Loopback `port` for the login callback; the Connected App's callback URL must match")
	fl.DurationVar(&opts.Timeout, "timeout", auth.DefaultTimeout, "How long to wait for the login in the browser")
	fl.BoolVar(&opts.Device, "device", false, "Log in with a code entered on another device (no browser needed here)")
	fl.BoolVar(&opts.WithToken, "with-token", false, "Read an access token (and optionally the instance URL) from stdin")
	fl.BoolVar(&opts.InsecureStorage, "insecure-storage", false, "Keep the tokens in a plain-text file readable only by you, not the system keyring")
	return cmd
}

// connectedAppHelp explains where a client id comes from.
const connectedAppHelp = `no Connected App client id: give one with --client-id, SALESFORCE_CLIENT_ID or client_id in the config file.
To create one in Salesforce: Setup > App Manager > New Connected App (or New External Client App):
  - enable OAuth settings, callback URL http://localhost:1717/OAuthRedirect (match --port if you change it)
  - OAuth scopes: api, refresh_token, offline_access
  - require Proof Key for Code Exchange (PKCE); no client secret is needed
  - for --device, also enable the device flow
Then copy its Consumer Key and run: sfmcp login --client-id <consumer key>`

func loginRun(opts *Options) error {
	ctx := opts.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	hc, err := opts.HTTPClient()
	if err != nil {
		return err
	}

	loginURL := cfg.LoginURL()
	switch {
	case opts.Sandbox:
		loginURL = SandboxLoginURL
	case opts.InstanceURL != "":
		loginURL = opts.InstanceURL
	}

	var tokens *auth.Tokens
	clientID := ""
	if opts.WithToken {
		token, instance, err := auth.ReadToken(opts.IO.In)
		if err != nil {
			return cmdutil.FlagErrorWrap(err)
		}
		if instance == "" {
			instance = opts.InstanceURL
		}
		if instance == "" {
			return cmdutil.FlagErrorf("--with-token: give the instance URL on the second line of stdin or with --instance-url")
		}
		if instance, err = auth.CheckLoginURL(instance); err != nil {
			return cmdutil.FlagErrorWrap(err)
		}
		tokens = &auth.Tokens{AccessToken: token, InstanceURL: instance}
		loginURL = instance // revoke and re-login go to the org itself
	} else {
		if loginURL, err = auth.CheckLoginURL(loginURL); err != nil {
			return cmdutil.FlagErrorWrap(err)
		}
		clientID = opts.ClientID
		if clientID == "" {
			clientID = cfg.ClientID()
		}
		if clientID == "" {
			return cmdutil.FlagErrorWrap(errors.New(connectedAppHelp))
		}
		if opts.Device {
			fl := &auth.DeviceFlow{LoginURL: loginURL, ClientID: clientID, ClientSecret: cfg.ClientSecret(), Timeout: opts.Timeout,
				Stderr: opts.IO.ErrOut, HTTPClient: hc, Interval: opts.deviceInterval}
			tokens, err = fl.Run(ctx)
		} else {
			fl := &auth.BrowserFlow{LoginURL: loginURL, ClientID: clientID, ClientSecret: cfg.ClientSecret(), Port: opts.Port,
				Timeout: opts.Timeout, Browser: opts.Browser(), Stderr: opts.IO.ErrOut, HTTPClient: hc}
			tokens, err = fl.Run(ctx)
		}
		if err != nil {
			return err
		}
	}

	who, err := auth.WhoAmI(ctx, hc, tokens)
	if err != nil {
		if opts.WithToken {
			return &cmdutil.AuthError{Msg: "Salesforce did not accept the token", Err: cmdutil.SalesforceError(err)}
		}
		return fmt.Errorf("asking Salesforce who logged in: %w", cmdutil.SalesforceError(err))
	}
	login := auth.Login{
		Alias:       opts.Alias,
		Username:    who.PreferredUsername,
		UserID:      who.UserID,
		OrgID:       who.OrganizationID,
		InstanceURL: tokens.InstanceURL,
		LoginURL:    loginURL,
		ClientID:    clientID,
		Storage:     auth.StorageKeyring,
	}
	if login.Alias == "" {
		login.Alias = login.Username
	}
	if opts.InsecureStorage {
		login.Storage = auth.StorageFile
	}
	store, err := opts.TokenStore()
	if err != nil {
		return err
	}
	becameDefault, err := store.Login(ctx, cfg, login, auth.Secrets{AccessToken: tokens.AccessToken, RefreshToken: tokens.RefreshToken}, false)
	if err != nil {
		if errors.Is(err, keyring.ErrUnavailable) {
			return fmt.Errorf("logged in, but could not save the login: %w", err)
		}
		return fmt.Errorf("saving the login: %w", err)
	}
	fmt.Fprintf(opts.IO.ErrOut, "Logged in to %s as %s (alias %s)\n", login.InstanceURL, login.Username, login.Alias)
	if login.Storage == auth.StorageFile && !cfg.Quiet() {
		// Said at login and in org list, not on every command.
		fmt.Fprintln(opts.IO.ErrOut, store.InsecureWarning())
	}
	if becameDefault {
		fmt.Fprintf(opts.IO.ErrOut, "%s is the default org\n", login.Alias)
	}
	if tokens.RefreshToken == "" {
		fmt.Fprintln(opts.IO.ErrOut, "This login has no refresh token: run sfmcp login again when the session expires")
	}
	return nil
}
