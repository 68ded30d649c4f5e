package auth

import (
	"context"
	"fmt"
	"net/http"
	"os"
)

// Renewal returns how l gets a new session when it has no refresh token —
// a JWT login signs a new assertion with its key file, a client-credentials
// login asks again with the secret kept in the keyring (sec) — or nil when
// l cannot renew itself.
func Renewal(l Login, sec Secrets, hc *http.Client) func(ctx context.Context) (*Tokens, error) {
	switch l.Grant {
	case GrantJWT:
		if l.JWTKeyFile == "" || l.ClientID == "" || l.Username == "" {
			return nil
		}
		return func(ctx context.Context) (*Tokens, error) {
			key, err := os.ReadFile(l.JWTKeyFile)
			if err != nil {
				return nil, &Error{Msg: fmt.Sprintf("cannot read the JWT key of login %q", l.Alias), Err: err}
			}
			fl := &JWTBearer{LoginURL: l.LoginURL, Audience: JWTAudience(l.LoginURL), ClientID: l.ClientID, Username: l.Username, PrivateKey: key}
			return fl.Run(ctx, hc)
		}
	case GrantClientCredentials:
		if sec.ClientSecret == "" || l.ClientID == "" {
			return nil
		}
		return func(ctx context.Context) (*Tokens, error) {
			return ClientCredentials(ctx, hc, TokenURL(l.LoginURL), l.ClientID, sec.ClientSecret)
		}
	}
	return nil
}
