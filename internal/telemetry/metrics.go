// Package telemetry is what sfmcp tells operators about its work: Prometheus
// metrics, OpenTelemetry traces and the audit log. The MCP server and the
// Salesforce client report to it through one Telemetry value, so tools and
// commands need no code of their own to be observed.
package telemetry

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are sfmcp's Prometheus collectors, in a registry of their own (no
// global registry: two servers in one test process must not collide).
type Metrics struct {
	reg *prometheus.Registry

	toolCalls    *prometheus.CounterVec
	toolDuration *prometheus.HistogramVec
	inFlight     prometheus.Gauge

	sfRequests  *prometheus.CounterVec
	sfDuration  *prometheus.HistogramVec
	sfRetries   *prometheus.CounterVec
	sfRefreshes *prometheus.CounterVec
	validations *prometheus.CounterVec
	apiUsed     *prometheus.GaugeVec
	apiMax      *prometheus.GaugeVec
	rateLimited *prometheus.CounterVec
}

// NewMetrics registers the collectors, with Go runtime and process metrics.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.toolCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sfmcp_tool_calls_total", Help: "MCP tool calls by tool and outcome (ok, or the error code).",
	}, []string{"tool", "outcome"})
	m.toolDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "sfmcp_tool_call_duration_seconds", Help: "Duration of MCP tool calls.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"tool"})
	m.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sfmcp_tool_calls_in_flight", Help: "MCP tool calls running now.",
	})
	m.sfRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sfmcp_salesforce_requests_total",
		Help: "HTTP requests to Salesforce (each attempt) by method, status (0: no answer) and Salesforce errorCode.",
	}, []string{"method", "status", "error_code"})
	m.sfDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "sfmcp_salesforce_request_duration_seconds", Help: "Time to Salesforce's response headers, by method.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"method"})
	m.sfRetries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sfmcp_salesforce_retries_total", Help: "Requests to Salesforce sent again after a transient failure, by method.",
	}, []string{"method"})
	m.sfRefreshes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sfmcp_salesforce_session_refreshes_total", Help: "Renewals of expired Salesforce sessions by outcome (ok, error).",
	}, []string{"outcome"})
	m.validations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sfmcp_token_validations_total", Help: "Bearer token checks by result: cache_hit (this process), shared_hit (the store replicas share), or validated at Salesforce (ok, refused).",
	}, []string{"result"})
	m.apiUsed = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "sfmcp_salesforce_api_usage", Help: "The org's daily API requests used, as last reported in Sforce-Limit-Info.",
	}, []string{"instance"})
	m.apiMax = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "sfmcp_salesforce_api_limit", Help: "The org's daily API request limit, as last reported in Sforce-Limit-Info.",
	}, []string{"instance"})
	m.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sfmcp_rate_limited_total", Help: "HTTP requests refused with 429 by the per-user limits, by limit (rate, concurrency).",
	}, []string{"limit"})
	m.reg.MustRegister(m.toolCalls, m.toolDuration, m.inFlight, m.sfRequests, m.sfDuration, m.sfRetries,
		m.sfRefreshes, m.validations, m.apiUsed, m.apiMax, m.rateLimited,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is where the collectors live (for tests and extra collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

func (m *Metrics) toolCall(tool, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.toolCalls.WithLabelValues(tool, outcome).Inc()
	m.toolDuration.WithLabelValues(tool).Observe(d.Seconds())
}

func (m *Metrics) inFlightAdd(n float64) {
	if m != nil {
		m.inFlight.Add(n)
	}
}

func (m *Metrics) request(method string, attempt int, status int, code string, d time.Duration) {
	if m == nil {
		return
	}
	m.sfRequests.WithLabelValues(method, strconv.Itoa(status), code).Inc()
	m.sfDuration.WithLabelValues(method).Observe(d.Seconds())
	if attempt > 1 {
		m.sfRetries.WithLabelValues(method).Inc()
	}
}

func (m *Metrics) refresh(ok bool) {
	if m == nil {
		return
	}
	m.sfRefreshes.WithLabelValues(outcomeOf(ok)).Inc()
}

func (m *Metrics) usage(instance string, used, max int) {
	if m == nil {
		return
	}
	m.apiUsed.WithLabelValues(instance).Set(float64(used))
	m.apiMax.WithLabelValues(instance).Set(float64(max))
}

// TokenValidation counts one bearer-token check: result is "cache_hit",
// "ok" (validated at Salesforce) or "refused".
func (m *Metrics) TokenValidation(result string) {
	if m != nil {
		m.validations.WithLabelValues(result).Inc()
	}
}

// RateLimited counts one request refused by a per-user limit ("rate" or "concurrency").
func (m *Metrics) RateLimited(limit string) {
	if m != nil {
		m.rateLimited.WithLabelValues(limit).Inc()
	}
}

func outcomeOf(ok bool) string {
	if ok {
		return "ok"
	}
	return "error"
}
