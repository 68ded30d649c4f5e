package org

import (
	"context"
	"encoding/json"
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

// TestOrgCommands runs list, use and display through `sfmcp org` against
// two logins, one of them the emulator's.
func TestOrgCommands(t *testing.T) {
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
	f.KeyringLookup = cmdutil.NewKeyringLookup(f)
	ctx := context.Background()
	emu := auth.Login{Alias: "emu", Username: "admin@emu", InstanceURL: em.URL, LoginURL: em.URL, ClientID: emulatortest.ClientID, Storage: auth.StorageKeyring}
	dead := auth.Login{Alias: "dead", Username: "u@dead", InstanceURL: em.URL, LoginURL: em.URL, ClientID: "x", Storage: auth.StorageKeyring}
	if _, err := store.Login(ctx, cfg, emu, auth.Secrets{AccessToken: em.Token.AccessToken, RefreshToken: em.Token.RefreshToken}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Login(ctx, cfg, dead, auth.Secrets{AccessToken: "00Dnot!valid", RefreshToken: "5Aepnot"}, false); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) error {
		stdout.Reset()
		stderr.Reset()
		cmd := NewCmdOrg(f)
		cmd.SetArgs(args)
		return cmd.ExecuteContext(ctx)
	}

	if err := run("list"); err != nil {
		t.Fatal(err)
	}
	// Piped: CSV with a header, like every command off a terminal.
	if want := "alias,username,instance_url,login_url,client_id,storage,default\ndead,u@dead," + em.URL + "," + em.URL + ",x,keyring,false\nemu,admin@emu," + em.URL + "," + em.URL + ",sfmcp-test-client,keyring,true\n"; stdout.String() != want {
		t.Errorf("org list:\n%q\nwant\n%q", stdout.String(), want)
	}

	// One login no longer works: the list is printed, and the exit code says so.
	if err := run("list", "--check", "--json"); cmdutil.ExitCodeOf(err) != cmdutil.ExitAuth || !strings.Contains(err.Error(), "1 of 2 logins do not work: dead") {
		t.Fatalf("org list --check with a dead login: %v, want exit 4 naming it", err)
	}
	var entries []map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &entries); err != nil || len(entries) != 2 {
		t.Fatalf("--json: %v %s", err, stdout.String())
	}
	if entries[0]["alias"] != "dead" || !strings.Contains(entries[0]["status"].(string), "sfmcp login --alias dead again") ||
		entries[1]["alias"] != "emu" || entries[1]["status"] != "ok" || entries[1]["default"] != true {
		t.Errorf("entries %v", entries)
	}

	if err := run("use", "dead"); err != nil || auth.DefaultAlias(cfg) != "dead" {
		t.Fatalf("use: %v, default %q", err, auth.DefaultAlias(cfg))
	}
	if err := run("use", "nope"); cmdutil.ExitCodeOf(err) != cmdutil.ExitUsage {
		t.Fatalf("use nope: %v", err)
	}

	if err := run("display"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "Alias:         dead") || !strings.Contains(stdout.String(), "(hidden; --show-token shows it)") || strings.Contains(stdout.String(), "00Dnot") {
		t.Errorf("display:\n%s", stdout.String())
	}
	if err := run("display", "--show-token", "--json"); err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	_ = json.Unmarshal(stdout.Bytes(), &d)
	if d["access_token"] != "00Dnot!valid" || d["alias"] != "dead" {
		t.Errorf("display --show-token --json: %s", stdout.String())
	}
	if strings.Contains(stdout.String(), "5Aepnot") {
		t.Error("display shows the refresh token")
	}
}
