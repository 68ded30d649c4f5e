//go:build unix

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// loginRig is one user's machine: a config dir, a real Secret Service, a
// $BROWSER that follows the emulator's redirects like a person clicking
// "Allow", and a record of everything sfmcp printed.
type loginRig struct {
	t       *testing.T
	em      *emulatortest.Server
	ss      *secretService
	home    string
	browser string
	printed bytes.Buffer // every stdout and stderr, for the token grep
}

func newLoginRig(t *testing.T, opts ...func(*emulator.Options)) *loginRig {
	ss := startSecretService(t)
	em := emulatortest.New(t, opts...)
	r := &loginRig{t: t, em: em, ss: ss, home: t.TempDir()}
	r.browser = loginBrowser(t, r.home, "browser", `exec curl -s -S -L -o /dev/null "$1"`)
	return r
}

// env is the environment of one sfmcp run: no Salesforce token, the rig's
// config dir, keyring session and browser; extra entries are appended.
func (r *loginRig) env(extra ...string) []string {
	env := append([]string{
		"PATH=" + os.Getenv("PATH"),
		"XDG_CONFIG_HOME=" + filepath.Join(r.home, "config"),
		"NO_COLOR=1",
		"BROWSER=" + r.browser,
	}, r.ss.env...)
	return append(env, extra...)
}

type loginResult struct {
	out, err string
	code     int
}

func (r *loginRig) run(env []string, stdin string, args ...string) loginResult {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		r.t.Fatalf("sfmcp %s: hung", strings.Join(args, " "))
	}
	res := loginResult{out: out.String(), err: errOut.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatalf("sfmcp %s: %v", strings.Join(args, " "), err)
	}
	if !(len(args) > 0 && args[len(args)-1] == "--show-token") {
		fmt.Fprintf(&r.printed, "$ sfmcp %s\n%s%s", strings.Join(args, " "), res.out, res.err)
	}
	return res
}

func (r *loginRig) ok(args ...string) loginResult {
	r.t.Helper()
	res := r.run(r.env(), "", args...)
	if res.code != 0 {
		r.t.Fatalf("sfmcp %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), res.code, res.out, res.err)
	}
	return res
}

func (r *loginRig) fails(env []string, code int, want string, args ...string) loginResult {
	r.t.Helper()
	res := r.run(env, "", args...)
	if res.code != code || !strings.Contains(res.err, want) {
		r.t.Errorf("sfmcp %s: exit %d, stderr %q; want exit %d and %q", strings.Join(args, " "), res.code, res.err, code, want)
	}
	return res
}

func (r *loginRig) login(extra ...string) loginResult {
	r.t.Helper()
	args := append([]string{"login", "--instance-url", r.em.URL, "--client-id", emulatortest.ClientID, "--port", fmt.Sprint(freePort(r.t))}, extra...)
	return r.ok(args...)
}

// service is the keyring service sfmcp files the emulator's logins under.
func (r *loginRig) service() string {
	u, _ := url.Parse(r.em.URL)
	return "sfmcp:" + u.Host
}

// stored reads the login's tokens straight from the Secret Service.
func (r *loginRig) stored(username string) (access, refresh string, found bool) {
	r.t.Helper()
	out, ok := r.ss.secretTool(r.t, "lookup", "service", r.service(), "username", username)
	if !ok {
		return "", "", false
	}
	var sec struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal([]byte(out), &sec); err != nil {
		r.t.Fatalf("the keyring item is not the expected JSON: %v", err)
	}
	return sec.AccessToken, sec.RefreshToken, true
}

func (r *loginRig) configFile() string {
	data, err := os.ReadFile(filepath.Join(r.home, "config", "sfmcp", "config.yaml"))
	if err != nil && !os.IsNotExist(err) {
		r.t.Fatal(err)
	}
	return string(data)
}

// usernameFrom reads "Logged in to URL as USER (alias A)".
func usernameFrom(t *testing.T, stderr string) string {
	t.Helper()
	i := strings.Index(stderr, " as ")
	j := strings.Index(stderr, " (alias ")
	if i < 0 || j < i {
		t.Fatalf("no login line in %q", stderr)
	}
	return stderr[i+4 : j]
}

// TestLoginKeyring logs in with the real binary through a browser, keeps the
// tokens in a real Secret Service, and uses, refreshes and forgets them.
func TestLoginKeyring(t *testing.T) {
	r := newLoginRig(t)
	var tokens []string // every token seen, for the final grep

	res := r.login()
	user := usernameFrom(t, res.err)
	want := fmt.Sprintf("Logged in to %s as %s (alias %s)", r.em.URL, user, user)
	if !strings.Contains(res.err, want) || res.out != "" {
		t.Fatalf("login: stdout %q, stderr %q; want %q on stderr only", res.out, res.err, want)
	}
	access, refresh, found := r.stored(user)
	if !found || access == "" || refresh == "" {
		t.Fatalf("the Secret Service has no tokens for %s under %s", user, r.service())
	}
	tokens = append(tokens, access, refresh)
	// secret-tool prints the item (label, secret) on stdout and its attributes on stderr.
	if list, _ := r.ss.secretTool(t, "search", "--all", "service", r.service()); strings.Count(list, "label = Password for '"+user+"' on '"+r.service()+"'") != 1 {
		t.Errorf("secret-tool search should find exactly one item for %s", user)
	}
	cfg := r.configFile()
	if !strings.Contains(cfg, user) || !strings.Contains(cfg, "org: "+user) || strings.Contains(cfg, access) || strings.Contains(cfg, refresh) {
		t.Fatalf("config file: want the login and default org, never a token:\n%s", cfg)
	}

	t.Run("query with the stored login", func(t *testing.T) {
		res := r.ok("query", "--csv", "SELECT Id FROM Account LIMIT 1")
		if lines := strings.Split(strings.TrimSpace(res.out), "\n"); len(lines) != 2 || lines[0] != "Id" {
			t.Errorf("query output %q", res.out)
		}
	})

	t.Run("org list, use, display", func(t *testing.T) {
		res := r.ok("org", "list", "--check", "--json")
		var entries []struct {
			Alias, Username, Status string
			Default                 bool
		}
		if err := json.Unmarshal([]byte(res.out), &entries); err != nil || len(entries) != 1 {
			t.Fatalf("org list --json: %v\n%s", err, res.out)
		}
		if e := entries[0]; e.Alias != user || e.Username != user || !e.Default || e.Status != "ok" {
			t.Errorf("org list entry %+v", e)
		}
		r.ok("org", "use", user)
		r.fails(r.env(), 2, `no login called "nope"`, "org", "use", "nope")
		res = r.ok("org", "display")
		if !strings.Contains(res.out, "(hidden; --show-token shows it)") || strings.Contains(res.out, access) {
			t.Errorf("org display: %s", res.out)
		}
		res = r.ok("org", "display", "--show-token")
		if !strings.Contains(res.out, access) {
			t.Errorf("org display --show-token does not show the access token")
		}
	})

	t.Run("refresh writes the new token back", func(t *testing.T) {
		r.em.ExpireSessions(t)
		res := r.ok("org", "list", "--check")
		if !strings.Contains(res.out, "ok") {
			t.Errorf("org list --check after expiry: %q", res.out)
		}
		newAccess, newRefresh, _ := r.stored(user)
		if newAccess == access || newAccess == "" || newRefresh != refresh {
			t.Fatalf("after a refresh the keyring should hold a new access token and the same refresh token")
		}
		tokens = append(tokens, newAccess)
		access = newAccess

		// The same through a data command, which refreshes inside the client.
		r.em.ExpireSessions(t)
		r.ok("query", "SELECT Id FROM Account LIMIT 1")
		third, _, _ := r.stored(user)
		tokens = append(tokens, third)
		if third == access || third == "" {
			t.Fatal("query refreshed the session but the keyring still holds the old access token")
		}
		access = third
	})

	t.Run("a revoked refresh token means logging in again", func(t *testing.T) {
		// Logging in again as the same user under another alias replaces the
		// login; then its refresh token is revoked behind sfmcp's back.
		r.login("--alias", "revoked")
		if res := r.ok("org", "list"); strings.Contains(res.out, user+","+user) || !strings.Contains(res.out, "revoked,"+user) {
			t.Errorf("org list after logging in again under another alias: %q", res.out)
		}
		acc2, ref2, _ := r.stored(user)
		tokens = append(tokens, acc2, ref2)
		resp, err := http.PostForm(r.em.URL+"/services/oauth2/revoke", url.Values{"token": {ref2}})
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("revoke: %v %v", resp, err)
		}
		resp.Body.Close()
		r.fails(r.env(), 4, "run `sfmcp login --alias revoked` again", "query", "--org", "revoked", "SELECT Id FROM Account")
		// The list still shows it, and the exit code says a login is dead.
		res = r.fails(r.env(), 4, "1 of 1 logins do not work: revoked", "org", "list", "--check")
		if !strings.Contains(res.out, "run sfmcp login --alias revoked again") {
			t.Errorf("org list --check: %q", res.out)
		}
		res = r.ok("logout", "--alias", "revoked")
		if !strings.Contains(res.err, "Warning: revoked: revoking the token") || !strings.Contains(res.err, "Logged out of revoked") {
			t.Errorf("a failed revoke should be reported and the login forgotten anyway: %q", res.err)
		}
		r.login()
		a, rf, _ := r.stored(user)
		tokens = append(tokens, a, rf)
		access, refresh = a, rf
	})

	t.Run("logout removes everything", func(t *testing.T) {
		res := r.ok("logout")
		if !strings.Contains(res.err, "Logged out of "+user) {
			t.Errorf("logout: %q", res.err)
		}
		if _, _, found := r.stored(user); found {
			t.Error("the tokens are still in the keyring")
		}
		if cfg := r.configFile(); strings.Contains(cfg, user) {
			t.Errorf("the login is still in the config file:\n%s", cfg)
		}
		// Revoked at Salesforce too.
		resp, err := http.PostForm(r.em.URL+"/services/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {emulatortest.ClientID}, "refresh_token": {refresh}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("the refresh token still works after logout: %s", resp.Status)
		}
		r.fails(r.env(), 4, "sfmcp login", "query", "SELECT Id FROM Account")
	})

	t.Run("failures", func(t *testing.T) {
		port := fmt.Sprint(freePort(t))
		base := []string{"login", "--instance-url", r.em.URL, "--client-id", emulatortest.ClientID, "--port", port}

		r.em.Admin(t, http.MethodPost, "deny-next", nil)
		r.fails(r.env(), 4, "access was denied", base...)

		// A forged-state callback is ignored (not a failure): with nothing
		// else arriving, the login ends at its timeout.
		forged := loginBrowser(t, r.home, "forged", `exec curl -s -L -o /dev/null "$(echo "$1" | sed 's/state=[^&]*/state=forged/')"`)
		res := r.fails(r.env("BROWSER="+forged), 4, "no login arrived within 2s", append(base, "--timeout", "2s")...)
		if !strings.Contains(res.err, "ignored a login callback whose state does not match") {
			t.Errorf("the ignored callback is not mentioned: %q", res.err)
		}

		// The "browser" tries to spend the code itself first, without the
		// PKCE verifier (which only sfmcp knows): the emulator must refuse it.
		// The code is spent all the same, so sfmcp's own exchange fails too.
		thiefOut := filepath.Join(r.home, "thief.json")
		thief := loginBrowser(t, r.home, "thief", `loc=$(curl -s -o /dev/null -w '%{redirect_url}' "$1")
code=$(echo "$loc" | sed 's/.*[?&]code=\([^&]*\).*/\1/')
curl -s -o `+thiefOut+` --data-urlencode "code=$code" -d grant_type=authorization_code -d client_id=`+emulatortest.ClientID+` --data-urlencode "redirect_uri=http://localhost:`+port+`/OAuthRedirect" "`+r.em.URL+`/services/oauth2/token"
exec curl -s -o /dev/null "$loc"`)
		r.fails(r.env("BROWSER="+thief), 4, "invalid authorization code (invalid_grant)", base...)
		stolen, err := os.ReadFile(thiefOut)
		if err != nil {
			t.Fatalf("the thief's exchange did not run: %v", err)
		}
		if !strings.Contains(string(stolen), `"error":"invalid_grant"`) || !strings.Contains(string(stolen), "invalid code verifier") || strings.Contains(string(stolen), "access_token") {
			t.Errorf("an exchange without the PKCE verifier must be refused with invalid_grant; the emulator answered %s", stolen)
		}

		r.fails(r.env("BROWSER=true"), 4, "no login arrived within 1s", append(base, "--timeout", "1s")...)

		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		busy := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
		r.fails(r.env(), 1, "choose another port with --port", "login", "--instance-url", r.em.URL, "--client-id", emulatortest.ClientID, "--port", busy)

		r.fails(r.env(), 2, "Connected App", "login", "--instance-url", r.em.URL)
		if cfg := r.configFile(); strings.Contains(cfg, "logins") {
			t.Errorf("a failed login left a login behind:\n%s", cfg)
		}
	})

	t.Run("a forged callback first, then the real login", func(t *testing.T) {
		port := fmt.Sprint(freePort(t))
		// Another page fires a callback at the loopback port with its own
		// state and code before the user's browser comes back.
		browser := loginBrowser(t, r.home, "forged-first", `code=$(curl -s -o /dev/null -w '%{http_code}' "http://localhost:`+port+`/OAuthRedirect?code=attacker&state=forged")
[ "$code" = 400 ] || exit 1
exec curl -s -L -o /dev/null "$1"`)
		res := r.run(r.env("BROWSER="+browser), "", "login", "--instance-url", r.em.URL, "--client-id", emulatortest.ClientID, "--port", port)
		if res.code != 0 || !strings.Contains(res.err, "ignored a login callback") {
			t.Fatalf("login after a forged callback: exit %d\nstderr: %s", res.code, res.err)
		}
		if _, _, found := r.stored(user); !found {
			t.Fatal("the login was not stored")
		}
		r.ok("logout")
	})

	t.Run("insecure storage without a keyring", func(t *testing.T) {
		env := []string{"PATH=" + os.Getenv("PATH"), "XDG_CONFIG_HOME=" + filepath.Join(r.home, "config"), "BROWSER=" + r.browser, "DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(r.home, "no-bus")}
		args := []string{"login", "--instance-url", r.em.URL, "--client-id", emulatortest.ClientID, "--port", fmt.Sprint(freePort(t))}
		r.fails(env, 1, "--insecure-storage", args...)
		res := r.run(env, "", append(args, "--insecure-storage")...)
		if res.code != 0 || !strings.Contains(res.err, "plain-text file") {
			t.Fatalf("login --insecure-storage: exit %d, %q", res.code, res.err)
		}
		path := filepath.Join(r.home, "config", "sfmcp", "tokens.json")
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("tokens file: %v, %v", fi, err)
		}
		data, _ := os.ReadFile(path)
		var file struct{ Secrets map[string]map[string]string }
		_ = json.Unmarshal(data, &file)
		for _, users := range file.Secrets {
			for _, sec := range users {
				var s struct{ AccessToken, RefreshToken string }
				_ = json.Unmarshal([]byte(sec), &s)
				tokens = append(tokens, s.AccessToken, s.RefreshToken)
			}
		}
		// The warning is for login and org list, not every command, and -q silences it.
		res = r.run(env, "", "query", "SELECT Id FROM Account LIMIT 1")
		if res.code != 0 || strings.Contains(res.err, "plain-text file") {
			t.Errorf("query from the tokens file: exit %d, %q (no warning on every command)", res.code, res.err)
		}
		if res = r.run(env, "", "org", "list"); res.code != 0 || !strings.Contains(res.err, "plain-text file") {
			t.Errorf("org list: exit %d, %q (must name the tokens file)", res.code, res.err)
		}
		if res = r.run(env, "", "org", "list", "-q"); res.code != 0 || strings.Contains(res.err, "plain-text file") {
			t.Errorf("org list -q: exit %d, %q", res.code, res.err)
		}
		r.run(env, "", "logout")
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("logout left the tokens file: %v", err)
		}
	})

	// Nothing sfmcp printed, in any run but --show-token, holds a token.
	for _, tok := range tokens {
		if tok != "" && strings.Contains(r.printed.String(), tok) {
			t.Errorf("a token appears in sfmcp's output:\n%s", r.printed.String())
			break
		}
	}
}
