package cmdutil

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// requestIDHeaders are the response headers that may carry the server's id
// of a request, first present wins.
var requestIDHeaders = [...]string{"X-Request-Id", "X-Sfdc-Request-Id", "Sforce-Request-Id"}

// verboseTransport logs each HTTP request on w, one line when its answer
// arrives: method, path, status, duration and the server's request id. The
// line never holds a token: headers are not logged, and query values of
// parameters that may carry one are replaced by "REDACTED".
type verboseTransport struct {
	next http.RoundTripper
	w    io.Writer
	mu   sync.Mutex // one line at a time from concurrent requests
	now  func() time.Time
}

func (t *verboseTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := t.now()
	resp, err := t.next.RoundTrip(req)
	d := t.now().Sub(start).Round(time.Millisecond)
	line := fmt.Sprintf("HTTP %s %s", req.Method, redactedPath(req.URL))
	switch {
	case err != nil:
		line += fmt.Sprintf(" failed after %s", d)
	default:
		line += fmt.Sprintf(" %d %s", resp.StatusCode, d)
		for _, h := range requestIDHeaders {
			if id := resp.Header.Get(h); id != "" {
				line += " request-id=" + id
				break
			}
		}
	}
	t.mu.Lock()
	fmt.Fprintln(t.w, line)
	t.mu.Unlock()
	return resp, err
}

// secretParams are query parameters that may carry a token or a secret.
var secretParams = [...]string{"access_token", "refresh_token", "token", "code", "client_secret", "assertion", "code_verifier", "sid"}

// redactedPath is the URL's host and path with secret query values hidden.
func redactedPath(u *url.URL) string {
	s := u.Host + u.EscapedPath()
	if u.RawQuery == "" {
		return s
	}
	q := u.Query()
	for _, p := range secretParams {
		for k := range q {
			if strings.EqualFold(k, p) {
				q[k] = []string{"REDACTED"}
			}
		}
	}
	return s + "?" + q.Encode()
}
