// Package list implements `sfmcp org list`.
package list

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

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
	TokenStore func() (*auth.TokenStore, error)
	// Client builds the Salesforce client of a stored login, as every command does.
	Client   func(ctx context.Context, alias string) (*salesforce.Client, error)
	Exporter cmdutil.Exporter

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
	opts := &Options{IO: f.IOStreams, Config: f.Config, TokenStore: f.TokenStore, Client: f.SalesforceFor}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the logins",
		Long: `List the logins sfmcp keeps: alias, username, instance, and which is the
default org. --check asks Salesforce whether each stored token still works
(refreshing it when it has expired), and exits non-zero when any login does
not: 4 when Salesforce refused one or its tokens are gone, 1 when an org
could not be reached.`,
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
	if opts.Check {
		for i := range entries {
			entries[i].Status = check(ctx, opts.Client, entries[i].Login)
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
		if err := opts.Exporter.Write(ctx, opts.IO, entries); err != nil {
			return err
		}
		return checkFailures(opts, entries)
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
	if err := t.Render(); err != nil {
		return err
	}
	return checkFailures(opts, entries)
}

// checkFailures makes `org list --check` fail when any login does not work,
// after the list is printed (as `gh auth status` does): a script can rely
// on the exit code alone.
func checkFailures(opts *Options, entries []Entry) error {
	if !opts.Check {
		return nil
	}
	var bad []string
	refused := false
	for _, e := range entries {
		if e.Status == statusOK {
			continue
		}
		bad = append(bad, e.Alias+" ("+e.Status+")")
		if e.Status != statusUnreachable {
			refused = true
		}
	}
	if len(bad) == 0 {
		return nil
	}
	msg := fmt.Sprintf("%d of %d logins do not work: %s", len(bad), len(entries), strings.Join(bad, ", "))
	if refused {
		return &cmdutil.AuthError{Msg: msg}
	}
	return errors.New(msg)
}

// The statuses of `org list --check` that are not a problem to fix by logging in.
const (
	statusOK          = "ok"
	statusUnreachable = "unreachable"
)

// check asks userinfo with the stored token, through the client every
// command builds (refreshing it, and writing the new one back, when the
// session has expired). It returns "ok" or what is wrong.
func check(ctx context.Context, client func(context.Context, string) (*salesforce.Client, error), l auth.Login) string {
	c, err := client(ctx, l.Alias)
	switch {
	case errors.Is(err, keyring.ErrUnavailable):
		return "keyring unavailable"
	case err != nil:
		return "tokens missing or unusable: run sfmcp login --alias " + l.Alias
	}
	switch ops.CheckSession(ctx, c) {
	case ops.SessionRefused:
		return "expired or revoked: run sfmcp login --alias " + l.Alias + " again"
	case ops.SessionUnreachable:
		return statusUnreachable
	}
	return statusOK
}
