package auth

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	gokeyring "github.com/zalando/go-keyring"

	"github.com/sfmcp/sfmcp/internal/config"
	"github.com/sfmcp/sfmcp/internal/keyring"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

func newTestStore(t *testing.T) (*TokenStore, *config.Config) {
	t.Helper()
	gokeyring.MockInit()
	dir := t.TempDir()
	cfg, err := config.Load(config.Options{Path: filepath.Join(dir, "config.yaml"), NoEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	s := NewTokenStore(cfg.Path(), nil)
	return s, cfg
}

var acme = Login{Alias: "acme", Username: "admin@acme.com", InstanceURL: "https://acme.my.salesforce.com", LoginURL: "https://login.salesforce.com", ClientID: "cid", OrgID: "00D", UserID: "005", Storage: StorageKeyring}

func TestTokenStoreLoginLoadLogout(t *testing.T) {
	s, cfg := newTestStore(t)
	ctx := context.Background()
	sec := Secrets{AccessToken: "00D!ACCESS-ONE", RefreshToken: "5Aep-REFRESH-ONE"}
	res, err := s.Login(ctx, cfg, acme, sec, false)
	def := res.MadeDefault
	if err != nil || !def {
		t.Fatalf("first login: default %v, %v", def, err)
	}
	other := acme
	other.Alias, other.Username = "sandbox", "admin@acme.com.dev"
	other.LoginURL = "https://test.salesforce.com"
	if res, err := s.Login(ctx, cfg, other, Secrets{AccessToken: "00D!ACCESS-TWO"}, false); err != nil || res.MadeDefault || len(res.Replaced) != 0 {
		t.Fatalf("second login: default %v, %v", def, err)
	}

	// The config on disk has both logins, the first as default, and no token.
	data, err := os.ReadFile(cfg.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"ACCESS-ONE", "REFRESH-ONE", "ACCESS-TWO"} {
		if strings.Contains(string(data), tok) {
			t.Fatalf("config file contains a token:\n%s", data)
		}
	}
	reloaded, err := config.Load(config.Options{Path: cfg.Path(), NoEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	logins, err := Logins(reloaded)
	if err != nil || len(logins) != 2 || logins[0] != acme || DefaultAlias(reloaded) != "acme" {
		t.Fatalf("logins %+v (default %q), %v", logins, DefaultAlias(reloaded), err)
	}

	got, err := s.Load(ctx, acme)
	if err != nil || got != sec {
		t.Fatalf("Load: %v", err)
	}
	// The keyring item is filed under the login host and the username.
	if _, err := gokeyring.Get("sfmcp:login.salesforce.com", "admin@acme.com"); err != nil {
		t.Errorf("keyring item: %v", err)
	}

	if err := s.Logout(ctx, cfg, acme); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, acme); err == nil || !strings.Contains(err.Error(), "sfmcp login --alias acme") {
		t.Errorf("Load after logout: %v", err)
	}
	reloaded, _ = config.Load(config.Options{Path: cfg.Path(), NoEnv: true})
	if _, ok, _ := FindLogin(reloaded, "acme"); ok || DefaultAlias(reloaded) != "" {
		t.Errorf("acme still in the config, or still the default (%q)", DefaultAlias(reloaded))
	}
	if err := s.SetDefault(ctx, cfg, "sandbox"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDefault(ctx, cfg, "nope"); err == nil || !strings.Contains(err.Error(), "org list") {
		t.Errorf("SetDefault of an unknown alias: %v", err)
	}
}

func TestTokenStoreInsecureFile(t *testing.T) {
	s, cfg := newTestStore(t)
	gokeyring.MockInitWithError(errors.New("no keyring here"))
	t.Cleanup(gokeyring.MockInit)
	l := acme
	l.Storage = StorageFile
	if _, err := s.Login(context.Background(), cfg, l, Secrets{AccessToken: "00D!A"}, false); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(filepath.Dir(cfg.Path()), "tokens.json"))
	// Windows has no Unix permission bits: Go reports 0666 for any writable file.
	if err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
		t.Fatalf("tokens file: %v %v", fi, err)
	}
	// A keyring login fails clearly when there is no keyring.
	if _, err := s.Login(context.Background(), cfg, acme, Secrets{AccessToken: "00D!A"}, false); !errors.Is(err, keyring.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

func TestWriteBack(t *testing.T) {
	s, cfg := newTestStore(t)
	ctx := context.Background()
	start := Secrets{AccessToken: "00D!OLD", RefreshToken: "5Aep-R1"}
	if _, err := s.Login(ctx, cfg, acme, start, false); err != nil {
		t.Fatal(err)
	}
	hook := s.WriteBack(acme, start)

	// A refresh without rotation keeps the refresh token.
	if err := hook(ctx, salesforce.Token{AccessToken: "00D!NEW1"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Load(ctx, acme); got != (Secrets{AccessToken: "00D!NEW1", RefreshToken: "5Aep-R1"}) {
		t.Fatalf("after refresh: %+v", got.AccessToken)
	}
	// A rotated refresh token is stored, and the next refresh follows it.
	_ = hook(ctx, salesforce.Token{AccessToken: "00D!NEW2", RefreshToken: "5Aep-R2"})
	_ = hook(ctx, salesforce.Token{AccessToken: "00D!NEW3"})
	if got, _ := s.Load(ctx, acme); got != (Secrets{AccessToken: "00D!NEW3", RefreshToken: "5Aep-R2"}) {
		t.Fatalf("after rotation: %q", got.AccessToken)
	}

	// Another process logs in again: this process's refresh must not overwrite it.
	newer := Secrets{AccessToken: "00D!RELOGIN", RefreshToken: "5Aep-FRESH"}
	if _, err := s.Login(ctx, cfg, acme, newer, false); err != nil {
		t.Fatal(err)
	}
	_ = hook(ctx, salesforce.Token{AccessToken: "00D!STALE"})
	if got, _ := s.Load(ctx, acme); got != newer {
		t.Fatalf("a stale write-back replaced a newer login: %q", got.AccessToken)
	}

	// A logout is not undone by a late write-back.
	hook2 := s.WriteBack(acme, newer)
	if err := s.Logout(ctx, cfg, acme); err != nil {
		t.Fatal(err)
	}
	_ = hook2(ctx, salesforce.Token{AccessToken: "00D!LATE"})
	if _, err := gokeyring.Get(acme.Service(), acme.Username); !errors.Is(err, gokeyring.ErrNotFound) {
		t.Fatalf("a write-back resurrected a logged-out login: %v", err)
	}
}

// TestWriteBackConcurrent has many writers (as several processes would) write
// back at once; the lock keeps every write whole and the last one stays.
func TestWriteBackConcurrent(t *testing.T) {
	s, cfg := newTestStore(t)
	ctx := context.Background()
	start := Secrets{AccessToken: "00D!OLD", RefreshToken: "5Aep-R1"}
	if _, err := s.Login(ctx, cfg, acme, start, false); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hook := s.WriteBack(acme, start)
			if err := hook(ctx, salesforce.Token{AccessToken: "00D!N" + string(rune('a'+i))}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := s.Load(ctx, acme)
	if err != nil || !strings.HasPrefix(got.AccessToken, "00D!N") || got.RefreshToken != "5Aep-R1" {
		t.Fatalf("after concurrent write-backs: %v", err)
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	sec := Secrets{AccessToken: "00D!SECRET", RefreshToken: "5AepSECRET"}
	tok := &Tokens{AccessToken: "00D!SECRET", RefreshToken: "5AepSECRET", InstanceURL: "https://x"}
	for _, s := range []string{sec.String(), sec.GoString(), tok.String(), tok.GoString()} {
		if strings.Contains(s, "SECRET") {
			t.Errorf("%q shows a token", s)
		}
	}
}

func TestReadToken(t *testing.T) {
	tok, inst, err := ReadToken(strings.NewReader("00D!abc\nhttps://acme.my.salesforce.com\n"))
	if err != nil || tok != "00D!abc" || inst != "https://acme.my.salesforce.com" {
		t.Fatalf("%q %q %v", tok, inst, err)
	}
	if tok, inst, err = ReadToken(strings.NewReader("\n00D!abc\n")); err != nil || tok != "00D!abc" || inst != "" {
		t.Fatalf("%q %q %v", tok, inst, err)
	}
	if _, _, err := ReadToken(strings.NewReader("")); err == nil {
		t.Fatal("empty stdin accepted")
	}
}

func TestCheckLoginURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://login.salesforce.com/":      "https://login.salesforce.com",
		"https://acme.my.salesforce.com/x/y": "https://acme.my.salesforce.com",
		"http://127.0.0.1:8080":              "http://127.0.0.1:8080",
		"http://localhost:1":                 "http://localhost:1",
		"http://acme.my.salesforce.com":      "",
		"login.salesforce.com":               "",
		"ftp://login.salesforce.com":         "",
	} {
		got, err := CheckLoginURL(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("CheckLoginURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestTokenStoreOneLoginPerUser(t *testing.T) {
	s, cfg := newTestStore(t)
	ctx := context.Background()
	if _, err := s.Login(ctx, cfg, acme, Secrets{AccessToken: "00D!1"}, false); err != nil {
		t.Fatal(err)
	}
	// The same user under a new alias replaces the old alias, default included.
	renamed := acme
	renamed.Alias = "prod"
	res, err := s.Login(ctx, cfg, renamed, Secrets{AccessToken: "00D!2"}, false)
	if err != nil || !res.MadeDefault || len(res.Replaced) != 1 || res.Replaced[0] != acme.Alias {
		t.Fatalf("login under a new alias: %+v, %v; want it default and replacing %q", res, err, acme.Alias)
	}
	logins, _ := Logins(cfg)
	if len(logins) != 1 || logins[0].Alias != "prod" || DefaultAlias(cfg) != "prod" {
		t.Fatalf("logins %+v, default %q", logins, DefaultAlias(cfg))
	}
	// Reusing the alias for another user forgets the first user's tokens.
	other := renamed
	other.Username = "someone@else.com"
	if _, err := s.Login(ctx, cfg, other, Secrets{AccessToken: "00D!3"}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := gokeyring.Get(acme.Service(), acme.Username); !errors.Is(err, gokeyring.ErrNotFound) {
		t.Errorf("the replaced user's tokens are still in the keyring: %v", err)
	}
}
