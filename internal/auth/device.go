package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// DeviceFlow is Salesforce's OAuth 2.0 device flow, for machines without a
// browser: sfmcp shows a code, the user enters it at a URL on any device, and
// sfmcp polls the token endpoint until the user has approved.
//
// Salesforce's variant: the code is requested from the token endpoint with
// response_type=device_code, and polled with grant_type=device and code=.
type DeviceFlow struct {
	LoginURL     string
	ClientID     string
	ClientSecret string
	Scopes       []string      // nil means DefaultScopes
	Timeout      time.Duration // 0 means DefaultTimeout
	Stderr       io.Writer
	HTTPClient   *http.Client
	// Interval overrides the polling interval Salesforce asks for (tests).
	Interval time.Duration
}

// deviceCode is Salesforce's answer to the device code request.
type deviceCode struct {
	DeviceCode      string `json:"device_code"`
	UserCode        string `json:"user_code"`
	VerificationURI string `json:"verification_uri"`
	Interval        int    `json:"interval"` // seconds
}

// tokenJSON is a token endpoint answer, success or error.
type tokenJSON struct {
	AccessToken      string `json:"access_token"`
	RefreshToken     string `json:"refresh_token"`
	InstanceURL      string `json:"instance_url"`
	ID               string `json:"id"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// Run performs the device flow and returns the tokens.
func (fl *DeviceFlow) Run(ctx context.Context) (*Tokens, error) {
	timeout := fl.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	scopes := fl.Scopes
	if scopes == nil {
		scopes = DefaultScopes()
	}
	tokenURL := strings.TrimRight(fl.LoginURL, "/") + "/services/oauth2/token"

	form := url.Values{"response_type": {"device_code"}, "client_id": {fl.ClientID}, "scope": {strings.Join(scopes, " ")}}
	var dc deviceCode
	status, body, err := fl.post(ctx, tokenURL, form)
	if err != nil {
		return nil, fl.deadline(ctx, timeout, err)
	}
	if status != http.StatusOK {
		return nil, &Error{Msg: "Salesforce refused to start a device login", Err: oauthErrorFrom(status, body)}
	}
	if err := json.Unmarshal(body, &dc); err != nil || dc.DeviceCode == "" || dc.UserCode == "" || dc.VerificationURI == "" {
		return nil, fmt.Errorf("device login: Salesforce's answer lacks device_code, user_code or verification_uri")
	}
	fmt.Fprintf(fl.Stderr, "To log in, open %s on any device and enter the code %s\nWaiting up to %s (Ctrl-C to cancel)...\n", dc.VerificationURI, dc.UserCode, timeout)

	interval := time.Duration(dc.Interval) * time.Second
	slowDown := 5 * time.Second
	if fl.Interval > 0 {
		interval, slowDown = fl.Interval, fl.Interval
	}
	if interval <= 0 {
		interval = 5 * time.Second
	}
	poll := url.Values{"grant_type": {"device"}, "client_id": {fl.ClientID}, "code": {dc.DeviceCode}}
	if fl.ClientSecret != "" {
		poll.Set("client_secret", fl.ClientSecret)
	}
	for {
		select {
		case <-ctx.Done():
			return nil, fl.deadline(ctx, timeout, ctx.Err())
		case <-time.After(interval):
		}
		status, body, err := fl.post(ctx, tokenURL, poll)
		if err != nil {
			return nil, fl.deadline(ctx, timeout, err)
		}
		var tj tokenJSON
		_ = json.Unmarshal(body, &tj)
		if status == http.StatusOK {
			return checkTokens(&Tokens{AccessToken: tj.AccessToken, RefreshToken: tj.RefreshToken, InstanceURL: tj.InstanceURL, ID: tj.ID})
		}
		switch tj.Error {
		case "authorization_pending":
			continue
		case "slow_down":
			interval += slowDown
			continue
		case "access_denied":
			return nil, &Error{Msg: "access was denied, so sfmcp is not logged in (" + oauthErrorFrom(status, body).Error() + ")", Err: ErrDenied}
		case "expired_token":
			return nil, &Error{Msg: "the device code expired before the login was approved: run `sfmcp login --device` again", Err: ErrTimeout}
		}
		return nil, &Error{Msg: "Salesforce refused the login", Err: oauthErrorFrom(status, body)}
	}
}

// deadline words a request cut short by the timeout as a timeout.
func (fl *DeviceFlow) deadline(ctx context.Context, timeout time.Duration, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &Error{Msg: fmt.Sprintf("no login arrived within %s: run `sfmcp login --device` again (--timeout sets how long to wait)", timeout), Err: ErrTimeout}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("device login: %w", err)
}

func (fl *DeviceFlow) post(ctx context.Context, endpoint string, form url.Values) (int, []byte, error) {
	return postForm(ctx, fl.HTTPClient, endpoint, form)
}

// postForm posts form and returns the status and (bounded) body.
func postForm(ctx context.Context, hc *http.Client, endpoint string, form url.Values) (int, []byte, error) {
	hc = salesforce.WithoutRedirects(hc) // OAuth endpoints never redirect a POST
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		if re, ok := salesforce.AsRedirect(err); ok {
			return 0, nil, re
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("cannot reach %s: %w", hostOnly(endpoint), ue.Err)
		}
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := salesforce.ReadBounded(resp.Body, salesforce.MaxTokenResponseBytes, http.MethodPost, endpoint, "fixed for OAuth endpoints")
	return resp.StatusCode, body, err
}

// oauthErrorFrom reads Salesforce's {"error","error_description"} body.
func oauthErrorFrom(status int, body []byte) *OAuthError {
	var tj tokenJSON
	oe := &OAuthError{Status: status}
	if json.Unmarshal(body, &tj) == nil {
		oe.Code, oe.Description = tj.Error, tj.ErrorDescription
	}
	return oe
}

func hostOnly(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the server"
	}
	return u.Scheme + "://" + u.Host
}
