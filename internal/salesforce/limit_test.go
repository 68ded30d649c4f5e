package salesforce

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
)

// endlessBody answers 200 with prefix and then filler for as long as the
// client keeps reading: a misbehaving or hostile instance, or a proxy.
func endlessBody(contentType, prefix string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(http.StatusOK)
		if _, err := io.WriteString(w, prefix); err != nil {
			return
		}
		chunk := []byte(strings.Repeat(" ", 32<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
}

// boundedReads counts the response-body bytes the client consumes and fails
// the read once they pass max: a client that does not bound its reads gets an
// error (instead of reading forever), and the count shows how far it got.
type boundedReads struct {
	next http.RoundTripper
	max  int64
	read atomic.Int64
}

var errReadPastBound = errors.New("the client read past the test's bound")

func (b *boundedReads) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := b.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusOK { // the huge bodies; not the small error answers before a refresh
		resp.Body = &countedBody{ReadCloser: resp.Body, b: b}
	}
	return resp, nil
}

type countedBody struct {
	io.ReadCloser
	b *boundedReads
}

func (c *countedBody) Read(p []byte) (int, error) {
	if c.b.read.Load() > c.b.max {
		return 0, errReadPastBound
	}
	n, err := c.ReadCloser.Read(p)
	c.b.read.Add(int64(n))
	return n, err
}

// TestHugeResponsesAreRefused: every call that reads a whole answer into
// memory stops at its limit with an error naming the limit and the endpoint,
// having read no more than limit+1 bytes of an endless body.
func TestHugeResponsesAreRefused(t *testing.T) {
	const limit = 1 << 20
	ctx := context.Background()
	json := endlessBody("application/json;charset=UTF-8", `{"totalSize":1,"done":true,"records":[{"Name":"`)
	soap := endlessBody("text/xml;charset=UTF-8", `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><convertLeadResponse><result><leadId>`)
	for _, tc := range []struct {
		name, endpoint string
		limit          int64
		handler        http.HandlerFunc
		call           func(c *Client) error
		refresh        bool
	}{
		{"GetRecord", "GET /services/data/v62.0/sobjects/Account/001000000000001AAA", limit, json, func(c *Client) error {
			_, err := c.GetRecord(ctx, "Account", "001000000000001AAA", nil)
			return err
		}, false},
		{"QueryPage", "GET /services/data/v62.0/query:", limit, json, func(c *Client) error {
			_, err := c.QueryPage(ctx, "SELECT Name FROM Account", false)
			return err
		}, false},
		{"DescribeSObject", "GET /services/data/v62.0/sobjects/Account/describe", limit, json, func(c *Client) error {
			_, err := c.DescribeSObject(ctx, "Account")
			return err
		}, false},
		{"UserInfo", "GET /services/oauth2/userinfo", limit, json, func(c *Client) error {
			_, err := c.UserInfo(ctx)
			return err
		}, false},
		{"ConvertLead", "POST /services/Soap/u/62.0", limit, soap, func(c *Client) error {
			_, err := c.ConvertLead(ctx, []LeadConvert{{LeadID: "00Q000000000001EAA", ConvertedStatus: "Closed - Converted"}})
			return err
		}, false},
		{"refresh at the token endpoint", "POST http://127.0.0.1", maxTokenResponse, json, func(c *Client) error {
			_, err := c.GetRecord(ctx, "Account", "001000000000001AAA", nil)
			return err
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			counter := &boundedReads{next: NewTransport(), max: 4 * tc.limit}
			var opts []clientOption
			org, _ := newFakeOrg(t, tc.handler)
			if tc.refresh {
				org, _ = newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) { writeInvalidSession(w) })
				tok, _ := newFakeOrg(t, tc.handler)
				opts = append(opts, withRefresh(tok.URL+"/services/oauth2/token", nil))
			}
			opts = append(opts, func(c *Config, _ *TokenSourceConfig) {
				c.HTTPClient = &http.Client{Transport: counter}
				c.MaxResponseBytes = limit
			})
			c := newTestClient(t, org.URL, opts...)
			err := tc.call(c)
			var tl *ResponseTooLargeError
			if !errors.As(err, &tl) {
				t.Fatalf("error %T %v, want a *ResponseTooLargeError (client read %d bytes)", err, err, counter.read.Load())
			}
			if tl.Limit != tc.limit {
				t.Errorf("limit %d, want %d", tl.Limit, tc.limit)
			}
			msg := err.Error()
			if !strings.Contains(msg, strings.SplitN(tc.endpoint, ":", 2)[0]) || !strings.Contains(msg, formatBytes(tc.limit)+" limit") {
				t.Errorf("error %q should name %q and the %s limit", msg, tc.endpoint, formatBytes(tc.limit))
			}
			if strings.Contains(msg, "SELECT") {
				t.Errorf("error repeats the query text: %q", msg)
			}
			assertNoSecrets(t, "error", msg)
			if n := counter.read.Load(); n > tc.limit+1 {
				t.Errorf("the client read %d bytes of the body, more than limit+1 (%d)", n, tc.limit+1)
			} else if n < tc.limit {
				// The body came through the caller's transport, not another.
				t.Errorf("the caller's transport read %d bytes, want at least the %d limit", n, tc.limit)
			}
		})
	}
}

// TestMaxResponseBytesDefault: a zero limit is the documented default; a
// negative one is refused.
func TestMaxResponseBytesDefault(t *testing.T) {
	c := newTestClient(t, "http://127.0.0.1:1")
	if c.maxBody != DefaultMaxResponseBytes || DefaultMaxResponseBytes != 64<<20 {
		t.Fatalf("default limit %d", c.maxBody)
	}
	_, err := New(Config{HTTPClient: NewHTTPClient(), Tokens: NewTokenSource(TokenSourceConfig{Token: Token{AccessToken: "x", InstanceURL: "http://127.0.0.1:1"}}), MaxResponseBytes: -1})
	if err == nil || !strings.Contains(err.Error(), "MaxResponseBytes") {
		t.Fatalf("negative limit: %v", err)
	}
	if got := fmt.Sprint(formatBytes(64 << 20)); got != "64 MiB" {
		t.Errorf("formatBytes = %q", got)
	}
}

// TestReadLimitedBoundary: a body of exactly the limit is read; one byte more
// is refused.
func TestReadLimitedBoundary(t *testing.T) {
	for _, tc := range []struct {
		body   string
		tooBig bool
	}{{"abcd", false}, {"abcde", true}, {"", false}} {
		b, err := readLimited(strings.NewReader(tc.body), 4)
		if tc.tooBig != errors.Is(err, errBodyTooLarge) || (!tc.tooBig && string(b) != tc.body) {
			t.Errorf("readLimited(%q, 4) = %q, %v", tc.body, b, err)
		}
	}
}

// TestReadLimitedSize: whatever size the body claims (right, too small, too
// large, none), it reads as with readLimited, the limit included; the read
// comes in small pieces so that the buffer must grow past a wrong claim.
func TestReadLimitedSize(t *testing.T) {
	for _, tc := range []struct {
		body  string
		size  int64
		limit int64
	}{
		{"abcd", 4, 8}, {"abcd", 2, 8}, {"abcd", 7, 8}, {"abcd", -1, 8}, {"", 0, 8},
		{"abcdefgh", 8, 8}, {"abcdefghi", 9, 8}, {"abcdefghi", 3, 8}, {"abcdefghi", 8, 8},
		{strings.Repeat("x", 5000), 5000, 1 << 20}, {strings.Repeat("x", 5000), 100, 1 << 20},
		// A declared length past the limit is never trusted for the buffer:
		// a server claiming 2^62 bytes must not get them allocated.
		{"abcd", 1 << 62, 8},
	} {
		want, wantErr := readLimited(iotest.OneByteReader(strings.NewReader(tc.body)), tc.limit)
		got, err := readLimitedSize(iotest.OneByteReader(strings.NewReader(tc.body)), tc.limit, tc.size)
		if string(got) != string(want) || errors.Is(err, errBodyTooLarge) != errors.Is(wantErr, errBodyTooLarge) {
			t.Errorf("readLimitedSize(%d bytes, limit %d, size %d) = %d bytes, %v; readLimited: %d bytes, %v",
				len(tc.body), tc.limit, tc.size, len(got), err, len(want), wantErr)
		}
	}
	// A read error comes back as it does from readLimited.
	boom := errors.New("boom")
	if _, err := readLimitedSize(io.MultiReader(strings.NewReader("ab"), iotest.ErrReader(boom)), 8, 4); !errors.Is(err, boom) {
		t.Errorf("read error: got %v, want boom", err)
	}
}

// TestBulkStreamsAreNotCapped: Bulk results and uploads are streamed, so
// MaxResponseBytes (the bound on answers read whole) must not cut them: a
// Bulk 2.0 query results page or an ingest job's results can be far larger
// than any REST answer. With a 1 MiB limit, 8 MiB pass both ways in full,
// and the upload goes out chunked, never buffered to learn its length.
func TestBulkStreamsAreNotCapped(t *testing.T) {
	const limit, size = 1 << 20, 8 << 20
	row := strings.Repeat("x", 1023) + "\n"
	body := "Name\n" + strings.Repeat(row, size/len(row))
	var uploaded atomic.Int64
	var chunked atomic.Bool
	org, _ := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/batches"):
			chunked.Store(r.ContentLength == -1 && slices.Contains(r.TransferEncoding, "chunked"))
			n, _ := io.Copy(io.Discard, r.Body)
			uploaded.Store(n)
			w.WriteHeader(http.StatusCreated)
		case strings.HasSuffix(r.URL.Path, "/results") || strings.HasSuffix(r.URL.Path, "/"+SuccessfulResults):
			w.Header().Set("Content-Type", "text/csv")
			w.Header().Set("Sforce-NumberOfRecords", fmt.Sprint(size/len(row)))
			w.Header().Set("Sforce-Locator", "null")
			// A client that stops reading must not hold the test server.
			_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(10 * time.Second))
			_, _ = io.WriteString(w, body)
		default:
			http.NotFound(w, r)
		}
	})
	c := newTestClient(t, org.URL, func(c *Config, _ *TokenSourceConfig) { c.MaxResponseBytes = limit })
	ctx := context.Background()
	const job = "750000000000001AAA"

	page, err := c.QueryJobResults(ctx, job, "", 0)
	if err != nil {
		t.Fatalf("query results: %v", err)
	}
	n, err := io.Copy(io.Discard, page.Body)
	page.Body.Close()
	if err != nil || n != int64(len(body)) {
		t.Errorf("query results page: read %d of %d bytes: %v", n, len(body), err)
	}

	rc, err := c.IngestResults(ctx, job, SuccessfulResults)
	if err != nil {
		t.Fatalf("ingest results: %v", err)
	}
	n, err = io.Copy(io.Discard, rc)
	rc.Close()
	if err != nil || n != int64(len(body)) {
		t.Errorf("ingest results: read %d of %d bytes: %v", n, len(body), err)
	}

	if err := c.UploadJobData(ctx, job, strings.NewReader(body)); err != nil {
		t.Fatalf("upload: %v", err)
	}
	if uploaded.Load() != int64(len(body)) || !chunked.Load() {
		t.Errorf("upload: %d of %d bytes arrived, chunked %v", uploaded.Load(), len(body), chunked.Load())
	}
}
