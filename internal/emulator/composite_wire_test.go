package emulator_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

const fixtures = "testdata"

// recorded reads a recorded cumulusci request and response pair by the name
// of its response file, with the placeholder version made v62.0.
func recorded(t *testing.T, file string) (request string, response any) {
	t.Helper()
	idx, err := os.ReadFile(filepath.Join(fixtures, "cumulusci", "INDEX.json"))
	if err != nil {
		t.Fatalf("recordings: %v", err)
	}
	var entries []struct {
		File        string  `json:"file"`
		RequestBody *string `json:"request_body"`
	}
	if err := json.Unmarshal(idx, &entries); err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if en.File != file {
			continue
		}
		b, err := os.ReadFile(filepath.Join(fixtures, "cumulusci", file))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &response); err != nil {
			t.Fatal(err)
		}
		if en.RequestBody != nil {
			request = strings.ReplaceAll(*en.RequestBody, "vxx.0", "v62.0")
		}
		return request, response
	}
	t.Fatalf("no recording %s", file)
	return "", nil
}

type compositeOut struct {
	CompositeResponse []struct {
		Body           json.RawMessage `json:"body"`
		HTTPStatusCode int             `json:"httpStatusCode"`
		ReferenceID    string          `json:"referenceId"`
	} `json:"compositeResponse"`
}

// TestCompositeRecordedRequests replays composite requests CumulusCI sent
// to a real org (one with raw spaces in its subrequest URLs) and compares
// the statuses and error bodies with the recorded answers.
func TestCompositeRecordedRequests(t *testing.T) {
	s := emulatortest.New(t)
	for _, file := range []string{
		"POST_data_vxx_0_composite__f563ed551e.json", // raw spaces in the query URLs
		"POST_data_vxx_0_composite__c3af7979d7.json", // INVALID_TYPE in a subrequest
		"POST_data_vxx_0_composite__301b0f3fe0.json", // NOT_FOUND in a subrequest
	} {
		req, want := recorded(t, file)
		status, _, body := rawDo(t, s, "POST", v+"/composite", req)
		if status != 200 {
			t.Fatalf("%s: %d %s", file, status, body)
		}
		got := decode[compositeOut](t, body)
		wantJSON, _ := json.Marshal(want)
		w := decode[compositeOut](t, wantJSON)
		if len(got.CompositeResponse) != len(w.CompositeResponse) {
			t.Fatalf("%s: %d answers, want %d: %s", file, len(got.CompositeResponse), len(w.CompositeResponse), body)
		}
		for i, g := range got.CompositeResponse {
			wi := w.CompositeResponse[i]
			if g.HTTPStatusCode != wi.HTTPStatusCode || g.ReferenceID != wi.ReferenceID {
				t.Errorf("%s[%d]: %d %s, want %d %s: %s", file, i, g.HTTPStatusCode, g.ReferenceID, wi.HTTPStatusCode, wi.ReferenceID, g.Body)
			}
			if wi.HTTPStatusCode >= 400 {
				var gb, wb any
				_ = json.Unmarshal(g.Body, &gb)
				_ = json.Unmarshal(wi.Body, &wb)
				if !reflect.DeepEqual(gb, wb) {
					t.Errorf("%s[%d]: error body\n got %s\nwant %s", file, i, g.Body, wi.Body)
				}
			}
		}
	}
}

func countOf(t *testing.T, s *emulatortest.Server, soql string) int {
	t.Helper()
	status, body := s.Do(t, "GET", q(soql), nil)
	if status != 200 {
		t.Fatalf("%s: %d %s", soql, status, body)
	}
	return decode[queryResult](t, body).TotalSize
}

// TestCompositeAllOrNoneRollsBack: with allOrNone, a failed subrequest undoes
// the earlier ones (a create and an update) and every other answer is
// PROCESSING_HALTED.
func TestCompositeAllOrNoneRollsBack(t *testing.T) {
	s := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	status, body := s.Do(t, "POST", v+"/sobjects/Account", map[string]any{"Name": "Before"})
	if status != 201 {
		t.Fatalf("create: %d %s", status, body)
	}
	id := decode[map[string]any](t, body)["id"].(string)
	req := map[string]any{"allOrNone": true, "compositeRequest": []map[string]any{
		{"method": "POST", "url": v + "/sobjects/Account", "referenceId": "newAcct", "body": map[string]any{"Name": "Rolled back"}},
		{"method": "PATCH", "url": v + "/sobjects/Account/" + id, "referenceId": "upd", "body": map[string]any{"Name": "Changed"}},
		{"method": "POST", "url": v + "/sobjects/Contact", "referenceId": "badContact", "body": map[string]any{"AccountId": "@{newAcct.id}"}},
		{"method": "GET", "url": v + "/sobjects/Account/" + id, "referenceId": "after"},
	}}
	status, body = s.Do(t, "POST", v+"/composite", req)
	if status != 200 {
		t.Fatalf("composite: %d %s", status, body)
	}
	out := decode[compositeOut](t, body)
	codes := []int{}
	for _, r := range out.CompositeResponse {
		codes = append(codes, r.HTTPStatusCode)
	}
	if !reflect.DeepEqual(codes, []int{400, 400, 400, 400}) {
		t.Fatalf("codes %v: %s", codes, body)
	}
	for _, i := range []int{0, 1, 3} {
		if !strings.Contains(string(out.CompositeResponse[i].Body), "PROCESSING_HALTED") {
			t.Errorf("answer %d: %s", i, out.CompositeResponse[i].Body)
		}
	}
	if !strings.Contains(string(out.CompositeResponse[2].Body), "REQUIRED_FIELD_MISSING") {
		t.Errorf("failed answer: %s", out.CompositeResponse[2].Body)
	}
	if n := countOf(t, s, "SELECT Id FROM Account"); n != 1 {
		t.Errorf("%d accounts after the rollback, want 1", n)
	}
	if n := countOf(t, s, "SELECT Id FROM Account WHERE Name = 'Before'"); n != 1 {
		t.Errorf("the update was not rolled back")
	}
	// Without allOrNone the first two stay.
	req["allOrNone"] = false
	status, body = s.Do(t, "POST", v+"/composite", req)
	if status != 200 {
		t.Fatalf("composite: %d %s", status, body)
	}
	if n := countOf(t, s, "SELECT Id FROM Account WHERE Name IN ('Rolled back', 'Changed')"); n != 2 {
		t.Errorf("without allOrNone: %d of the 2 writes stayed: %s", n, body)
	}
}

func TestCompositeBatch(t *testing.T) {
	s := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	status, body := s.Do(t, "POST", v+"/composite/batch", map[string]any{"haltOnError": true, "batchRequests": []map[string]any{
		{"method": "POST", "url": "v62.0/sobjects/Account", "richInput": map[string]any{"Name": "Batch One"}},
		{"method": "GET", "url": "v62.0/query?q=SELECT Name FROM Account"},
		{"method": "GET", "url": "v62.0/sobjects/Nope__c/describe"},
		{"method": "POST", "url": "v62.0/sobjects/Account", "richInput": map[string]any{"Name": "Never"}},
	}})
	if status != 200 {
		t.Fatalf("batch: %d %s", status, body)
	}
	var out struct {
		HasErrors bool `json:"hasErrors"`
		Results   []struct {
			StatusCode int             `json:"statusCode"`
			Result     json.RawMessage `json:"result"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	var codes []int
	for _, r := range out.Results {
		codes = append(codes, r.StatusCode)
	}
	if !out.HasErrors || !reflect.DeepEqual(codes, []int{201, 200, 404, 412}) {
		t.Fatalf("batch answer %s", body)
	}
	if !strings.Contains(string(out.Results[1].Result), "Batch One") || !strings.Contains(string(out.Results[3].Result), "BATCH_PROCESSING_HALTED") {
		t.Errorf("batch results %s", body)
	}
	if n := countOf(t, s, "SELECT Id FROM Account"); n != 1 {
		t.Errorf("%d accounts, want 1 (the halted one must not run)", n)
	}
	many := make([]map[string]any, 26)
	for i := range many {
		many[i] = map[string]any{"method": "GET", "url": "v62.0/limits"}
	}
	status, body = s.Do(t, "POST", v+"/composite/batch", map[string]any{"batchRequests": many})
	wantError(t, status, body, 400, "INVALID_BATCH_REQUEST")
}

func TestCompositeTree(t *testing.T) {
	s := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	tree := map[string]any{"records": []map[string]any{
		{"attributes": map[string]any{"type": "Account", "referenceId": "acct1"}, "Name": "Tree One",
			"Contacts": map[string]any{"records": []map[string]any{
				{"attributes": map[string]any{"type": "Contact", "referenceId": "c1"}, "LastName": "Leaf", "Email": "leaf@example.com"},
			}}},
		{"attributes": map[string]any{"type": "Account", "referenceId": "acct2"}, "Name": "Tree Two"},
	}}
	status, body := s.Do(t, "POST", v+"/composite/tree/Account", tree)
	if status != 201 {
		t.Fatalf("tree: %d %s", status, body)
	}
	var out struct {
		HasErrors bool `json:"hasErrors"`
		Results   []struct {
			ReferenceID string `json:"referenceId"`
			ID          string `json:"id"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	if out.HasErrors || len(out.Results) != 3 || out.Results[1].ReferenceID != "c1" || !strings.HasPrefix(out.Results[1].ID, "003") {
		t.Fatalf("tree answer %s", body)
	}
	if n := countOf(t, s, "SELECT Id FROM Contact WHERE Account.Name = 'Tree One'"); n != 1 {
		t.Errorf("the contact is not under its account")
	}
	// A bad record anywhere creates nothing.
	bad := map[string]any{"records": []map[string]any{
		{"attributes": map[string]any{"type": "Account", "referenceId": "ok"}, "Name": "Tree Three",
			"Contacts": map[string]any{"records": []map[string]any{
				{"attributes": map[string]any{"type": "Contact", "referenceId": "bad"}, "LastName": "X", "Email": "not an email"},
			}}},
	}}
	status, body = s.Do(t, "POST", v+"/composite/tree/Account", bad)
	if status != 400 || !strings.Contains(string(body), `"referenceId":"bad"`) || !strings.Contains(string(body), "INVALID_EMAIL_ADDRESS") {
		t.Fatalf("bad tree: %d %s", status, body)
	}
	if n := countOf(t, s, "SELECT Id FROM Account"); n != 2 {
		t.Errorf("%d accounts after a failed tree, want 2", n)
	}
	// Bad trees, answered as Salesforce does (texts from recorded answers,
	// see the package doc of the emulator, Error texts): every instance of a duplicated
	// reference id listed, a record without a type, a type that does not
	// match the URL; a record without a reference id refuses the request.
	for _, tt := range []struct {
		recs   []map[string]any
		status int
		want   string
	}{
		{[]map[string]any{
			{"attributes": map[string]any{"type": "Account", "referenceId": "r"}, "Name": "A"},
			{"attributes": map[string]any{"type": "Account", "referenceId": "u"}, "Name": "U"},
			{"attributes": map[string]any{"type": "Account", "referenceId": "r"}, "Name": "B"}}, 400,
			`{"hasErrors":true,"results":[{"referenceId":"r","errors":[{"fields":[],"message":"Duplicate ReferenceId provided in the request.","statusCode":"INVALID_INPUT"}]},` +
				`{"referenceId":"r","errors":[{"fields":[],"message":"Duplicate ReferenceId provided in the request.","statusCode":"INVALID_INPUT"}]}]}`},
		{[]map[string]any{{"attributes": map[string]any{"referenceId": "t"}, "Name": "A"}}, 400,
			`{"hasErrors":true,"results":[{"referenceId":"t","errors":[{"fields":[],"message":"Include an entity type for each record in the request.","statusCode":"INVALID_INPUT"}]}]}`},
		{[]map[string]any{{"attributes": map[string]any{"type": "Contact", "referenceId": "r"}, "LastName": "A"}}, 400, `"hasErrors":true`},
		{[]map[string]any{{"attributes": map[string]any{"type": "Account"}, "Name": "A"}}, 403,
			`[{"message":"Include a reference ID for each record in the request.","errorCode":"INVALID_INPUT"}]`},
	} {
		status, body = s.Do(t, "POST", v+"/composite/tree/Account", map[string]any{"records": tt.recs})
		if status != tt.status || !strings.Contains(string(body), tt.want) {
			t.Errorf("tree %v: %d %s, want %d %s", tt.recs, status, body, tt.status, tt.want)
		}
	}
	many := make([]map[string]any, 201)
	for i := range many {
		many[i] = map[string]any{"attributes": map[string]any{"type": "Account", "referenceId": "m" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)}, "Name": "M"}
	}
	status, body = s.Do(t, "POST", v+"/composite/tree/Account", map[string]any{"records": many})
	if status != 400 {
		t.Errorf("201 records: %d %s", status, body)
	}
	status, body = s.Do(t, "POST", v+"/composite/tree/Nope__c", tree)
	wantError(t, status, body, 404, "NOT_FOUND")
}
