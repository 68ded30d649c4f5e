package ops

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Bounds of the bounded (MCP) query form.
const (
	DefaultMaxRecords = 200  // rows a query returns when max_records is not given
	MaxMaxRecords     = 2000 // the most rows one call returns
)

// Salesforce's page size bounds (the batchSize query option).
const (
	minPageSize = 200
	maxPageSize = 2000
)

// QueryInput is the input of salesforce_query.
type QueryInput struct {
	SOQL           string `json:"soql" jsonschema_description:"The SOQL query to run; for example SELECT Id, Name FROM Account WHERE Name LIKE 'A%'"`
	IncludeDeleted bool   `json:"include_deleted,omitempty" jsonschema:"description=Also return deleted (recycle bin) and archived records (queryAll)"`
	MaxRecords     int    `json:"max_records,omitempty" jsonschema:"description=The most records to return in this call (1 to 2000; default 200)"`
	Attributes     bool   `json:"attributes,omitempty" jsonschema:"description=Keep each record's attributes (type and url)"`
	RecordFormat   string `json:"record_format,omitempty" enum:"rows,objects" jsonschema:"description=objects: records as objects (default rows)"`
}

// Validate checks the input.
func (in QueryInput) Validate() error {
	if strings.TrimSpace(in.SOQL) == "" {
		return inputErrorf("soql", "is required")
	}
	if err := checkRecordFormat(in.RecordFormat); err != nil {
		return err
	}
	return checkMaxRecords(in.MaxRecords)
}

func checkMaxRecords(n int) error {
	if n < 0 || n > MaxMaxRecords {
		return inputErrorf("max_records", "%d is outside 1..%d", n, MaxMaxRecords)
	}
	return nil
}

// QueryAllInput is the input of salesforce_query_all.
type QueryAllInput struct {
	SOQL         string `json:"soql" jsonschema:"description=The SOQL query to run over live and deleted or archived records"`
	MaxRecords   int    `json:"max_records,omitempty" jsonschema:"description=The most records to return in this call (1 to 2000; default 200)"`
	Attributes   bool   `json:"attributes,omitempty" jsonschema:"description=Keep each record's attributes (type and url)"`
	RecordFormat string `json:"record_format,omitempty" enum:"rows,objects" jsonschema:"description=objects: records as objects (default rows)"`
}

// Validate checks the input.
func (in QueryAllInput) Validate() error {
	return QueryInput{SOQL: in.SOQL, MaxRecords: in.MaxRecords, RecordFormat: in.RecordFormat}.Validate()
}

// QueryMoreInput is the input of salesforce_query_more.
type QueryMoreInput struct {
	NextRecordsURL string `json:"next_records_url" jsonschema:"description=The next_records_url of an earlier query result (or a Salesforce nextRecordsUrl of the same org)"`
	MaxRecords     int    `json:"max_records,omitempty" jsonschema:"description=The most records to return in this call (1 to 2000; default 200)"`
	Attributes     bool   `json:"attributes,omitempty" jsonschema:"description=Keep each record's attributes (type and url)"`
	RecordFormat   string `json:"record_format,omitempty" enum:"rows,objects" jsonschema:"description=objects: records as objects (default rows)"`
}

// Validate checks the input, including that the cursor is one of ours or a
// query locator path.
func (in QueryMoreInput) Validate() error {
	if strings.TrimSpace(in.NextRecordsURL) == "" {
		return inputErrorf("next_records_url", "is required")
	}
	if err := checkRecordFormat(in.RecordFormat); err != nil {
		return err
	}
	if _, err := parseCursor(in.NextRecordsURL); err != nil {
		return err
	}
	return checkMaxRecords(in.MaxRecords)
}

// QueryOutput is one bounded batch of query results.
type QueryOutput struct {
	// TotalSize is how many records the whole query matches (the count of SELECT COUNT()).
	TotalSize int `json:"total_size"`
	// Returned is len(Records).
	Returned int `json:"returned"`
	// Done is true when no records remain after these.
	Done bool `json:"done"`
	// NextRecordsURL is an opaque cursor for salesforce_query_more; empty when done.
	NextRecordsURL string `json:"next_records_url,omitempty"`
	// Table holds the records by default, without their attributes unless
	// the input asked for them.
	Table
	// Records are the records as objects as Salesforce sent them, when
	// record_format is objects.
	Records []json.RawMessage `json:"records,omitzero"`
}

// RecordTable returns the records as a table.
func (o QueryOutput) RecordTable() Table { return tableOf(o.Table, o.Records) }

// QueryOp declares salesforce_query.
func QueryOp() Operation[QueryInput, QueryOutput] {
	return Operation[QueryInput, QueryOutput]{Meta: Meta{
		Name:  "salesforce_query",
		Title: "Run a SOQL query",
		Description: "Run a SOQL query and return up to max_records rows (default 200). " +
			"When more rows match, pass next_records_url to salesforce_query_more.",
		ReadOnly: true, Idempotent: true, OpenWorld: true, Toolset: ToolsetQuery,
	}, Run: Query}
}

// QueryAllOp declares salesforce_query_all.
func QueryAllOp() Operation[QueryAllInput, QueryOutput] {
	return Operation[QueryAllInput, QueryOutput]{Meta: Meta{
		Name:        "salesforce_query_all",
		Title:       "Run a SOQL query including deleted records",
		Description: "Run a SOQL query over live, deleted and archived records (queryAll); bounded and paged like salesforce_query.",
		ReadOnly:    true, Idempotent: true, OpenWorld: true, Toolset: ToolsetQuery,
	}, Run: QueryAll}
}

// QueryMoreOp declares salesforce_query_more.
func QueryMoreOp() Operation[QueryMoreInput, QueryOutput] {
	return Operation[QueryMoreInput, QueryOutput]{Meta: Meta{
		Name:        "salesforce_query_more",
		Title:       "Fetch more query results",
		Description: "Continue a query from the next_records_url of an earlier query result.",
		ReadOnly:    true, Idempotent: true, OpenWorld: true, Toolset: ToolsetQuery,
	}, Run: QueryMore}
}

// Query runs a SOQL query and returns at most in.MaxRecords rows, with a
// cursor to the rest.
func Query(ctx context.Context, c *salesforce.Client, in QueryInput) (QueryOutput, error) {
	if err := in.Validate(); err != nil {
		return QueryOutput{}, err
	}
	limit := maxRecords(in.MaxRecords)
	start := position{soql: in.SOQL, all: in.IncludeDeleted, pageSize: pageSizeFor(limit)}
	return boundedQuery(ctx, c, start, limit, in.Attributes, in.RecordFormat == RecordFormatObjects)
}

// QueryAll is Query with include_deleted.
func QueryAll(ctx context.Context, c *salesforce.Client, in QueryAllInput) (QueryOutput, error) {
	return Query(ctx, c, QueryInput{SOQL: in.SOQL, IncludeDeleted: true, MaxRecords: in.MaxRecords, Attributes: in.Attributes, RecordFormat: in.RecordFormat})
}

// QueryMore continues a query from a cursor. A cursor continues only on the
// instance that issued it: two orgs number their query locators alike, so a
// cursor of another org would otherwise read that org's rows.
func QueryMore(ctx context.Context, c *salesforce.Client, in QueryMoreInput) (QueryOutput, error) {
	if err := in.Validate(); err != nil {
		return QueryOutput{}, err
	}
	start, _ := parseCursor(in.NextRecordsURL)
	if start.instance != "" && start.instance != instanceTag(c.InstanceURL()) {
		return QueryOutput{}, errForeignCursor("next_records_url")
	}
	start = start.resolve(c.APIVersion())
	return boundedQuery(ctx, c, start, maxRecords(in.MaxRecords), in.Attributes, in.RecordFormat == RecordFormatObjects)
}

// instanceTag names an instance in a cursor: 12 characters of a hash of its
// URL, enough to tell one org from another without spelling out its address.
func instanceTag(instanceURL string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimRight(instanceURL, "/"))))
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

func errForeignCursor(field string) error {
	return inputErrorf(field, "was issued by another Salesforce org (instance); a cursor continues only the results of the org that issued it")
}

func maxRecords(n int) int {
	if n == 0 {
		return DefaultMaxRecords
	}
	return n
}

// pageSizeFor asks Salesforce for pages no larger than needed, so a small
// limit stops on a page boundary and the cursor needs no re-run.
func pageSizeFor(limit int) int {
	if limit <= 0 || limit >= maxPageSize {
		return 0
	}
	return max(limit, minPageSize)
}

func boundedQuery(ctx context.Context, c *salesforce.Client, start position, limit int, attributes, objects bool) (QueryOutput, error) {
	var out QueryOutput
	records := []json.RawMessage{}
	// stripped holds the page's records without their attributes, one
	// after another: one allocation a page instead of one a record. A
	// record is never longer stripped, so the page's bytes are room enough
	// (a guard's filtered record that is not gets its own).
	var stripped []byte
	g := GuardFrom(ctx)
	page := func(rows []json.RawMessage) {
		records = slices.Grow(records, len(rows))
		if !attributes {
			n := 0
			for _, r := range rows {
				n += len(r)
			}
			stripped = make([]byte, 0, n)
		}
	}
	res, err := walkPages(ctx, c, start, limit, page, func(rec json.RawMessage) error {
		if g != nil {
			if rec = g.FilterRecord(rec); rec == nil {
				return nil
			}
		}
		if !attributes && hasAttributes(rec) {
			if cap(stripped)-len(stripped) < len(rec) {
				stripped = make([]byte, 0, len(rec))
			}
			at := len(stripped)
			stripped = appendStripped(stripped, rec)
			rec = json.RawMessage(stripped[at:len(stripped):len(stripped)])
		}
		records = append(records, rec)
		return nil
	}, nil)
	if err != nil {
		return QueryOutput{}, err
	}
	out.Table, out.Records = tableOrObjects(objects, records)
	out.TotalSize, out.Returned, out.Done = res.TotalSize, len(records), res.Done
	if !res.Done {
		out.NextRecordsURL = res.Resume.encode(c.InstanceURL(), c.APIVersion())
	}
	return out, nil
}

// StreamInput is the streaming form of a query, for the CLI: every row (or
// the first Limit) passes through a callback, page by page, in constant memory.
type StreamInput struct {
	SOQL           string
	IncludeDeleted bool
	// Limit stops after this many rows without fetching further pages; 0 means all.
	Limit int
	// PageDone, if set, is called after each page's rows (to flush output).
	PageDone func() error
}

// Validate checks the input.
func (in StreamInput) Validate() error {
	if strings.TrimSpace(in.SOQL) == "" {
		return inputErrorf("soql", "is required")
	}
	if in.Limit < 0 {
		return inputErrorf("limit", "must not be negative")
	}
	return nil
}

// QueryStats sums up a streamed query.
type QueryStats struct {
	TotalSize int  // rows the query matches
	Count     int  // rows passed to the callback
	Done      bool // false when Limit stopped the stream early
}

// StreamQuery runs a query and hands each row to fn, fetching each page only
// when the previous one is used up. It shares its paging with Query.
func StreamQuery(ctx context.Context, c *salesforce.Client, in StreamInput, fn func(record json.RawMessage) error) (QueryStats, error) {
	if err := in.Validate(); err != nil {
		return QueryStats{}, err
	}
	start := position{soql: in.SOQL, all: in.IncludeDeleted, pageSize: pageSizeFor(in.Limit)}
	res, err := walkPages(ctx, c, start, in.Limit, nil, fn, in.PageDone)
	return QueryStats{TotalSize: res.TotalSize, Count: res.Count, Done: res.Done}, err
}

// position is where a walk over query results starts: the first page of a
// query (Locator empty), or a page located by Locator, Skip rows in.
type position struct {
	Locator  string // a query locator path of this org
	Skip     int    // rows of that page already returned
	soql     string
	all      bool
	pageSize int
	instance string // the instanceTag of the org a cursor came from; "" for a raw Salesforce locator
	// locatorID is a cursor's short form of Locator (its last segment, the
	// path being the client's own query or queryAll, by all); resolve makes
	// it a path.
	locatorID string
}

// resolve turns a short locator into the path of the client's API version.
func (p position) resolve(apiVersion string) position {
	if p.locatorID != "" {
		kind := "query"
		if p.all {
			kind = "queryAll"
		}
		p.Locator, p.locatorID, p.all = "/services/data/v"+apiVersion+"/"+kind+"/"+p.locatorID, "", false
	}
	return p
}

// cursorState is what a cursor holds. A cursor either locates a page by its
// locator (always sent to the client's own instance: QueryMore accepts
// nothing else), or—when the rows left unread are on a query's first page,
// which has no locator—holds the query itself to be run again. Instance ties
// it to the org that issued it. The locator is only its id (LocatorID, with
// All for queryAll) when its path is the issuing client's own API version,
// as Salesforce writes it: the cursor is sent and read twice per page (the
// text and structuredContent), so the path it can rebuild is left out.
type cursorState struct {
	Instance  string `json:"i"`
	Locator   string `json:"p,omitempty"`
	LocatorID string `json:"l,omitempty"`
	Skip      int    `json:"s,omitempty"`
	SOQL      string `json:"q,omitempty"`
	All       bool   `json:"a,omitempty"`
	PageSize  int    `json:"b,omitempty"`
}

// encode is the cursor of p, issued by the org at instanceURL through a
// client of apiVersion.
func (p position) encode(instanceURL, apiVersion string) string {
	st := cursorState{Instance: instanceTag(instanceURL), Locator: p.Locator, Skip: p.Skip, SOQL: p.soql, All: p.all, PageSize: p.pageSize}
	if st.Locator != "" {
		st.SOQL, st.All, st.PageSize = "", false, 0
		prefix := "/services/data/v" + apiVersion + "/"
		if rest, ok := strings.CutPrefix(st.Locator, prefix); ok && locatorPath.MatchString(st.Locator) {
			kind, id, _ := strings.Cut(rest, "/")
			st.Locator, st.LocatorID, st.All = "", id, kind == "queryAll"
		}
	}
	b, _ := json.Marshal(st)
	return base64.RawURLEncoding.EncodeToString(b)
}

// locatorPath is the shape of a Salesforce nextRecordsUrl; QueryMore checks
// it again, with the instance, before sending anything. locatorID is its
// last segment.
var (
	locatorPath = regexp.MustCompile(`^/services/data/v[0-9]{2,3}\.0/(query|queryAll)/[A-Za-z0-9]{15,18}-[0-9]{1,10}$`)
	locatorID   = regexp.MustCompile(`^[A-Za-z0-9]{15,18}-[0-9]{1,10}$`)
)

// parseCursor accepts one of our cursors, or a nextRecordsUrl as Salesforce
// wrote it (a path, or a full URL whose host QueryMore will check).
func parseCursor(s string) (position, error) {
	s = strings.TrimSpace(s)
	bad := func(why string) (position, error) {
		return position{}, inputErrorf("next_records_url", "%s", why)
	}
	if strings.HasPrefix(s, "/") || strings.Contains(s, "://") {
		return position{Locator: s}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return bad("is not a cursor from an earlier query result")
	}
	var st cursorState
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return bad("is not a cursor from an earlier query result")
	}
	switch {
	case st.Instance == "":
		return bad("names no org: it is not a cursor from an earlier query result of this sfmcp; run the query again")
	case st.Skip < 0 || st.Skip > maxPageSize:
		return bad("holds an impossible row offset")
	case (st.Locator != "" || st.LocatorID != "") && (st.SOQL != "" || st.PageSize != 0),
		st.Locator != "" && (st.LocatorID != "" || st.All):
		return bad("is not a cursor from an earlier query result")
	case st.Locator != "" && !locatorPath.MatchString(st.Locator),
		st.LocatorID != "" && !locatorID.MatchString(st.LocatorID):
		return bad("does not hold a query locator of this org")
	case st.Locator == "" && st.LocatorID == "" && strings.TrimSpace(st.SOQL) == "":
		return bad("is empty")
	case st.PageSize != 0 && (st.PageSize < minPageSize || st.PageSize > maxPageSize):
		return bad("holds an impossible page size")
	}
	return position{Locator: st.Locator, locatorID: st.LocatorID, Skip: st.Skip, soql: st.SOQL, all: st.All, pageSize: st.PageSize, instance: st.Instance}, nil
}

// walkResult is how a walk ended.
type walkResult struct {
	TotalSize int
	Count     int
	Done      bool
	Resume    position // where to continue when !Done
}

// errStaleCursor means the page a cursor points into has fewer rows than it skips.
var errStaleCursor = errors.New("next_records_url: the cursor no longer matches its query results; run the query again")

// walkPages reads rows from start, page after page, until the results end or
// limit rows (limit > 0) have gone to fn. It never fetches a page it will not
// read from. pageRows, if set, is given each page's rows that are about to
// go to fn (to make room for them at once).
func walkPages(ctx context.Context, c *salesforce.Client, start position, limit int, pageRows func([]json.RawMessage), fn func(json.RawMessage) error, pageDone func() error) (walkResult, error) {
	var (
		page *salesforce.QueryResult
		err  error
		res  walkResult
	)
	cur := start // cur.Locator is the current page's own locator ("" for a first page)
	if cur.Locator == "" {
		page, err = c.QueryFirstPage(ctx, cur.soql, salesforce.QueryOptions{All: cur.all, PageSize: cur.pageSize})
	} else {
		page, err = c.QueryMore(ctx, cur.Locator)
	}
	if err != nil {
		return res, err
	}
	res.TotalSize = page.TotalSize
	if cur.Skip > len(page.Records) {
		return res, &InputError{Field: "next_records_url", Message: strings.TrimPrefix(errStaleCursor.Error(), "next_records_url: ")}
	}
	idx := cur.Skip
	for {
		if pageRows != nil {
			end := len(page.Records)
			if limit > 0 {
				end = min(end, idx+max(limit-res.Count, 0))
			}
			pageRows(page.Records[idx:end])
		}
		for ; idx < len(page.Records); idx++ {
			if limit > 0 && res.Count >= limit {
				cur.Skip = idx
				res.Resume = cur
				return res, nil
			}
			if err := fn(page.Records[idx]); err != nil {
				return res, err
			}
			res.Count++
		}
		if pageDone != nil {
			if err := pageDone(); err != nil {
				return res, err
			}
		}
		if page.NextRecordsURL == "" {
			res.Done = true
			return res, nil
		}
		next := position{Locator: page.NextRecordsURL}
		if limit > 0 && res.Count >= limit {
			res.Resume = next
			return res, nil
		}
		// Another page to fetch: a multi-page read tells how far it is.
		want := res.TotalSize
		if limit > 0 && limit < want {
			want = limit
		}
		reportProgress(ctx, float64(res.Count), float64(max(want, res.Count)), fmt.Sprintf("%d of %d records read; fetching the next page", res.Count, max(want, res.Count)))
		if page, err = c.QueryMore(ctx, next.Locator); err != nil {
			return res, fmt.Errorf("after %d records: %w", res.Count, err)
		}
		cur, idx = next, 0
	}
}
