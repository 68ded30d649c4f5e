// Package testenv decides what a test does when a real part it needs (a
// redis-server, a D-Bus session, Node.js, a Salesforce client) is missing.
//
// On a developer's machine the test skips and says what to install. Under
// CI=true, as .ci/run runs, it fails instead: a green CI run must mean that
// every real part ran, never that the tests which need them quietly skipped.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// InCI reports whether the tests run under CI (CI set to a true value).
func InCI() bool {
	v, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && v
}

// Missing ends the test because a dependency is absent: a failure under CI,
// a skip elsewhere. The message says what is missing and how to get it.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("missing test dependency (CI=true, so this fails instead of skipping): %s", msg)
		return
	}
	t.Skip(msg)
}

// LookPath returns the path of the named program, or ends the test through
// Missing with the install hint when it is not on PATH.
func LookPath(t testing.TB, name, hint string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s not found on PATH: %s", name, hint)
	}
	return p
}
