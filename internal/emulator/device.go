package emulator

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The OAuth 2.0 device flow, as Salesforce runs it: the client asks
// /services/oauth2/token with response_type=device_code for a device code
// and a user code, shows the user the verification page, and polls
// /services/oauth2/token with grant_type=device until the user has approved.
// The emulator's verification page (/setup/connect?user_code=...) approves
// at once, or denies after the admin deny-next switch.

// deviceGrant is a pending device authorization.
type deviceGrant struct {
	ClientID string `json:"client_id"`
	UserCode string `json:"user_code"`
	Scope    string `json:"scope"`
	State    string `json:"state"` // pending, approved, denied
}

const deviceTTL = 10 * time.Minute

func (e *Emulator) startDevice(w http.ResponseWriter, r *http.Request, f url.Values) {
	if _, ok := e.tokenClient(w, r, f); !ok {
		return
	}
	scope := f.Get("scope")
	if scope == "" {
		scope = "api refresh_token"
	}
	g := deviceGrant{ClientID: f.Get("client_id"), UserCode: randomUserCode(), Scope: scope, State: "pending"}
	deviceCode := "dev" + randomString(60)
	if err := e.putDevice(r, deviceCode, g); err != nil {
		oauthError(w, 500, "server_error", "the emulator could not store the device code")
		return
	}
	// The user code maps back to the device code for the verification page.
	if err := e.org.store.PutKV(r.Context(), bucketDevice, "user:"+g.UserCode, deviceCode, e.org.now().Add(deviceTTL).Unix()); err != nil {
		oauthError(w, 500, "server_error", "the emulator could not store the device code")
		return
	}
	writeJSON(w, 200, map[string]any{"device_code": deviceCode, "user_code": g.UserCode,
		"verification_uri": e.baseFor(r) + "/setup/connect", "interval": 1})
}

func (e *Emulator) putDevice(r *http.Request, code string, g deviceGrant) error {
	v, _ := json.Marshal(g)
	return e.org.store.PutKV(r.Context(), bucketDevice, code, string(v), e.org.now().Add(deviceTTL).Unix())
}

func (e *Emulator) grantDevice(w http.ResponseWriter, r *http.Request, f url.Values) {
	code := f.Get("code")
	v, ok, err := e.org.store.GetKV(r.Context(), bucketDevice, code, e.org.now().Unix())
	if err != nil {
		oauthError(w, 500, "server_error", "the emulator could not read the device code")
		return
	}
	if !ok || code == "" || strings.HasPrefix(code, "user:") {
		oauthError(w, 400, "invalid_grant", "invalid device code")
		return
	}
	var g deviceGrant
	if err := json.Unmarshal([]byte(v), &g); err != nil {
		oauthError(w, 500, "server_error", "corrupt device code")
		return
	}
	if g.ClientID != f.Get("client_id") {
		oauthError(w, 400, "invalid_client", "invalid client credentials")
		return
	}
	switch g.State {
	case "pending":
		oauthError(w, 400, "authorization_pending", "authorization pending")
	case "denied":
		_ = e.org.store.DeleteKV(r.Context(), bucketDevice, code)
		oauthError(w, 400, "access_denied", "end-user denied authorization")
	default:
		// One use: the device code is spent once tokens are issued.
		_ = e.org.store.DeleteKV(r.Context(), bucketDevice, code)
		tok, err := e.issue(r.Context(), e.baseFor(r), session{UserID: e.org.adminID, Client: g.ClientID}, true, g.Scope)
		if err != nil {
			oauthError(w, 500, "server_error", "the emulator could not issue a token")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, 200, tok)
	}
}

// handleConnect is the device flow's verification page: with a known
// user_code it approves (or, after deny-next, denies) the device.
func (e *Emulator) handleConnect(w http.ResponseWriter, r *http.Request) {
	userCode := strings.ToUpper(strings.TrimSpace(r.URL.Query().Get("user_code")))
	now := e.org.now().Unix()
	code, ok, err := e.org.store.GetKV(r.Context(), bucketDevice, "user:"+userCode, now)
	if err != nil || !ok || userCode == "" {
		oauthPage(w, 400, "invalid_request", "unknown or expired user code")
		return
	}
	v, ok, err := e.org.store.GetKV(r.Context(), bucketDevice, code, now)
	if err != nil || !ok {
		oauthPage(w, 400, "invalid_request", "unknown or expired user code")
		return
	}
	var g deviceGrant
	if err := json.Unmarshal([]byte(v), &g); err != nil {
		oauthPage(w, 500, "server_error", "corrupt device code")
		return
	}
	g.State = "approved"
	if e.org.denyNext() {
		g.State = "denied"
	}
	if err := e.putDevice(r, code, g); err != nil {
		oauthPage(w, 500, "server_error", "the emulator could not store the approval")
		return
	}
	w.Header().Set("Content-Type", "text/html;charset=UTF-8")
	_, _ = w.Write([]byte("<!doctype html><title>" + html.EscapeString(Label) + "</title><h1>" +
		html.EscapeString(Label) + "</h1><p>Device " + html.EscapeString(g.State) + ". You can close this page.</p>"))
}

// randomUserCode is 8 letters people can type: no 0/O or 1/I.
func randomUserCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := []byte(randomString(8))
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
