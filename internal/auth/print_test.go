package auth

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestTokensNeverPrinted covers Tokens printed by value, by pointer and by slog.
func TestTokensNeverPrinted(t *testing.T) {
	tok := Tokens{AccessToken: "00Dxx!SECRET-ACCESS", RefreshToken: "5Aep-SECRET-REFRESH", InstanceURL: "https://acme.my.salesforce.com"}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("login", "tokens", tok, "ptr", &tok)
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%+v", tok), fmt.Sprintf("%#v", tok), fmt.Sprint(&tok), fmt.Sprintf("%#v", &tok), logged.String()} {
		if strings.Contains(s, "SECRET") {
			t.Errorf("a token was printed: %s", s)
		}
	}
}
