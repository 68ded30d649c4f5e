package auth

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// ReadToken reads `sfmcp login --with-token` input: an access token on the
// first line and, optionally, the instance URL on the second.
func ReadToken(r io.Reader) (token, instanceURL string, err error) {
	sc := bufio.NewScanner(io.LimitReader(r, 64<<10))
	var lines []string
	for sc.Scan() && len(lines) < 2 {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		return "", "", fmt.Errorf("reading the token from stdin: %w", err)
	}
	if len(lines) == 0 {
		return "", "", fmt.Errorf("--with-token: no token on stdin (give the access token on the first line, the instance URL on the second or with --instance-url)")
	}
	if strings.ContainsAny(lines[0], " \t") {
		return "", "", fmt.Errorf("--with-token: the first line of stdin should be the access token alone")
	}
	if len(lines) > 1 {
		instanceURL = lines[1]
	}
	return lines[0], instanceURL, nil
}

// WhoAmI asks the org who the token belongs to (the userinfo endpoint). It
// never refreshes: it checks the token exactly as given.
func WhoAmI(ctx context.Context, hc *http.Client, t *Tokens) (*salesforce.UserInfo, error) {
	c, err := salesforce.New(salesforce.Config{
		HTTPClient: hc,
		Tokens:     salesforce.NewTokenSource(salesforce.TokenSourceConfig{Token: salesforce.Token{AccessToken: t.AccessToken, InstanceURL: t.InstanceURL}}),
		Retry:      salesforce.RetryPolicy{MaxAttempts: 1},
	})
	if err != nil {
		return nil, err
	}
	u, err := c.UserInfo(ctx)
	if err != nil {
		return nil, err
	}
	if u.PreferredUsername == "" {
		return nil, fmt.Errorf("userinfo: Salesforce did not say the username")
	}
	return u, nil
}

// Revoke asks Salesforce to revoke token (a refresh token revokes the access
// tokens issued from it too) at loginURL's revoke endpoint.
func Revoke(ctx context.Context, hc *http.Client, loginURL, token string) error {
	endpoint := strings.TrimRight(loginURL, "/") + "/services/oauth2/revoke"
	status, body, err := postForm(ctx, hc, endpoint, url.Values{"token": {token}})
	if err != nil {
		return fmt.Errorf("revoking the token: %w", err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("revoking the token: Salesforce answered %w", oauthErrorFrom(status, body))
	}
	return nil
}
