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

const (
	page2URL = "/services/data/v62.0/query/01gXX0000000001AAA-2"
	page3URL = "/services/data/v62.0/query/01gXX0000000001AAA-4"
)

// threePageOrg serves a 5-row query as pages of 2, 2 and 1 rows.
func threePageOrg(t *testing.T) (*Client, *recorder) {
	srv, rec := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/services/data/v62.0/query", "/services/data/v62.0/queryAll":
			writeJSON(w, 200, pageBody(5, 0, 2, page2URL))
		case page2URL:
			writeJSON(w, 200, pageBody(5, 2, 2, page3URL))
		case page3URL:
			writeJSON(w, 200, pageBody(5, 4, 1, ""))
		default:
			writeSFError(w, 404, "NOT_FOUND", "The requested resource does not exist")
		}
	})
	return newTestClient(t, srv.URL), rec
}

func TestQueryIteratorFetchesPagesLazily(t *testing.T) {
	t.Parallel()
	c, rec := threePageOrg(t)
	it := c.Query(context.Background(), "SELECT Name, Id FROM Account", QueryOptions{})
	if n := rec.count(""); n != 0 {
		t.Fatalf("Query sent %d requests before Next", n)
	}

	var names []string
	wantRequests := []int{1, 1, 2, 2, 3} // requests made once row i has been read
	wantNext := []string{page2URL, page2URL, page3URL, page3URL, ""}
	for i := 0; it.Next(); i++ {
		var rec2 struct{ Name string }
		if err := json.Unmarshal(it.Record(), &rec2); err != nil {
			t.Fatal(err)
		}
		names = append(names, rec2.Name)
		if got := rec.count(""); got != wantRequests[i] {
			t.Errorf("after row %d: %d requests, want %d", i, got, wantRequests[i])
		}
		if got := it.NextRecordsURL(); got != wantNext[i] {
			t.Errorf("after row %d: NextRecordsURL %q, want %q", i, got, wantNext[i])
		}
		if it.TotalSize() != 5 {
			t.Errorf("TotalSize = %d, want 5", it.TotalSize())
		}
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names, ","); got != "Account 0,Account 1,Account 2,Account 3,Account 4" {
		t.Errorf("rows = %s", got)
	}
	if it.Next() || it.Record() != nil {
		t.Error("Next after the end should stay false with no record")
	}
	if n := rec.count(""); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestQueryIteratorKeepsRawFieldOrder(t *testing.T) {
	t.Parallel()
	body := readTestdata(t, "query_accounts.json")
	srv, _ := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, body) })
	it := newTestClient(t, srv.URL).Query(context.Background(), "SELECT Id, Name FROM Account", QueryOptions{})
	if !it.Next() {
		t.Fatal(it.Err())
	}
	rec := string(it.Record())
	// The recorded page puts attributes, then Id, then Name: so must we.
	a, i, n := strings.Index(rec, `"attributes"`), strings.Index(rec, `"Id"`), strings.Index(rec, `"Name"`)
	if !(a >= 0 && a < i && i < n) {
		t.Errorf("field order lost: %s", rec)
	}
	count := 1
	for it.Next() {
		count++
	}
	if count != 6 || it.TotalSize() != 6 {
		t.Errorf("read %d rows, TotalSize %d; want 6", count, it.TotalSize())
	}
}

func TestQueryStopEarlyHandsOutCursor(t *testing.T) {
	t.Parallel()
	c, rec := threePageOrg(t)
	ctx := context.Background()
	it := c.Query(ctx, "SELECT Name FROM Account", QueryOptions{})
	for i := 0; i < 2 && it.Next(); i++ {
	}
	cursor := it.NextRecordsURL()
	if cursor != page2URL || rec.count("") != 1 {
		t.Fatalf("cursor %q after %d requests", cursor, rec.count(""))
	}
	page, err := c.QueryMore(ctx, cursor)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Records) != 2 || page.Done || page.NextRecordsURL != page3URL {
		t.Errorf("page 2 = %+v", page)
	}
	last, err := c.QueryMore(ctx, c.InstanceURL()+page3URL) // a full URL on the same instance is fine
	if err != nil {
		t.Fatal(err)
	}
	if !last.Done || last.NextRecordsURL != "" || len(last.Records) != 1 {
		t.Errorf("page 3 = %+v", last)
	}
}

func TestQueryPathsAndOptions(t *testing.T) {
	t.Parallel()
	const soql = "SELECT Id FROM Lead WHERE Email = 'a+b@example.com' AND Name LIKE '50%'"
	tests := []struct {
		name       string
		run        func(*Client) error
		wantPath   string
		wantHeader string
	}{
		{"query", func(c *Client) error { _, err := c.QueryPage(context.Background(), soql, false); return err }, "/services/data/v62.0/query", ""},
		{"queryAll", func(c *Client) error { _, err := c.QueryPage(context.Background(), soql, true); return err }, "/services/data/v62.0/queryAll", ""},
		{"iterator all with page size", func(c *Client) error {
			it := c.Query(context.Background(), soql, QueryOptions{All: true, PageSize: 500})
			for it.Next() {
			}
			return it.Err()
		}, "/services/data/v62.0/queryAll", "batchSize=500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, rec := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, pageBody(1, 0, 1, "")) })
			if err := tt.run(newTestClient(t, srv.URL)); err != nil {
				t.Fatal(err)
			}
			got := rec.all()[0]
			if got.Path != tt.wantPath {
				t.Errorf("path %s, want %s", got.Path, tt.wantPath)
			}
			q, _ := url.ParseQuery(got.RawQuery)
			if q.Get("q") != soql {
				t.Errorf("q = %q", q.Get("q"))
			}
			if h := got.Header.Get("Sforce-Query-Options"); h != tt.wantHeader {
				t.Errorf("Sforce-Query-Options = %q, want %q", h, tt.wantHeader)
			}
		})
	}
}

func TestQueryCountOnly(t *testing.T) {
	t.Parallel()
	srv, _ := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"totalSize":42,"done":true,"records":[]}`)
	})
	it := newTestClient(t, srv.URL).Query(context.Background(), "SELECT COUNT() FROM Account", QueryOptions{})
	if it.Next() {
		t.Fatal("COUNT() has no rows")
	}
	if it.Err() != nil || it.TotalSize() != 42 {
		t.Errorf("err %v, TotalSize %d", it.Err(), it.TotalSize())
	}
}

func TestQueryErrorStopsIterator(t *testing.T) {
	t.Parallel()
	srv, _ := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
		writeSFError(w, 400, "INVALID_FIELD", "\nSELECT foo__c FROM Lead\n       ^\nERROR at Row:1:Column:8\nNo such column 'foo__c' on entity 'Lead'.")
	})
	it := newTestClient(t, srv.URL).Query(context.Background(), "SELECT foo__c FROM Lead", QueryOptions{})
	if it.Next() {
		t.Fatal("Next should fail")
	}
	var apiErr *APIError
	if !errors.As(it.Err(), &apiErr) || apiErr.ErrorCode != "INVALID_FIELD" || apiErr.StatusCode != 400 {
		t.Fatalf("err = %v", it.Err())
	}
	if !strings.HasPrefix(it.Err().Error(), "query: INVALID_FIELD: SELECT foo__c FROM Lead") {
		t.Errorf("Error() = %q", it.Err())
	}
}

func TestQueryMoreRefusesForeignLocators(t *testing.T) {
	t.Parallel()
	srv, rec := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, pageBody(1, 0, 1, "")) })
	c := newTestClient(t, srv.URL)
	u, _ := url.Parse(srv.URL)
	bad := []string{
		"",
		"https://evil.example.com/services/data/v62.0/query/01gXX0000000001AAA-2000",
		"http://evil.example.com" + page2URL,
		"https://" + u.Host + page2URL,                // same host, other scheme
		"http://127.0.0.2:" + u.Port() + page2URL,     // other host
		"http://user@" + u.Host + page2URL,            // credentials
		srv.URL + page2URL + "?x=1",                   // query string
		"//evil.example.com" + page2URL,               // scheme-relative
		"evil.example.com" + page2URL,                 // no leading slash
		"/services/data/v62.0/sobjects/Account",       // not a locator
		"/services/data/v62.0/query/../sobjects/User", // traversal
		"/services/data/v62.0/query/%2e%2e/x-1",
		"/services/data/v62.0/query/01gXX0000000001AAA-2000/extra",
		"/services/data/v62.0/query/01gXX0000000001AAA-2000?q=1",
		"/services/data/v62.0/query/01gXX0000000001AAA-2000#f",
		"/services/data/v62.0/query?q=SELECT+Id+FROM+User",
		"/services/data/v62.0/query/01gXX0000000001AAA",
		"/services/Soap/u/62.0",
		"javascript:alert(1)",
		" /services/data/v62.0/query/01gXX0000000001AAA-2000\n/x",
	}
	for _, s := range bad {
		_, err := c.QueryMore(context.Background(), s)
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("QueryMore(%q) = %v, want a ValidationError", s, err)
		}
	}
	if n := rec.count(""); n != 0 {
		t.Errorf("%d requests were sent for refused locators", n)
	}
	for _, s := range []string{page2URL, "/services/data/v58.0/queryAll/01gXX0000000001AAA-2000", srv.URL + page2URL} {
		if _, err := c.QueryMore(context.Background(), s); err != nil {
			t.Errorf("QueryMore(%q) = %v", s, err)
		}
	}
}

func TestSearch(t *testing.T) {
	t.Parallel()
	srv, rec := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"searchRecords":[{"attributes":{"type":"Lead","url":"/services/data/v62.0/sobjects/Lead/00Q000000000001AAA"},"Id":"00Q000000000001AAA","Name":"Ada"}]}`)
	})
	rows, err := newTestClient(t, srv.URL).Search(context.Background(), "FIND {Ada} RETURNING Lead(Id, Name)")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || !strings.Contains(string(rows[0]), `"Name":"Ada"`) {
		t.Errorf("rows = %s", rows)
	}
	got := rec.all()[0]
	if q, _ := url.ParseQuery(got.RawQuery); got.Path != "/services/data/v62.0/search" || q.Get("q") != "FIND {Ada} RETURNING Lead(Id, Name)" {
		t.Errorf("request %s ?%s", got.Path, got.RawQuery)
	}
}
