package logout

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	gokeyring "github.com/zalando/go-keyring"

	"github.com/sfmcp/sfmcp/internal/auth"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/config"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/iostreams"
)

func TestLogout(t *testing.T) {
	gokeyring.MockInit()
	em := emulatortest.New(t)
	cfg, err := config.Load(config.Options{Path: filepath.Join(t.TempDir(), "config.yaml"), NoEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	ios, _, stdout, stderr := iostreams.Test()
	store := auth.NewTokenStore(cfg.Path(), ios.ErrOut)
	f := &cmdutil.Factory{
		IOStreams:  ios,
		Config:     func() (*config.Config, error) { return cfg, nil },
		HTTPClient: func() (*http.Client, error) { return http.DefaultClient, nil },
		TokenStore: func() (*auth.TokenStore, error) { return store, nil },
	}
	ctx := context.Background()
	emu := auth.Login{Alias: "emu", Username: "admin@emu", InstanceURL: em.URL, LoginURL: em.URL, ClientID: emulatortest.ClientID, Storage: auth.StorageKeyring}
	gone := auth.Login{Alias: "gone", Username: "u@gone", InstanceURL: "http://127.0.0.1:1", LoginURL: "http://127.0.0.1:1", Storage: auth.StorageKeyring}
	if _, err := store.Login(ctx, cfg, emu, auth.Secrets{AccessToken: em.Token.AccessToken, RefreshToken: em.Token.RefreshToken}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Login(ctx, cfg, gone, auth.Secrets{AccessToken: "00D!unreachable"}, false); err != nil {
		t.Fatal(err)
	}

	run := func(args ...string) error {
		cmd := NewCmdLogout(f, nil)
		cmd.SetArgs(args)
		return cmd.ExecuteContext(ctx)
	}
	if err := run("--alias", "nope"); cmdutil.ExitCodeOf(err) != cmdutil.ExitUsage {
		t.Fatalf("unknown alias: %v", err)
	}
	if err := run("--alias", "x", "--all"); cmdutil.ExitCodeOf(err) != cmdutil.ExitUsage {
		t.Fatalf("--alias with --all: %v", err)
	}

	// The default org (emu): revoked at the emulator, then forgotten.
	if err := run(); err != nil {
		t.Fatal(err)
	}
	if st, _ := em.Do(t, "GET", "/services/oauth2/userinfo", nil); st == 200 {
		t.Error("the access token still works: logout did not revoke the refresh token")
	}
	if _, err := gokeyring.Get(emu.Service(), emu.Username); !errors.Is(err, gokeyring.ErrNotFound) {
		t.Errorf("keyring still holds emu: %v", err)
	}

	// Salesforce unreachable: reported, and forgotten anyway.
	stderr.Reset()
	if err := run("--all"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "Warning: gone: revoking the token") || !strings.Contains(stderr.String(), "Logged out of gone") {
		t.Errorf("stderr %q", stderr.String())
	}
	if logins, _ := auth.Logins(cfg); len(logins) != 0 || auth.DefaultAlias(cfg) != "" {
		t.Errorf("logins left: %+v (default %q)", logins, auth.DefaultAlias(cfg))
	}
	if stdout.Len() != 0 || strings.Contains(stderr.String(), "00D!unreachable") || strings.Contains(stderr.String(), em.Token.RefreshToken) {
		t.Errorf("output: %q %q", stdout.String(), stderr.String())
	}
}
