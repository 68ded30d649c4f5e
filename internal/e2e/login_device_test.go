//go:build unix

package e2e

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

var deviceCodeLine = regexp.MustCompile(`open (\S+) on any device and enter the code (\S+)`)

// TestLoginDevice logs in with the device flow: the real binary prints the
// verification page and code, "another device" (this test) opens the page
// with the code, and the binary's polling picks up the tokens, which land in
// the real keyring; a query then works with no token in the environment.
func TestLoginDevice(t *testing.T) {
	r := newLoginRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "login", "--device", "--instance-url", r.em.URL, "--client-id", emulatortest.ClientID, "--alias", "dev")
	cmd.Env = r.env()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var printed strings.Builder
	lines := bufio.NewScanner(io.TeeReader(stderr, &printed))
	var page, code string
	for lines.Scan() {
		if m := deviceCodeLine.FindStringSubmatch(lines.Text()); m != nil {
			page, code = m[1], m[2]
			break
		}
	}
	if page == "" {
		cmd.Wait()
		t.Fatalf("no device code printed; stderr: %s", printed.String())
	}
	if !strings.HasPrefix(page, r.em.URL+"/") {
		t.Fatalf("verification page %q is not on the emulator", page)
	}
	go io.Copy(io.Discard, io.TeeReader(stderr, &printed))
	resp, err := http.Get(page + "?user_code=" + url.QueryEscape(code))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("approving the device: %s", resp.Status)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sfmcp login --device: %v\n%s", err, printed.String())
	}
	username := usernameFrom(t, printed.String())
	if access, refresh, found := r.stored(username); !found || access == "" || refresh == "" {
		t.Fatalf("the device login left no tokens in the keyring")
	}
	res := r.ok("query", "--csv", "SELECT Id FROM Organization")
	if !strings.Contains(res.out, r.em.Org().OrgID()) {
		t.Errorf("query after a device login: %q", res.out)
	}
}
