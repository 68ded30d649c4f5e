// Package display implements `sfmcp org display`.
package display

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/auth"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/config"
	"github.com/sfmcp/sfmcp/internal/iostreams"
)

// Options are the inputs of `sfmcp org display`.
type Options struct {
	IO         *iostreams.IOStreams
	Config     func() (*config.Config, error)
	TokenStore func() (*auth.TokenStore, error)
	Exporter   cmdutil.Exporter

	ShowToken bool
	ctx       context.Context
}

// Details is what `org display --json` prints.
type Details struct {
	auth.Login
	Default     bool   `json:"default"`
	AccessToken string `json:"access_token,omitempty"` // only with --show-token
}

// NewCmdDisplay builds the command; runF replaces displayRun in tests.
func NewCmdDisplay(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Config: f.Config, TokenStore: f.TokenStore}
	cmd := &cobra.Command{
		Use:   "display",
		Short: "Show a login (the default org, or --org)",
		Long: `Show a login: alias, username, instance and login URLs, org and user ids,
Connected App and where its tokens are kept. The access token is shown only
with --show-token; the refresh token never is.`,
		Example: `  sfmcp org display
  sfmcp org display --org dev --json
  curl -H "Authorization: Bearer $(sfmcp org display --show-token --jq .access_token)" ...`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return displayRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.ShowToken, "show-token", false, "Also show the access token")
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	return cmd
}

func displayRun(opts *Options) error {
	ctx := opts.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	l, ok, err := auth.FindLogin(cfg, cfg.Org())
	if err != nil {
		return err
	}
	if !ok {
		return cmdutil.NoLoginError(cfg.Org())
	}
	d := Details{Login: l, Default: l.Alias == auth.DefaultAlias(cfg)}
	if opts.ShowToken {
		store, err := opts.TokenStore()
		if err != nil {
			return err
		}
		sec, err := store.Load(ctx, l)
		if err != nil {
			return &cmdutil.AuthError{Msg: fmt.Sprintf("cannot read the tokens of login %q", l.Alias), Err: err}
		}
		d.AccessToken = sec.AccessToken
	}
	if opts.Exporter.Enabled() {
		return opts.Exporter.Write(ctx, opts.IO, d)
	}
	w := opts.IO.Out
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-14s %s\n", k+":", v)
		}
	}
	row("Alias", l.Alias)
	row("Username", l.Username)
	row("Instance URL", l.InstanceURL)
	row("Login URL", l.LoginURL)
	row("Org ID", l.OrgID)
	row("User ID", l.UserID)
	row("Client ID", l.ClientID)
	row("Storage", l.Storage)
	row("Default", fmt.Sprint(d.Default))
	if opts.ShowToken {
		row("Access token", d.AccessToken)
	} else {
		row("Access token", "(hidden; --show-token shows it)")
	}
	_, err = io.WriteString(w, "")
	return err
}
