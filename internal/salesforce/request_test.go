package salesforce

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"reflect"
	"testing"
)

// TestNewHTTPRequestAsNewRequest: the request newHTTPRequest builds from
// the URL worked out in New is the one http.NewRequestWithContext makes
// of the whole URL, on the fast path and on the fallback alike.
func TestNewHTTPRequestAsNewRequest(t *testing.T) {
	instances := []string{
		"http://127.0.0.1:8080",
		"http://localhost",
		"https://acme.my.salesforce.com",
		"https://ACME.my.salesforce.com:443/",
		"http://[::1]:9000",
	}
	for _, tc := range []struct {
		name, method, path, q, body string
	}{
		{name: "query", method: http.MethodGet, path: "/services/data/v62.0/query", q: "q=SELECT+Id+FROM+Account"},
		{name: "no query", method: http.MethodGet, path: "/services/data/v62.0/limits"},
		{name: "root", method: http.MethodGet, path: "/"},
		{name: "double slash", method: http.MethodGet, path: "//services"},
		{name: "post body", method: http.MethodPost, path: "/services/data/v62.0/sobjects/Account", body: `{"Name":"x"}`},
		{name: "empty body", method: http.MethodPatch, path: "/services/data/v62.0/sobjects/Account/001", body: ""},
		{name: "query with ? and spaces", method: http.MethodGet, path: "/a", q: "q=a?b c&d=é"},
		// The fallback: url.Parse would change these, or refuse them.
		{name: "escaped path", method: http.MethodGet, path: "/services/data/v62.0/sobjects/Account/Ext__c/a%2Fb"},
		{name: "path with space", method: http.MethodGet, path: "/a b"},
		{name: "path with colon", method: http.MethodGet, path: "/a:b/c@d"},
		{name: "path with question mark", method: http.MethodGet, path: "/a?x=1"},
		{name: "relative path", method: http.MethodGet, path: "x"},
		{name: "empty path", method: http.MethodGet, path: ""},
		{name: "fragment in query", method: http.MethodGet, path: "/a", q: "q=1#frag"},
		{name: "control byte in query", method: http.MethodGet, path: "/a", q: "q=1\n2"},
		{name: "invalid method", method: "BAD METHOD", path: "/a"},
	} {
		for _, inst := range instances {
			t.Run(tc.name+" "+inst, func(t *testing.T) {
				c := newTestClient(t, inst)
				ctx := context.WithValue(context.Background(), struct{}{}, tc.name)
				full := c.InstanceURL() + tc.path
				if tc.q != "" {
					full += "?" + tc.q
				}
				var body, wantBody io.Reader
				if tc.method != http.MethodGet && tc.method != "BAD METHOD" {
					body, wantBody = bytes.NewReader([]byte(tc.body)), bytes.NewReader([]byte(tc.body))
				}
				want, wantErr := http.NewRequestWithContext(ctx, tc.method, full, wantBody)
				got, err := c.newHTTPRequest(ctx, tc.method, tc.path, tc.q, body)
				if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
					t.Fatalf("error %v, want %v", err, wantErr)
				}
				if err != nil {
					return
				}
				if !reflect.DeepEqual(*got.URL, *want.URL) {
					t.Errorf("URL %#v\nwant %#v", *got.URL, *want.URL)
				}
				if got.URL.String() != want.URL.String() || got.URL.RequestURI() != want.URL.RequestURI() {
					t.Errorf("URL %q (%q), want %q (%q)", got.URL, got.URL.RequestURI(), want.URL, want.URL.RequestURI())
				}
				if got.Method != want.Method || got.Host != want.Host || got.Proto != want.Proto ||
					got.ContentLength != want.ContentLength || got.Context() != ctx ||
					(got.Body == nil) != (want.Body == nil) || (got.Body == http.NoBody) != (want.Body == http.NoBody) ||
					(got.GetBody == nil) != (want.GetBody == nil) || len(got.Header) != 0 {
					t.Errorf("request %+v\nwant %+v", got, want)
				}
				if got.GetBody != nil {
					rc, err := got.GetBody()
					if err != nil {
						t.Fatal(err)
					}
					if b, _ := io.ReadAll(rc); string(b) != tc.body {
						t.Errorf("GetBody gives %q, want %q", b, tc.body)
					}
				}
			})
		}
	}
}

// TestAuthorizationFollowsTheToken: the Authorization value a token source
// hands out is made again when the token changes (a refresh).
func TestAuthorizationFollowsTheToken(t *testing.T) {
	ts := NewTokenSource(TokenSourceConfig{Token: Token{AccessToken: testAccessToken, InstanceURL: "https://acme.my.salesforce.com"}})
	tok, auth := ts.authorization()
	if tok != testAccessToken || !reflect.DeepEqual(auth, []string{"Bearer " + testAccessToken}) {
		t.Fatalf("authorization() = %q, %q", tok, auth)
	}
	if _, again := ts.authorization(); &again[0] != &auth[0] {
		t.Error("the value is made again for the same token")
	}
	ts.mu.Lock()
	ts.tok.AccessToken = freshAccessToken
	ts.mu.Unlock()
	tok, auth = ts.authorization()
	if tok != freshAccessToken || !reflect.DeepEqual(auth, []string{"Bearer " + freshAccessToken}) {
		t.Fatalf("after the token changed: authorization() = %q, %q", tok, auth)
	}
}
