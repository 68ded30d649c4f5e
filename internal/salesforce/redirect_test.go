package salesforce

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// redirectRig is an allowlisted (loopback) "instance" that answers every
// request with a redirect to a second loopback server, the internal address
// an attacker wants reached. Nothing may ever arrive at the target.
type redirectRig struct {
	target      *recorder
	targetURL   string
	redirectors map[int]*httptest.Server
}

func newRedirectRig(t *testing.T) *redirectRig {
	t.Helper()
	target, rec := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"internal":"secret metadata","Id":"001000000000001AAA","access_token":"x","instance_url":"http://127.0.0.1:1","sub":"u","organization_id":"o","user_id":"u","preferred_username":"u"}`)
	})
	rig := &redirectRig{target: rec, targetURL: target.URL, redirectors: map[int]*httptest.Server{}}
	for _, status := range []int{301, 302, 303, 307, 308} {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Same path on the target, with a query a leak check can see.
			http.Redirect(w, r, target.URL+r.URL.Path+"?stolen=1", status)
		}))
		t.Cleanup(s.Close)
		rig.redirectors[status] = s
	}
	return rig
}

func (rig *redirectRig) check(t *testing.T, what string, status int, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s via %d: no error; the redirect was followed", what, status)
	}
	var re *RedirectError
	if !errors.As(err, &re) {
		t.Fatalf("%s via %d: error %T %v, want a *RedirectError", what, status, err, err)
	}
	if re.StatusCode != status || !strings.HasPrefix(re.Location, rig.targetURL) {
		t.Errorf("%s via %d: error names status %d, location %q", what, status, re.StatusCode, re.Location)
	}
	if !strings.Contains(err.Error(), rig.targetURL) || strings.Contains(err.Error(), "stolen") {
		t.Errorf("%s: error should name the Location without its query: %v", what, err)
	}
	assertNoSecrets(t, what+" error", err.Error())
	if n := rig.target.count(""); n != 0 {
		t.Fatalf("%s via %d: %d request(s) reached the redirect target (token/body forwarded)", what, status, n)
	}
}

// TestRedirectsAreRefused: every kind of call refuses a 3xx from the
// instance or the token endpoint, and no request reaches where it points.
func TestRedirectsAreRefused(t *testing.T) {
	rig := newRedirectRig(t)
	ctx := context.Background()
	calls := []struct {
		name string
		call func(c *Client) error
	}{
		{"GetRecord", func(c *Client) error {
			_, err := c.GetRecord(ctx, "Account", "001000000000001AAA", nil)
			return err
		}},
		{"CreateRecord", func(c *Client) error {
			_, err := c.CreateRecord(ctx, "Account", map[string]any{"Name": "re-POSTed body"})
			return err
		}},
		{"QueryPage", func(c *Client) error {
			_, err := c.QueryPage(ctx, "SELECT Id FROM Account", false)
			return err
		}},
		{"UserInfo", func(c *Client) error {
			_, err := c.UserInfo(ctx)
			return err
		}},
		{"UploadJobData", func(c *Client) error {
			return c.UploadJobData(ctx, "750000000000001AAA", strings.NewReader("Name\nstreamed row\n"))
		}},
		{"ConvertLead", func(c *Client) error {
			_, err := c.ConvertLead(ctx, []LeadConvert{{LeadID: "00Q000000000001EAA", ConvertedStatus: "Closed - Converted"}})
			return err
		}},
	}
	for status, srv := range rig.redirectors {
		for _, tc := range calls {
			c := newTestClient(t, srv.URL)
			rig.check(t, tc.name, status, tc.call(c))
		}
	}
}

// TestRefreshRedirectIsRefused: a token endpoint that redirects must not get
// the refresh token re-POSTed to the target.
func TestRefreshRedirectIsRefused(t *testing.T) {
	rig := newRedirectRig(t)
	org, _ := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) { writeInvalidSession(w) })
	for _, status := range []int{302, 307, 308} {
		c := newTestClient(t, org.URL, withRefresh(rig.redirectors[status].URL+"/services/oauth2/token", nil))
		_, err := c.GetRecord(context.Background(), "Account", "001000000000001AAA", nil)
		rig.check(t, "refresh", status, err)
	}
}

// TestWithoutRedirectsKeepsTheTransport: the policy is applied to a copy, so
// a caller's client keeps its pool and settings and is not changed.
func TestWithoutRedirectsKeepsTheTransport(t *testing.T) {
	tr := &http.Transport{}
	hc := &http.Client{Transport: tr}
	c := WithoutRedirects(hc)
	nr, ok := c.Transport.(*noRedirectTransport)
	if !ok || nr.next != tr || hc.CheckRedirect != nil || hc.Transport != tr || c.CheckRedirect == nil {
		t.Fatalf("WithoutRedirects changed the caller's client or lost its transport")
	}
	if WithoutRedirects(nil).CheckRedirect == nil {
		t.Fatal("WithoutRedirects(nil) follows redirects")
	}
	if again := WithoutRedirects(c); again.Transport != c.Transport {
		t.Fatal("WithoutRedirects wraps an already wrapped transport again")
	}
	// Closing idle connections reaches the caller's pool, not another.
	idle := &idleCloser{}
	WithoutRedirects(&http.Client{Transport: idle}).CloseIdleConnections()
	if idle.closed != 1 {
		t.Fatalf("CloseIdleConnections reached the caller's transport %d times, want 1", idle.closed)
	}
}

// idleCloser is a transport that only counts CloseIdleConnections calls.
type idleCloser struct{ closed int }

func (*idleCloser) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("idleCloser sends nothing")
}
func (c *idleCloser) CloseIdleConnections() { c.closed++ }
