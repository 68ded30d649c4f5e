package keyring

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	gokeyring "github.com/zalando/go-keyring"
)

func TestKeyringWithMock(t *testing.T) {
	gokeyring.MockInit()
	k := System()
	ctx := context.Background()

	if _, err := k.Get(ctx, "sfmcp:login.salesforce.com", "a@b.c"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get before Set: %v, want ErrNotFound", err)
	}
	if err := k.Set(ctx, "sfmcp:login.salesforce.com", "a@b.c", "s1"); err != nil {
		t.Fatal(err)
	}
	if got, err := k.Get(ctx, "sfmcp:login.salesforce.com", "a@b.c"); err != nil || got != "s1" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if err := k.Delete(ctx, "sfmcp:login.salesforce.com", "a@b.c"); err != nil {
		t.Fatal(err)
	}
	if err := k.Delete(ctx, "sfmcp:login.salesforce.com", "a@b.c"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: %v, want ErrNotFound", err)
	}
}

func TestKeyringUnavailable(t *testing.T) {
	gokeyring.MockInitWithError(errors.New("The name org.freedesktop.secrets was not provided by any .service files"))
	t.Cleanup(gokeyring.MockInit)
	_, err := System().Get(context.Background(), "s", "u")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if !strings.Contains(err.Error(), "--insecure-storage") || !strings.Contains(err.Error(), "org.freedesktop.secrets") {
		t.Errorf("message should say what failed and what to do: %v", err)
	}
}

// hangingBackend never answers, like a Secret Service waiting on a prompt.
type hangingBackend struct{ release chan struct{} }

func (h hangingBackend) Get(string, string) (string, error) { <-h.release; return "", nil }
func (h hangingBackend) Set(string, string, string) error   { <-h.release; return nil }
func (h hangingBackend) Delete(string, string) error        { <-h.release; return nil }

func TestKeyringTimeout(t *testing.T) {
	h := hangingBackend{release: make(chan struct{})}
	defer close(h.release)
	k := New(h, 50*time.Millisecond)
	start := time.Now()
	err := k.Set(context.Background(), "s", "u", "secret")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Fatalf("err = %v, want an ErrUnavailable timeout", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("a hung keyring hung the caller")
	}
}

func TestKeyringContextCancelled(t *testing.T) {
	h := hangingBackend{release: make(chan struct{})}
	defer close(h.release)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New(h, time.Minute).Get(ctx, "s", "u"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestFileStore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "tokens.json")
	var notice bytes.Buffer
	s := NewFileStore(path, &notice)
	ctx := context.Background()

	if _, err := s.Get(ctx, "svc", "u"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get on no file: %v", err)
	}
	if err := s.Set(ctx, "svc", "u", "the-secret"); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "svc", "v", "other"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// Windows has no Unix permission bits: Go reports 0666 for any writable file.
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("tokens file mode %v, want 0600", fi.Mode().Perm())
	}
	if got, err := s.Get(ctx, "svc", "u"); err != nil || got != "the-secret" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	// Every use is announced, and the announcement names the file but never the secret.
	if n := strings.Count(notice.String(), "plain-text file "+path); n != 4 {
		t.Errorf("announced %d times, want 4:\n%s", n, notice.String())
	}
	if strings.Contains(notice.String(), "the-secret") {
		t.Error("notice contains the secret")
	}

	if err := s.Delete(ctx, "svc", "u"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "svc", "u"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: %v", err)
	}
	if err := s.Delete(ctx, "svc", "v"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an empty tokens file should be removed: %v", err)
	}
}

func TestFileStoreCorruptFileDoesNotLeak(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	if err := os.WriteFile(path, []byte(`{"secrets": 00DSECRET`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := NewFileStore(path, nil).Get(context.Background(), "s", "u")
	if err == nil || strings.Contains(err.Error(), "00DSECRET") {
		t.Fatalf("err = %v: want an error that does not quote the file", err)
	}
}
