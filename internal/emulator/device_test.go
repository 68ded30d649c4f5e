package emulator_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

func TestDeviceFlow(t *testing.T) {
	s := emulatortest.New(t)
	start := func() map[string]any {
		status, out := token(t, s, url.Values{"response_type": {"device_code"}, "client_id": {emulatortest.ClientID}, "scope": {"api refresh_token"}})
		if status != 200 || out["device_code"] == nil || out["user_code"] == nil || out["verification_uri"] != s.URL+"/setup/connect" {
			t.Fatalf("device code: %d %v", status, out)
		}
		return out
	}
	poll := func(dc any) (int, map[string]any) {
		return token(t, s, url.Values{"grant_type": {"device"}, "client_id": {emulatortest.ClientID}, "code": {dc.(string)}})
	}
	visit := func(userCode any) int {
		resp, err := http.Get(s.URL + "/setup/connect?user_code=" + url.QueryEscape(userCode.(string)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	dc := start()
	if status, out := poll(dc["device_code"]); status != 400 || out["error"] != "authorization_pending" {
		t.Fatalf("before approval: %d %v", status, out)
	}
	if visit(dc["user_code"]) != 200 {
		t.Fatal("verification page refused a valid user code")
	}
	status, out := poll(dc["device_code"])
	if status != 200 || !tokenShape.MatchString(out["access_token"].(string)) || out["refresh_token"] == "" {
		t.Fatalf("after approval: %d %v", status, out)
	}
	// The device code is spent.
	if status, out := poll(dc["device_code"]); status != 400 || out["error"] != "invalid_grant" {
		t.Fatalf("reused device code: %d %v", status, out)
	}
	// Denied.
	dc = start()
	s.Admin(t, "POST", "deny-next", nil)
	visit(dc["user_code"])
	if status, out := poll(dc["device_code"]); status != 400 || out["error"] != "access_denied" {
		t.Fatalf("denied: %d %v", status, out)
	}
	// Unknown codes and clients.
	if visit("NOPE1234") != 400 {
		t.Error("an unknown user code was accepted")
	}
	dc = start()
	if status, out := token(t, s, url.Values{"grant_type": {"device"}, "client_id": {"other"}, "code": {dc["device_code"].(string)}}); status != 400 || out["error"] != "invalid_client" {
		t.Errorf("other client: %d %v", status, out)
	}
	if status, out := token(t, s, url.Values{"response_type": {"device_code"}}); status != 400 || out["error"] != "invalid_client_id" {
		t.Errorf("no client id: %d %v", status, out)
	}
}
