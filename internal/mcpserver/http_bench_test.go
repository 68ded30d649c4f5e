package mcpserver

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/ops"
)

// BenchmarkHTTPQueryCall is one salesforce_query call through the HTTP
// transport (bearer, validation cached) to an upstream that answers at once:
// sfmcp's own cost per call, for profiling.
//
//	go test -run '^$' -bench BenchmarkHTTPQueryCall -benchmem -cpuprofile cpu.out ./internal/mcpserver/
func BenchmarkHTTPQueryCall(b *testing.B) {
	benchHTTPQueryCall(b, `{"totalSize":2,"done":true,"records":[{"attributes":{"type":"Account"},"Id":"001000000000001AAA","Name":"Acme"},{"attributes":{"type":"Account"},"Id":"001000000000002AAA","Name":"Globex"}]}`, 2)
}

// BenchmarkHTTPQueryCallPage is the same call answered with a page of 200
// records of eight fields, one a parent record: the per-record work
// (the page decoded, attributes stripped, the table, its CSV text, the
// output encoded), which the one-row call hardly shows.
//
//	go test -run '^$' -bench BenchmarkHTTPQueryCallPage -benchmem ./internal/mcpserver/
func BenchmarkHTTPQueryCallPage(b *testing.B) {
	var page strings.Builder
	page.WriteString(`{"totalSize":200,"done":true,"records":[`)
	for i := range 200 {
		if i > 0 {
			page.WriteByte(',')
		}
		fmt.Fprintf(&page, `{"attributes":{"type":"Opportunity","url":"/services/data/v66.0/sobjects/Opportunity/006%015d"},"Id":"006%015d","Name":"Deal %d, phase \"2\"",`+
			`"Amount":%d.5,"StageName":"Closed Won","IsClosed":true,"CloseDate":"2026-11-%02d","Description":null,`+
			`"Account":{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/001%015d"},"Name":"Acme %d"}}`, i, i, i, i*100, i%28+1, i, i)
	}
	page.WriteString(`]}`)
	benchHTTPQueryCall(b, page.String(), 200)
}

// benchHTTPQueryCall serves page as every query's answer (n records) and
// calls salesforce_query through the HTTP handler in parallel.
func benchHTTPQueryCall(b *testing.B, page string, n int) {
	var base string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /services/oauth2/userinfo", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"user_id":"005000000000001AAA","organization_id":"00D000000000001AAA","urls":{"rest":"%s/services/data/v{version}/"}}`, base)
	})
	mux.HandleFunc("GET /services/data/{version}/query", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, page)
	})
	up := httptest.NewServer(mux)
	defer up.Close()
	base = up.URL
	// As serve builds it: the Tasks extension looks at every request first.
	tasks := NewTasks()
	if os.Getenv("SFMCP_BENCH_NO_TASKS") != "" {
		tasks = nil // for the before/after of BENCHMARKS.md
	}
	// And the fast path for read-only calls (SFMCP_BENCH_NO_FAST=1: mcp-go answers).
	fast := NewFastCalls()
	if os.Getenv("SFMCP_BENCH_NO_FAST") != "" {
		fast = nil
	}
	s := NewServer(Options{Version: "bench", Tools: allToolsB(b), Client: ClientFromContext, Tasks: tasks, FastCalls: fast})
	h, err := HTTPHandler(s, "127.0.0.1:0", HTTPOptions{Mode: AuthBearer, LoginURL: up.URL, Instances: InstancePolicy{Allowed: []string{hostOf(up.URL)}}, Tasks: tasks, FastCalls: fast})
	if err != nil {
		b.Fatal(err)
	}
	// As ServeHTTPWith serves it: every body read whole first.
	h = readBodies(DefaultBodyTimeout, h)
	body := toolCall("salesforce_query", map[string]any{"soql": "SELECT Id, Name FROM Account", "max_records": max(10, n)})
	returned := fmt.Sprintf(`"returned":%d`, n)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/mcp", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer 00Dbench!token")
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), returned) {
				b.Fatalf("%d %s", rec.Code, rec.Body)
			}
		}
	})
}

func allToolsB(b *testing.B) []Tool {
	tools, err := Tools(ops.Catalogue())
	if err != nil {
		b.Fatal(err)
	}
	return tools
}
