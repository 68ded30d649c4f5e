package cmdutil

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	gokeyring "github.com/zalando/go-keyring"

	"github.com/sfmcp/sfmcp/internal/auth"
	"github.com/sfmcp/sfmcp/internal/config"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

func TestKeyringLookup(t *testing.T) {
	gokeyring.MockInit()
	cfg, err := config.Load(config.Options{Path: filepath.Join(t.TempDir(), "config.yaml"), NoEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	ios, _, _, _ := iostreams.Test()
	f := &Factory{IOStreams: ios, Config: func() (*config.Config, error) { return cfg, nil }}
	f.TokenStore = tokenStoreFunc(f)
	f.KeyringLookup = NewKeyringLookup(f)
	ctx := context.Background()

	if _, err := f.KeyringLookup(ctx, ""); ExitCodeOf(err) != ExitAuth || !strings.Contains(err.Error(), "sfmcp login") {
		t.Fatalf("no login: %v", err)
	}
	store, _ := f.TokenStore()
	login := auth.Login{Alias: "acme", Username: "a@acme.com", InstanceURL: "https://acme.my.salesforce.com", LoginURL: "https://login.salesforce.com", ClientID: "cid", Storage: auth.StorageKeyring}
	if _, err := store.Login(ctx, cfg, login, auth.Secrets{AccessToken: "00D!A1", RefreshToken: "5Aep!R"}, false); err != nil {
		t.Fatal(err)
	}

	creds, err := f.KeyringLookup(ctx, "") // the default org
	if err != nil {
		t.Fatal(err)
	}
	if creds.Source != "keyring:acme" || creds.AccessToken != "00D!A1" || creds.RefreshToken != "5Aep!R" ||
		creds.InstanceURL != login.InstanceURL || creds.LoginURL != login.LoginURL || creds.ClientID != "cid" || creds.OnRefresh == nil {
		t.Fatalf("creds %v", creds)
	}
	if err := creds.OnRefresh(ctx, salesforce.Token{AccessToken: "00D!A2"}); err != nil {
		t.Fatal(err)
	}
	if again, _ := f.KeyringLookup(ctx, "acme"); again.AccessToken != "00D!A2" {
		t.Error("the refreshed token was not written back")
	}
	if _, err := f.KeyringLookup(ctx, "other"); ExitCodeOf(err) != ExitAuth || !strings.Contains(err.Error(), `"other"`) {
		t.Fatalf("unknown alias: %v", err)
	}

	// Tokens gone from the keyring: exit 4 with what to do.
	_ = gokeyring.Delete(login.Service(), login.Username)
	_, err = f.KeyringLookup(ctx, "acme")
	if ExitCodeOf(err) != ExitAuth || !strings.Contains(err.Error(), "sfmcp login --alias acme") {
		t.Fatalf("missing tokens: %v", err)
	}
}
