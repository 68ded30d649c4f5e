package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// ToolsetAPI holds the raw REST call and the Tooling API query: reach
// beyond the typed tools, offered through salesforce_tools.
const ToolsetAPI Toolset = "api"

// MaxAPIResponseBytes bounds what salesforce_api returns: an agent reads
// the answer, and a larger one is better narrowed (fields, LIMIT) than sent.
const MaxAPIResponseBytes = 1 << 20

// apiVersionSeg is an API version path segment (v62.0).
var apiVersionSeg = regexp.MustCompile(`^v[0-9]{2,3}\.[0-9]$`)

// CleanAPIPath returns the path under the instance's /services/data that p
// names, escaped as sent, or an *InputError. p is /services/data/vNN.N/...,
// vNN.N/..., or a path relative to the client's version (sobjects/Account).
// Refused: absolute URLs, other prefixes, "." and ".." segments, empty
// segments, backslashes, query strings and fragments (query is its own
// argument), control and non-ASCII characters, and escapes that decode to
// '/', '\', '.', '%' or a control character (so no decoding layer can turn
// the path into another one).
func CleanAPIPath(p, version string) (string, error) {
	p = strings.TrimSpace(p)
	bad := func(format string, a ...any) (string, error) { return "", inputErrorf("path", format, a...) }
	switch {
	case p == "":
		return bad("is required")
	case len(p) > 2000:
		return bad("is longer than 2000 characters")
	case strings.Contains(p, "://") || strings.HasPrefix(p, "//"):
		return bad("is an absolute URL; give a path under /services/data (the server calls its own org only)")
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c < 0x20 || c >= 0x7f:
			return bad("holds a control or non-ASCII character; percent-encode it")
		case c == '\\' || c == '?' || c == '#':
			return bad("holds %q; put query parameters in query", string(c))
		case c == '%':
			if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
				return bad("holds a malformed %%-escape")
			}
			d := unhex(p[i+1])<<4 | unhex(p[i+2])
			if d == '/' || d == '\\' || d == '.' || d == '%' || d < 0x20 || d >= 0x7f {
				return bad("holds an escape (%s) of a path separator, dot, percent or control character", p[i:i+3])
			}
		}
	}
	if u, err := url.Parse(p); err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" {
		return bad("is not a path under /services/data")
	}
	if !strings.HasPrefix(p, "/") {
		first, _, _ := strings.Cut(p, "/")
		if apiVersionSeg.MatchString(first) {
			p = "/services/data/" + p
		} else {
			p = "/services/data/v" + version + "/" + p
		}
	}
	p = strings.TrimSuffix(p, "/")
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	if len(segs) < 2 || segs[0] != "services" || segs[1] != "data" {
		return bad("must be under /services/data (the REST API); other prefixes are refused")
	}
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return bad("holds an empty, . or .. segment")
		}
	}
	if len(segs) > 2 && !apiVersionSeg.MatchString(segs[2]) {
		return bad("must name an API version after /services/data (for example /services/data/v%s/)", version)
	}
	return p, nil
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

type readOnlyKey struct{}

// WithReadOnly marks ctx's calls as read-only: operations that can write
// (salesforce_api) refuse to.
func WithReadOnly(ctx context.Context) context.Context {
	return context.WithValue(ctx, readOnlyKey{}, true)
}

func readOnly(ctx context.Context) bool { v, _ := ctx.Value(readOnlyKey{}).(bool); return v }

// APIInput is the input of salesforce_api.
type APIInput struct {
	Method string            `json:"method,omitempty" jsonschema:"description=GET (the default) or POST or PATCH or PUT or DELETE"`
	Path   string            `json:"path" jsonschema:"description=A REST path on the org under /services/data: /services/data/v62.0/sobjects/Account/describe or v62.0/limits or sobjects/Account (relative to the server's API version)"`
	Query  map[string]string `json:"query,omitempty" jsonschema:"description=Query parameters; for example {\"q\": \"SELECT Id FROM Account LIMIT 5\"}"`
	Body   json.RawMessage   `json:"body,omitempty" jsonschema:"description=The JSON body of a POST or PATCH or PUT"`
}

// method is the input's method in upper case (GET when not given).
func (in APIInput) method() string {
	if m := strings.ToUpper(strings.TrimSpace(in.Method)); m != "" {
		return m
	}
	return http.MethodGet
}

// Validate checks the input.
func (in APIInput) Validate() error {
	switch in.method() {
	case http.MethodGet, http.MethodDelete:
		if len(bytes.TrimSpace(in.Body)) > 0 && !bytes.Equal(bytes.TrimSpace(in.Body), []byte("null")) {
			return inputErrorf("body", "is sent only with POST, PATCH or PUT")
		}
	case http.MethodPost, http.MethodPatch, http.MethodPut:
	default:
		return inputErrorf("method", "%q is not GET, POST, PATCH, PUT or DELETE", clip(in.Method, 20))
	}
	if b := bytes.TrimSpace(in.Body); len(b) > 0 && !json.Valid(b) {
		return inputErrorf("body", "is not JSON")
	}
	_, err := CleanAPIPath(in.Path, "62.0")
	return err
}

// APIKind says what a salesforce_api call does, for confirmations: "read"
// (GET), "delete", "update" (PATCH, PUT) or "write" (POST).
func APIKind(args json.RawMessage) string {
	var in APIInput
	_ = json.Unmarshal(args, &in)
	switch in.method() {
	case http.MethodGet:
		return "read"
	case http.MethodDelete:
		return "delete"
	case http.MethodPatch, http.MethodPut:
		return "update"
	}
	return "write"
}

// APIOutput is Salesforce's answer: a JSON object in Body, a JSON list of
// objects in Items, or any other answer as Text.
type APIOutput struct {
	Status int               `json:"status"`
	Method string            `json:"method"`
	Path   string            `json:"path"`
	Body   json.RawMessage   `json:"body,omitempty"`
	Items  []json.RawMessage `json:"items,omitempty"`
	Text   string            `json:"text,omitempty"`
}

// APIOp declares salesforce_api.
func APIOp() Operation[APIInput, APIOutput] {
	return Operation[APIInput, APIOutput]{Meta: Meta{
		Name:  "salesforce_api",
		Title: "Call the REST API",
		Description: "Send one REST request to the org under /services/data (GET by default) for what no other tool covers. " +
			"Paths such as sobjects/Account/describe are relative to the server's API version; no other host or prefix is reached. " +
			"Answers over 1 MB are refused; narrow the request.",
		ReadOnly: false, Destructive: true, Idempotent: false, OpenWorld: true, Toolset: ToolsetAPI,
	}, Run: API}
}

// apiEntry is salesforce_api's catalogue entry: its calls are told apart
// (a GET reads, a DELETE deletes) and a read-only server offers it for GETs.
func apiEntry() Entry {
	e := APIOp().Entry()
	e.Kind, e.ServesReadOnly = APIKind, true
	return e
}

// API sends one REST request under the guard of ctx.
func API(ctx context.Context, c *salesforce.Client, in APIInput) (APIOutput, error) {
	if err := in.Validate(); err != nil {
		return APIOutput{}, err
	}
	method := in.method()
	if readOnly(ctx) && method != http.MethodGet {
		return APIOutput{}, &GuardError{Message: "this server is read-only (--read-only): salesforce_api sends GET requests only"}
	}
	p, err := CleanAPIPath(in.Path, c.APIVersion())
	if err != nil {
		return APIOutput{}, err
	}
	query := url.Values{}
	for k, v := range in.Query {
		query.Set(k, v)
	}
	var body []byte
	if b := bytes.TrimSpace(in.Body); len(b) > 0 && !bytes.Equal(b, []byte("null")) {
		body = b
	}
	g := GuardFrom(ctx)
	if err := g.checkAPICall(ctx, c, method, p, query, body); err != nil {
		return APIOutput{}, err
	}
	res, err := c.Raw(ctx, method, p, query, body)
	if err != nil {
		return APIOutput{}, err
	}
	if len(res.Body) > MaxAPIResponseBytes {
		return APIOutput{}, &InputError{Field: "path", Message: fmt.Sprintf("the answer is %d bytes; salesforce_api returns at most %d: narrow the request (fields, LIMIT)", len(res.Body), MaxAPIResponseBytes)}
	}
	out := APIOutput{Status: res.Status, Method: method, Path: p}
	b := bytes.TrimSpace(res.Body)
	switch {
	case len(b) == 0:
	case json.Valid(b) && (b[0] == '{' || b[0] == '['):
		if g != nil && !g.empty() {
			if b = g.FilterRecord(b); b == nil {
				return APIOutput{}, &GuardError{Message: "the answer is a record of an object this server does not allow (--allow-objects)"}
			}
		}
		if b[0] == '{' {
			out.Body = json.RawMessage(b)
			break
		}
		var items []json.RawMessage
		_ = json.Unmarshal(b, &items)
		for _, it := range items {
			if t := bytes.TrimSpace(it); len(t) == 0 || t[0] != '{' {
				out.Text = string(b) // a list of values, not of objects
				return out, nil
			}
		}
		out.Items = items
	case g != nil && !g.empty():
		// Text (XML, CSV) cannot be filtered field by field.
		return APIOutput{}, &GuardError{Message: "the answer is not JSON, which this server cannot filter (--allow-objects, --deny-fields)"}
	default:
		out.Text = string(b)
	}
	return out, nil
}

// checkAPICall lets a raw call through a non-empty guard only where the
// objects and fields it reaches can be told from its path, query and body:
// the version's resource list and limits, sobjects/{object} and one record
// (not the relationships under it), query and queryAll (their SOQL
// checked), search (its SOSL checked) and tooling/query. Describes are
// refused while fields are hidden, as full describes are.
func (g *Guard) checkAPICall(ctx context.Context, c *salesforce.Client, method, p string, query url.Values, body []byte) error {
	if g == nil || g.empty() {
		return nil
	}
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")[2:] // after services/data
	if len(segs) > 0 {
		segs = segs[1:] // after the version
	}
	refuse := func() error {
		return &GuardError{Message: "with --allow-objects or --deny-fields, salesforce_api reaches only the API's resource list, limits, " +
			"sobjects/{object}[/{id}], query, queryAll, search and tooling/query; use the other tools for the rest"}
	}
	if method != http.MethodGet && (len(segs) < 2 || segs[0] != "sobjects") {
		return refuse()
	}
	var names []string
	if f := query.Get("fields"); f != "" {
		names = strings.Split(f, ",")
	}
	var data map[string]json.RawMessage
	if body != nil {
		if json.Unmarshal(body, &data) != nil {
			return refuse()
		}
		for k := range data {
			names = append(names, k)
		}
	}
	switch {
	case len(segs) == 0, len(segs) == 1 && segs[0] == "limits":
		if method == http.MethodGet {
			return nil
		}
	case segs[0] == "sobjects" && len(segs) >= 2 && len(segs) <= 3:
		if err := g.CheckObject(segs[1]); err != nil {
			return err
		}
		if len(segs) == 3 && segs[2] == "describe" && len(g.DenyFields) > 0 {
			return &GuardError{Message: "describes are served only trimmed while fields are hidden (--deny-fields): use salesforce_describe_object"}
		}
		return g.CheckFields(segs[1], names)
	case (segs[0] == "query" || segs[0] == "queryAll") && len(segs) <= 2:
		if len(segs) == 1 {
			return g.CheckSOQL(ctx, c, query.Get("q"))
		}
		return nil // a next page: its records are filtered
	case segs[0] == "search" && len(segs) == 1:
		return g.CheckSOSL(ctx, c, query.Get("q"))
	case segs[0] == "tooling" && len(segs) == 2 && segs[1] == "query":
		return g.CheckSOQL(ctx, c, query.Get("q"))
	}
	return refuse()
}
