package ops

import (
	"context"

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
