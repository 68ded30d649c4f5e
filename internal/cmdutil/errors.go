package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sfmcp/sfmcp/internal/config"
)

// ExitCode is the process exit status. The values are part of the CLI contract.
type ExitCode int

// Exit codes (design.md §2).
const (
	ExitOK    ExitCode = 0 // success
	ExitError ExitCode = 1 // any failure not listed below
	ExitUsage ExitCode = 2 // bad flags or arguments, unknown command, or cancelled
	ExitAuth  ExitCode = 4 // no login, or Salesforce refused the credentials
)

// FlagError is a usage mistake: a bad flag, a missing or extra argument. It
// exits 2, and the command's usage hint is printed after the message.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf builds a FlagError from a format.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// FlagErrorWrap marks err as a usage error; nil stays nil.
func FlagErrorWrap(err error) error {
	if err == nil {
		return nil
	}
	return &FlagError{Err: err}
}

// ErrCancel means the user cancelled (Ctrl-C, or "no" at a prompt). It exits 2.
// context.Canceled is treated the same way.
var ErrCancel = errors.New("cancelled")

// ErrSilent means the command already told the user what went wrong; exit 1
// without printing anything more.
var ErrSilent = errors.New("silent error")

// AuthError means there is no usable Salesforce login, or Salesforce refused
// it. It exits 4. Its message says what to do; it never contains a token.
type AuthError struct {
	Msg string // what to tell the user
	Err error  // the underlying cause, if any
}

func (e *AuthError) Error() string {
	switch {
	case e.Msg != "" && e.Err != nil:
		return e.Msg + ": " + e.Err.Error()
	case e.Msg != "":
		return e.Msg
	case e.Err != nil:
		return e.Err.Error()
	}
	return "authentication required"
}

func (e *AuthError) Unwrap() error { return e.Err }

// ExitCoder lets errors from other packages (the Salesforce client, for
// instance) choose their exit code without importing cmdutil.
type ExitCoder interface{ ExitCode() int }

// ExitCodeOf maps an error returned by a command to the process exit code.
func ExitCodeOf(err error) ExitCode {
	if err == nil {
		return ExitOK
	}
	var (
		flagErr  *FlagError
		authErr  *AuthError
		valueErr *config.ValueError
		coder    ExitCoder
	)
	switch {
	case errors.Is(err, ErrCancel), errors.Is(err, context.Canceled):
		return ExitUsage
	case errors.As(err, &flagErr), errors.As(err, &valueErr), IsUnknownCommand(err):
		return ExitUsage
	case errors.As(err, &authErr):
		return ExitAuth
	case errors.As(err, &coder):
		if c := coder.ExitCode(); c > 0 && c < 126 {
			return ExitCode(c)
		}
	}
	return ExitError
}

// IsUnknownCommand recognises cobra's "unknown command" errors, which carry no type.
func IsUnknownCommand(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "unknown command ")
}

// IsUsageError reports whether err should be followed by a usage hint.
func IsUsageError(err error) bool {
	var flagErr *FlagError
	var valueErr *config.ValueError
	return errors.As(err, &flagErr) || errors.As(err, &valueErr) || IsUnknownCommand(err)
}
