package salesforce

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestQueryJobResultsRequestAndPage: a results page is asked for with the
// locator and maxRecords only when given (Salesforce refuses maxRecords=0
// and an empty locator names no page), and the page reports the rows and
// the next locator from the headers, "null" being the last page and a
// missing count being unknown (-1).
func TestQueryJobResultsRequestAndPage(t *testing.T) {
	t.Parallel()
	const job = "750000000000001AAA"
	tests := []struct {
		name        string
		locator     string
		maxRecords  int
		header      map[string]string
		wantQuery   string
		wantRecords int
		wantLocator string
	}{
		{name: "first page, whole", wantQuery: "", header: map[string]string{"Sforce-NumberOfRecords": "3", "Sforce-Locator": "null"}, wantRecords: 3},
		{name: "next page, capped", locator: "MTAwMDA=", maxRecords: 5, wantQuery: "locator=MTAwMDA%3D&maxRecords=5",
			header: map[string]string{"Sforce-NumberOfRecords": "5", "Sforce-Locator": "MTAwMDU="}, wantRecords: 5, wantLocator: "MTAwMDU="},
		{name: "only a cap", maxRecords: 1, wantQuery: "maxRecords=1", header: map[string]string{"Sforce-Locator": "Mg=="}, wantRecords: -1, wantLocator: "Mg=="},
		{name: "only a locator, no headers", locator: "Mg==", wantQuery: "locator=Mg%3D%3D", wantRecords: -1},
		{name: "a count that is not a number", header: map[string]string{"Sforce-NumberOfRecords": "many"}, wantRecords: -1},
		{name: "an empty page", header: map[string]string{"Sforce-NumberOfRecords": "0", "Sforce-Locator": ""}, wantRecords: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			org, rec := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", "text/csv")
				_, _ = io.WriteString(w, "\"Id\"\n")
			})
			c := newTestClient(t, org.URL)
			page, err := c.QueryJobResults(context.Background(), job, tc.locator, tc.maxRecords)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(page.Body)
			page.Body.Close()
			reqs := rec.all()
			if len(reqs) != 1 || !strings.HasSuffix(reqs[0].Path, "/jobs/query/"+job+"/results") || reqs[0].RawQuery != tc.wantQuery {
				t.Fatalf("requests %+v, want the results of %s with query %q", reqs, job, tc.wantQuery)
			}
			if page.Records != tc.wantRecords || page.Locator != tc.wantLocator || string(body) != "\"Id\"\n" {
				t.Errorf("page: %d records, locator %q, body %q; want %d, %q", page.Records, page.Locator, body, tc.wantRecords, tc.wantLocator)
			}
		})
	}
}

// TestUploadStatus: a job data upload succeeds on any 2xx (Salesforce
// answers 201; 200 and 204 are as good) and fails on anything else,
// including a 3xx that carries no Location (which the redirect guard
// never sees).
func TestUploadStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		ok     bool
	}{
		{200, true}, {201, true}, {204, true}, {299, true}, {300, false}, {304, false}, {400, false},
	}
	for _, tc := range tests {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			t.Parallel()
			org, _ := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				if tc.status >= 400 {
					writeSFError(w, tc.status, "INVALIDJOB", "bad job")
					return
				}
				w.WriteHeader(tc.status)
			})
			c := newTestClient(t, org.URL)
			err := c.UploadJobData(context.Background(), "750000000000001AAA", strings.NewReader("Name\nA\n"))
			if tc.ok && err != nil {
				t.Errorf("status %d: %v", tc.status, err)
			}
			var apiErr *APIError
			if !tc.ok && (err == nil || !errors.As(err, &apiErr)) {
				t.Errorf("status %d: got %v, want an API error", tc.status, err)
			}
		})
	}
}
