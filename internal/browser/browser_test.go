package browser

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestBrowserEnvLauncherOutputGoesToStderr(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses a shell script as $BROWSER")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "opened")
	script := filepath.Join(dir, "fake-browser")
	body := "#!/bin/sh\necho \"launcher chatter $2\"\necho \"$2\" > " + out + "\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	// "--new-window" checks that $BROWSER is split into words and the URL appended.
	b := New(script+" --new-window", &stderr)
	if err := b.Browse("https://login.example/authorize?x=1"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(got)) != "https://login.example/authorize?x=1" {
		t.Errorf("browser opened %q", got)
	}
	if !strings.Contains(stderr.String(), "launcher chatter") {
		t.Errorf("launcher output should reach stderr, got %q", stderr.String())
	}
}

func TestBrowserEnvLauncherFailure(t *testing.T) {
	err := New(filepath.Join(t.TempDir(), "no-such-browser"), &bytes.Buffer{}).Browse("https://x")
	if err == nil || !strings.Contains(err.Error(), "$BROWSER") {
		t.Fatalf("err = %v, want a $BROWSER failure", err)
	}
}

func TestStub(t *testing.T) {
	s := &Stub{Open: func(string) error { return errors.New("no display") }}
	if err := s.Browse("https://a"); err == nil {
		t.Fatal("want the Open error")
	}
	if got := s.URLs(); len(got) != 1 || got[0] != "https://a" {
		t.Fatalf("URLs = %v", got)
	}
}
