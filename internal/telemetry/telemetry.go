package telemetry

import (
	"context"
	"log/slog"
	"sort"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Telemetry is where calls and Salesforce requests are reported. Any field
// may be nil, and so may a *Telemetry: each part is off until configured.
// It is the salesforce.Observer of every client the process builds.
type Telemetry struct {
	Metrics *Metrics
	Tracer  trace.Tracer
	Audit   *AuditLog
	// Logger receives audit-log write failures.
	Logger *slog.Logger
}

var _ salesforce.Observer = (*Telemetry)(nil)

// Observer returns t as a salesforce.Observer, or nil when t observes
// nothing, so that clients skip the work entirely.
func (t *Telemetry) Observer() salesforce.Observer {
	if t == nil || (t.Metrics == nil && t.Tracer == nil && t.Audit == nil) {
		return nil
	}
	return t
}

// Identity is who a call runs as, when known.
type Identity struct{ OrgID, UserID string }

// IdentityKey is the context key IdentityFrom looks up. A context type of
// its own may answer it with an Identity, as the HTTP server's request
// context does rather than add a layer per call.
type IdentityKey struct{}

// WithIdentity records who the request comes from, for the audit log.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, IdentityKey{}, id)
}

// IdentityFrom returns the identity WithIdentity recorded.
func IdentityFrom(ctx context.Context) Identity {
	id, _ := ctx.Value(IdentityKey{}).(Identity)
	return id
}

// call counts the Salesforce requests one tool call or command makes.
type call struct{ requests atomic.Int32 }

type callKey struct{}

// Call is one audited unit of work: a tool call or a CLI command.
type Call struct {
	t     *Telemetry
	c     *call
	span  trace.Span
	start time.Time
	rec   AuditRecord
}

// StartCall begins a tool call (tool set) or a CLI write (command set).
// The returned context carries the call's span and request counter; End
// must be called once.
func (t *Telemetry) StartCall(ctx context.Context, tool, command, correlationID string, args []ArgumentSize) (context.Context, *Call) {
	c := &Call{t: t, c: &call{}, start: time.Now(), rec: AuditRecord{CorrelationID: correlationID, Tool: tool, Command: command, Arguments: args}}
	if t == nil {
		return ctx, c
	}
	ctx = context.WithValue(ctx, callKey{}, c.c)
	if t.Tracer != nil {
		name := tool
		if name == "" {
			name = command
		}
		attrs := []attribute.KeyValue{attribute.String("sfmcp.correlation_id", correlationID)}
		if tool != "" {
			attrs = append(attrs, attribute.String("mcp.method.name", "tools/call"), attribute.String("gen_ai.tool.name", tool))
		}
		ctx, c.span = t.Tracer.Start(ctx, "tools/call "+name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
	}
	t.Metrics.inFlightAdd(1)
	return ctx, c
}

// End finishes the call: errorCode "" means it succeeded.
func (c *Call) End(ctx context.Context, errorCode string) {
	t := c.t
	if t == nil {
		return
	}
	d := time.Since(c.start)
	outcome := "ok"
	if errorCode != "" {
		outcome = errorCode
	}
	t.Metrics.inFlightAdd(-1)
	if c.rec.Tool != "" {
		t.Metrics.toolCall(c.rec.Tool, outcome, d)
	}
	if c.span != nil {
		if errorCode != "" {
			c.span.SetStatus(codes.Error, errorCode)
			c.span.SetAttributes(attribute.String("error.type", errorCode))
		}
		c.span.SetAttributes(attribute.Int("sfmcp.salesforce_requests", int(c.c.requests.Load())))
		c.span.End()
	}
	if t.Audit != nil {
		id := IdentityFrom(ctx)
		rec := c.rec
		rec.Time, rec.OrgID, rec.UserID = c.start.UTC(), id.OrgID, id.UserID
		rec.Outcome, rec.ErrorCode = "ok", errorCode
		if errorCode != "" {
			rec.Outcome = "error"
		}
		rec.DurationMS = float64(d.Microseconds()) / 1000
		rec.SalesforceRequests = int(c.c.requests.Load())
		if err := t.Audit.Write(rec); err != nil && t.Logger != nil {
			t.Logger.Error("cannot write the audit log", "error", err)
		}
	}
}

// ArgumentSizes lists the arguments of a JSON object by name with their
// sizes, sorted by name.
func ArgumentSizes[V interface{ ~[]byte | ~string }](args map[string]V) []ArgumentSize {
	out := make([]ArgumentSize, 0, len(args))
	for k, v := range args {
		out = append(out, ArgumentSize{Name: k, Bytes: len(v)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// RequestStarted implements salesforce.Observer.
func (t *Telemetry) RequestStarted(ctx context.Context, info salesforce.RequestInfo) (context.Context, func(salesforce.RequestResult)) {
	if c, ok := ctx.Value(callKey{}).(*call); ok {
		c.requests.Add(1)
	}
	var span trace.Span
	if t.Tracer != nil {
		ctx, span = t.Tracer.Start(ctx, "salesforce "+info.Method, trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(
				attribute.String("http.request.method", info.Method),
				attribute.String("server.address", info.Instance),
				attribute.String("url.path", info.Path),
				attribute.Int("http.request.resend_count", info.Attempt-1),
			))
	}
	return ctx, func(r salesforce.RequestResult) {
		t.Metrics.request(info.Method, info.Attempt, r.Status, r.ErrorCode, r.Duration)
		if span == nil {
			return
		}
		if r.Status != 0 {
			span.SetAttributes(attribute.Int("http.response.status_code", r.Status))
		}
		if r.ErrorCode != "" {
			span.SetAttributes(attribute.String("salesforce.error_code", r.ErrorCode))
		}
		switch {
		case r.Err != nil:
			span.SetStatus(codes.Error, "no answer from Salesforce")
		case r.Status >= 400:
			span.SetStatus(codes.Error, r.ErrorCode)
		}
		span.End()
	}
}

// Refreshed implements salesforce.Observer.
func (t *Telemetry) Refreshed(_ context.Context, err error) { t.Metrics.refresh(err == nil) }

// APIUsage implements salesforce.Observer.
func (t *Telemetry) APIUsage(instance string, used, max int) { t.Metrics.usage(instance, used, max) }
