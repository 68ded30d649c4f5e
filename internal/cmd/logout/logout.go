// Package logout implements `sfmcp logout`.
package logout

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/auth"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/config"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
)

// Options are the inputs of `sfmcp logout`.
type Options struct {
	IO         *iostreams.IOStreams
	Config     func() (*config.Config, error)
	HTTPClient func() (*http.Client, error)
	TokenStore func() (*auth.TokenStore, error)
	// OrgCache gives a login's cache of org facts, removed with the login (nil: none).
	OrgCache func(creds *cmdutil.Credentials) *ops.OrgCache

	Alias string
	All   bool
	ctx   context.Context
}

// NewCmdLogout builds the command; runF replaces logoutRun in tests.
func NewCmdLogout(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Config: f.Config, HTTPClient: f.HTTPClient, TokenStore: f.TokenStore, OrgCache: f.OrgCache}
	cmd := &cobra.Command{
		Use:   "logout [--alias NAME | --all]",
		Short: "Log out of a Salesforce org",
		Long: `Log out: revoke the login's tokens at Salesforce, then forget them (keyring)
and the login (config file). Without --alias, the login chosen by --org or
the default org. If Salesforce cannot be reached to revoke, the login is
forgotten here anyway and the failure is reported.`,
		Example: `  sfmcp logout
  sfmcp logout --alias dev
  sfmcp logout --all`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.All && opts.Alias != "" {
				return cmdutil.FlagErrorf("--alias and --all cannot be combined")
			}
			opts.ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return logoutRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Alias, "alias", "a", "", "Log out of the login with this `alias`")
	cmd.Flags().BoolVar(&opts.All, "all", false, "Log out of every login")
	return cmd
}

func logoutRun(opts *Options) error {
	ctx := opts.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	var logins []auth.Login
	if opts.All {
		if logins, err = auth.Logins(cfg); err != nil {
			return err
		}
		if len(logins) == 0 {
			fmt.Fprintln(opts.IO.ErrOut, "No logins to log out of")
			return nil
		}
	} else {
		alias := opts.Alias
		if alias == "" {
			alias = cfg.Org()
		}
		l, ok, err := auth.FindLogin(cfg, alias)
		if err != nil {
			return err
		}
		if !ok {
			if alias == "" {
				return cmdutil.FlagErrorf("no default org to log out of: name one with --alias (see sfmcp org list)")
			}
			return cmdutil.FlagErrorf("there is no login called %q (see sfmcp org list)", alias)
		}
		logins = []auth.Login{l}
	}
	store, err := opts.TokenStore()
	if err != nil {
		return err
	}
	hc, err := opts.HTTPClient()
	if err != nil {
		return err
	}
	var failed error
	for _, l := range logins {
		revokeLogin(ctx, opts, store, hc, l)
		if err := store.Logout(ctx, cfg, l); err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "Could not forget %s: %v\n", l.Alias, err)
			failed = errors.Join(failed, err)
			continue
		}
		if opts.OrgCache != nil {
			// The cached versions and object names go with the login.
			_ = opts.OrgCache(&cmdutil.Credentials{Source: "keyring:" + l.Alias, InstanceURL: l.InstanceURL}).Forget()
		}
		fmt.Fprintf(opts.IO.ErrOut, "Logged out of %s (%s)\n", l.Alias, l.Username)
	}
	if failed != nil {
		return cmdutil.ErrSilent
	}
	return nil
}

// revokeLogin revokes the login's refresh token (which revokes its access
// tokens too) or, without one, its access token. Failures are reported and
// otherwise ignored: forgetting the login locally matters more.
func revokeLogin(ctx context.Context, opts *Options, store *auth.TokenStore, hc *http.Client, l auth.Login) {
	sec, err := store.Load(ctx, l)
	if err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "Warning: could not read the tokens of %s to revoke them: %v\n", l.Alias, err)
		return
	}
	token := sec.RefreshToken
	if token == "" {
		token = sec.AccessToken
	}
	if err := auth.Revoke(ctx, hc, l.LoginURL, token); err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "Warning: %s: %v; forgetting the login here anyway\n", l.Alias, err)
	}
}
