package salesforce

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/h1"
)

// TestDirectAnswersAsClientDo: sending through the transport directly (what
// the client does when its http.Client adds nothing) gives the same
// responses and the same errors, type and text, as http.Client.Do, with
// net/http's transport and with h1's (serve's).
func TestDirectAnswersAsClientDo(t *testing.T) {
	for _, tr := range []struct {
		name string
		hc   func() *http.Client
	}{
		{"net/http", NewHTTPClient},
		{"h1", func() *http.Client { return WithoutRedirects(&http.Client{Transport: h1.NewTransport(NewTransport())}) }},
	} {
		t.Run(tr.name, func(t *testing.T) { testDirectAnswersAsClientDo(t, tr.hc) })
	}
}

func testDirectAnswersAsClientDo(t *testing.T, newHC func() *http.Client) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "https://elsewhere.example/x?token=secret", http.StatusFound)
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"path":"`+r.URL.Path+`"}`)
		}
	}))
	defer ok.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	short, cancelShort := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancelShort()

	for _, tc := range []struct {
		name   string
		ctx    context.Context
		method string
		url    string
		body   string
		want   string // the body, or the error's text
	}{
		{name: "GET", url: ok.URL + "/a", want: `{"path":"/a"}`},
		{name: "POST", method: http.MethodPost, url: ok.URL + "/b", body: `{"x":1}`, want: `{"path":"/b"}`},
		{name: "redirect refused", url: ok.URL + "/redirect", want: "answered 302 with a redirect to https://elsewhere.example/x"},
		{name: "connection refused", url: closedURL + "/q", want: "connect: connection refused"},
		{name: "cancelled", ctx: cancelled, url: ok.URL + "/a", want: "context canceled"},
		{name: "deadline", ctx: short, url: ok.URL + "/slow", want: "context deadline exceeded"},
		{name: "https to plain http", url: strings.Replace(ok.URL, "http:", "https:", 1) + "/a", want: http.ErrSchemeMismatch.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			send := func(direct bool) (string, *http.Response, error) {
				// The client's instance is the URL's origin: the error names
				// the URL as the client builds it.
				u, err := url.Parse(tc.url)
				if err != nil {
					t.Fatal(err)
				}
				c := newTestClient(t, u.Scheme+"://"+u.Host, func(cfg *Config, _ *TokenSourceConfig) { cfg.HTTPClient = newHC() })
				if !direct {
					c.direct = nil
				} else if c.direct == nil {
					t.Fatal("a client on a plain http.Client does not send directly")
				}
				ctx := tc.ctx
				if ctx == nil {
					ctx = context.Background()
				}
				method := tc.method
				if method == "" {
					method = http.MethodGet
				}
				var body io.Reader
				if tc.body != "" {
					body = strings.NewReader(tc.body)
				}
				req, err := c.newHTTPRequest(ctx, method, u.Path, "", body)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := c.do(req, u.Path, "")
				if err != nil {
					return err.Error(), nil, err
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return string(b), resp, nil
			}
			viaDo, respDo, errDo := send(false)
			direct, resp, err := send(true)
			if direct != viaDo {
				t.Errorf("direct: %q\nhc.Do:  %q", direct, viaDo)
			}
			if !strings.Contains(direct, tc.want) {
				t.Errorf("got %q, want it to hold %q", direct, tc.want)
			}
			if (err == nil) != (errDo == nil) {
				t.Fatalf("direct error %v, hc.Do error %v", err, errDo)
			}
			if err != nil {
				var ue, ueDo *url.Error
				if !errors.As(err, &ue) || !errors.As(errDo, &ueDo) || ue.Op != ueDo.Op || ue.URL != ueDo.URL {
					t.Errorf("direct error %#v, hc.Do error %#v: want the same *url.Error", err, errDo)
				}
				_, isRedirect := AsRedirect(err)
				_, isRedirectDo := AsRedirect(errDo)
				if isRedirect != isRedirectDo || errors.Is(err, context.Canceled) != errors.Is(errDo, context.Canceled) ||
					errors.Is(err, context.DeadlineExceeded) != errors.Is(errDo, context.DeadlineExceeded) {
					t.Errorf("direct error %v and hc.Do error %v wrap different errors", err, errDo)
				}
				return
			}
			if resp.StatusCode != respDo.StatusCode || resp.Header.Get("Content-Type") != respDo.Header.Get("Content-Type") {
				t.Errorf("direct %d %q, hc.Do %d %q", resp.StatusCode, resp.Header.Get("Content-Type"), respDo.StatusCode, respDo.Header.Get("Content-Type"))
			}
		})
	}
}

// TestDirectOnlyWhenTheClientAddsNothing: a cookie jar or an overall timeout
// is http.Client's work, so such a client sends through Do.
func TestDirectOnlyWhenTheClientAddsNothing(t *testing.T) {
	jar, _ := cookiejar.New(nil)
	for _, tc := range []struct {
		name       string
		hc         *http.Client
		wantDirect bool
	}{
		{name: "NewHTTPClient", hc: NewHTTPClient(), wantDirect: true},
		{name: "zero client", hc: &http.Client{}, wantDirect: true},
		{name: "h1 transport (serve's)", hc: &http.Client{Transport: h1.NewTransport(NewTransport())}, wantDirect: true},
		{name: "cookie jar", hc: &http.Client{Jar: jar}},
		{name: "timeout", hc: &http.Client{Timeout: time.Minute}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(Config{HTTPClient: tc.hc, Tokens: NewTokenSource(TokenSourceConfig{Token: Token{AccessToken: testAccessToken, InstanceURL: "https://example.my.salesforce.com"}})})
			if err != nil {
				t.Fatal(err)
			}
			if got := c.direct != nil; got != tc.wantDirect {
				t.Fatalf("direct = %v, want %v", got, tc.wantDirect)
			}
			if c.direct != nil && c.direct != c.hc.Transport {
				t.Fatalf("direct is %T, not the client's transport %T", c.direct, c.hc.Transport)
			}
		})
	}
}
