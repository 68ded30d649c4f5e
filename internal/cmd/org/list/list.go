// Package list implements `sfmcp org list`.
package list

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/auth"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/config"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/keyring"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/output"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp org list`.
type Options struct {
	IO         *iostreams.IOStreams
	Config     func() (*config.Config, error)
	HTTPClient func() (*http.Client, error)
	TokenStore func() (*auth.TokenStore, error)
	Exporter   cmdutil.Exporter

	Check bool
	ctx   context.Context
}

// Entry is one login as `org list --json` prints it.
type Entry struct {
	auth.Login
	Default bool   `json:"default"`
	Status  string `json:"status,omitempty"` // with --check: "ok", or what is wrong
}

// NewCmdList builds the command; runF replaces listRun in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Config: f.Config, HTTPClient: f.HTTPClient, TokenStore: f.TokenStore}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the logins",
		Long: `List the logins sfmcp keeps: alias, username, instance, and which is the
default org. --check asks Salesforce whether each stored token still works
(refreshing it when it has expired).`,
		Example: `  sfmcp org list
  sfmcp org list --check --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return listRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Check, "check", false, "Check with Salesforce that each login still works")
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	cmdutil.AddCSVFlag(cmd, &opts.Exporter, opts.IO)
	return cmd
}

func listRun(opts *Options) error {
	ctx := opts.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	logins, err := auth.Logins(cfg)
	if err != nil {
		return err
	}
	def := auth.DefaultAlias(cfg)
	entries := make([]Entry, 0, len(logins))
	for _, l := range logins {
		entries = append(entries, Entry{Login: l, Default: l.Alias == def})
	}
	if opts.Check && len(entries) > 0 {
		store, err := opts.TokenStore()
		if err != nil {
			return err
		}
		hc, err := opts.HTTPClient()
		if err != nil {
			return err
		}
		for i := range entries {
			entries[i].Status = check(ctx, hc, store, entries[i].Login)
		}
	}
	if !cfg.Quiet() && slices.ContainsFunc(entries, func(e Entry) bool { return e.Storage == auth.StorageFile }) {
		if store, err := opts.TokenStore(); err == nil && store.InsecureWarning() != "" {
			fmt.Fprintln(opts.IO.ErrOut, store.InsecureWarning())
		}
	}
	if len(entries) == 0 && !opts.Exporter.JSON() {
		fmt.Fprintln(opts.IO.ErrOut, "No logins. Run sfmcp login to add one.")
		return nil
	}
	if opts.Exporter.Enabled() {
		return opts.Exporter.Write(ctx, opts.IO, entries)
	}
	header := []string{"", "ALIAS", "USERNAME", "INSTANCE"}
	if opts.Check {
		header = append(header, "STATUS")
	}
	t := output.NewTable(opts.IO, header...)
	for _, e := range entries {
		mark := ""
		if e.Default {
			mark = "*"
		}
		row := []string{mark, e.Alias, e.Username, e.InstanceURL}
		if opts.Check {
			row = append(row, e.Status)
		}
		t.AddRow(row...)
	}
	return t.Render()
}

// check asks userinfo with the stored token, refreshing it (and writing the
// new one back) when the session has expired. It returns "ok" or what is wrong.
func check(ctx context.Context, hc *http.Client, store *auth.TokenStore, l auth.Login) string {
	sec, err := store.Load(ctx, l)
	if err != nil {
		if errors.Is(err, keyring.ErrUnavailable) {
			return "keyring unavailable"
		}
		return "tokens missing: run sfmcp login --alias " + l.Alias
	}
	c, err := salesforce.New(salesforce.Config{
		HTTPClient: hc,
		Tokens: salesforce.NewTokenSource(salesforce.TokenSourceConfig{
			Token:     salesforce.Token{AccessToken: sec.AccessToken, RefreshToken: sec.RefreshToken, InstanceURL: l.InstanceURL},
			ClientID:  l.ClientID,
			TokenURL:  l.LoginURL + "/services/oauth2/token",
			OnRefresh: store.WriteBack(l, sec),
		}),
		Retry: salesforce.RetryPolicy{MaxAttempts: 2},
	})
	if err != nil {
		return "unusable login: run sfmcp login --alias " + l.Alias
	}
	switch ops.CheckSession(ctx, c) {
	case ops.SessionRefused:
		return "expired or revoked: run sfmcp login --alias " + l.Alias + " again"
	case ops.SessionUnreachable:
		return "unreachable"
	}
	return "ok"
}
