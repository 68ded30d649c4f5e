package mcpserver

import (
	"context"
	"testing"

	"github.com/sfmcp/sfmcp/internal/salesforce"
	"github.com/sfmcp/sfmcp/internal/telemetry"
)

type otherKey struct{}

func TestCallCtx(t *testing.T) {
	client := func(org, user string) *salesforce.Client {
		t.Helper()
		c, err := salesforce.New(salesforce.Config{
			Tokens:     salesforce.NewTokenSource(salesforce.TokenSourceConfig{Token: salesforce.Token{AccessToken: "00Dx!tok", InstanceURL: "https://example.my.salesforce.com"}}),
			HTTPClient: salesforce.NewHTTPClient(),
			OrgID:      org, UserID: user,
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	parent := context.WithValue(context.Background(), otherKey{}, "parent's")
	levels := newCallerLevels(1)
	for _, tc := range []struct {
		name         string
		c            *salesforce.Client
		levels       *callerLevels
		wantIdentity telemetry.Identity
		wantOwner    string
	}{
		{"identity and levels", client("00D1", "0051"), levels, telemetry.Identity{OrgID: "00D1", UserID: "0051"}, "00D1/0051"},
		{"no identity, no levels yet", client("", ""), nil, telemetry.Identity{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			owner := clientOwner(tc.c)
			if tc.wantOwner != "" && owner != tc.wantOwner {
				t.Errorf("clientOwner = %q, want %q", owner, tc.wantOwner)
			}
			cc := &callCtx{Context: parent, client: tc.c, owner: owner, levels: tc.levels}
			// As the middlewares see it: below a cancel.
			ctx, cancel := context.WithCancel(cc)
			defer cancel()
			if got, err := ClientFromContext(ctx); err != nil || got != tc.c {
				t.Errorf("ClientFromContext = %p, %v; want %p", got, err, tc.c)
			}
			if got := ownerOf(ctx); got != owner {
				t.Errorf("ownerOf = %q, want %q", got, owner)
			}
			if got := telemetry.IdentityFrom(ctx); got != tc.wantIdentity {
				t.Errorf("IdentityFrom = %+v, want %+v", got, tc.wantIdentity)
			}
			l, ok := ctx.Value(callerLevelsKey{}).(*callerLevels)
			if (tc.levels != nil) != ok || l != tc.levels {
				t.Errorf("levels = %p, %v; want %p", l, ok, tc.levels)
			}
			if got := ctx.Value(otherKey{}); got != "parent's" {
				t.Errorf("a key of the parent's: %v", got)
			}
			// The cancel reaches the call, and the parent's cancellation
			// would too (callCtx's Done is its parent's).
			cancel()
			if ctx.Err() == nil {
				t.Error("cancel did not end the call's context")
			}
		})
	}
	// Without callCtx (stdio, or tasks of a context without one) ownerOf
	// still names the client.
	c := client("00D2", "0052")
	if got := ownerOf(context.WithValue(context.Background(), clientKey{}, c)); got != "00D2/0052" {
		t.Errorf("ownerOf without callCtx = %q", got)
	}
}
