package emulator

import (
	"bytes"
	"encoding/json"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault is an injected failure: the next Times matching API requests (all of
// them when Times is 0) wait Latency and, when Status is set, answer with
// that status and Salesforce's error body instead of being served.
type Fault struct {
	// PathPrefix limits the fault to paths starting with it ("" = every
	// /services/data and SOAP request).
	PathPrefix string `json:"path_prefix,omitempty"`
	// Method limits the fault to one HTTP method.
	Method string `json:"method,omitempty"`
	// Status is the HTTP status to answer with (0: serve normally after Latency).
	Status int `json:"status,omitempty"`
	// ErrorCode and Message fill the error body; sensible ones are chosen from
	// Status when empty (429/403 REQUEST_LIMIT_EXCEEDED, 503 SERVER_UNAVAILABLE, ...).
	ErrorCode string `json:"error_code,omitempty"`
	Message   string `json:"message,omitempty"`
	// RetryAfter sets the Retry-After header, in seconds.
	RetryAfter int `json:"retry_after,omitempty"`
	// LatencyMS delays the response.
	LatencyMS int `json:"latency_ms,omitempty"`
	// Times is how many requests the fault applies to; 0 means until cleared.
	Times int `json:"times,omitempty"`
	// Drop closes the connection without answering.
	Drop bool `json:"drop,omitempty"`
	// PathSuffix limits the fault to paths ending with it (a Bulk job's
	// "/failedResults", whatever the job id).
	PathSuffix string `json:"path_suffix,omitempty"`
	// Truncate serves the request normally but cuts its body after the
	// header line and KeepLines more lines: a result set that lost rows on
	// the way (a CSV value holding a newline counts as two lines).
	Truncate  bool `json:"truncate,omitempty"`
	KeepLines int  `json:"keep_lines,omitempty"`
	// FailJobAfterRows, when set, is not about a request: the next Times
	// Bulk ingest jobs (every one when Times is 0) end Failed, with Message
	// (or a sensible one), once they have processed at least this many rows
	// (rounded up to the engine's chunk); the rest of each is unprocessed.
	FailJobAfterRows int `json:"fail_job_after_rows,omitempty"`

	hits int
}

// FaultsServed counts what injected faults did, for tests to check that a
// fault really happened: "429" (and each status) per error answer, "drop",
// "latency", "truncate" and "job-failed".
type FaultsServed map[string]int

// FaultsServed returns how many times injected faults acted, by kind.
func (o *Org) FaultsServed() FaultsServed {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := FaultsServed{}
	for k, v := range o.served {
		out[k] = v
	}
	return out
}

// countServed records that a fault of kind acted.
func (o *Org) countServed(kind string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.served == nil {
		o.served = FaultsServed{}
	}
	o.served[kind]++
}

// AddFault injects a fault.
func (o *Org) AddFault(f Fault) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fc := f
	o.faults = append(o.faults, &fc)
}

// ClearFaults removes every injected fault.
func (o *Org) ClearFaults() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.faults = nil
}

// takeFault returns the first fault matching r and counts the hit.
func (o *Org) takeFault(r *http.Request) *Fault {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, f := range o.faults {
		if f.FailJobAfterRows > 0 {
			continue
		}
		if f.PathPrefix != "" && !strings.HasPrefix(r.URL.Path, f.PathPrefix) {
			continue
		}
		if f.PathSuffix != "" && !strings.HasSuffix(strings.TrimSuffix(r.URL.Path, "/"), f.PathSuffix) {
			continue
		}
		if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
			continue
		}
		f.hits++
		if f.Times > 0 && f.hits >= f.Times {
			o.faults = append(o.faults[:i:i], o.faults[i+1:]...)
		}
		cp := *f
		return &cp
	}
	return nil
}

// takeJobFault returns the first job-processing fault and counts its use.
func (o *Org) takeJobFault() *Fault {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, f := range o.faults {
		if f.FailJobAfterRows <= 0 {
			continue
		}
		f.hits++
		if f.Times > 0 && f.hits >= f.Times {
			o.faults = append(o.faults[:i:i], o.faults[i+1:]...)
		}
		cp := *f
		return &cp
	}
	return nil
}

// applyFaults serves an injected fault for r, reporting whether it did. A
// fault that only alters the answer (Truncate) returns the writer to serve
// r with instead.
func (e *Emulator) applyFaults(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, bool) {
	f := e.org.takeFault(r)
	if f == nil {
		return w, false
	}
	if f.LatencyMS > 0 {
		e.org.countServed("latency")
		select {
		case <-time.After(time.Duration(f.LatencyMS) * time.Millisecond):
		case <-r.Context().Done():
			return w, true
		}
	}
	if f.Truncate {
		e.org.countServed("truncate")
		return &truncatingWriter{ResponseWriter: w, lines: f.KeepLines + 1}, false
	}
	if f.Drop {
		e.org.countServed("drop")
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return w, true
			}
		}
		panic(http.ErrAbortHandler)
	}
	if f.Status == 0 {
		return w, false
	}
	e.org.countServed(strconv.Itoa(f.Status))
	code, msg := f.ErrorCode, f.Message
	if code == "" {
		switch f.Status {
		case 429, 403:
			code, msg = "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."
		case 503:
			code, msg = "SERVER_UNAVAILABLE", "Server temporarily unavailable, please try again later."
		case 401:
			code, msg = "INVALID_SESSION_ID", "Session expired or invalid"
		default:
			code, msg = "UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-1234567890)"
		}
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	writeError(w, errf(f.Status, code, nil, "%s", msg))
	return w, true
}

// truncatingWriter passes on a body's first lines and drops the rest.
type truncatingWriter struct {
	http.ResponseWriter
	lines int // lines still to pass on
}

func (t *truncatingWriter) Write(p []byte) (int, error) {
	n := len(p)
	if t.lines <= 0 {
		return n, nil
	}
	keep := 0
	for keep < len(p) && t.lines > 0 {
		i := bytes.IndexByte(p[keep:], '\n')
		if i < 0 {
			keep = len(p)
			break
		}
		keep += i + 1
		t.lines--
	}
	if _, err := t.ResponseWriter.Write(p[:keep]); err != nil {
		return 0, err
	}
	return n, nil
}

// denyNext reports, and clears, the admin switch that makes the next
// authorization a denial.
func (o *Org) denyNext() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	d := o.deny
	o.deny = false
	return d
}

// handleAdmin serves the emulator-only levers tests pull, to loopback only:
//
//	POST   /__emulator/faults            add a Fault (JSON body)
//	GET    /__emulator/faults            what faults did (FaultsServed)
//	DELETE /__emulator/faults            clear faults
//	POST   /__emulator/expire-sessions   expire every access token now
//	POST   /__emulator/deny-next         the next authorization is denied
//	GET|POST|DELETE /__emulator/clock    read, move ahead or reset the org's clock (clock.go)
func (e *Emulator) handleAdmin(w http.ResponseWriter, r *http.Request) {
	if !remoteIsLoopback(r) {
		writeError(w, notFound())
		return
	}
	if aerr := adminRequestRefused(r); aerr != nil {
		writeError(w, aerr)
		return
	}
	switch strings.TrimPrefix(r.URL.Path, "/__emulator/") {
	case "faults":
		switch r.Method {
		case http.MethodPost:
			var f Fault
			if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&f); err != nil {
				writeError(w, errf(400, "JSON_PARSER_ERROR", nil, "bad fault: %v", err))
				return
			}
			e.org.AddFault(f)
			w.WriteHeader(http.StatusNoContent)
		case http.MethodGet:
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(e.org.FaultsServed())
		case http.MethodDelete:
			e.org.ClearFaults()
			w.WriteHeader(http.StatusNoContent)
		default:
			writeError(w, methodNotAllowed(r.Method))
		}
	case "expire-sessions":
		if err := e.org.ExpireSessions(r); err != nil {
			writeError(w, internalError(err))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case "clock":
		e.handleClock(w, r)
	case "deny-next":
		e.org.mu.Lock()
		e.org.deny = true
		e.org.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, notFound())
	}
}

// adminRequestRefused guards the admin levers against a web page the
// emulator's user happens to visit. Loopback-only is not enough on its own: a
// browser on the same machine is loopback too.
//   - Host must be a loopback name or address on the port the request came in
//     on, so a DNS-rebinding page (evil.example resolving to 127.0.0.1) is
//     refused.
//   - An Origin header, when present, must be the emulator's own origin; a
//     cross-origin fetch or form post always carries one.
//   - A POST must say application/json: a form or text/plain POST is a
//     "simple" request a browser sends without asking first.
func adminRequestRefused(r *http.Request) *apiError {
	if !hostIsOwnLoopback(r) {
		return errf(http.StatusForbidden, "INVALID_HOST", nil,
			"emulator admin endpoints answer only to a loopback Host (localhost, 127.0.0.1 or [::1]) on the emulator's own port, not %q", r.Host)
	}
	if o := r.Header.Get("Origin"); o != "" {
		scheme := "http://"
		if r.TLS != nil {
			scheme = "https://"
		}
		if !strings.EqualFold(o, scheme+r.Host) {
			return errf(http.StatusForbidden, "CROSS_ORIGIN_REFUSED", nil,
				"emulator admin endpoints refuse cross-origin requests (Origin %q is not %s%s)", o, scheme, r.Host)
		}
	}
	if r.Method == http.MethodPost {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" {
			return errf(http.StatusUnsupportedMediaType, "INVALID_CONTENT_TYPE", nil,
				"emulator admin POSTs must have Content-Type: application/json (got %q)", r.Header.Get("Content-Type"))
		}
	}
	return nil
}

// hostIsOwnLoopback reports whether r's Host header names a loopback host
// (localhost or a loopback IP) and, when it has a port, the port the
// connection was accepted on.
func hostIsOwnLoopback(r *http.Request) bool {
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, port = r.Host, ""
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if !strings.EqualFold(host, "localhost") {
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return false
		}
	}
	if port == "" {
		return true // the default port for the scheme; the listener checks nothing more
	}
	la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return true // not served by net/http (a subrequest); the outer request was checked
	}
	_, own, err := net.SplitHostPort(la.String())
	return err == nil && own == port
}
