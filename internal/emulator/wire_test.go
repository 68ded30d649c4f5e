package emulator_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// rawDo sends one request without following redirects, so a 3xx answer is
// seen as such.
func rawDo(t *testing.T, s *emulatortest.Server, method, path, body string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Token.AccessToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, b
}

// TestDoubleSlashPathsAreServed: the sf CLI keeps instance URLs with a
// trailing slash and asks for //services/data/...; Salesforce serves those
// paths directly, so the emulator must not redirect them (a relative
// Location breaks the sf CLI).
func TestDoubleSlashPathsAreServed(t *testing.T) {
	s := emulatortest.New(t)
	for _, tc := range []struct {
		path   string
		status int
		want   string
	}{
		{"//services/data", 200, `"version"`},
		{"//services/data/v62.0", 200, `"sobjects"`},
		{"//services/data/v62.0/", 200, `"sobjects"`},
		{"//services/data/v62.0/limits", 200, `"DailyApiRequests"`},
		{"/services//data/v62.0//sobjects/Account/describe", 200, `"childRelationships"`},
		{"//services/data/v62.0/query?q=SELECT+Id+FROM+Account+LIMIT+1", 200, `"totalSize"`},
		{"//services/oauth2/userinfo", 200, `"user_id"`},
		{"/services/data/v62.0/./limits", 200, `"DailyApiRequests"`},
		{"//services/data/v62.0/sobjects/Nope__c", 404, `"NOT_FOUND"`},
		{"/id", 404, `"NOT_FOUND"`},
		{"//id", 404, `"NOT_FOUND"`},
		{"/services/Soap/u", 404, `"NOT_FOUND"`},
		{"/__emulator", 404, `"NOT_FOUND"`},
	} {
		status, h, body := rawDo(t, s, "GET", tc.path, "")
		if status != tc.status || !strings.Contains(string(body), tc.want) {
			t.Errorf("GET %s = %d (Location %q) %.200s; want %d with %s", tc.path, status, h.Get("Location"), body, tc.status, tc.want)
		}
	}
	// Writes through a doubled slash land too.
	status, _, body := rawDo(t, s, "POST", "//services/data/v62.0/sobjects/Account", `{"Name":"Slashed"}`)
	if status != 201 || !strings.Contains(string(body), `"success":true`) {
		t.Errorf("POST //…/sobjects/Account = %d %s", status, body)
	}
}

// TestErrorBodiesNameFieldsOnlyWhenAboutFields compares error bodies with
// Salesforce's: `fields` appears on field and save errors only.
func TestErrorBodiesNameFieldsOnlyWhenAboutFields(t *testing.T) {
	s := emulatortest.New(t)
	req, _ := http.NewRequest("GET", s.URL+v+"/limits", nil)
	req.Header.Set("Authorization", "Bearer nope")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || strings.TrimSpace(string(b)) != `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]` {
		t.Errorf("INVALID_SESSION_ID: %d %s", resp.StatusCode, b)
	}
	for _, tc := range []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"GET", v + "/sobjects/Nope__c", "", 404, `[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]`},
		{"GET", v + "/query?q=SELEC", "", 400, `"errorCode":"MALFORMED_QUERY"}]`},
		{"POST", v + "/sobjects/Account", "{", 400, `"errorCode":"JSON_PARSER_ERROR"}]`},
		{"PUT", v + "/sobjects/Account", "{}", 405, `"errorCode":"METHOD_NOT_ALLOWED"}]`},
		{"POST", v + "/sobjects/Contact", `{"FirstName":"No last name"}`, 400, `"errorCode":"REQUIRED_FIELD_MISSING","fields":["LastName"]}]`},
	} {
		status, _, body := rawDo(t, s, tc.method, tc.path, tc.body)
		if status != tc.status || !strings.HasSuffix(strings.TrimSpace(string(body)), tc.want) {
			t.Errorf("%s %s: %d %s; want %d …%s", tc.method, tc.path, status, body, tc.status, tc.want)
		}
	}
}

// TestMethodNotAllowedNamesWhatIsAllowed: a 405 never offers the method it
// refuses (simpleforce's DELETE on /sobjects/Account/ got "not allowed.
// Allowed are …,DELETE").
func TestMethodNotAllowedNamesWhatIsAllowed(t *testing.T) {
	s := emulatortest.New(t)
	for _, tc := range []struct{ method, path, allowed string }{
		{"DELETE", v + "/sobjects/Account/", "GET,HEAD,POST"},
		{"PATCH", v + "/sobjects/Account/describe", "GET,HEAD"},
		{"PUT", v + "/sobjects", ""},
	} {
		status, _, body := rawDo(t, s, tc.method, tc.path, "")
		e := wantError(t, status, body, 405, "METHOD_NOT_ALLOWED")
		allowed := e.Message[strings.Index(e.Message, "Allowed are ")+len("Allowed are "):]
		if strings.Contains(","+allowed+",", ","+tc.method+",") || (tc.allowed != "" && allowed != tc.allowed) {
			t.Errorf("%s %s: %q", tc.method, tc.path, e.Message)
		}
	}
}
