package ops

import (
	"context"
	"net/url"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// SessionStatus is what Salesforce says of a login's session.
type SessionStatus int

const (
	// SessionOK: Salesforce accepts the session (after a refresh, if it had expired).
	SessionOK SessionStatus = iota
	// SessionRefused: the tokens are expired beyond refresh or revoked; the login must be redone.
	SessionRefused
	// SessionUnreachable: Salesforce could not be asked.
	SessionUnreachable
)

// CheckSession asks Salesforce's userinfo whether c's session still works;
// c's token source refreshes an expired access token on the way.
func CheckSession(ctx context.Context, c *salesforce.Client) SessionStatus {
	if _, err := c.UserInfo(ctx); err != nil {
		if salesforce.IsAuthError(err) {
			return SessionRefused
		}
		return SessionUnreachable
	}
	return SessionOK
}

// Identity is whom a session belongs to and where the org is served.
type Identity struct {
	OrgID    string
	UserID   string
	Username string
	// Instance is the org's origin, like "https://acme.my.salesforce.com".
	Instance string
}

// InstanceRefusedError is a session whose org userinfo places at an
// address the caller's policy refuses.
type InstanceRefusedError struct {
	Instance string
	Err      error
}

func (e *InstanceRefusedError) Error() string {
	return "the token's org is at a refused address: " + e.Err.Error()
}

func (e *InstanceRefusedError) Unwrap() error { return e.Err }

// Identify asks c's userinfo whom its session belongs to and where the org
// lives. The instance is named when the caller already knows it (checked by
// the caller); otherwise it is the origin userinfo gives for the REST API,
// else its custom domain, else c's own instance, and allow (nil: anything)
// must accept it: a token validated at a login host must not send requests
// wherever userinfo says. Errors from userinfo come back as they are, so
// salesforce.IsAuthError tells a refused token from an unreachable org.
func Identify(ctx context.Context, c *salesforce.Client, named string, allow func(string) (string, error)) (Identity, error) {
	ui, err := c.UserInfo(ctx)
	if err != nil {
		return Identity{}, err
	}
	id := Identity{OrgID: ui.OrganizationID, UserID: ui.UserID, Username: ui.PreferredUsername, Instance: named}
	if named != "" {
		return id, nil
	}
	inst := originOf(ui.URLs["rest"])
	if inst == "" {
		inst = originOf(ui.URLs["custom_domain"])
	}
	if inst == "" {
		inst = c.InstanceURL()
	}
	if allow != nil {
		checked, err := allow(inst)
		if err != nil {
			return Identity{}, &InstanceRefusedError{Instance: inst, Err: err}
		}
		inst = checked
	}
	id.Instance = inst
	return id, nil
}

// originOf returns scheme://host of raw, or "" when raw is not an absolute URL.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
