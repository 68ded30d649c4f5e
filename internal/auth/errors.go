// Package auth logs sfmcp in to Salesforce and keeps the logins: OAuth 2.0
// authorization code with PKCE through the user's browser and a loopback
// callback, the device flow for machines without a browser, and a token given
// on stdin; login metadata in the config file and tokens in the OS keyring
// (TokenStore), refreshed tokens written back safely across processes.
//
// Tokens never appear in errors, logs or output produced here.
package auth

import (
	"errors"
	"fmt"
)

// Error is a login that failed or was refused: the CLI exits 4. Msg says what
// happened and what to do; it never holds a token.
type Error struct {
	Msg string
	Err error // the cause, if any (never one carrying a token)
}

// Error is Msg, followed by the cause when there is one.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ExitCode makes the CLI exit 4 (authentication needed or refused).
func (e *Error) ExitCode() int { return 4 }

// ErrDenied is the user (or the org's policy) refusing access at Salesforce's
// consent page; errors.Is finds it in the *Error the login flows return.
var ErrDenied = errors.New("access denied")

// ErrTimeout is a login nobody completed in time.
var ErrTimeout = errors.New("login timed out")

// OAuthError is an error answer from Salesforce's OAuth endpoints, as
// Salesforce wrote it: {"error": "invalid_grant", "error_description": "..."}.
type OAuthError struct {
	Code        string // error
	Description string // error_description
	Status      int    // HTTP status, 0 when it came on a redirect
}

// Error is Salesforce's error code and description.
func (e *OAuthError) Error() string {
	switch {
	case e.Description != "" && e.Code != "":
		return fmt.Sprintf("%s (%s)", e.Description, e.Code)
	case e.Description != "":
		return e.Description
	case e.Code != "":
		return e.Code
	}
	return fmt.Sprintf("HTTP %d", e.Status)
}
