// Package login implements `sfmcp login`.
package login

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
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

	// SFDXURLFile is a file holding an sfdx auth URL ("-": stdin).
	SFDXURLFile string
	// FromSF imports a login of the sf CLI; SFAlias names it ("" is sf's default org).
	FromSF  bool
	SFAlias string
	// JWTKeyFile is the private key of the JWT bearer flow; Username is its subject.
	JWTKeyFile string
	Username   string
	// ClientCredentials uses the client-credentials flow (the secret comes
	// from SALESFORCE_CLIENT_SECRET or client_secret in the config file).
	ClientCredentials bool

	// SF runs the sf CLI (--from-sf); tests point it at another executable.
	SF *auth.SFCLI

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

Already logged in with the sf CLI? Import that login, no setup needed:
  sfmcp login --from-sf [ALIAS]
It runs sf org display --verbose --json and keeps the login's refresh token
(its auth URL), so sfmcp renews the session as sf does.

Other ways that need no Connected App of your own:
  --sfdx-url-file FILE   an sfdx auth URL, force://<clientId>:<clientSecret>:
                         <refreshToken>@<instance> (what sf org display
                         --verbose prints); "-" reads it from stdin
  --with-token           an access token read from stdin (its first line; the
                         instance URL on the second line or --instance-url);
                         such a login cannot be renewed

For CI, with a Connected App or External Client App:
  --jwt-key-file KEY --username U --client-id ID
                         the JWT bearer flow: KEY is the private key of the
                         certificate uploaded to the app
  --client-credentials --client-id ID --instance-url https://MYDOMAIN
                         the client-credentials flow; the consumer secret
                         comes from SALESFORCE_CLIENT_SECRET or the config file

Interactive logins with your own Connected App (--client-id,
SALESFORCE_CLIENT_ID or client_id in the config file): by default sfmcp
opens your browser on Salesforce's login page (OAuth 2.0 with PKCE) and
waits for Salesforce to redirect to http://localhost:1717/OAuthRedirect;
--device logs in from a machine without a browser: you enter a code on any
other device.

One login is kept per user and login host: logging in as the same user
under a new alias replaces the earlier alias, and sfmcp says so. The first
login becomes the default org; choose another with sfmcp org use.`,
		Example: `  sfmcp login --from-sf
  sfmcp login --from-sf my-sandbox --alias dev
  sf org display --verbose --json -o prod | sfmcp login --sfdx-url-file - --alias prod
  sfmcp login --jwt-key-file server.key --username ci@acme.com --client-id 3MVG9... --alias ci
  SALESFORCE_CLIENT_SECRET=... sfmcp login --client-credentials --client-id 3MVG9... --instance-url https://acme.my.salesforce.com
  sfmcp login --client-id 3MVG9...
  sfmcp login --sandbox --alias dev
  sfmcp login --device
  echo "$TOKEN" | sfmcp login --with-token --instance-url https://acme.my.salesforce.com`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if !opts.FromSF {
					return cmdutil.FlagErrorf("unexpected argument %q: only --from-sf takes one (the sf alias or username)", args[0])
				}
				opts.SFAlias = args[0]
			}
			if err := checkFlags(cmd, opts); err != nil {
				return err
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
	fl.BoolVar(&opts.FromSF, "from-sf", false, "Import a login of the sf CLI (an alias or username as argument; default: sf's default org)")
	fl.StringVar(&opts.SFDXURLFile, "sfdx-url-file", "", "Log in with the sfdx auth URL in `file` (force://...; - reads stdin)")
	fl.StringVar(&opts.JWTKeyFile, "jwt-key-file", "", "Log in with the JWT bearer flow, signing with this private `key` file (needs --username and --client-id)")
	fl.StringVar(&opts.Username, "username", "", "The `user` the JWT bearer flow logs in as")
	fl.BoolVar(&opts.ClientCredentials, "client-credentials", false, "Log in with the client-credentials flow (needs --client-id, --instance-url and SALESFORCE_CLIENT_SECRET)")
	return cmd
}

// checkFlags refuses flag combinations that cannot mean anything.
func checkFlags(cmd *cobra.Command, opts *Options) error {
	if opts.InstanceURL != "" && opts.Sandbox {
		return cmdutil.FlagErrorf("--instance-url and --sandbox cannot be combined")
	}
	var ways []string
	for _, w := range []struct {
		on   bool
		name string
	}{{opts.Device, "--device"}, {opts.WithToken, "--with-token"}, {opts.SFDXURLFile != "", "--sfdx-url-file"},
		{opts.FromSF, "--from-sf"}, {opts.JWTKeyFile != "", "--jwt-key-file"}, {opts.ClientCredentials, "--client-credentials"}} {
		if w.on {
			ways = append(ways, w.name)
		}
	}
	if len(ways) > 1 {
		return cmdutil.FlagErrorf("%s and %s cannot be combined: choose one way to log in", ways[0], ways[1])
	}
	if opts.Username != "" && opts.JWTKeyFile == "" {
		return cmdutil.FlagErrorf("--username goes with --jwt-key-file")
	}
	if opts.JWTKeyFile != "" && opts.Username == "" {
		return cmdutil.FlagErrorf("--jwt-key-file needs --username: the user to log in as")
	}
	if opts.SFDXURLFile != "" || opts.FromSF {
		// The auth URL names its own instance and client.
		for _, name := range []string{"instance-url", "sandbox", "client-id"} {
			if cmd.Flags().Changed(name) {
				return cmdutil.FlagErrorf("--%s cannot be combined with %s: the auth URL names the instance and the client", name, ways[0])
			}
		}
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
	return nil
}

// connectedAppHelp explains where a client id comes from.
const connectedAppHelp = `no Connected App client id: give one with --client-id, SALESFORCE_CLIENT_ID or client_id in the config file.
To create one in Salesforce: Setup > App Manager > New Connected App (or New External Client App):
  - enable OAuth settings, callback URL http://localhost:1717/OAuthRedirect (match --port if you change it)
  - OAuth scopes: api, refresh_token, offline_access
  - require Proof Key for Code Exchange (PKCE); no client secret is needed
  - for --device, also enable the device flow
Then copy its Consumer Key and run: sfmcp login --client-id <consumer key>`

// obtained is what a login flow got: the session and what renewing it needs.
type obtained struct {
	tokens       *auth.Tokens
	loginURL     string // where the session is renewed (and revoked)
	clientID     string
	clientSecret string // kept in the keyring when a renewal needs it
	alias        string // a default alias from the source (the sf CLI's)
	grant        string // auth.GrantJWT or auth.GrantClientCredentials: run again to renew
	jwtKeyFile   string // the JWT key's absolute path (the key stays in its file)
}

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

	var got *obtained
	switch {
	case opts.WithToken:
		got, err = withToken(opts)
	case opts.SFDXURLFile != "":
		got, err = fromSFDXURLFile(ctx, hc, opts)
	case opts.FromSF:
		got, err = fromSF(ctx, hc, opts)
	default:
		if loginURL, err = auth.CheckLoginURL(loginURL); err != nil {
			return cmdutil.FlagErrorWrap(err)
		}
		clientID := opts.ClientID
		if clientID == "" {
			clientID = cfg.ClientID()
		}
		switch {
		case opts.JWTKeyFile != "":
			got, err = jwtBearer(ctx, hc, opts, loginURL, clientID)
		case opts.ClientCredentials:
			got, err = clientCredentials(ctx, hc, cfg, loginURL, clientID)
		default:
			got, err = interactive(ctx, hc, opts, cfg, loginURL, clientID)
		}
	}
	if err != nil {
		return err
	}
	return finish(ctx, opts, cfg, hc, got)
}

func withToken(opts *Options) (*obtained, error) {
	token, instance, err := auth.ReadToken(opts.IO.In)
	if err != nil {
		return nil, cmdutil.FlagErrorWrap(err)
	}
	if instance == "" {
		instance = opts.InstanceURL
	}
	if instance == "" {
		return nil, cmdutil.FlagErrorf("--with-token: give the instance URL on the second line of stdin or with --instance-url")
	}
	if instance, err = auth.CheckLoginURL(instance); err != nil {
		return nil, cmdutil.FlagErrorWrap(err)
	}
	// Revoke and re-login go to the org itself.
	return &obtained{tokens: &auth.Tokens{AccessToken: token, InstanceURL: instance}, loginURL: instance}, nil
}

func fromSFDXURLFile(ctx context.Context, hc *http.Client, opts *Options) (*obtained, error) {
	var r io.Reader
	if opts.SFDXURLFile == "-" {
		r = opts.IO.In
	} else {
		f, err := os.Open(opts.SFDXURLFile)
		if err != nil {
			return nil, cmdutil.FlagErrorf("--sfdx-url-file: %v", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, 64<<10))
	if err != nil {
		return nil, cmdutil.FlagErrorf("--sfdx-url-file: reading %s: %v", opts.SFDXURLFile, err)
	}
	a, err := auth.ParseSFDXAuthURL(string(data))
	if err != nil {
		return nil, cmdutil.FlagErrorf("--sfdx-url-file %s: %v", opts.SFDXURLFile, err)
	}
	return fromAuthURL(ctx, hc, a)
}

// fromAuthURL renews the auth URL's refresh token at its instance, as its
// client: the session is sfmcp's own, and the refresh token proves usable.
func fromAuthURL(ctx context.Context, hc *http.Client, a auth.SFDXAuthURL) (*obtained, error) {
	t, err := auth.RefreshGrant(ctx, hc, auth.TokenURL(a.InstanceURL), a.ClientID, a.ClientSecret, a.RefreshToken)
	if err != nil {
		return nil, withMsg(err, "the auth URL's refresh token was refused (expired, revoked, or for another client or org): get a new one with sf org display --verbose")
	}
	return &obtained{tokens: t, loginURL: a.InstanceURL, clientID: a.ClientID, clientSecret: a.ClientSecret}, nil
}

func fromSF(ctx context.Context, hc *http.Client, opts *Options) (*obtained, error) {
	sf := opts.SF
	if sf == nil {
		sf = &auth.SFCLI{}
	}
	org, err := sf.Display(ctx, opts.SFAlias)
	if err != nil {
		return nil, err
	}
	var got *obtained
	if org.AuthURL != nil {
		if got, err = fromAuthURL(ctx, hc, *org.AuthURL); err != nil {
			return nil, err
		}
	} else {
		// An sf login without a refresh token: its access token alone.
		got = &obtained{tokens: &auth.Tokens{AccessToken: org.AccessToken, InstanceURL: org.InstanceURL}, loginURL: org.InstanceURL}
	}
	if org.Alias != "" && auth.ValidAlias(org.Alias) == nil {
		got.alias = org.Alias
	}
	return got, nil
}

func jwtBearer(ctx context.Context, hc *http.Client, opts *Options, loginURL, clientID string) (*obtained, error) {
	if clientID == "" {
		return nil, cmdutil.FlagErrorf("--jwt-key-file needs --client-id (or SALESFORCE_CLIENT_ID): the consumer key of the Connected App holding the certificate")
	}
	key, err := os.ReadFile(opts.JWTKeyFile)
	if err != nil {
		return nil, cmdutil.FlagErrorf("--jwt-key-file: %v", err)
	}
	keyPath, err := filepath.Abs(opts.JWTKeyFile)
	if err != nil {
		return nil, cmdutil.FlagErrorf("--jwt-key-file: %v", err)
	}
	fl := &auth.JWTBearer{LoginURL: loginURL, Audience: auth.JWTAudience(loginURL), ClientID: clientID, Username: opts.Username, PrivateKey: key}
	t, err := fl.Run(ctx, hc)
	if err != nil {
		return nil, err
	}
	return &obtained{tokens: t, loginURL: loginURL, clientID: clientID, grant: auth.GrantJWT, jwtKeyFile: keyPath}, nil
}

func clientCredentials(ctx context.Context, hc *http.Client, cfg *config.Config, loginURL, clientID string) (*obtained, error) {
	if clientID == "" {
		return nil, cmdutil.FlagErrorf("--client-credentials needs --client-id (or SALESFORCE_CLIENT_ID): the consumer key of the External Client App")
	}
	secret := cfg.ClientSecret()
	if secret == "" {
		return nil, cmdutil.FlagErrorf("--client-credentials needs the consumer secret in SALESFORCE_CLIENT_SECRET (or client_secret in the config file)")
	}
	if u, err := url.Parse(loginURL); err == nil && (strings.EqualFold(u.Hostname(), "login.salesforce.com") || strings.EqualFold(u.Hostname(), "test.salesforce.com")) {
		return nil, cmdutil.FlagErrorf("--client-credentials needs the org's My Domain (--instance-url https://acme.my.salesforce.com): Salesforce refuses this flow on %s", u.Hostname())
	}
	t, err := auth.ClientCredentials(ctx, hc, auth.TokenURL(loginURL), clientID, secret)
	if err != nil {
		return nil, err
	}
	return &obtained{tokens: t, loginURL: loginURL, clientID: clientID, clientSecret: secret, grant: auth.GrantClientCredentials}, nil
}

func interactive(ctx context.Context, hc *http.Client, opts *Options, cfg *config.Config, loginURL, clientID string) (*obtained, error) {
	if clientID == "" {
		return nil, cmdutil.FlagErrorWrap(errors.New(connectedAppHelp))
	}
	var t *auth.Tokens
	var err error
	if opts.Device {
		fl := &auth.DeviceFlow{LoginURL: loginURL, ClientID: clientID, ClientSecret: cfg.ClientSecret(), Timeout: opts.Timeout,
			Stderr: opts.IO.ErrOut, HTTPClient: hc, Interval: opts.deviceInterval}
		t, err = fl.Run(ctx)
	} else {
		fl := &auth.BrowserFlow{LoginURL: loginURL, ClientID: clientID, ClientSecret: cfg.ClientSecret(), Port: opts.Port,
			Timeout: opts.Timeout, Browser: opts.Browser(), Stderr: opts.IO.ErrOut, HTTPClient: hc}
		t, err = fl.Run(ctx)
	}
	if err != nil {
		return nil, err
	}
	return &obtained{tokens: t, loginURL: loginURL, clientID: clientID}, nil
}

// withMsg puts a hint on an *auth.Error from Salesforce, keeping its cause.
func withMsg(err error, hint string) error {
	var ae *auth.Error
	if errors.As(err, &ae) {
		return &auth.Error{Msg: ae.Msg + " (" + hint + ")", Err: ae.Err}
	}
	return err
}

// finish asks Salesforce who logged in and stores the login. Nothing is
// stored before every check has passed, so a failed login leaves no trace.
func finish(ctx context.Context, opts *Options, cfg *config.Config, hc *http.Client, got *obtained) error {
	tokens := got.tokens
	who, err := auth.WhoAmI(ctx, hc, tokens)
	if err != nil {
		if opts.WithToken || (opts.FromSF && tokens.RefreshToken == "") {
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
		LoginURL:    got.loginURL,
		ClientID:    got.clientID,
		Storage:     auth.StorageKeyring,
		Grant:       got.grant,
		JWTKeyFile:  got.jwtKeyFile,
	}
	if login.Alias == "" {
		login.Alias = got.alias
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
	res, err := store.Login(ctx, cfg, login, auth.Secrets{AccessToken: tokens.AccessToken, RefreshToken: tokens.RefreshToken, ClientSecret: got.clientSecret}, false)
	if err != nil {
		if errors.Is(err, keyring.ErrUnavailable) {
			return fmt.Errorf("logged in, but could not save the login: %w", err)
		}
		return fmt.Errorf("saving the login: %w", err)
	}
	fmt.Fprintf(opts.IO.ErrOut, "Logged in to %s as %s (alias %s)\n", login.InstanceURL, login.Username, login.Alias)
	for _, old := range res.Replaced {
		fmt.Fprintf(opts.IO.ErrOut, "This login replaces the login %s of the same user: sfmcp keeps one login per user, now called %s\n", old, login.Alias)
	}
	if login.Storage == auth.StorageFile && !cfg.Quiet() {
		// Said at login and in org list, not on every command.
		fmt.Fprintln(opts.IO.ErrOut, store.InsecureWarning())
	}
	if res.MadeDefault {
		fmt.Fprintf(opts.IO.ErrOut, "%s is the default org\n", login.Alias)
	}
	switch {
	case tokens.RefreshToken != "":
	case got.grant == auth.GrantJWT:
		fmt.Fprintf(opts.IO.ErrOut, "This login has no refresh token: sfmcp renews its session with the key in %s (keep it there)\n", got.jwtKeyFile)
	case got.grant == auth.GrantClientCredentials:
		fmt.Fprintln(opts.IO.ErrOut, "This login has no refresh token: sfmcp renews its session with the client secret it keeps with the login's tokens")
	default:
		fmt.Fprintln(opts.IO.ErrOut, "This login has no refresh token: run sfmcp login again when the session expires")
	}
	return nil
}
