package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// SFOrg is a login of the sf CLI, as `sf org display --verbose --json`
// describes it.
type SFOrg struct {
	Username    string
	Alias       string
	InstanceURL string
	ClientID    string
	AccessToken string
	// AuthURL is the login's sfdx auth URL; nil when the sf login has no
	// refresh token (one made with `sf org login access-token`).
	AuthURL *SFDXAuthURL
}

// String hides the tokens.
func (o SFOrg) String() string {
	return "auth.SFOrg{" + o.Username + ", " + o.InstanceURL + ", hidden}"
}

// GoString hides the tokens from %#v.
func (o SFOrg) GoString() string { return o.String() }

// SFCLI runs the sf CLI to read its logins.
type SFCLI struct {
	// Path is the sf executable; "" looks "sf" up on PATH.
	Path string
	// Timeout bounds one sf run (60s when 0): sf asks the org whether the
	// login still works.
	Timeout time.Duration
}

// ErrNoSF is the sf CLI missing from this machine.
var ErrNoSF = errors.New("the sf CLI is not installed (no sf on PATH)")

// sfDisplay is the JSON of `sf org display --verbose --json`.
type sfDisplay struct {
	Status  int    `json:"status"`
	Name    string `json:"name"`
	Message string `json:"message"`
	Result  struct {
		Username    string `json:"username"`
		Alias       string `json:"alias"`
		InstanceURL string `json:"instanceUrl"`
		ClientID    string `json:"clientId"`
		AccessToken string `json:"accessToken"`
		SfdxAuthURL string `json:"sfdxAuthUrl"`
	} `json:"result"`
}

// Display reads the login alias (a username or an sf alias; "" means sf's
// default org) from the sf CLI: `sf org display --verbose --json` names it,
// and, since sf hides secrets there ("[REDACTED]"), `sf org auth
// show-sfdx-auth-url` or else `sf org auth show-access-token` gives its
// auth URL or its access token.
func (s *SFCLI) Display(ctx context.Context, alias string) (*SFOrg, error) {
	path := s.Path
	if path == "" {
		p, err := exec.LookPath("sf")
		if err != nil {
			return nil, &Error{Msg: "cannot import a login from the sf CLI: it is not installed here (no `sf` on PATH). Install it (npm install --global @salesforce/cli), or log in another way: sfmcp login --sfdx-url-file FILE, --jwt-key-file, or the browser", Err: ErrNoSF}
		}
		path = p
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	var timedOut bool
	run := func(args ...string) ([]byte, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, path, args...)
		// No update checks or telemetry from a run sfmcp started.
		cmd.Env = append(os.Environ(), "SF_AUTOUPDATE_DISABLE=true", "SF_DISABLE_AUTOUPDATE=true", "SF_DISABLE_TELEMETRY=true")
		var out bytes.Buffer
		cmd.Stdout = &limitedWriter{w: &out, n: 1 << 20}
		cmd.Stderr = io.Discard // sf's warnings; the JSON on stdout says what went wrong
		err := cmd.Run()
		if ctx.Err() != nil {
			timedOut = true
			return nil, &Error{Msg: fmt.Sprintf("the sf CLI did not answer within %s (sf %s)", timeout, strings.Join(args[:3], " "))}
		}
		return out.Bytes(), err
	}
	args := []string{"org", "display", "--verbose", "--json"}
	if alias != "" {
		args = append(args, "--target-org", alias)
	}
	out, runErr := run(args...)
	if timedOut {
		return nil, runErr
	}
	o, err := parseSFDisplay(out, alias, runErr)
	if err != nil || o.AuthURL != nil {
		return o, err
	}
	// Newer sf versions hide the secrets in org display: ask for them.
	if out, err := run("org", "auth", "show-sfdx-auth-url", "--json", "--target-org", o.Username); err == nil {
		var d struct {
			Status int `json:"status"`
			Result struct {
				SfdxAuthURL string `json:"sfdxAuthUrl"`
			} `json:"result"`
		}
		if json.Unmarshal(bytes.TrimSpace(out), &d) == nil && d.Status == 0 && d.Result.SfdxAuthURL != "" {
			a, err := ParseSFDXAuthURL(d.Result.SfdxAuthURL)
			if err != nil {
				return nil, &Error{Msg: "the sf CLI's auth URL for " + o.Username + " is unusable", Err: err}
			}
			o.AuthURL = &a
			return o, nil
		}
	} // no auth URL (an access-token login of sf, or an sf without the command)
	if o.AccessToken != "" {
		return o, nil
	}
	out, runErr = run("org", "auth", "show-access-token", "--json", "--target-org", o.Username)
	if timedOut {
		return nil, runErr
	}
	var d struct {
		Status  int    `json:"status"`
		Name    string `json:"name"`
		Message string `json:"message"`
		Result  struct {
			AccessToken string `json:"accessToken"`
		} `json:"result"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &d); err != nil || d.Status != 0 || runErr != nil || !usableSecret(d.Result.AccessToken) {
		return nil, &Error{Msg: "the sf CLI gave neither an auth URL nor an access token for " + o.Username}
	}
	o.AccessToken = d.Result.AccessToken
	return o, nil
}

// usableSecret tells a token from sf's placeholder for a hidden one
// ("[REDACTED] Use 'sf org auth show-access-token' to view").
func usableSecret(s string) bool {
	return s != "" && !strings.HasPrefix(s, "[") && !strings.ContainsAny(s, " \t")
}

// parseSFDisplay reads sf's answer. sf exits non-zero with a JSON error
// body (status 1, name, message) when it cannot show the org. A hidden
// token or auth URL is left empty for Display to ask for.
func parseSFDisplay(out []byte, alias string, runErr error) (*SFOrg, error) {
	name := alias
	if name == "" {
		name = "sf's default org"
	}
	var d sfDisplay
	if err := json.Unmarshal(bytes.TrimSpace(out), &d); err != nil {
		if runErr != nil {
			return nil, &Error{Msg: fmt.Sprintf("the sf CLI could not show %s (sf org display --verbose --json failed and printed no JSON)", name), Err: runErr}
		}
		return nil, &Error{Msg: "the sf CLI printed something other than JSON for sf org display --verbose --json"}
	}
	if d.Status != 0 || runErr != nil {
		msg := strings.TrimSpace(strings.ReplaceAll(d.Message, "\n", " "))
		if msg == "" {
			msg = "it failed"
		}
		if d.Name != "" {
			msg += " (" + d.Name + ")"
		}
		return nil, &Error{Msg: fmt.Sprintf("the sf CLI has no usable login for %s: %s. See `sf org list`", name, msg)}
	}
	r := d.Result
	if r.Username == "" || r.InstanceURL == "" {
		return nil, &Error{Msg: "the sf CLI's answer lacks the username or the instance URL"}
	}
	o := &SFOrg{Username: r.Username, Alias: r.Alias, InstanceURL: r.InstanceURL, ClientID: r.ClientID}
	if usableSecret(r.AccessToken) {
		o.AccessToken = r.AccessToken
	}
	if usableSecret(r.SfdxAuthURL) {
		a, err := ParseSFDXAuthURL(r.SfdxAuthURL)
		if err != nil {
			return nil, &Error{Msg: "the sf CLI's auth URL for " + name + " is unusable", Err: err}
		}
		o.AuthURL = &a
	}
	inst, err := CheckLoginURL(o.InstanceURL)
	if err != nil {
		return nil, &Error{Msg: "the sf CLI's instance URL for " + name + " is unusable", Err: err}
	}
	o.InstanceURL = inst
	return o, nil
}

// limitedWriter keeps at most n bytes and drops the rest.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	total := len(p)
	if l.n <= 0 {
		return total, nil
	}
	if len(p) > l.n {
		p = p[:l.n]
	}
	n, err := l.w.Write(p)
	l.n -= n
	if err != nil {
		return n, err
	}
	return total, nil
}
