package mcpserver

import (
	"slices"
	"testing"

	"github.com/sfmcp/sfmcp/internal/auth"
	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth"
)

// TestDefaultsCannotBeChangedByCallers: the exported defaults are functions
// that return a new slice each call, so one caller's edit (an append into
// spare capacity, a changed element) never reaches another caller.
func TestDefaultsCannotBeChangedByCallers(t *testing.T) {
	for name, get := range map[string]func() []string{
		"DefaultListedToolsets":        DefaultListedToolsets,
		"KnownToolsets":                KnownToolsets,
		"oauth.DefaultScopes":          oauth.DefaultScopes,
		"oauth.DefaultRedirectSchemes": oauth.DefaultRedirectSchemes,
		"auth.DefaultScopes":           auth.DefaultScopes,
	} {
		want := slices.Clone(get())
		got := get()
		got[0] = "changed"
		_ = append(got[:1], "appended")
		if !slices.Equal(get(), want) {
			t.Errorf("%s: a caller's edit changed the default: %v", name, get())
		}
	}
}
