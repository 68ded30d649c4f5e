package emulator

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/sfid"
)

// TestBulkResultsBeforeCompletion asks for the results of a query job that
// is still running (a job placed in the store by hand, so no runner races
// the test).
func TestBulkResultsBeforeCompletion(t *testing.T) {
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
	id, err := sfid.New("750", pod, 999999)
	if err != nil {
		t.Fatal(err)
	}
	j := &bulkJob{ID: id, Kind: kindQuery, Operation: "query", Object: "Account", State: stateInProgress,
		APIVersion: "62.0", LineEnding: "LF", ColumnDelimiter: "COMMA", Query: "SELECT Id FROM Account", Columns: []string{"Id"}}
	doc, _ := json.Marshal(j)
	if err := e.org.store.PutJob(ctx, j.ID, j.Kind, string(doc)); err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		w := httptest.NewRecorder()
		e.Handler().ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	code, body := get("/services/data/v62.0/jobs/query/" + j.ID + "/results")
	if code != 400 || !strings.Contains(body, `"errorCode":"INVALIDJOBSTATE"`) {
		t.Fatalf("results of a running query job: %d %s", code, body)
	}
	code, body = get("/services/data/v62.0/jobs/query/" + j.ID)
	if code != 200 || !strings.Contains(body, `"state":"InProgress"`) || !strings.Contains(body, `"numberRecordsProcessed":0`) {
		t.Fatalf("job info: %d %s", code, body)
	}
}
