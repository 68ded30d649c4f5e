package auth

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestParseSFDXAuthURL(t *testing.T) {
	tests := []struct {
		in      string
		want    SFDXAuthURL
		wantErr string
	}{
		{in: "force://PlatformCLI::5Aep861abc.DEF_g-h@acme.my.salesforce.com",
			want: SFDXAuthURL{ClientID: "PlatformCLI", RefreshToken: "5Aep861abc.DEF_g-h", InstanceURL: "https://acme.my.salesforce.com"}},
		{in: "  force://cid:sec:ret==@acme.my.salesforce.com:8443\n",
			want: SFDXAuthURL{ClientID: "cid", ClientSecret: "sec", RefreshToken: "ret==", InstanceURL: "https://acme.my.salesforce.com:8443"}},
		{in: "force://cid::r@https://acme.my.salesforce.com/",
			want: SFDXAuthURL{ClientID: "cid", RefreshToken: "r", InstanceURL: "https://acme.my.salesforce.com"}},
		{in: "force://cid::r@http://127.0.0.1:8080",
			want: SFDXAuthURL{ClientID: "cid", RefreshToken: "r", InstanceURL: "http://127.0.0.1:8080"}},
		{in: `{"status":0,"result":{"username":"u","sfdxAuthUrl":"force://cid::r@acme.my.salesforce.com"}}`,
			want: SFDXAuthURL{ClientID: "cid", RefreshToken: "r", InstanceURL: "https://acme.my.salesforce.com"}},
		{in: "https://acme.my.salesforce.com", wantErr: "does not start with force://"},
		{in: "force://cid::SECRETREFRESH", wantErr: "no @<instance>"},
		{in: "force://cid:SECRETREFRESH@acme.my.salesforce.com", wantErr: "<clientId>:<clientSecret>:<refreshToken>"},
		{in: "force://::SECRETREFRESH@acme.my.salesforce.com", wantErr: "<clientId>:<clientSecret>:<refreshToken>"},
		{in: "force://cid::SECRETREFRESH@", wantErr: "instance after @ is empty"},
		{in: "force://cid::SECRETREFRESH@http://acme.my.salesforce.com", wantErr: "must use https"},
		{in: "force://cid::SECRETREFRESH@acme.my.salesforce.com/services", wantErr: "not a host"},
		{in: "force://cid::SECRET REFRESH@acme.my.salesforce.com", wantErr: "<clientId>:<clientSecret>:<refreshToken>"},
		{in: "force://cid::SECRETREFRESH@a.com\nforce://x::y@b.com", wantErr: "one line"},
		{in: `{"result":{}}`, wantErr: "no sfdxAuthUrl"},
		{in: `{"result":`, wantErr: "malformed"},
		{in: "", wantErr: "does not start with force://"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSFDXAuthURL(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "SECRETREFRESH") {
					t.Errorf("the error quotes the refresh token: %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %#v, %v; want %#v", got, err, tt.want)
			}
		})
	}
	if s := (SFDXAuthURL{RefreshToken: "SECRETREFRESH", ClientSecret: "SECRETCLIENT"}).String(); strings.Contains(s, "SECRET") {
		t.Errorf("String shows a secret: %s", s)
	}
}

func TestJWTAudience(t *testing.T) {
	for in, want := range map[string]string{
		"https://login.salesforce.com":                "https://login.salesforce.com",
		"https://test.salesforce.com":                 "https://test.salesforce.com",
		"https://acme.my.salesforce.com":              "https://login.salesforce.com",
		"https://acme--dev.sandbox.my.salesforce.com": "https://test.salesforce.com",
		"https://acme.my.site.com/customers":          "https://acme.my.site.com/customers",
		"http://127.0.0.1:8080":                       "http://127.0.0.1:8080",
	} {
		if got := JWTAudience(in); got != want {
			t.Errorf("JWTAudience(%s) = %s, want %s", in, got, want)
		}
	}
}

// fakeSF writes an executable named sf that prints out and exits with
// code: a unit test of reading sf's answer, not of the sf CLI (the e2e
// tests use the real one when it is installed).
func fakeSF(t *testing.T, out string, code int) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake sf is a shell script")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "out.json"), []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\necho \"$@\" > " + filepath.Join(dir, "args") + "\ncat " + filepath.Join(dir, "out.json") + "\nexit " + string(rune('0'+code)) + "\n"
	path := filepath.Join(dir, "sf")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSFCLIDisplay(t *testing.T) {
	ctx := context.Background()
	refreshable := `{"status":0,"result":{"id":"00D","accessToken":"00D!SECRETACCESS","instanceUrl":"https://acme.my.salesforce.com","username":"me@acme.com","clientId":"PlatformCLI","alias":"acme","sfdxAuthUrl":"force://PlatformCLI::5AepSECRET@acme.my.salesforce.com"}}`
	path := fakeSF(t, refreshable, 0)
	o, err := (&SFCLI{Path: path}).Display(ctx, "acme")
	if err != nil || o.Username != "me@acme.com" || o.Alias != "acme" || o.AuthURL == nil || o.AuthURL.RefreshToken != "5AepSECRET" || o.InstanceURL != "https://acme.my.salesforce.com" {
		t.Fatalf("Display: %#v, %v", o, err)
	}
	if args, _ := os.ReadFile(filepath.Join(filepath.Dir(path), "args")); strings.TrimSpace(string(args)) != "org display --verbose --json --target-org acme" {
		t.Errorf("sf was run with %q", args)
	}
	// An access-token login of sf: no auth URL, the token alone.
	o, err = (&SFCLI{Path: fakeSF(t, `{"status":0,"result":{"accessToken":"00D!X","instanceUrl":"https://acme.my.salesforce.com","username":"me@acme.com"}}`, 0)}).Display(ctx, "")
	if err != nil || o.AuthURL != nil || o.AccessToken != "00D!X" {
		t.Fatalf("access-token login: %#v, %v", o, err)
	}
	for name, tc := range map[string]struct {
		out  string
		code int
		want string
	}{
		"unknown alias": {`{"status":1,"name":"NamedOrgNotFoundError","message":"No authorization information found for nope.","exitCode":1}`, 1,
			"the sf CLI has no usable login for nope: No authorization information found for nope. (NamedOrgNotFoundError)"},
		"not JSON":         {"Error: something broke", 2, "printed no JSON"},
		"no instance":      {`{"status":0,"result":{"username":"me@acme.com","accessToken":"x"}}`, 0, "lacks the username or the instance URL"},
		"bad auth URL":     {`{"status":0,"result":{"username":"u","instanceUrl":"https://a.my.salesforce.com","sfdxAuthUrl":"force://SECRET"}}`, 0, "auth URL for nope is unusable"},
		"http instance":    {`{"status":0,"result":{"username":"u","instanceUrl":"http://a.example.com","accessToken":"x"}}`, 0, "instance URL for nope is unusable"},
		"no token, no URL": {`{"status":0,"result":{"username":"u","instanceUrl":"https://a.my.salesforce.com"}}`, 0, "neither an auth URL nor an access token"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := (&SFCLI{Path: fakeSF(t, tc.out, tc.code)}).Display(ctx, "nope")
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "SECRET") {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			var ae *Error
			if !errors.As(err, &ae) {
				t.Errorf("want an *auth.Error (exit 4): %T", err)
			}
		})
	}
}

// sf 2.150 and later hide the secrets in org display; sfmcp asks the
// org auth commands for them, auth URL first.
func TestSFCLIHiddenSecrets(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake sf is a shell script")
	}
	dir := t.TempDir()
	display := `{"status":0,"result":{"accessToken":"[REDACTED] Use 'sf org auth show-access-token' to view","instanceUrl":"https://acme.my.salesforce.com/","username":"me@acme.com","alias":"acme"}}`
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("display", display)
	write("show-access-token", `{"status":0,"result":{"accessToken":"00D!HIDDEN"}}`)
	write("show-sfdx-auth-url", `{"status":1,"name":"NoRefreshTokenError","message":"An SFDX Auth URL is not available"}`)
	script := "#!/bin/sh\necho \"$@\" >> " + filepath.Join(dir, "calls") + "\nif [ \"$2\" = display ]; then cat " + filepath.Join(dir, "display") +
		"; else cat " + dir + "/\"$3\"; fi\n"
	write("sf", script)
	if err := os.Chmod(filepath.Join(dir, "sf"), 0o755); err != nil {
		t.Fatal(err)
	}
	sf := &SFCLI{Path: filepath.Join(dir, "sf")}
	o, err := sf.Display(context.Background(), "acme")
	if err != nil || o.AccessToken != "00D!HIDDEN" || o.AuthURL != nil || o.InstanceURL != "https://acme.my.salesforce.com" {
		t.Fatalf("access-token login behind a hidden secret: %#v, %v", o, err)
	}
	calls, _ := os.ReadFile(filepath.Join(dir, "calls"))
	if want := "org display --verbose --json --target-org acme\norg auth show-sfdx-auth-url --json --target-org me@acme.com\norg auth show-access-token --json --target-org me@acme.com\n"; string(calls) != want {
		t.Errorf("sf calls:\n%s\nwant\n%s", calls, want)
	}
	// A web login: the auth URL, and no need for the access token.
	write("show-sfdx-auth-url", `{"status":0,"result":{"sfdxAuthUrl":"force://PlatformCLI::5AepHIDDEN@acme.my.salesforce.com"}}`)
	write("show-access-token", `not JSON: must not be asked`)
	o, err = sf.Display(context.Background(), "acme")
	if err != nil || o.AuthURL == nil || o.AuthURL.RefreshToken != "5AepHIDDEN" {
		t.Fatalf("web login behind a hidden secret: %#v, %v", o, err)
	}
	// Neither: a clear refusal.
	write("show-sfdx-auth-url", `{"status":1}`)
	write("show-access-token", `{"status":1,"name":"X"}`)
	if _, err := sf.Display(context.Background(), "acme"); err == nil || !strings.Contains(err.Error(), "neither an auth URL nor an access token for me@acme.com") {
		t.Fatalf("err = %v", err)
	}
}

func TestSFCLIAbsent(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := (&SFCLI{}).Display(context.Background(), "")
	if err == nil || !strings.Contains(err.Error(), "not installed") || !strings.Contains(err.Error(), "--sfdx-url-file") {
		t.Fatalf("err = %v", err)
	}
}
