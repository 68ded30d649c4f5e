package telemetry_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/salesforce"
	"github.com/sfmcp/sfmcp/internal/telemetry"
)

// otlpReceiver is an OTLP/HTTP trace receiver on loopback: it decodes each
// protobuf export request and keeps the spans.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []*tracepb.Span
}

func (rcv *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want POST /v1/traces application/x-protobuf", http.StatusBadRequest)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rcv.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			rcv.spans = append(rcv.spans, ss.Spans...)
		}
	}
	rcv.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// TestTracesReachAnOTLPReceiver: with OTEL_EXPORTER_OTLP_ENDPOINT set, a
// tool call is a span and each Salesforce request a child span of it, with
// method and status, exported over OTLP/HTTP.
func TestTracesReachAnOTLPReceiver(t *testing.T) {
	rcv := &otlpReceiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_SERVICE_NAME", "sfmcp-test")

	ctx := context.Background()
	tp, err := telemetry.NewTracerProvider(ctx, "test")
	if err != nil || tp == nil {
		t.Fatalf("NewTracerProvider: %v, %v", tp, err)
	}
	tel := &telemetry.Telemetry{Tracer: telemetry.Tracer(tp)}

	em := emulatortest.New(t)
	c, err := salesforce.New(salesforce.Config{HTTPClient: salesforce.NewHTTPClient(),
		Tokens:   salesforce.NewTokenSource(salesforce.TokenSourceConfig{Token: salesforce.Token{AccessToken: em.Token.AccessToken, InstanceURL: em.URL}}),
		Observer: tel.Observer()})
	if err != nil {
		t.Fatal(err)
	}
	cctx, call := tel.StartCall(ctx, "salesforce_query", "", "cid-1", nil)
	if _, err := c.QueryPage(cctx, "SELECT Id FROM Account LIMIT 1", false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.QueryPage(cctx, "SELECT Nope FROM Account", false); err == nil {
		t.Fatal("bad query succeeded")
	}
	call.End(cctx, "INVALID_FIELD")
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	var tool *tracepb.Span
	var reqs []*tracepb.Span
	for _, s := range rcv.spans {
		switch s.Name {
		case "tools/call salesforce_query":
			tool = s
		case "salesforce GET":
			reqs = append(reqs, s)
		}
	}
	if tool == nil || len(reqs) != 2 {
		t.Fatalf("spans: %v", rcv.spans)
	}
	if tool.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR {
		t.Errorf("tool span status = %v", tool.Status)
	}
	for _, r := range reqs {
		if !bytes.Equal(r.TraceId, tool.TraceId) || !bytes.Equal(r.ParentSpanId, tool.SpanId) {
			t.Errorf("request span %x is not a child of the tool call %x", r.ParentSpanId, tool.SpanId)
		}
	}
	status := func(s *tracepb.Span) int64 {
		for _, a := range s.Attributes {
			if a.Key == "http.response.status_code" {
				return a.Value.GetIntValue()
			}
		}
		return 0
	}
	if status(reqs[0]) != 200 || status(reqs[1]) != 400 {
		t.Errorf("statuses %d, %d", status(reqs[0]), status(reqs[1]))
	}
}

func TestTracingOffUnlessConfigured(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tt := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, true},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_SDK_DISABLED": "true"}, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_TRACES_EXPORTER": "none"}, false},
	} {
		if got := telemetry.TracingEnabled(env(tt.env)); got != tt.want {
			t.Errorf("TracingEnabled(%v) = %v", tt.env, got)
		}
	}
}
