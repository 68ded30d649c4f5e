package oauth

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestSessionNeverPrinted covers a Session printed by value, by pointer and by slog.
func TestSessionNeverPrinted(t *testing.T) {
	s := Session{GrantID: "g", UserID: "005xx", OrgID: "00Dxx", InstanceURL: "https://acme.my.salesforce.com",
		AccessToken: "00Dxx!SECRET-ACCESS", RefreshToken: "5Aep-SECRET-REFRESH"}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("session", "s", s, "ptr", &s)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s), fmt.Sprint(&s), fmt.Sprintf("%#v", &s), logged.String()} {
		if strings.Contains(out, "SECRET") {
			t.Errorf("a Salesforce token was printed: %s", out)
		}
	}
}
