package emulator_test

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// TestEveryListedResourceAnswers: GET /services/data/vNN.0 lists the
// resources the REST docs list, and each one either works or answers as an
// org without the feature: a JSON body, never a 5xx or a redirect.
func TestEveryListedResourceAnswers(t *testing.T) {
	s := emulatortest.New(t)
	status, body := s.Do(t, "GET", v, nil)
	if status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	res := decode[map[string]string](t, body)
	for _, name := range []string{"identity", "tooling", "metadata", "recent", "tabs", "appMenu", "quickActions",
		"process", "analytics", "connect", "chatter", "sobjects", "query", "queryAll", "search", "limits",
		"composite", "parameterizedSearch", "theme", "compactLayouts", "actions", "jobs", "licensing", "support"} {
		if res[name] == "" {
			t.Errorf("resource %s is not listed: %s", name, body)
		}
	}
	if len(res) < 40 {
		t.Errorf("%d resources listed, the docs list over 40", len(res))
	}
	for name, path := range res {
		if name == "identity" {
			continue
		}
		status, h, body := rawDo(t, s, "GET", path, "")
		if status >= 300 && status < 400 || status >= 500 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Errorf("%s (%s): %d %q %.200s", name, path, status, h.Get("Content-Type"), body)
			continue
		}
		if status >= 400 {
			var errs []map[string]any
			if err := json.Unmarshal(body, &errs); err != nil || len(errs) != 1 {
				t.Errorf("%s: error body %s", name, body)
				continue
			}
			switch code := errs[0]["errorCode"]; {
			case status == 403 && code == "FUNCTIONALITY_NOT_ENABLED",
				status == 400 && code == "MISSING_ARGUMENT" && (name == "compactLayouts" || name == "parameterizedSearch"),
				status == 400 && code == "MALFORMED_QUERY" && (name == "query" || name == "queryAll"),
				status == 400 && code == "MALFORMED_SEARCH" && name == "search":
			default:
				t.Errorf("%s: %d %s", name, status, body)
			}
		}
	}
	for _, path := range []string{"/tabs", "/recent", "/appMenu/AppSwitcher", "/process/approvals", "/connect/communities", "/tooling/sobjects", "/actions/standard"} {
		if status, _, body := rawDo(t, s, "GET", v+path, ""); status != 200 {
			t.Errorf("%s: %d %s", path, status, body)
		}
	}
	status, _, body = rawDo(t, s, "GET", v+"/tooling/query?q="+url.QueryEscape("SELECT Id FROM ApexRocket"), "")
	wantError(t, status, body, 400, "INVALID_TYPE")
	status, _, body = rawDo(t, s, "GET", v+"/tooling/query?q="+url.QueryEscape("SELECT Id, Name FROM ApexClass"), "")
	if want := `{"done":true,"entityTypeName":null,"queryLocator":null,"records":[],"size":0,"totalSize":0}`; status != 200 || strings.TrimSpace(string(body)) != want {
		t.Errorf("tooling query on ApexClass: %d %s; want %s", status, body, want)
	}
	status, _, body = rawDo(t, s, "GET", v+"/chatter/users/me", "")
	wantError(t, status, body, 403, "FUNCTIONALITY_NOT_ENABLED")
	// The body a live org without CRM Analytics answers GET /wave/datasets
	// with (quoted in a public client's tests; see the package doc, Error texts).
	status, _, body = rawDo(t, s, "GET", v+"/wave/datasets", "")
	if want := `[{"message":"This feature is not currently enabled for this user type or org: [Wave]","errorCode":"FUNCTIONALITY_NOT_ENABLED"}]`; status != 403 || strings.TrimSpace(string(body)) != want {
		t.Errorf("GET /wave/datasets: %d %s, want 403 %s", status, body, want)
	}
}

// TestIdentityURL: the identity URL the resources list names answers with
// the fields of the docs' "Identity URL Response", with the token as a
// header or as oauth_token (as jsforce's identity() sends it).
func TestIdentityURL(t *testing.T) {
	s := emulatortest.New(t)
	_, body := s.Do(t, "GET", v, nil)
	idURL := decode[map[string]string](t, body)["identity"]
	if idURL != s.Token.ID {
		t.Fatalf("identity %q, token id %q", idURL, s.Token.ID)
	}
	path := strings.TrimPrefix(idURL, s.URL)
	status, _, body := rawDo(t, s, "GET", path, "")
	if status != 200 {
		t.Fatalf("identity: %d %s", status, body)
	}
	id := decode[map[string]any](t, body)
	for _, k := range []string{"id", "asserted_user", "user_id", "organization_id", "username", "nick_name", "display_name",
		"email", "first_name", "last_name", "timezone", "photos", "urls", "active", "user_type", "language", "locale",
		"utcOffset", "last_modified_date", "is_app_installed"} {
		if _, ok := id[k]; !ok {
			t.Errorf("identity lacks %s: %s", k, body)
		}
	}
	if id["id"] != idURL || id["asserted_user"] != true || !strings.HasPrefix(id["username"].(string), "") || id["username"] == "" {
		t.Errorf("identity %s", body)
	}
	urls := id["urls"].(map[string]any)
	if urls["rest"] != s.URL+"/services/data/v{version}/" {
		t.Errorf("urls.rest = %v", urls["rest"])
	}
	// The token as a parameter, and a version filled in.
	req, _ := http.NewRequest("GET", idURL+"?format=json&version=62.0&oauth_token="+url.QueryEscape(s.Token.AccessToken), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var viaParam map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&viaParam)
	resp.Body.Close()
	if resp.StatusCode != 200 || viaParam["user_id"] != id["user_id"] || viaParam["urls"].(map[string]any)["rest"] != s.URL+"/services/data/v62.0/" {
		t.Errorf("oauth_token identity: %d %v", resp.StatusCode, viaParam)
	}
	// A bad token, another org, and a path that is not a user.
	req, _ = http.NewRequest("GET", idURL+"?oauth_token=nope", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("bad token: %d", resp.StatusCode)
	}
	for _, p := range []string{"/id/00D000000000001AAA/" + id["user_id"].(string), "/id/" + id["organization_id"].(string) + "/001000000000001AAA", "/id/x"} {
		if status, _, body := rawDo(t, s, "GET", p, ""); status != 404 {
			t.Errorf("%s: %d %s", p, status, body)
		}
	}
}

// TestIdentityURLFormats: format=xml answers the docs' XML form (a <user>
// root, elements in order, xsi:nil for nulls, nested maps as elements);
// the format parameter beats the Accept header, which is read left to right.
func TestIdentityURLFormats(t *testing.T) {
	s := emulatortest.New(t)
	get := func(query, accept string) (string, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", s.Token.ID+query, nil)
		req.Header.Set("Authorization", "Bearer "+s.Token.AccessToken)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("identity%s (Accept %q): %d %s", query, accept, resp.StatusCode, body)
		}
		return resp.Header.Get("Content-Type"), body
	}
	ct, body := get("?format=xml&version=62.0", "application/json")
	if !strings.HasPrefix(ct, "application/xml") {
		t.Fatalf("format=xml: Content-Type %q", ct)
	}
	var doc struct {
		XMLName      xml.Name `xml:"user"`
		ID           string   `xml:"id"`
		AssertedUser bool     `xml:"asserted_user"`
		UserID       string   `xml:"user_id"`
		Status       struct {
			CreatedDate struct {
				Nil string `xml:"http://www.w3.org/2001/XMLSchema-instance nil,attr"`
			} `xml:"created_date"`
		} `xml:"status"`
		URLs struct {
			Rest string `xml:"rest"`
		} `xml:"urls"`
		UTCOffset    int    `xml:"utcOffset"`
		LastModified string `xml:"last_modified_date"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("XML identity does not parse: %v\n%s", err, body)
	}
	if doc.ID != s.Token.ID || !doc.AssertedUser || !strings.HasPrefix(doc.UserID, "005") || doc.Status.CreatedDate.Nil != "true" ||
		doc.URLs.Rest != s.URL+"/services/data/v62.0/" || doc.UTCOffset != -28800000 || !strings.HasSuffix(doc.LastModified, ".000Z") {
		t.Errorf("XML identity %+v\n%s", doc, body)
	}
	if !strings.HasPrefix(string(body), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<user xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n<id>") {
		t.Errorf("XML identity does not start as the docs' example:\n%.200s", body)
	}
	// The JSON form keeps the docs' key order too.
	_, body = get("", "")
	if !strings.HasPrefix(string(body), `{"id":`) || strings.Index(string(body), `"urls"`) > strings.Index(string(body), `"active"`) {
		t.Errorf("JSON identity order: %.300s", body)
	}
	for _, c := range []struct{ query, accept, want string }{
		{"", "application/xml", "xml"},
		{"", "application/xml,application/json,application/html,*/*", "xml"},
		{"", "text/html, application/json;q=0.9, application/xml", "json"},
		{"", "*/*", "json"},
		{"?format=json", "application/xml", "json"},
		{"?format=XML", "", "xml"},
	} {
		ct, _ := get(c.query, c.accept)
		if got := map[bool]string{true: "xml", false: "json"}[strings.HasPrefix(ct, "application/xml")]; got != c.want {
			t.Errorf("identity%s with Accept %q: %s (%s), want %s", c.query, c.accept, got, ct, c.want)
		}
	}
}
