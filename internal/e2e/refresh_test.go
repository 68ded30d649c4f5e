package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// TestRefreshOnceAcrossProcesses: ten sfmcp processes share one stored login
// whose session has expired. One of them refreshes; the others find the new
// token in the store once they have the config lock, so the token endpoint
// is asked exactly once (with an org that rotates refresh tokens, a second
// refresh with the old refresh token would fail and lose the login).
func TestRefreshOnceAcrossProcesses(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	home := t.TempDir()
	browser := loginBrowser(t, home, "browser", `exec curl -s -S -L -o /dev/null "$1"`)
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(home, "no-bus"),
		"NO_COLOR=1",
		"BROWSER=" + browser,
	}
	if r := run(t, env, "", "login", "--instance-url", em.URL, "--client-id", emulatortest.ClientID, "--port", fmt.Sprint(freePort(t)), "--insecure-storage"); r.code != 0 {
		t.Fatalf("login: exit %d\n%s", r.code, r.err)
	}

	// The token endpoint, counted. The first refresh is held a moment so
	// every process has met the expired session before any refresh lands:
	// without the lock each would then refresh on its own.
	target, _ := url.Parse(em.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	var refreshes atomic.Int64
	tokenEP := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/services/oauth2/token" {
			if refreshes.Add(1) == 1 {
				time.Sleep(1500 * time.Millisecond)
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(tokenEP.Close)
	env = append(env, "SF_TOKEN_URL="+tokenEP.URL+"/services/oauth2/token")

	em.ExpireSessions(t)
	const procs = 10
	var wg sync.WaitGroup
	results := make([]result, procs)
	for i := range procs {
		wg.Go(func() { results[i] = run(t, env, "", "query", "SELECT Id FROM Account LIMIT 1", "--json") })
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("process %d: exit %d\n%s", i, r.code, r.err)
		}
		if strings.Contains(r.err, "warning") {
			t.Errorf("process %d warned: %s", i, r.err)
		}
	}
	if n := refreshes.Load(); n != 1 {
		t.Errorf("%d processes with one expired login made %d refresh calls; want 1", procs, n)
	}
	// The stored login carries the refreshed session: a later run needs no refresh.
	if r := run(t, env, "", "query", "SELECT Id FROM Account LIMIT 1", "--json"); r.code != 0 {
		t.Fatalf("after the refresh: exit %d\n%s", r.code, r.err)
	}
	if n := refreshes.Load(); n != 1 {
		t.Errorf("a run after the refresh refreshed again (%d calls): the new token was not saved", n)
	}
}
