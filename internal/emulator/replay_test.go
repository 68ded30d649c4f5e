package emulator_test

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

type recordedRequest struct {
	Method   string            `json:"method"`
	Path     string            `json:"path"`
	Headers  map[string]string `json:"headers"`
	Transfer string            `json:"transfer"`
	Body     string            `json:"body"`
}

var (
	recordedAccountID = "001000000000001AAA"
	recordedLocator   = regexp.MustCompile(`01gXX0000000001AAA-1`)
	recordedJobID     = regexp.MustCompile(`750XX000000000[0-9]AAA`)
)

// TestReplayClientRequests sends the requests real clients send to the
// emulator, in order, standing in the ids, locators, codes and jobs the
// emulator handed out for the recorded ones, and checks every answer is one
// Salesforce would give: a success of the right kind with a well-formed body.
func TestReplayClientRequests(t *testing.T) {
	files, err := filepath.Glob("testdata/client-requests/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded requests: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var reqs []recordedRequest
			if err := json.Unmarshal(raw, &reqs); err != nil {
				t.Fatal(err)
			}
			replay(t, filepath.Base(file), reqs)
		})
	}
}

type key struct {
	file  string
	index int
}

// expectedErrors are the recorded requests a real org refuses: their
// recordings came from fake servers that answered anything.
var expectedErrors = map[key]struct {
	status int
	code   string
}{
	// Account.Name is not an external id nor an idLookup field.
	{"go_salesforce.requests.json", 5}: {404, "NOT_FOUND"},
}

func replay(t *testing.T, file string, reqs []recordedRequest) {
	s := emulatortest.New(t, func(o *emulator.Options) {
		o.PageSize = 200 // the sample org's 250 accounts span two pages
		o.SchemaConfig = []byte(`objects:
  - name: Account
    fields:
      - {name: Ext__c, type: string, externalId: true, unique: true}
`)
	})
	access := s.Token.AccessToken
	accountID, nextURL, bulkLocator := "", "", ""
	jobIDs := map[string]string{}
	for i, rr := range reqs {
		path, body := rr.Path, rr.Body
		if accountID != "" {
			path = strings.ReplaceAll(path, recordedAccountID, accountID)
		}
		if nextURL != "" && recordedLocator.MatchString(path) {
			path = nextURL
		}
		path = recordedJobID.ReplaceAllStringFunc(path, func(m string) string {
			if id, ok := jobIDs[m]; ok {
				return id
			}
			return m
		})
		staleLocator := false
		if u, err := url.Parse(path); err == nil && u.Query().Get("locator") != "" {
			if bulkLocator != "" && bulkLocator != "null" {
				qv := u.Query()
				qv.Set("locator", bulkLocator)
				u.RawQuery = qv.Encode()
				path = u.String()
			} else {
				// The recording's fake server handed out a second page the
				// emulator's results do not have; Salesforce refuses a
				// locator it never issued.
				staleLocator = true
			}
		}
		if m := resultsPath.FindStringSubmatch(path); m != nil {
			waitJob(t, s, m[1])
		}
		if strings.HasPrefix(path, "/services/oauth2/token") {
			body, access = oauthStandIns(t, s, body, access)
		}
		var rd io.Reader = strings.NewReader(body)
		if rr.Transfer == "chunked" {
			rd = io.MultiReader(strings.NewReader(body)) // hides the length: sent chunked
		}
		req, err := http.NewRequest(rr.Method, s.URL+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range rr.Headers {
			req.Header.Set(k, v)
		}
		if req.Header.Get("Authorization") != "" {
			req.Header.Set("Authorization", "Bearer "+access)
		}
		if body != "" && req.Header.Get("Content-Type") == "" {
			switch {
			case strings.HasSuffix(path, "/batches"):
				req.Header.Set("Content-Type", "text/csv")
			case strings.HasPrefix(path, "/services/oauth2/"):
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			default:
				req.Header.Set("Content-Type", "application/json")
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("#%d %s %s: %v", i, rr.Method, path, err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if l := resp.Header.Get("Sforce-Locator"); l != "" {
			bulkLocator = l
		}
		if staleLocator {
			var errs []sfError
			if resp.StatusCode != 400 || json.Unmarshal(got, &errs) != nil || len(errs) != 1 || errs[0].ErrorCode == "" {
				t.Errorf("#%d %s %s: a locator never issued got %d %s", i, rr.Method, path, resp.StatusCode, got)
			}
			continue
		}
		if want, ok := expectedErrors[key{file, i}]; ok {
			var errs []sfError
			if json.Unmarshal(got, &errs) != nil || len(errs) != 1 || errs[0].ErrorCode != want.code || resp.StatusCode != want.status {
				t.Errorf("#%d %s %s: %d %s, want %d %s", i, rr.Method, path, resp.StatusCode, got, want.status, want.code)
			}
			continue
		}
		if resp.StatusCode >= 300 {
			t.Errorf("#%d %s %s: %d %s", i, rr.Method, path, resp.StatusCode, got)
			continue
		}
		ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		var parsed map[string]any
		switch {
		case resp.StatusCode == 204 || (resp.StatusCode == 201 && len(got) == 0):
		case ct == "text/csv":
			if !strings.Contains(string(got), "\n") {
				t.Errorf("#%d %s: CSV without a header line: %q", i, path, got)
			}
		case ct == "application/json":
			if err := json.Unmarshal(got, &parsed); err != nil {
				var list []any
				if err := json.Unmarshal(got, &list); err != nil {
					t.Errorf("#%d %s: invalid JSON %s", i, path, got)
				}
			}
		default:
			t.Errorf("#%d %s: content type %q", i, path, ct)
		}
		if resp.Header.Get("Sforce-Limit-Info") == "" && strings.HasPrefix(path, "/services/data/") {
			t.Errorf("#%d %s: no Sforce-Limit-Info", i, path)
		}
		// Remember what later recorded requests refer to.
		if id, ok := parsed["id"].(string); ok && rr.Method == "POST" && strings.HasSuffix(path, "/sobjects/Account") {
			accountID = id
		}
		if n, ok := parsed["nextRecordsUrl"].(string); ok && n != "" {
			nextURL = n
		}
		if id, ok := parsed["id"].(string); ok && rr.Method == "POST" && strings.Contains(path, "/jobs/") {
			for k := range jobIDs {
				delete(jobIDs, k)
			}
			// The recorded clients number their jobs; the next recorded ids map to this one.
			for _, later := range reqs[i+1:] {
				if m := recordedJobID.FindString(later.Path); m != "" {
					jobIDs[m] = id
					break
				}
			}
		}
	}
}

// oauthStandIns swaps the recorded code or refresh token for ones the
// emulator issued, so the exchange is a real one.
func oauthStandIns(t *testing.T, s *emulatortest.Server, body, access string) (string, string) {
	form, err := url.ParseQuery(body)
	if err != nil {
		t.Fatal(err)
	}
	switch form.Get("grant_type") {
	case "authorization_code":
		// The recorded org had the recording client's connected app.
		if err := s.AddApp(emulator.ConnectedApp{ClientID: form.Get("client_id"), Callbacks: []string{form.Get("redirect_uri")}}); err != nil {
			t.Fatal(err)
		}
		back := authorize(t, s, url.Values{"response_type": {"code"}, "client_id": {form.Get("client_id")},
			"redirect_uri": {form.Get("redirect_uri")}, "code_challenge": {challenge(form.Get("code_verifier"))},
			"code_challenge_method": {"S256"}, "scope": {"api refresh_token"}})
		form.Set("code", back.Get("code"))
		_, out := token(t, s, form)
		rt, _ := out["refresh_token"].(string)
		// Issue the recorded request with a fresh code; keep this pair's tokens.
		back = authorize(t, s, url.Values{"response_type": {"code"}, "client_id": {form.Get("client_id")},
			"redirect_uri": {form.Get("redirect_uri")}, "code_challenge": {challenge(form.Get("code_verifier"))},
			"code_challenge_method": {"S256"}, "scope": {"api refresh_token"}})
		form.Set("code", back.Get("code"))
		s.Token.RefreshToken = rt
		if a, ok := out["access_token"].(string); ok {
			access = a
		}
	case "refresh_token":
		form.Set("refresh_token", s.Token.RefreshToken)
	}
	return form.Encode(), access
}

var resultsPath = regexp.MustCompile(`^(/services/data/v[0-9.]+/jobs/(?:ingest|query)/[A-Za-z0-9]+)/(?:successfulResults|failedResults|unprocessedrecords|results)`)

// waitJob polls a Bulk job until it has ended, as the recorded clients did
// (their recordings hold only the poll that saw the job complete).
func waitJob(t *testing.T, s *emulatortest.Server, jobPath string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		status, body := s.Do(t, "GET", jobPath, nil)
		if status != 200 {
			t.Fatalf("poll %s: %d %s", jobPath, status, body)
		}
		switch decode[map[string]any](t, body)["state"] {
		case "JobComplete", "Failed", "Aborted":
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %s did not finish", jobPath)
}
