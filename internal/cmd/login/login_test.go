package login

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	gokeyring "github.com/zalando/go-keyring"

	"github.com/sfmcp/sfmcp/internal/auth"
	"github.com/sfmcp/sfmcp/internal/browser"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/config"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/iostreams"
)

func testFactory(t *testing.T) (*cmdutil.Factory, *config.Config) {
	t.Helper()
	gokeyring.MockInit()
	cfg, err := config.Load(config.Options{Path: filepath.Join(t.TempDir(), "config.yaml"), NoEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	ios, _, _, _ := iostreams.Test()
	store := auth.NewTokenStore(cfg.Path(), ios.ErrOut)
	f := &cmdutil.Factory{
		IOStreams:  ios,
		Config:     func() (*config.Config, error) { return cfg, nil },
		HTTPClient: func() (*http.Client, error) { return http.DefaultClient, nil },
		TokenStore: func() (*auth.TokenStore, error) { return store, nil },
		Browser:    func() browser.Browser { return &browser.Stub{} },
	}
	return f, cfg
}

func TestLoginFlags(t *testing.T) {
	tests := []struct {
		args    string
		wantErr string
		check   func(*Options) bool
	}{
		{args: "", check: func(o *Options) bool {
			return o.Port == 1717 && o.Timeout == 5*time.Minute && !o.Device && !o.InsecureStorage
		}},
		{args: "--sandbox --alias dev --client-id abc --port 8080 --timeout 30s --insecure-storage", check: func(o *Options) bool {
			return o.Sandbox && o.Alias == "dev" && o.ClientID == "abc" && o.Port == 8080 && o.Timeout == 30*time.Second && o.InsecureStorage
		}},
		{args: "--sandbox --instance-url https://x.my.salesforce.com", wantErr: "cannot be combined"},
		{args: "--device --with-token", wantErr: "cannot be combined"},
		{args: "--port 70000", wantErr: "--port"},
		{args: "--alias bad/alias", wantErr: "invalid alias"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			f, _ := testFactory(t)
			var got *Options
			cmd := NewCmdLogin(f, func(o *Options) error { got = o; return nil })
			cmd.SetArgs(strings.Fields(tt.args))
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || cmdutil.ExitCodeOf(err) != cmdutil.ExitUsage {
					t.Fatalf("err = %v, want a usage error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(got) {
				t.Fatalf("err %v, opts %+v", err, got)
			}
		})
	}
}

func TestLoginWithoutClientIDExplains(t *testing.T) {
	f, _ := testFactory(t)
	cmd := NewCmdLogin(f, nil)
	cmd.SetArgs([]string{"--instance-url", "https://acme.my.salesforce.com"})
	err := cmd.Execute()
	for _, want := range []string{"--client-id", "SALESFORCE_CLIENT_ID", "http://localhost:1717/OAuthRedirect", "api, refresh_token, offline_access", "PKCE", "Consumer Key"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error should mention %q: %v", want, err)
		}
	}
}

func TestLoginRejectsPlainHTTP(t *testing.T) {
	f, _ := testFactory(t)
	cmd := NewCmdLogin(f, nil)
	cmd.SetArgs([]string{"--instance-url", "http://acme.my.salesforce.com", "--client-id", "x"})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "https") {
		t.Fatalf("err = %v", err)
	}
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestLoginEmulator logs in through the browser flow (a stub browser that
// follows redirects) and with --with-token, against the emulator.
func TestLoginEmulator(t *testing.T) {
	em := emulatortest.New(t)
	f, cfg := testFactory(t)
	follow := func(u string) error {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	f.Browser = func() browser.Browser { return &browser.Stub{Open: follow} }
	ios, _, stdout, stderr := iostreams.Test()
	f.IOStreams = ios
	store, _ := f.TokenStore()
	*store = *auth.NewTokenStore(cfg.Path(), ios.ErrOut)

	cmd := NewCmdLogin(f, nil)
	cmd.SetArgs([]string{"--instance-url", em.URL, "--client-id", emulatortest.ClientID, "--port", itoa(freePort(t)), "--alias", "emu"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("login: %v\n%s", err, stderr.String())
	}
	l, ok, _ := auth.FindLogin(cfg, "")
	if !ok || l.Alias != "emu" || l.InstanceURL != em.URL || l.LoginURL != em.URL || l.ClientID != emulatortest.ClientID || l.OrgID == "" || l.Username == "" {
		t.Fatalf("stored login %+v", l)
	}
	if want := "Logged in to " + em.URL + " as " + l.Username + " (alias emu)"; !strings.Contains(stderr.String(), want) || stdout.Len() != 0 {
		t.Errorf("stdout %q, stderr %q; want %q on stderr", stdout.String(), stderr.String(), want)
	}
	sec, err := store.Load(context.Background(), l)
	if err != nil || sec.RefreshToken == "" {
		t.Fatalf("stored tokens: %v", err)
	}
	data, _ := os.ReadFile(cfg.Path())
	for _, out := range []string{stdout.String(), stderr.String(), string(data)} {
		if strings.Contains(out, sec.AccessToken) || strings.Contains(out, sec.RefreshToken) {
			t.Errorf("a token leaked into %q", out)
		}
	}

	// --with-token: the emulator's own token and instance URL on stdin.
	stdin := ios.In.(interface{ WriteString(string) (int, error) })
	_, _ = stdin.WriteString(em.Token.AccessToken + "\n" + em.URL + "\n")
	stderr.Reset()
	cmd = NewCmdLogin(f, nil)
	cmd.SetArgs([]string{"--with-token", "--alias", "tok"})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("login --with-token: %v", err)
	}
	if !strings.Contains(stderr.String(), "(alias tok)") || !strings.Contains(stderr.String(), "no refresh token") || strings.Contains(stderr.String(), em.Token.AccessToken) {
		t.Errorf("stderr %q", stderr.String())
	}
	// The same user again: it replaced the first alias.
	if logins, _ := auth.Logins(cfg); len(logins) != 1 || logins[0].Alias != "tok" {
		t.Errorf("logins %+v", logins)
	}

	// A token Salesforce does not accept: exit 4.
	_, _ = stdin.WriteString("00Dbogus!token\n")
	cmd = NewCmdLogin(f, nil)
	cmd.SetArgs([]string{"--with-token", "--instance-url", em.URL})
	err = cmd.Execute()
	var ae *cmdutil.AuthError
	if !errors.As(err, &ae) || strings.Contains(err.Error(), "00Dbogus") {
		t.Fatalf("err = %v, want an AuthError without the token", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
