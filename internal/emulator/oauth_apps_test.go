package emulator_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

const adminUsername = "emulator.admin@sfmcp-emulator.invalid"

// testCert makes an RSA key and a self-signed certificate for it, as
// `openssl req -x509` does for a Salesforce connected app.
func testCert(t *testing.T) (*rsa.PrivateKey, string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sfmcp test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return key, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func sign(t *testing.T, key *rsa.PrivateKey, method jwt.SigningMethod, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// authorizePage runs authorize expecting an error page (no redirect).
func authorizePage(t *testing.T, s *emulatortest.Server, params url.Values) (int, string) {
	t.Helper()
	resp, err := noRedirect.Get(s.URL + "/services/oauth2/authorize?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if loc := resp.Header.Get("Location"); loc != "" {
		t.Errorf("authorize redirected to %s; an unknown client or callback must not be redirected to", loc)
	}
	return resp.StatusCode, string(body)
}

func TestConnectedAppsAuthorize(t *testing.T) {
	s := emulatortest.New(t, func(o *emulator.Options) {
		o.Apps = append(o.Apps, emulator.ConnectedApp{ClientID: "exact", Callbacks: []string{"https://app.example.com/cb"}})
	})
	ok := func(client, redirect string) url.Values {
		return url.Values{"response_type": {"code"}, "client_id": {client}, "redirect_uri": {redirect}}
	}
	// Registered: the default app, the sf CLI's, a test app's any-port loopback callback, an exact one.
	for _, p := range []url.Values{
		ok(emulator.ClientID, "http://localhost:1717/OAuthRedirect"),
		ok(emulator.PlatformCLIClientID, "http://localhost:1717/OAuthRedirect"),
		ok(emulatortest.ClientID, "http://localhost:40123/OAuthRedirect"),
		ok(emulatortest.ClientID, "http://127.0.0.1:1/auth/callback"),
		ok("exact", "https://app.example.com/cb"),
	} {
		if back := authorize(t, s, p); back.Get("code") == "" {
			t.Errorf("%v: no code: %v", p, back)
		}
	}
	for name, tc := range map[string]struct {
		params url.Values
		want   string
	}{
		"unknown client":            {ok("nobody", "http://localhost:1717/OAuthRedirect"), "error=invalid_client_id"},
		"no client":                 {ok("", "http://localhost:1717/OAuthRedirect"), "error=invalid_client_id"},
		"another port":              {ok(emulator.ClientID, "http://localhost:1718/OAuthRedirect"), "error=redirect_uri_mismatch"},
		"another path":              {ok(emulatortest.ClientID, "http://localhost:1717/evil"), "error=redirect_uri_mismatch"},
		"any port is loopback only": {ok(emulatortest.ClientID, "http://evil.example.com:1717/OAuthRedirect"), "error=redirect_uri_mismatch"},
		"exact means exact":         {ok("exact", "https://app.example.com/cb/"), "error=redirect_uri_mismatch"},
		"another app's callback":    {ok("exact", "http://localhost:1717/OAuthRedirect"), "error=redirect_uri_mismatch"},
		"no callback":               {url.Values{"response_type": {"code"}, "client_id": {"exact"}}, "error=redirect_uri_mismatch"},
	} {
		t.Run(name, func(t *testing.T) {
			status, body := authorizePage(t, s, tc.params)
			if status != 400 || !strings.Contains(body, tc.want) {
				t.Errorf("%d %s; want 400 and %s", status, body, tc.want)
			}
		})
	}
	// The token endpoint knows the apps too.
	for name, form := range map[string]url.Values{
		"code":    {"grant_type": {"authorization_code"}, "code": {"x"}, "client_id": {"nobody"}},
		"refresh": {"grant_type": {"refresh_token"}, "refresh_token": {s.Token.RefreshToken}, "client_id": {"nobody"}},
		"device":  {"response_type": {"device_code"}, "client_id": {"nobody"}},
	} {
		if status, out := token(t, s, form); status != 400 || out["error"] != "invalid_client_id" || out["error_description"] != "client identifier invalid" {
			t.Errorf("%s with an unknown client: %d %v", name, status, out)
		}
	}
}

func TestJWTBearer(t *testing.T) {
	key, cert := testCert(t)
	otherKey, _ := testCert(t)
	clock := time.Now()
	s := emulatortest.New(t, func(o *emulator.Options) {
		o.Now = func() time.Time { return clock }
		o.Apps = append(o.Apps,
			emulator.ConnectedApp{ClientID: "ci-app", Certificate: cert},
			emulator.ConnectedApp{ClientID: "no-cert"})
	})
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"iss": "ci-app", "sub": adminUsername, "aud": s.URL, "exp": clock.Add(3 * time.Minute).Unix()}
		if mod != nil {
			mod(c)
		}
		return c
	}
	grant := func(assertion string) (int, map[string]any) {
		return token(t, s, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}})
	}
	status, out := grant(sign(t, key, jwt.SigningMethodRS256, claims(nil)))
	if status != 200 || !tokenShape.MatchString(str(out["access_token"])) || out["instance_url"] != s.URL {
		t.Fatalf("JWT bearer: %d %v", status, out)
	}
	if _, ok := out["refresh_token"]; ok {
		t.Errorf("the JWT bearer flow issues no refresh token: %v", out)
	}
	// The token is the subject's.
	req, _ := http.NewRequest("GET", s.URL+"/services/oauth2/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+str(out["access_token"]))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), adminUsername) {
		t.Errorf("userinfo with the JWT session: %d %s", resp.StatusCode, body)
	}
	// Other login hosts Salesforce accepts as the audience.
	if status, out := grant(sign(t, key, jwt.SigningMethodRS256, claims(func(c jwt.MapClaims) { c["aud"] = "https://login.salesforce.com" }))); status != 200 {
		t.Errorf("aud login.salesforce.com: %d %v", status, out)
	}

	for name, tc := range map[string]struct {
		assertion string
		err, desc string
	}{
		"wrong key":       {sign(t, otherKey, jwt.SigningMethodRS256, claims(nil)), "invalid_grant", "invalid assertion"},
		"expired":         {sign(t, key, jwt.SigningMethodRS256, claims(func(c jwt.MapClaims) { c["exp"] = clock.Add(-time.Second).Unix() })), "invalid_grant", "expired authorization code"},
		"no exp":          {sign(t, key, jwt.SigningMethodRS256, claims(func(c jwt.MapClaims) { delete(c, "exp") })), "invalid_grant", "invalid assertion"},
		"wrong audience":  {sign(t, key, jwt.SigningMethodRS256, claims(func(c jwt.MapClaims) { c["aud"] = "https://evil.example.com" })), "invalid_grant", "audience is invalid"},
		"unknown user":    {sign(t, key, jwt.SigningMethodRS256, claims(func(c jwt.MapClaims) { c["sub"] = "nobody@example.com" })), "invalid_grant", "user hasn't approved this consumer"},
		"unknown client":  {sign(t, key, jwt.SigningMethodRS256, claims(func(c jwt.MapClaims) { c["iss"] = "nobody" })), "invalid_client_id", "client identifier invalid"},
		"no certificate":  {sign(t, key, jwt.SigningMethodRS256, claims(func(c jwt.MapClaims) { c["iss"] = "no-cert" })), "invalid_grant", "invalid assertion"},
		"RS512":           {sign(t, key, jwt.SigningMethodRS512, claims(nil)), "invalid_grant", "invalid assertion"},
		"not a JWT":       {"not.a.jwt", "invalid_grant", "invalid assertion"},
		"tampered claims": {tamper(sign(t, key, jwt.SigningMethodRS256, claims(nil))), "invalid_grant", "invalid assertion"},
	} {
		t.Run(name, func(t *testing.T) {
			if status, out := grant(tc.assertion); status != 400 || out["error"] != tc.err || out["error_description"] != tc.desc {
				t.Errorf("%d %v; want 400 %s %q", status, out, tc.err, tc.desc)
			}
		})
	}
	// The emulator's clock decides expiry: a JWT good now is expired later.
	good := sign(t, key, jwt.SigningMethodRS256, claims(nil))
	clock = clock.Add(4 * time.Minute)
	if status, out := grant(good); status != 400 || out["error_description"] != "expired authorization code" {
		t.Errorf("a JWT past its exp by the org's clock: %d %v", status, out)
	}
}

// tamper changes the claims of a signed JWT, keeping its signature.
func tamper(s string) string {
	parts := strings.Split(s, ".")
	c := jwt.MapClaims{"iss": "ci-app", "sub": "maya.okafor@sfmcp-emulator.invalid", "aud": "https://login.salesforce.com", "exp": time.Now().Add(time.Hour).Unix()}
	forged, _ := jwt.NewWithClaims(jwt.SigningMethodNone, c).SignedString(jwt.UnsafeAllowNoneSignatureType)
	return parts[0] + "." + strings.Split(forged, ".")[1] + "." + parts[2]
}

func TestClientCredentials(t *testing.T) {
	s := emulatortest.New(t, func(o *emulator.Options) {
		o.Apps = append(o.Apps,
			emulator.ConnectedApp{ClientID: "eca", ClientSecret: "s3cret", RunAs: "maya.okafor@sfmcp-emulator.invalid"},
			emulator.ConnectedApp{ClientID: "eca-off", ClientSecret: "s3cret"})
	})
	status, out := token(t, s, url.Values{"grant_type": {"client_credentials"}, "client_id": {"eca"}, "client_secret": {"s3cret"}})
	if status != 200 || !tokenShape.MatchString(str(out["access_token"])) || out["refresh_token"] != nil {
		t.Fatalf("client credentials: %d %v", status, out)
	}
	if !strings.HasSuffix(str(out["id"]), "/"+userID(t, s, "maya.okafor@sfmcp-emulator.invalid")) {
		t.Errorf("the session should be the run-as user's: %v", out["id"])
	}
	// HTTP Basic client authentication works too.
	req, _ := http.NewRequest("POST", s.URL+"/services/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("eca", "s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("basic auth: %v %v", err, resp.Status)
	}
	resp.Body.Close()
	for name, tc := range map[string]struct {
		form      url.Values
		err, desc string
	}{
		"wrong secret":   {url.Values{"client_id": {"eca"}, "client_secret": {"nope"}}, "invalid_client", "invalid client credentials"},
		"no secret":      {url.Values{"client_id": {"eca"}}, "invalid_client", "invalid client credentials"},
		"unknown client": {url.Values{"client_id": {"nobody"}, "client_secret": {"s3cret"}}, "invalid_client_id", "client identifier invalid"},
		"no run-as user": {url.Values{"client_id": {"eca-off"}, "client_secret": {"s3cret"}}, "invalid_grant", "no client credentials user enabled"},
		"public client":  {url.Values{"client_id": {emulatortest.ClientID}}, "invalid_client", "invalid client credentials"},
	} {
		t.Run(name, func(t *testing.T) {
			tc.form.Set("grant_type", "client_credentials")
			if status, out := token(t, s, tc.form); status != 400 || out["error"] != tc.err || out["error_description"] != tc.desc {
				t.Errorf("%d %v; want 400 %s %q", status, out, tc.err, tc.desc)
			}
		})
	}
}

func userID(t *testing.T, s *emulatortest.Server, username string) string {
	t.Helper()
	status, body := s.Do(t, "GET", "/services/data/v62.0/query?q="+url.QueryEscape("SELECT Id FROM User WHERE Username = '"+username+"'"), nil)
	i := strings.Index(string(body), `"Id":"`)
	if status != 200 || i < 0 {
		t.Fatalf("user %s: %d %s", username, status, body)
	}
	return string(body)[i+6 : i+6+18]
}

// The refresh grant checks the app's secret when one is sent, and keeps a
// refresh token to the client it was issued to.
func TestRefreshChecksClient(t *testing.T) {
	s := emulatortest.New(t, func(o *emulator.Options) {
		o.Apps = append(o.Apps, emulator.ConnectedApp{ClientID: "conf", ClientSecret: "pw", Callbacks: []string{"http://localhost:1717/OAuthRedirect"}})
	})
	rt := s.Token.RefreshToken // issued to emulatortest.ClientID
	for name, tc := range map[string]struct {
		form   url.Values
		status int
		err    string
	}{
		"its client":             {url.Values{"client_id": {emulatortest.ClientID}}, 200, ""},
		"another registered app": {url.Values{"client_id": {"conf"}}, 400, "invalid_grant"},
		"a wrong secret":         {url.Values{"client_id": {"conf"}, "client_secret": {"no"}}, 400, "invalid_client"},
	} {
		t.Run(name, func(t *testing.T) {
			tc.form.Set("grant_type", "refresh_token")
			tc.form.Set("refresh_token", rt)
			if status, out := token(t, s, tc.form); status != tc.status || (tc.err != "" && out["error"] != tc.err) {
				t.Errorf("%d %v; want %d %s", status, out, tc.status, tc.err)
			}
		})
	}
}

func TestAppsFromSchemaAndFlag(t *testing.T) {
	_, cert := testCert(t)
	schemaYAML := "objects: []\nconnectedApps:\n  - clientId: from-schema\n    callbacks: [\"https://x.example.com/cb\"]\n    runAs: " + adminUsername + "\n    clientSecret: pw\n"
	s := emulatortest.New(t, func(o *emulator.Options) { o.SchemaConfig = []byte(schemaYAML) })
	if back := authorize(t, s, url.Values{"response_type": {"code"}, "client_id": {"from-schema"}, "redirect_uri": {"https://x.example.com/cb"}}); back.Get("code") == "" {
		t.Errorf("schema app: %v", back)
	}
	if status, out := token(t, s, url.Values{"grant_type": {"client_credentials"}, "client_id": {"from-schema"}, "client_secret": {"pw"}}); status != 200 {
		t.Errorf("schema app client credentials: %d %v", status, out)
	}

	read := func(name string) ([]byte, error) {
		if name == "ci.crt" {
			return []byte(cert), nil
		}
		return nil, io.ErrUnexpectedEOF
	}
	app, err := emulator.ParseAppFlag("client_id=ci,secret=pw,callback=http://localhost:*/OAuthRedirect,callback=https://a.example/cb,certificate=ci.crt,run_as=u@x", read)
	if err != nil || app.ClientID != "ci" || app.ClientSecret != "pw" || len(app.Callbacks) != 2 || app.RunAs != "u@x" || app.Certificate != cert {
		t.Fatalf("ParseAppFlag: %+v %v", app, err)
	}
	for _, bad := range []string{
		"secret=pw",                                      // no client id
		"client_id=a,colour=blue",                        // unknown key
		"client_id=a,callback",                           // not key=value
		"client_id=a,callback=not a url",                 // not absolute
		"client_id=a,callback=https://evil.example:*/cb", // any port off loopback
		"client_id=a,certificate=missing.crt",
	} {
		if _, err := emulator.ParseAppFlag(bad, read); err == nil {
			t.Errorf("ParseAppFlag(%q) accepted", bad)
		}
	}
	if _, err := emulator.New(t.Context(), emulator.Options{Apps: []emulator.ConnectedApp{{ClientID: "x", Certificate: "not pem"}}}); err == nil {
		t.Error("a malformed certificate should stop the emulator from starting")
	}
}

func str(v any) string { s, _ := v.(string); return s }
