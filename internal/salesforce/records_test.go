package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestRecordCRUD(t *testing.T) {
	t.Parallel()
	srv, rec := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Method + " " + r.URL.Path {
		case "POST /services/data/v62.0/sobjects/Account":
			writeJSON(w, 201, "{\n  \"id\" : \"0015500001QdQWfAAN\",\n  \"success\" : true,\n  \"errors\" : [ ]\n}")
		case "GET /services/data/v62.0/sobjects/Account/0015500001QdQWfAAN":
			writeJSON(w, 200, `{"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/0015500001QdQWfAAN"},"Name":"Acme","Id":"0015500001QdQWfAAN"}`)
		case "PATCH /services/data/v62.0/sobjects/Account/0015500001QdQWfAAN", "DELETE /services/data/v62.0/sobjects/Account/0015500001QdQWfAAN":
			w.WriteHeader(http.StatusNoContent)
		default:
			writeSFError(w, 404, "NOT_FOUND", "The requested resource does not exist")
		}
	})
	c := newTestClient(t, srv.URL)
	ctx := context.Background()

	id, err := c.CreateRecord(ctx, "Account", map[string]any{"Name": "Acme"})
	if err != nil || id != "0015500001QdQWfAAN" {
		t.Fatalf("CreateRecord = %q, %v", id, err)
	}
	// The 15-character id is accepted and sent in its 18-character form.
	got, err := c.GetRecord(ctx, "Account", "0015500001QdQWf", []string{"Name", "Id"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got), `{"attributes"`) || !strings.Contains(string(got), `"Name":"Acme"`) {
		t.Errorf("GetRecord = %s", got)
	}
	if err := c.UpdateRecord(ctx, "Account", "0015500001QdQWfAAN", map[string]any{"Name": "Acme 2"}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteRecord(ctx, "Account", "0015500001QdQWfAAN"); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetRecord(ctx, "Account", "001000000000001AAA", nil)
	if !IsNotFound(err) {
		t.Errorf("GetRecord of a missing id: %v, want not found", err)
	}

	reqs := rec.all()
	if q, _ := url.ParseQuery(reqs[1].RawQuery); q.Get("fields") != "Name,Id" {
		t.Errorf("fields query = %q", reqs[1].RawQuery)
	}
	if ct := reqs[0].Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("create Content-Type = %q", ct)
	}
	var body map[string]any
	if err := json.Unmarshal(reqs[2].Body, &body); err != nil || body["Name"] != "Acme 2" {
		t.Errorf("update body = %s", reqs[2].Body)
	}
	for _, r := range reqs {
		if r.Header.Get("User-Agent") != "sfmcp/test" || r.Header.Get("Authorization") != "Bearer "+testAccessToken || r.Header.Get("Accept") != "application/json" {
			t.Errorf("%s %s headers: %v", r.Method, r.Path, r.Header)
		}
	}
}

func TestCreateRecordFailure(t *testing.T) {
	t.Parallel()
	srv, _ := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, `[{"message":"Required fields are missing: [LastName]","errorCode":"REQUIRED_FIELD_MISSING","fields":["LastName"]},{"message":"Bad email","errorCode":"INVALID_EMAIL_ADDRESS","fields":["Email"]}]`)
	})
	_, err := newTestClient(t, srv.URL).CreateRecord(context.Background(), "Lead", map[string]any{"Company": "X"})
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v", err)
	}
	if apiErr.ErrorCode != "REQUIRED_FIELD_MISSING" || len(apiErr.Fields) != 1 || apiErr.Fields[0] != "LastName" || len(apiErr.Errors) != 2 || apiErr.Errors[1].ErrorCode != "INVALID_EMAIL_ADDRESS" {
		t.Errorf("APIError = %#v", apiErr)
	}
	if want := "create Lead: REQUIRED_FIELD_MISSING: Required fields are missing: [LastName] (and 1 more error)"; err.Error() != want {
		t.Errorf("Error() = %q\nwant      %q", err, want)
	}
}

func TestUpsert(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		value      string
		status     int
		body       string
		wantPath   string // escaped
		want       UpsertResult
		wantErr    bool
		wantLookup bool
	}{
		{"created", "k1", 201, `{"id":"001000000000001AAA","success":true,"errors":[],"created":true}`, "/services/data/v62.0/sobjects/Account/Ext__c/k1", UpsertResult{"001000000000001AAA", true}, false, false},
		{"updated", "k1", 200, `{"id":"001000000000002AAA","success":true,"errors":[],"created":false}`, "/services/data/v62.0/sobjects/Account/Ext__c/k1", UpsertResult{"001000000000002AAA", false}, false, false},
		{"old API created without flag", "k1", 201, `{"id":"001000000000001AAA","success":true,"errors":[]}`, "/services/data/v62.0/sobjects/Account/Ext__c/k1", UpsertResult{"001000000000001AAA", true}, false, false},
		{"old API update 204 looks the id up", "k1", 204, ``, "/services/data/v62.0/sobjects/Account/Ext__c/k1", UpsertResult{"001000000000003AAA", false}, false, true},
		{"value escaped", "a/b c?d#e%", 201, `{"id":"001000000000001AAA","success":true,"errors":[],"created":true}`, "/services/data/v62.0/sobjects/Account/Ext__c/a%2Fb%20c%3Fd%23e%25", UpsertResult{"001000000000001AAA", true}, false, false},
		{"dot-dot escaped", "..", 201, `{"id":"001000000000001AAA","success":true,"errors":[],"created":true}`, "/services/data/v62.0/sobjects/Account/Ext__c/%2E%2E", UpsertResult{"001000000000001AAA", true}, false, false},
		{"multiple matches", "dup", 300, `["/services/data/v62.0/sobjects/Account/001000000000001AAA","/services/data/v62.0/sobjects/Account/001000000000002AAA"]`, "/services/data/v62.0/sobjects/Account/Ext__c/dup", UpsertResult{}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, rec := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet {
					writeJSON(w, 200, `{"attributes":{"type":"Account"},"Id":"001000000000003AAA"}`)
					return
				}
				if tt.status == 204 {
					w.WriteHeader(204)
					return
				}
				writeJSON(w, tt.status, tt.body)
			})
			got, err := newTestClient(t, srv.URL).UpsertRecord(context.Background(), "Account", "Ext__c", tt.value, map[string]any{"Name": "Z"})
			if tt.wantErr {
				var mm *MultipleMatchesError
				if !errors.As(err, &mm) || len(mm.IDs) != 2 || mm.IDs[1] != "001000000000002AAA" {
					t.Fatalf("err = %v, want MultipleMatchesError with 2 ids", err)
				}
				if !strings.Contains(err.Error(), "001000000000001AAA, 001000000000002AAA") {
					t.Errorf("Error() = %q", err)
				}
			} else if err != nil || got != tt.want {
				t.Fatalf("UpsertRecord = %+v, %v; want %+v", got, err, tt.want)
			}
			reqs := rec.all()
			if reqs[0].Method != http.MethodPatch || reqs[0].RawPath != tt.wantPath {
				t.Errorf("request %s %s, want PATCH %s", reqs[0].Method, reqs[0].RawPath, tt.wantPath)
			}
			if tt.wantLookup != (len(reqs) == 2) {
				t.Errorf("%d requests; lookup wanted: %v", len(reqs), tt.wantLookup)
			}
		})
	}
}

func TestValidationBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	srv, rec := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	c := newTestClient(t, srv.URL)
	ctx := context.Background()
	const goodID = "001000000000001AAA"
	calls := map[string]func() error{
		"sobject with slash":  func() error { _, err := c.GetRecord(ctx, "Account/../User", goodID, nil); return err },
		"empty sobject":       func() error { _, err := c.CreateRecord(ctx, "", nil); return err },
		"sobject digit first": func() error { return c.DeleteRecord(ctx, "1Account", goodID) },
		"sobject with dot":    func() error { _, err := c.DescribeSObject(ctx, "Account.Name"); return err },
		"sobject encoded":     func() error { return c.UpdateRecord(ctx, "Account%2F", goodID, nil) },
		"id too short":        func() error { _, err := c.GetRecord(ctx, "Account", "001", nil); return err },
		"id bad checksum":     func() error { return c.DeleteRecord(ctx, "Account", "001000000000001AAB") },
		"id with slash":       func() error { return c.UpdateRecord(ctx, "Account", "001000000/../01AAA", nil) },
		"field with comma":    func() error { _, err := c.GetRecord(ctx, "Account", goodID, []string{"Name,Owner.Email"}); return err },
		"ext field traversal": func() error { _, err := c.UpsertRecord(ctx, "Account", "..", "k", nil); return err },
		"ext value empty":     func() error { _, err := c.UpsertRecord(ctx, "Account", "Ext__c", "", nil); return err },
		"empty soql":          func() error { _, err := c.QueryPage(ctx, "  ", false); return err },
		"page size too small": func() error {
			it := c.Query(ctx, "SELECT Id FROM Account", QueryOptions{PageSize: 10})
			it.Next()
			return it.Err()
		},
		"empty sosl":            func() error { _, err := c.Search(ctx, ""); return err },
		"sobject too long name": func() error { _, err := c.DescribeSObject(ctx, strings.Repeat("A", 200)); return err },
	}
	for name, call := range calls {
		var ve *ValidationError
		if err := call(); !errors.As(err, &ve) {
			t.Errorf("%s: err = %v, want a ValidationError", name, err)
		}
	}
	if n := rec.count(""); n != 0 {
		t.Errorf("%d requests sent for invalid input", n)
	}
}
