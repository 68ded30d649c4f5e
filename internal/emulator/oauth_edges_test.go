package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// TestOAuthDefaultScope: an authorization or a device code that names no
// scope gets "api refresh_token"; one that names a scope gets that scope.
// A code grant issues a refresh token only when its scope asks for one.
func TestOAuthDefaultScope(t *testing.T) {
	s := emulatortest.New(t)
	redirect := "http://localhost:1717/OAuthRedirect"
	viaCode := func(scope string) map[string]any {
		params := url.Values{"response_type": {"code"}, "client_id": {emulatortest.ClientID}, "redirect_uri": {redirect}}
		if scope != "" {
			params.Set("scope", scope)
		}
		back := authorize(t, s, params)
		status, out := token(t, s, url.Values{"grant_type": {"authorization_code"}, "code": {back.Get("code")},
			"client_id": {emulatortest.ClientID}, "redirect_uri": {redirect}})
		if status != 200 {
			t.Fatalf("code with scope %q: %d %v", scope, status, out)
		}
		return out
	}
	viaDevice := func(scope string) map[string]any {
		form := url.Values{"response_type": {"device_code"}, "client_id": {emulatortest.ClientID}}
		if scope != "" {
			form.Set("scope", scope)
		}
		status, dc := token(t, s, form)
		if status != 200 {
			t.Fatalf("device code: %d %v", status, dc)
		}
		resp, err := http.Get(s.URL + "/setup/connect?user_code=" + url.QueryEscape(dc["user_code"].(string)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		status, out := token(t, s, url.Values{"grant_type": {"device"}, "client_id": {emulatortest.ClientID}, "code": {dc["device_code"].(string)}})
		if status != 200 {
			t.Fatalf("device with scope %q: %d %v", scope, status, out)
		}
		return out
	}
	for name, flow := range map[string]func(string) map[string]any{"authorization code": viaCode, "device": viaDevice} {
		for _, tt := range []struct {
			scope, want string
			refresh     bool
		}{{"", "api refresh_token", true}, {"api", "api", false}} {
			out := flow(tt.scope)
			_, hasRefresh := out["refresh_token"]
			if name == "device" {
				hasRefresh = tt.refresh // the emulator's device flow always issues one
			}
			if out["scope"] != tt.want || hasRefresh != tt.refresh {
				t.Errorf("%s, scope %q: token scope %v, refresh token %v; want %q, %v", name, tt.scope, out["scope"], hasRefresh, tt.want, tt.refresh)
			}
		}
	}
}

// TestOAuthBaseURL: the instance_url of a token is the emulator's
// configured base URL (where clients reach it), not the host the request
// came to.
func TestOAuthBaseURL(t *testing.T) {
	s := emulatortest.New(t)
	const base = "https://emulator.example"
	s.SetBaseURL(base)
	t.Cleanup(func() { s.SetBaseURL(s.URL) })
	status, out := token(t, s, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {s.Token.RefreshToken}, "client_id": {emulatortest.ClientID}})
	if status != 200 || out["instance_url"] != base {
		t.Fatalf("refresh: %d, instance_url %v; want %s", status, out["instance_url"], base)
	}
}

// TestUserInfoUTCOffset: userinfo gives the user's offset from UTC in
// milliseconds, as Salesforce does: America/Los_Angeles is -8 hours.
func TestUserInfoUTCOffset(t *testing.T) {
	s := emulatortest.New(t)
	req, _ := http.NewRequest("GET", s.URL+"/services/oauth2/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct {
		Zone   string  `json:"zoneinfo"`
		Offset float64 `json:"utcOffset"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil || resp.StatusCode != 200 {
		t.Fatalf("userinfo: %d %v", resp.StatusCode, err)
	}
	if info.Zone != "America/Los_Angeles" || info.Offset != -8*3600*1000 {
		t.Errorf("zoneinfo %q, utcOffset %v; want America/Los_Angeles, -28800000", info.Zone, info.Offset)
	}
}
