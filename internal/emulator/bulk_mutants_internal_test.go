package emulator

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/sfmcp/sfmcp/internal/sfid"
)

// TestBulkResultsSkipUncountedUpload: the results of an Open job read the
// header of its upload only once an upload has been counted. An upload
// stores its pieces before it counts their bytes (and deletes them again
// when it is refused for the limit), so a piece stored but not counted is
// data the job may never hold. The jobs are placed in the store by hand in
// that state, so no upload races the test.
func TestBulkResultsSkipUncountedUpload(t *testing.T) {
	ctx := context.Background()
	e, err := New(ctx, Options{NoSampleData: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	tok, err := e.IssueToken(ctx, "bulk-test")
	if err != nil {
		t.Fatal(err)
	}
	const data = "Name\nWaiting Row\n"
	for n, tc := range []struct {
		name             string
		uploadBytes      int64
		unprocessed, suc string
	}{
		{"piece stored, not counted", 0, "", "\"sf__Id\",\"sf__Created\"\n"},
		{"upload counted", int64(len(data)), "Name\n\"Waiting Row\"\n", "\"sf__Id\",\"sf__Created\",Name\n"},
	} {
		id, err := sfid.New("750", pod, uint64(999990+n))
		if err != nil {
			t.Fatal(err)
		}
		j := &bulkJob{ID: id, Kind: kindIngest, Operation: "insert", Object: "Account", State: stateOpen,
			CreatedByID: e.org.AdminUserID(), APIVersion: "62.0", LineEnding: "LF", ColumnDelimiter: "COMMA",
			UploadBytes: tc.uploadBytes}
		if tc.uploadBytes > 0 {
			j.Uploads = 1
		}
		doc, _ := json.Marshal(j)
		if err := e.org.store.PutJob(ctx, id, kindIngest, string(doc)); err != nil {
			t.Fatal(err)
		}
		if err := e.org.store.AppendBlob(ctx, id, streamUpload, 1, 0, []byte(data)); err != nil {
			t.Fatal(err)
		}
		for _, want := range []struct{ which, body string }{
			{"unprocessedrecords", tc.unprocessed},
			{"successfulResults", tc.suc},
		} {
			r := httptest.NewRequest("GET", "/services/data/v62.0/jobs/ingest/"+id+"/"+want.which, nil)
			r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			w := httptest.NewRecorder()
			e.Handler().ServeHTTP(w, r)
			if w.Code != 200 || w.Body.String() != want.body {
				t.Errorf("%s: %s: %d %q, want %q", tc.name, want.which, w.Code, w.Body.String(), want.body)
			}
		}
	}
}
