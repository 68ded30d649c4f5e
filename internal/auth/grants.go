package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The logins that need no Connected App of one's own, or no browser: an
// sfdx auth URL (what `sf org display --verbose` prints), the JWT bearer
// flow with a certificate's key (CI), and the client-credentials flow of
// External Client Apps. Each ends in a token endpoint answer, read by
// tokenRequest.

// SFDXAuthURL is a parsed sfdx auth URL,
// force://<clientId>:<clientSecret>:<refreshToken>@<instance>.
type SFDXAuthURL struct {
	ClientID     string
	ClientSecret string // often empty (the sf CLI's PlatformCLI app has none)
	RefreshToken string
	InstanceURL  string // https://host[:port], or http:// on loopback
}

// String hides the secrets.
func (a SFDXAuthURL) String() string {
	return "auth.SFDXAuthURL{" + a.ClientID + ", " + a.InstanceURL + ", hidden}"
}

// GoString hides the secrets from %#v.
func (a SFDXAuthURL) GoString() string { return a.String() }

// sfdxCredRE matches the credentials part: the characters the sf CLI allows
// in a client id, secret and refresh token (base64 padding included).
var sfdxCredRE = regexp.MustCompile(`^([A-Za-z0-9._-]+={0,2}):([A-Za-z0-9._-]*={0,2}):([A-Za-z0-9._!-]+={0,2})$`)

// sfdxFormat is the format reminder of every auth URL error.
const sfdxFormat = "want force://<clientId>:<clientSecret>:<refreshToken>@<instance>, as `sf org display --verbose` prints it"

// ParseSFDXAuthURL reads an sfdx auth URL, or the JSON `sf org display
// --verbose --json` prints (its result.sfdxAuthUrl). The instance may be a
// host (https is meant, as the sf CLI reads it) or a URL with its scheme
// and port. Errors never quote the input: it holds a refresh token.
func ParseSFDXAuthURL(raw string) (SFDXAuthURL, error) {
	raw = strings.TrimSpace(raw)
	if strings.HasPrefix(raw, "{") {
		var j struct {
			Result struct {
				SfdxAuthURL string `json:"sfdxAuthUrl"`
			} `json:"result"`
			SfdxAuthURL string `json:"sfdxAuthUrl"`
		}
		if err := json.Unmarshal([]byte(raw), &j); err != nil {
			return SFDXAuthURL{}, fmt.Errorf("invalid sfdx auth URL: the JSON is malformed (%v)", jsonErrorKind(err))
		}
		raw = j.Result.SfdxAuthURL
		if raw == "" {
			raw = j.SfdxAuthURL
		}
		if raw == "" {
			return SFDXAuthURL{}, errors.New("invalid sfdx auth URL: the JSON has no sfdxAuthUrl (run `sf org display --verbose --json`)")
		}
		raw = strings.TrimSpace(raw)
	}
	if strings.ContainsAny(raw, "\r\n") {
		return SFDXAuthURL{}, errors.New("invalid sfdx auth URL: give one URL, on one line")
	}
	rest, ok := strings.CutPrefix(raw, "force://")
	if !ok {
		return SFDXAuthURL{}, errors.New("invalid sfdx auth URL: it does not start with force:// (" + sfdxFormat + ")")
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return SFDXAuthURL{}, errors.New("invalid sfdx auth URL: no @<instance> (" + sfdxFormat + ")")
	}
	creds, instance := rest[:at], rest[at+1:]
	m := sfdxCredRE.FindStringSubmatch(creds)
	if m == nil {
		return SFDXAuthURL{}, errors.New("invalid sfdx auth URL: the credentials are not <clientId>:<clientSecret>:<refreshToken> (" + sfdxFormat + ")")
	}
	a := SFDXAuthURL{ClientID: m[1], ClientSecret: m[2], RefreshToken: m[3]}
	if instance == "" {
		return SFDXAuthURL{}, errors.New("invalid sfdx auth URL: the instance after @ is empty (" + sfdxFormat + ")")
	}
	if !strings.Contains(instance, "://") {
		instance = "https://" + instance
	}
	u, err := url.Parse(instance)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return SFDXAuthURL{}, errors.New("invalid sfdx auth URL: the instance after @ is not a host or a URL like https://host[:port] (" + sfdxFormat + ")")
	}
	inst, err := CheckLoginURL(instance)
	if err != nil {
		return SFDXAuthURL{}, fmt.Errorf("invalid sfdx auth URL: %w", err)
	}
	a.InstanceURL = inst
	return a, nil
}

func jsonErrorKind(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	return "not the JSON of sf org display"
}

// TokenURL is the token endpoint of a login or instance URL.
func TokenURL(loginURL string) string {
	return strings.TrimRight(loginURL, "/") + "/services/oauth2/token"
}

// RefreshGrant exchanges a refresh token for a session at tokenURL, as the
// client clientID (with its secret, when it has one).
func RefreshGrant(ctx context.Context, hc *http.Client, tokenURL, clientID, clientSecret, refreshToken string) (*Tokens, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}, "client_id": {clientID}}
	if clientSecret != "" {
		form.Set("client_secret", clientSecret)
	}
	t, err := tokenRequest(ctx, hc, tokenURL, form)
	if err != nil {
		return nil, err
	}
	if t.RefreshToken == "" { // Salesforce does not rotate refresh tokens by default
		t.RefreshToken = refreshToken
	}
	return t, nil
}

// ClientCredentials runs the client-credentials flow of an External Client
// App (or a Connected App with it enabled) at tokenURL, which must be the
// org's My Domain: Salesforce refuses this flow on login.salesforce.com.
func ClientCredentials(ctx context.Context, hc *http.Client, tokenURL, clientID, clientSecret string) (*Tokens, error) {
	return tokenRequest(ctx, hc, tokenURL, url.Values{"grant_type": {"client_credentials"},
		"client_id": {clientID}, "client_secret": {clientSecret}})
}

// JWTLifetime is how long a JWT bearer assertion is valid: Salesforce asks
// for an expiry within three minutes.
const JWTLifetime = 3 * time.Minute

// JWTBearer is the JWT bearer flow: an RS256 JWT naming the Connected App
// (iss), the user (sub) and the login host (aud), signed with the private
// key of the certificate uploaded to the app.
type JWTBearer struct {
	LoginURL   string // the token endpoint's host, and the audience
	ClientID   string
	Username   string
	PrivateKey []byte // PEM, PKCS#1 or PKCS#8
	// Audience overrides the aud claim; "" means LoginURL. Salesforce wants
	// https://login.salesforce.com or https://test.salesforce.com even when
	// the request goes to a My Domain.
	Audience string
	Now      func() time.Time // time.Now when nil
}

// Run signs the assertion and exchanges it for a session (no refresh token:
// run it again when the session ends).
func (j *JWTBearer) Run(ctx context.Context, hc *http.Client) (*Tokens, error) {
	key, err := jwt.ParseRSAPrivateKeyFromPEM(j.PrivateKey)
	if err != nil {
		return nil, &Error{Msg: "the JWT key is not an RSA private key in PEM form (the key of the certificate uploaded to the Connected App, like server.key from openssl)"}
	}
	now := time.Now
	if j.Now != nil {
		now = j.Now
	}
	aud := j.Audience
	if aud == "" {
		aud = strings.TrimRight(j.LoginURL, "/")
	}
	claims := jwt.MapClaims{"iss": j.ClientID, "sub": j.Username, "aud": aud, "exp": now().Add(JWTLifetime).Unix()}
	assertion, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(key)
	if err != nil {
		return nil, fmt.Errorf("signing the JWT: %w", err)
	}
	t, err := tokenRequest(ctx, hc, TokenURL(j.LoginURL), url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}})
	var ae *Error
	var oe *OAuthError
	if errors.As(err, &ae) && errors.As(err, &oe) && oe.Code == "invalid_grant" {
		switch oe.Description {
		case "invalid assertion":
			ae.Msg += " (check that --jwt-key-file is the key of the certificate uploaded to the Connected App --client-id names, and --username)"
		case "expired authorization code":
			ae.Msg += " (the JWT had expired when Salesforce read it: check this machine's clock)"
		case "audience is invalid":
			ae.Msg += " (the audience is the login URL: use https://login.salesforce.com, --sandbox, or the right --instance-url)"
		case "user hasn't approved this consumer":
			ae.Msg += " (pre-authorize the user's profile or permission set on the Connected App, and check --username)"
		}
	}
	return t, err
}

// tokenRequest posts form to a token endpoint and reads the session, or
// Salesforce's refusal as an *Error holding an *OAuthError.
func tokenRequest(ctx context.Context, hc *http.Client, tokenURL string, form url.Values) (*Tokens, error) {
	status, body, err := postForm(ctx, hc, tokenURL, form)
	if err != nil {
		return nil, fmt.Errorf("asking Salesforce for a session: %w", err)
	}
	if status != http.StatusOK {
		return nil, &Error{Msg: "Salesforce refused the login", Err: oauthErrorFrom(status, body)}
	}
	var tj tokenJSON
	if err := json.Unmarshal(body, &tj); err != nil {
		return nil, &Error{Msg: "Salesforce's token response is not JSON"}
	}
	return checkTokens(&Tokens{AccessToken: tj.AccessToken, RefreshToken: tj.RefreshToken, InstanceURL: tj.InstanceURL, ID: tj.ID})
}

// JWTAudience is the aud claim Salesforce expects for a JWT sent to
// loginURL: https://login.salesforce.com for production hosts and My
// Domains, https://test.salesforce.com for sandboxes, and the URL itself
// otherwise (an Experience Cloud site, or the emulator).
func JWTAudience(loginURL string) string {
	u, err := url.Parse(loginURL)
	if err != nil {
		return loginURL
	}
	host := strings.ToLower(u.Hostname())
	switch {
	case host == "test.salesforce.com" || strings.HasSuffix(host, ".sandbox.my.salesforce.com"):
		return "https://test.salesforce.com"
	case host == "login.salesforce.com" || strings.HasSuffix(host, ".salesforce.com"):
		return "https://login.salesforce.com"
	}
	return strings.TrimRight(loginURL, "/")
}
