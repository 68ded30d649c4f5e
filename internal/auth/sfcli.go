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
// default org) from the sf CLI.
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
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	args := []string{"org", "display", "--verbose", "--json"}
	if alias != "" {
		args = append(args, "--target-org", alias)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	// No update checks or telemetry from a run sfmcp started.
	cmd.Env = append(os.Environ(), "SF_AUTOUPDATE_DISABLE=true", "SF_DISABLE_AUTOUPDATE=true", "SF_DISABLE_TELEMETRY=true")
	var out bytes.Buffer
	cmd.Stdout = &limitedWriter{w: &out, n: 1 << 20}
	cmd.Stderr = io.Discard // sf's warnings; the JSON on stdout says what went wrong
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return nil, &Error{Msg: fmt.Sprintf("the sf CLI did not answer within %s (sf org display --verbose --json)", timeout)}
	}
	return parseSFDisplay(out.Bytes(), alias, runErr)
}

// parseSFDisplay reads sf's answer. sf exits non-zero with a JSON error
// body (status 1, name, message) when it cannot show the org.
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
		msg := strings.TrimSpace(d.Message)
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
	o := &SFOrg{Username: r.Username, Alias: r.Alias, InstanceURL: r.InstanceURL, ClientID: r.ClientID, AccessToken: r.AccessToken}
	if r.SfdxAuthURL != "" {
		a, err := ParseSFDXAuthURL(r.SfdxAuthURL)
		if err != nil {
			return nil, &Error{Msg: "the sf CLI's auth URL for " + name + " is unusable", Err: err}
		}
		o.AuthURL = &a
	} else if o.AccessToken == "" {
		return nil, &Error{Msg: "the sf CLI gave neither an auth URL nor an access token for " + name}
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
