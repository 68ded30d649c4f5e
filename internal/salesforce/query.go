package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// QueryResult is one page of a SOQL query.
type QueryResult struct {
	// TotalSize is the number of rows the whole query matches (for
	// SELECT COUNT() it is the count, and Records is empty).
	TotalSize int `json:"totalSize"`
	// Done is true on the last page.
	Done bool `json:"done"`
	// NextRecordsURL locates the next page, like
	// "/services/data/v62.0/query/01gxx0000000001AAA-2000"; empty on the last page.
	NextRecordsURL string `json:"nextRecordsUrl,omitempty"`
	// Records are the rows exactly as received, so field order survives.
	Records []json.RawMessage `json:"records"`
}

// QueryOptions tunes Query.
type QueryOptions struct {
	// All uses queryAll, which also returns deleted and archived rows.
	All bool
	// PageSize asks for pages of this many rows (200 to 2000); 0 lets
	// Salesforce choose. It is a hint: pages may be smaller.
	PageSize int
}

// Bounds Salesforce puts on the batchSize query option.
const (
	minPageSize = 200
	maxPageSize = 2000
)

// QueryPage runs soql and returns its first page. all selects queryAll.
func (c *Client) QueryPage(ctx context.Context, soql string, all bool) (*QueryResult, error) {
	return c.queryFirst(ctx, soql, QueryOptions{All: all})
}

// QueryFirstPage is QueryPage with options: queryAll and a page size hint.
func (c *Client) QueryFirstPage(ctx context.Context, soql string, opts QueryOptions) (*QueryResult, error) {
	return c.queryFirst(ctx, soql, opts)
}

func (c *Client) queryFirst(ctx context.Context, soql string, opts QueryOptions) (*QueryResult, error) {
	if strings.TrimSpace(soql) == "" {
		return nil, &ValidationError{Field: "soql", Message: "is empty"}
	}
	if opts.PageSize != 0 && (opts.PageSize < minPageSize || opts.PageSize > maxPageSize) {
		return nil, &ValidationError{Field: "page size", Message: fmt.Sprintf("%d is outside %d..%d", opts.PageSize, minPageSize, maxPageSize)}
	}
	resource, path := "query", c.queryPaths[0]
	if opts.All {
		resource, path = "queryAll", c.queryPaths[1]
	}
	r := newRequest(http.MethodGet, path)
	r.rawQuery = queryParam("q", soql) // as url.Values{"q": {soql}}.Encode() writes it
	if opts.PageSize != 0 {
		r.queryOptions = "batchSize=" + strconv.Itoa(opts.PageSize)
	}
	res, err := c.queryRequest(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", resource, err)
	}
	return res, nil
}

// QueryMore fetches the page that nextRecordsURL locates. Only a locator path
// on this org is accepted—"/services/data/vNN.0/query/<locator>" (or
// queryAll), or the same as a full URL on the client's instance—because
// cursors come back from callers and must not be able to point the client
// anywhere else. Anything else is a *ValidationError and nothing is sent.
func (c *Client) QueryMore(ctx context.Context, nextRecordsURL string) (*QueryResult, error) {
	path, err := c.locatorPath(nextRecordsURL)
	if err != nil {
		return nil, err
	}
	res, err := c.queryRequest(ctx, newRequest(http.MethodGet, path))
	if err != nil {
		return nil, fmt.Errorf("query more: %w", err)
	}
	return res, nil
}

// locatorPattern is a query locator path: "01g" cursor id, "-", row offset.
var locatorPattern = regexp.MustCompile(`^/services/data/v[0-9]{2,3}\.0/(query|queryAll)/[A-Za-z0-9]{15,18}-[0-9]{1,10}$`)

func (c *Client) locatorPath(raw string) (string, error) {
	invalid := func(msg string) error {
		return &ValidationError{Field: "next records URL", Message: msg}
	}
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", invalid("is empty")
	}
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return "", invalid("is not a URL")
		}
		if !strings.EqualFold(u.Scheme, c.instance.Scheme) || !strings.EqualFold(u.Host, c.instance.Host) || u.User != nil {
			return "", invalid("points at another host; only this org's query locators are accepted")
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return "", invalid("must not have a query string or fragment")
		}
		s = u.EscapedPath()
	}
	// Matching the raw text (not a decoded form) rules out "%2e%2e", "//" and friends.
	if !locatorPattern.MatchString(s) {
		return "", invalid(fmt.Sprintf("%q is not a query locator path like /services/data/v%s/query/01g...-2000", clipText(s, 80), c.version))
	}
	return s, nil
}

func (c *Client) queryRequest(ctx context.Context, r *request) (*QueryResult, error) {
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	res, err := decodeQueryResult(resp.body)
	if err != nil {
		return nil, fmt.Errorf("decode query response: %w", err)
	}
	if res.Done {
		res.NextRecordsURL = ""
	}
	return res, nil
}

// decodeQueryResult is json.Unmarshal of body into a QueryResult, with the
// records decoded by rawArray. On any failure it decodes body as a
// QueryResult again, whose outcome (encoding/json's error, or a result
// should rawArray have refused what []json.RawMessage takes) it returns.
func decodeQueryResult(body []byte) (*QueryResult, error) {
	page := new(queryPage)
	if err := json.Unmarshal(body, page); err == nil {
		page.QueryResult.Records = page.Records
		return &page.QueryResult, nil
	}
	var res QueryResult
	if err := json.Unmarshal(body, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Query starts a SOQL query and returns an iterator over its rows. Nothing is
// sent until the first call to Next; each further page is fetched only when
// the caller reads past the current one, so memory stays at one page whatever
// the size of the result.
func (c *Client) Query(ctx context.Context, soql string, opts QueryOptions) *QueryIterator {
	return &QueryIterator{c: c, ctx: ctx, soql: soql, opts: opts, idx: -1}
}

// QueryIterator walks the rows of a query page by page:
//
//	it := client.Query(ctx, soql, salesforce.QueryOptions{})
//	for it.Next() {
//		use(it.Record())
//	}
//	if err := it.Err(); err != nil { ... }
type QueryIterator struct {
	c    *Client
	ctx  context.Context
	soql string
	opts QueryOptions

	started bool
	page    *QueryResult
	idx     int
	err     error
}

// Next advances to the next row, fetching the next page if the current one is
// used up. It returns false at the end or on an error; check Err.
func (it *QueryIterator) Next() bool {
	if it.err != nil {
		return false
	}
	if !it.started {
		it.started = true
		page, err := it.c.queryFirst(it.ctx, it.soql, it.opts)
		if err != nil {
			it.err = err
			return false
		}
		it.page, it.idx = page, -1
	}
	for it.idx+1 >= len(it.page.Records) {
		if it.page.NextRecordsURL == "" {
			it.idx = len(it.page.Records) // past the end: Record returns nil
			return false
		}
		page, err := it.c.QueryMore(it.ctx, it.page.NextRecordsURL)
		if err != nil {
			it.err = err
			return false
		}
		// Keep the first page's count if a later page leaves it out.
		if page.TotalSize == 0 {
			page.TotalSize = it.page.TotalSize
		}
		it.page, it.idx = page, -1
	}
	it.idx++
	return true
}

// Record returns the current row as received. It is valid after Next
// returned true, until the following call to Next.
func (it *QueryIterator) Record() json.RawMessage {
	if it.page == nil || it.idx < 0 || it.idx >= len(it.page.Records) {
		return nil
	}
	return it.page.Records[it.idx]
}

// Err returns the error that stopped the iteration, if any.
func (it *QueryIterator) Err() error { return it.err }

// TotalSize is the number of rows the query matches, known once Next has
// been called (it is the count of a SELECT COUNT() query).
func (it *QueryIterator) TotalSize() int {
	if it.page == nil {
		return 0
	}
	return it.page.TotalSize
}

// NextRecordsURL locates the page after the current one, or "" when the
// current page is the last. A caller that stops early can hand it out as a
// cursor; rows of the current page not yet read are not part of it.
func (it *QueryIterator) NextRecordsURL() string {
	if it.page == nil {
		return ""
	}
	return it.page.NextRecordsURL
}

// Search runs a SOSL search and returns the matching rows as received.
func (c *Client) Search(ctx context.Context, sosl string) ([]json.RawMessage, error) {
	if strings.TrimSpace(sosl) == "" {
		return nil, &ValidationError{Field: "sosl", Message: "is empty"}
	}
	r := newRequest(http.MethodGet, c.dataPath("search"))
	r.query = url.Values{"q": {sosl}}
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	body := strings.TrimSpace(string(resp.body))
	// API versions before 36.0 answered with a bare array.
	if strings.HasPrefix(body, "[") {
		var rows []json.RawMessage
		if err := json.Unmarshal(resp.body, &rows); err != nil {
			return nil, fmt.Errorf("search: decode response: %w", err)
		}
		return rows, nil
	}
	var res struct {
		SearchRecords []json.RawMessage `json:"searchRecords"`
	}
	if err := json.Unmarshal(resp.body, &res); err != nil {
		return nil, fmt.Errorf("search: decode response: %w", err)
	}
	if res.SearchRecords == nil {
		res.SearchRecords = []json.RawMessage{}
	}
	return res.SearchRecords, nil
}
