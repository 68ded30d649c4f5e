//go:build unix

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"github.com/sfmcp/sfmcp/internal/testenv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// secretService is a private D-Bus session with gnome-keyring's Secret
// Service on it, unlocked, whose keyring files live in a temp dir: a real
// keyring that is not the developer's. It stops when the test ends, or when
// the test process dies (its stdin closes).
type secretService struct {
	env []string // DBUS_SESSION_BUS_ADDRESS and the dirs the daemon uses
}

// startSecretService starts the session, or skips the test when
// dbus-run-session is missing (failing it under CI=true; .ci/test-deps.sh
// installs it, so `make test` never skips). gnome-keyring-daemon and secret-tool missing beside it
// is a broken setup and fails.
func startSecretService(t *testing.T) *secretService {
	t.Helper()
	if _, err := exec.LookPath("dbus-run-session"); err != nil {
		testenv.Missing(t, "dbus-run-session not found: the keyring tests need a D-Bus session (Debian: apt-get install dbus gnome-keyring libsecret-tools, or run .ci/test-deps.sh as root)")
	}
	for _, tool := range []string{"gnome-keyring-daemon", "secret-tool", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run .ci/test-deps.sh (as root) to install the keyring test dependencies", tool)
		}
	}
	dir := t.TempDir()
	runtimeDir := filepath.Join(dir, "run")
	if err := os.Mkdir(runtimeDir, 0o700); err != nil {
		t.Fatal(err)
	}
	dirs := []string{
		"HOME=" + dir,
		"XDG_DATA_HOME=" + filepath.Join(dir, "data"), // gnome-keyring keeps keyrings/ here
		"XDG_RUNTIME_DIR=" + runtimeDir,
	}
	// The shell unlocks (creating) the login keyring with a throwaway
	// password, prints the bus address, then waits on stdin.
	script := `echo -n sfmcp-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 || exit 1
echo "BUS=$DBUS_SESSION_BUS_ADDRESS"
read _`
	cmd := exec.Command("dbus-run-session", "--", "sh", "-c", script)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, dirs...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("dbus-run-session: %v", err)
	}
	t.Cleanup(func() {
		stdin.Close() // the shell's read returns; the session and the daemon end with it
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "BUS="); ok {
				addr <- a
			}
		}
		close(addr)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var bus string
	select {
	case a, ok := <-addr:
		if !ok || a == "" {
			t.Fatalf("the keyring session did not start: %s", stderr.String())
		}
		bus = a
	case <-time.After(20 * time.Second):
		t.Fatalf("the keyring session did not start within 20s: %s", stderr.String())
	}
	return &secretService{env: append([]string{"DBUS_SESSION_BUS_ADDRESS=" + bus}, dirs...)}
}

// secretTool runs secret-tool in the session; it returns stdout and whether
// it exited 0.
func (s *secretService) secretTool(t *testing.T, args ...string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "secret-tool", args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, s.env...)
	out, err := cmd.Output()
	if ctx.Err() != nil {
		t.Fatalf("secret-tool %v hung", args)
	}
	return string(out), err == nil
}

// loginFreePort returns a loopback port nobody listens on now.

// loginBrowser writes a $BROWSER script into dir and returns its path.
// body is the script after the shebang; "$1" is the URL to open.
func loginBrowser(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}
