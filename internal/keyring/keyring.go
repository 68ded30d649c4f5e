// Package keyring keeps sfmcp's secrets in the operating system's keyring
// (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows)
// through github.com/zalando/go-keyring, and, only when the user asks for it
// with --insecure-storage, in a plain file readable by its owner alone.
//
// Every keyring call runs with a timeout: a Secret Service that hangs (a locked
// collection waiting for a prompt nobody sees, a wedged D-Bus) must not hang
// sfmcp. Secrets are kept small, because macOS refuses items of more than
// about 3 KB.
package keyring

import (
	"context"
	"errors"
	"fmt"
	"time"

	gokeyring "github.com/zalando/go-keyring"
)

// DefaultTimeout bounds each keyring call.
const DefaultTimeout = 3 * time.Second

// ErrNotFound means the keyring has no secret for that service and user.
var ErrNotFound = errors.New("secret not found in the keyring")

// ErrUnavailable means the keyring could not be used at all: no Secret Service
// on the session bus, no session bus, or no answer in time. Errors wrapping it
// say which; errors.Is(err, ErrUnavailable) recognises all of them.
var ErrUnavailable = errors.New("the system keyring is not available")

// Backend is the three calls sfmcp needs from a keyring; go-keyring's package
// functions are the production backend.
type Backend interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

// Store reads and writes secrets. Keyring and FileStore implement it.
type Store interface {
	Get(ctx context.Context, service, user string) (string, error)
	Set(ctx context.Context, service, user, secret string) error
	Delete(ctx context.Context, service, user string) error
}

// Keyring is the OS keyring with a timeout on every call.
type Keyring struct {
	backend Backend
	timeout time.Duration
}

// System returns the OS keyring with DefaultTimeout.
func System() *Keyring { return New(goKeyring{}, DefaultTimeout) }

// New returns a Keyring over backend; timeout <= 0 means DefaultTimeout.
func New(backend Backend, timeout time.Duration) *Keyring {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Keyring{backend: backend, timeout: timeout}
}

// Get returns the secret stored for service and user, or ErrNotFound.
func (k *Keyring) Get(ctx context.Context, service, user string) (string, error) {
	var secret string
	err := k.run(ctx, "read", func() error {
		var err error
		secret, err = k.backend.Get(service, user)
		return err
	})
	return secret, err
}

// Set stores secret for service and user, replacing any earlier one.
func (k *Keyring) Set(ctx context.Context, service, user, secret string) error {
	return k.run(ctx, "write", func() error { return k.backend.Set(service, user, secret) })
}

// Delete removes the secret for service and user; ErrNotFound when there was none.
func (k *Keyring) Delete(ctx context.Context, service, user string) error {
	return k.run(ctx, "delete", func() error { return k.backend.Delete(service, user) })
}

// run calls fn in its own goroutine and stops waiting after the timeout. A
// call that never returns leaks its goroutine; that is the price of not
// hanging, and the process is short-lived.
func (k *Keyring) run(ctx context.Context, op string, fn func() error) error {
	ctx, cancel := context.WithTimeout(ctx, k.timeout)
	defer cancel()
	done := make(chan error, 1) // buffered: a late answer must not block the goroutine forever
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return classify(op, err)
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return &UnavailableError{Op: op, Err: fmt.Errorf("no answer within %s", k.timeout)}
		}
		return ctx.Err()
	}
}

func classify(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gokeyring.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, gokeyring.ErrSetDataTooBig):
		return fmt.Errorf("keyring %s: the secret is too large for the keyring", op)
	}
	return &UnavailableError{Op: op, Err: err}
}

// UnavailableError is a keyring call that failed because the keyring could
// not be used. It matches ErrUnavailable with errors.Is.
type UnavailableError struct {
	Op  string // "read", "write" or "delete"
	Err error  // what the keyring (or D-Bus) said
}

// Error says what failed and how to get a working keyring or do without one.
func (e *UnavailableError) Error() string {
	return fmt.Sprintf("%s (keyring %s: %v); on a desktop, unlock or start the keyring (GNOME Keyring, KWallet); on a server, run sfmcp login --insecure-storage to keep tokens in a file instead, or set SALESFORCE_ACCESS_TOKEN", ErrUnavailable, e.Op, e.Err)
}

// Unwrap returns the underlying cause.
func (e *UnavailableError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// goKeyring is go-keyring's package-level provider (the OS keyring, or its
// mock after gokeyring.MockInit).
type goKeyring struct{}

func (goKeyring) Get(service, user string) (string, error) { return gokeyring.Get(service, user) }
func (goKeyring) Set(service, user, secret string) error   { return gokeyring.Set(service, user, secret) }
func (goKeyring) Delete(service, user string) error        { return gokeyring.Delete(service, user) }
