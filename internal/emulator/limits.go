package emulator

import (
	"context"
	"net/http"
	"strings"
)

// dailyAPILimit is the DailyApiRequests maximum of a Developer Edition org,
// the default of Options.APILimit.
const dailyAPILimit = 15000

// apiLimit is the org's DailyApiRequests maximum.
func (o *Org) apiLimit() int { return o.opts.APILimit }

// overAPILimit is Salesforce's answer to a request past the daily limit.
func overAPILimit() *apiError {
	return errf(http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED", nil, "TotalRequests Limit exceeded.")
}

// countAPICall counts one API request against the daily limit.
func (o *Org) countAPICall() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.apiUsed++
	return o.apiUsed
}

func (o *Org) apiUsage() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.apiUsed
}

func limit(max, remaining int) map[string]int {
	return map[string]int{"Max": max, "Remaining": remaining}
}

func (e *Emulator) handleLimits(q *apiRequest) {
	if q.r.Method != http.MethodGet {
		writeError(q.w, methodNotAllowed(q.r.Method))
		return
	}
	if len(q.parts) > 1 && q.parts[1] == "recordCount" {
		e.recordCount(q)
		return
	}
	used := e.org.apiUsage()
	writeJSON(q.w, 200, map[string]any{
		"ActiveScratchOrgs":                   limit(3, 3),
		"AnalyticsExternalDataSizeMB":         limit(40960, 40960),
		"ConcurrentAsyncGetReportInstances":   limit(200, 200),
		"ConcurrentSyncReportRuns":            limit(20, 20),
		"DailyAnalyticsDataflowJobExecutions": limit(60, 60),
		"DailyApiRequests":                    limit(e.org.apiLimit(), max(0, e.org.apiLimit()-used)),
		"DailyAsyncApexExecutions":            limit(250000, 250000),
		"DailyBulkApiBatches":                 limit(15000, 15000),
		"DailyBulkV2QueryFileStorageMB":       limit(976562, 976562),
		"DailyBulkV2QueryJobs":                limit(10000, 10000),
		"DailyDurableStreamingApiEvents":      limit(10000, 10000),
		"DailyGenericStreamingApiEvents":      limit(10000, 10000),
		"DailyStandardVolumePlatformEvents":   limit(10000, 10000),
		"DailyStreamingApiEvents":             limit(10000, 10000),
		"DailyWorkflowEmails":                 limit(405, 405),
		"DataStorageMB":                       limit(5, 5),
		"FileStorageMB":                       limit(20, 20),
		"HourlyAsyncReportRuns":               limit(1200, 1200),
		"HourlyDashboardRefreshes":            limit(200, 200),
		"HourlyODataCallout":                  limit(10000, 10000),
		"HourlySyncReportRuns":                limit(500, 500),
		"MassEmail":                           limit(10, 10),
		"PermissionSets":                      limit(1500, 1500),
		"SingleEmail":                         limit(15, 15),
		"StreamingApiConcurrentClients":       limit(20, 20),
	})
}

// recordCount serves /limits/recordCount?sObjects=A,B.
func (e *Emulator) recordCount(q *apiRequest) {
	ctx := context.WithoutCancel(q.r.Context())
	var names []string
	if s := q.r.URL.Query().Get("sObjects"); s != "" {
		names = strings.Split(s, ",")
	} else {
		for _, o := range e.org.schema.Objects() {
			names = append(names, o.Name)
		}
	}
	out := []map[string]any{}
	for _, n := range names {
		obj := e.org.schema.Object(strings.TrimSpace(n))
		if obj == nil {
			continue
		}
		c, err := e.org.store.Count(ctx, obj.Name)
		if err != nil {
			writeError(q.w, internalError(err))
			return
		}
		if c > 0 || q.r.URL.Query().Get("sObjects") != "" {
			out = append(out, map[string]any{"count": c, "name": obj.Name})
		}
	}
	writeJSON(q.w, 200, map[string]any{"sObjects": out})
}
