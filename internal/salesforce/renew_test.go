package salesforce

import (
	"context"
	"sync/atomic"
	"testing"
)

// TestRenewIsUsedOnlyWithoutARefreshToken: a login that keeps a refresh
// token refreshes with it even when it can also run its grant again, and a
// login without one (JWT bearer, client credentials) runs its grant again
// instead of sending an empty refresh token to the token endpoint.
func TestRenewIsUsedOnlyWithoutARefreshToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                        string
		refreshToken                bool
		wantRenewals, wantRefreshes int32
	}{
		{name: "refresh token and a grant to renew", refreshToken: true, wantRenewals: 0, wantRefreshes: 1},
		{name: "only a grant to renew", refreshToken: false, wantRenewals: 1, wantRefreshes: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			org := &sessionOrg{}
			srv, _ := newFakeOrg(t, org.handler)
			var renewals atomic.Int32
			c := newTestClient(t, srv.URL, func(cfg *Config, ts *TokenSourceConfig) {
				if tc.refreshToken {
					withRefresh(srv.URL+"/services/oauth2/token", nil)(cfg, ts)
				}
				ts.Renew = func(context.Context) (Token, error) {
					renewals.Add(1)
					return Token{AccessToken: freshAccessToken, InstanceURL: srv.URL}, nil
				}
			})
			if !c.tokens.CanRefresh() {
				t.Fatal("CanRefresh is false")
			}
			if _, err := c.QueryPage(context.Background(), "SELECT Id FROM Account", false); err != nil {
				t.Fatal(err)
			}
			if got, want := renewals.Load(), tc.wantRenewals; got != want {
				t.Errorf("%d renewals, want %d", got, want)
			}
			if got, want := org.refreshes.Load(), tc.wantRefreshes; got != want {
				t.Errorf("%d refresh-token requests, want %d", got, want)
			}
			if got := c.tokens.Token().AccessToken; got != freshAccessToken {
				t.Error("the token source kept the stale token")
			}
		})
	}
}
