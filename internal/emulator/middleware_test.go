package emulator

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPanicBecomes500 checks that a panicking handler answers with
// Salesforce's UNKNOWN_EXCEPTION body instead of dropping the connection,
// and that the server keeps serving afterwards.
func TestPanicBecomes500(t *testing.T) {
	e, err := New(context.Background(), Options{NoSampleData: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	calls := 0
	ts := httptest.NewServer(e.recoverPanics(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if r.URL.Path == "/boom" {
			var m map[string]int
			m["x"]++ // a nil map write: a real runtime panic
		}
		w.WriteHeader(204)
	})))
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/boom")
	if err != nil {
		t.Fatalf("panic dropped the connection: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var errs []map[string]any
	if err := json.Unmarshal(body, &errs); err != nil || len(errs) != 1 || errs[0]["errorCode"] != "UNKNOWN_EXCEPTION" {
		t.Fatalf("body %s", body)
	}
	if _, has := errs[0]["fields"]; has {
		t.Errorf("UNKNOWN_EXCEPTION carries fields: %s", body)
	}
	resp, err = http.Get(ts.URL + "/fine")
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("after a panic: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "/",
		"/":                       "/",
		"//":                      "/",
		"//services/data":         "/services/data",
		"//services/data/v62.0/":  "/services/data/v62.0/",
		"/services///data/./x/..": "/services/data",
		"/services/data/v62.0":    "/services/data/v62.0",
		"/a/.hidden":              "/a/.hidden",
	} {
		if got := cleanPath(in); got != want {
			t.Errorf("cleanPath(%q) = %q, want %q", in, got, want)
		}
	}
}
