package emulator

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Emulator is a running emulated org: an Org behind an http.Handler.
type Emulator struct {
	org     *Org
	apps    apps // the connected apps
	handler http.Handler
	baseURL atomic.Value // string: the URL clients reach this emulator at
}

// New opens (or creates) an emulated org.
func New(ctx context.Context, opts Options) (*Emulator, error) {
	org, err := newOrg(ctx, opts)
	if err != nil {
		return nil, err
	}
	e := &Emulator{org: org}
	fromSchema, err := appsFromSchemaConfig(opts.SchemaConfig)
	if err != nil {
		org.Close()
		return nil, err
	}
	for _, app := range slices.Concat(builtinApps(), fromSchema, opts.Apps) {
		if err := e.AddApp(app); err != nil {
			org.Close()
			return nil, err
		}
	}
	e.handler = e.routes()
	e.baseURL.Store("")
	return e, nil
}

// Org returns the emulated org.
func (e *Emulator) Org() *Org { return e.org }

// Handler serves the emulator's HTTP API.
func (e *Emulator) Handler() http.Handler { return e.handler }

// SetBaseURL tells the emulator the URL clients reach it at (its
// instance_url and login URL), which it writes into token responses.
func (e *Emulator) SetBaseURL(u string) { e.baseURL.Store(strings.TrimRight(u, "/")) }

// BaseURL is the URL set with SetBaseURL.
func (e *Emulator) BaseURL() string { return e.baseURL.Load().(string) }

// Close releases the org's store.
func (e *Emulator) Close() error { return e.org.Close() }

// Serve answers on ln until ctx ends, then shuts down gracefully.
func (e *Emulator) Serve(ctx context.Context, ln net.Listener) error {
	if e.BaseURL() == "" {
		e.SetBaseURL("http://" + ln.Addr().String())
	}
	srv := &http.Server{Handler: e.handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutCtx); err != nil {
			return err
		}
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

var versionRe = regexp.MustCompile(`^v(\d{2})\.0$`)

// minVersion and maxVersion bound the API versions the emulator can serve,
// as on a real org; Options.MaxAPIVersion lowers the top for one org.
const (
	minVersion = 31
	maxVersion = 66
)

func (e *Emulator) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/services/data", e.withLog(e.handleVersions))
	mux.HandleFunc("/services/data/", e.withLog(e.handleData))
	mux.HandleFunc("/services/oauth2/authorize", e.withLog(e.handleAuthorize))
	mux.HandleFunc("/services/oauth2/token", e.withLog(e.handleToken))
	mux.HandleFunc("/services/oauth2/revoke", e.withLog(e.handleRevoke))
	mux.HandleFunc("/services/oauth2/userinfo", e.withLog(e.handleUserInfo))
	mux.HandleFunc("/id/", e.withLog(e.handleIdentity))
	mux.HandleFunc("/setup/connect", e.withLog(e.handleConnect))
	mux.HandleFunc("/.well-known/openid-configuration", e.withLog(e.handleOpenIDConfig))
	mux.HandleFunc("/services/Soap/u/", e.withLog(e.handleSoap))
	mux.HandleFunc("/__emulator/", e.withLog(e.handleAdmin))
	notFoundHandler := e.withLog(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, notFound())
	})
	mux.HandleFunc("/", notFoundHandler)
	// ServeMux redirects a subtree's root without its slash (/id to /id/);
	// Salesforce answers it, so these get their own (not found) answer.
	for _, root := range []string{"/id", "/services/Soap/u", "/__emulator"} {
		mux.HandleFunc(root, notFoundHandler)
	}
	return e.recoverPanics(cleanPaths(mux))
}

func (e *Emulator) withLog(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: 200}
		h(sw, r)
		e.org.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "elapsed", time.Since(start))
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Hijack lets the drop fault close the connection.
func (s *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := s.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("emulator: connection cannot be hijacked")
	}
	return hj.Hijack()
}

func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, aerr *apiError) {
	if aerr.Status == 300 {
		// Several records match an external id: Salesforce lists their URLs.
		writeJSON(w, 300, aerr.Fields)
		return
	}
	writeJSON(w, aerr.Status, aerr.body())
}

func (e *Emulator) handleVersions(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, methodNotAllowed(r.Method))
		return
	}
	var out []map[string]string
	for v := minVersion; v <= e.org.maxVersion(); v++ {
		out = append(out, map[string]string{"label": releaseLabel(v), "url": fmt.Sprintf("/services/data/v%d.0", v), "version": fmt.Sprintf("%d.0", v)})
	}
	writeJSON(w, 200, out)
}

// maxVersion is the newest API version the org serves.
func (o *Org) maxVersion() int { return o.opts.MaxAPIVersion }

// latestVersion is maxVersion as "66.0".
func (o *Org) latestVersion() string { return fmt.Sprintf("%d.0", o.opts.MaxAPIVersion) }

func releaseLabel(v int) string {
	seasons := []string{"Spring", "Summer", "Winter"}
	// v31 was Summer '14; three releases a year.
	i := v - 31 + 1
	year := 14 + (i+1)/3
	return fmt.Sprintf("%s '%02d", seasons[i%3], year)
}

// methodNotAllowed is Salesforce's 405. allowed lists the methods the
// resource takes; without it the message names the usual ones less m, so it
// never offers the method it refuses.
func methodNotAllowed(m string, allowed ...string) *apiError {
	if len(allowed) == 0 {
		for _, a := range []string{"GET", "HEAD", "PATCH", "POST", "DELETE"} {
			if a != m {
				allowed = append(allowed, a)
			}
		}
	}
	return errf(405, "METHOD_NOT_ALLOWED", nil, "HTTP Method '%s' not allowed. Allowed are %s", m, strings.Join(allowed, ","))
}

// handleData serves /services/data/vNN.0/...
func (e *Emulator) handleData(w http.ResponseWriter, r *http.Request) {
	parts, ok := pathSegments(r.URL, "/services/data/")
	var m []string
	if ok {
		m = versionRe.FindStringSubmatch(parts[0])
	}
	if m == nil {
		writeError(w, notFound())
		return
	}
	v, _ := strconv.Atoi(m[1])
	if v < minVersion || v > e.org.maxVersion() {
		writeError(w, notFound())
		return
	}
	w, faulted := e.applyFaults(w, r)
	if faulted {
		return
	}
	sess, aerr := e.authenticate(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	used := e.org.countAPICall()
	w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d", used, e.org.apiLimit()))
	if used > e.org.apiLimit() {
		writeError(w, overAPILimit())
		return
	}
	req := &apiRequest{w: w, r: r, version: m[1] + ".0", parts: parts[1:], sess: sess}
	e.dispatch(req)
}

// apiRequest is one authenticated REST call.
type apiRequest struct {
	w       http.ResponseWriter
	r       *http.Request
	version string
	parts   []string // path segments after the version
	sess    *session
}

func (e *Emulator) dispatch(q *apiRequest) {
	if len(q.parts) == 0 || q.parts[0] == "" {
		e.handleResources(q)
		return
	}
	switch q.parts[0] {
	case "query", "queryAll":
		e.handleQuery(q)
	case "search":
		e.handleSearch(q)
	case "sobjects":
		e.handleSObjects(q)
	case "composite":
		e.handleComposite(q)
	case "limits":
		e.handleLimits(q)
	case "jobs":
		if len(q.parts) == 1 {
			e.listSubresources(q, "jobs", "ingest", "query")
			return
		}
		e.handleJobs(q)
	default:
		if !e.handleMinorResource(q) {
			writeError(q.w, notFound())
		}
	}
}

// readJSON decodes a request body of at most the configured size into v.
func (e *Emulator) readJSON(q *apiRequest, v any) *apiError {
	body := http.MaxBytesReader(q.w, q.r.Body, e.org.opts.MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errf(413, "REQUEST_ENTITY_TOO_LARGE", nil, "Request body exceeds the limit of %d bytes", e.org.opts.MaxBodyBytes)
		}
		return errf(400, "JSON_PARSER_ERROR", nil, "%s", jsonErrorText(err))
	}
	if dec.More() {
		return errf(400, "JSON_PARSER_ERROR", nil, "Unexpected character after the JSON value")
	}
	normalizeNumbers(v)
	return nil
}

func jsonErrorText(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("Unexpected character: %s at [line:1, column:%d]", syn.Error(), syn.Offset)
	}
	if errors.Is(err, errEOF) || strings.Contains(err.Error(), "EOF") {
		return "No content to map due to end-of-input"
	}
	return "Cannot deserialize the request body: " + err.Error()
}

var errEOF = errors.New("EOF")

// normalizeNumbers turns json.Number values into float64 after decoding.
func normalizeNumbers(v any) {
	switch x := v.(type) {
	case *map[string]any:
		normalizeNumbers(*x)
	case *[]any:
		normalizeNumbers(*x)
	case *any:
		*x = fixNumber(*x)
	case map[string]any:
		for k, val := range x {
			x[k] = fixNumber(val)
		}
	case []any:
		for i, val := range x {
			x[i] = fixNumber(val)
		}
	}
}

func fixNumber(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return x.String()
		}
		return f
	case map[string]any, []any:
		normalizeNumbers(x)
	}
	return v
}

// remoteIsLoopback reports whether the request came from this machine.
func remoteIsLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
