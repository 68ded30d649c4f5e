package ops

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator"
)

// TestQueryAppliesTheGuard: the rows a query returns pass through the
// context's guard, so a hidden field never leaves, and rows of an object the
// guard does not allow are dropped (the query's text is checked elsewhere,
// before it is sent; this is the second check, on the answer).
func TestQueryAppliesTheGuard(t *testing.T) {
	t.Parallel()
	_, c := newOrg(t)
	const soql = "SELECT Id, Name FROM Account ORDER BY Id"
	for _, tt := range []struct {
		name    string
		guard   *Guard
		rows    int
		columns []string
	}{
		{"no guard", nil, 5, []string{"Id", "Name"}},
		{"hidden field", &Guard{DenyFields: []string{"Account.Name"}}, 5, []string{"Id"}},
		{"object not allowed", &Guard{AllowObjects: []string{"Contact"}}, 0, []string{}},
	} {
		ctx := WithGuard(context.Background(), tt.guard)
		out, err := Query(ctx, c, QueryInput{SOQL: soql, MaxRecords: 5})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if out.Returned != tt.rows || len(out.Rows) != tt.rows || !slices.Equal(out.Columns, tt.columns) {
			t.Errorf("%s: %d rows (returned %d) of %v; want %d of %v", tt.name, len(out.Rows), out.Returned, out.Columns, tt.rows, tt.columns)
		}
		if out.TotalSize != emulator.SampleSizes.Accounts {
			t.Errorf("%s: total %d", tt.name, out.TotalSize)
		}
	}
}

// TestStreamQueryPageDone: PageDone runs after every page's rows, and its
// error ends the stream with that error before the next page is fetched.
func TestStreamQueryPageDone(t *testing.T) {
	t.Parallel()
	_, c := newOrg(t)
	ctx := context.Background()
	var pages, rows []int
	n := 0
	stats, err := StreamQuery(ctx, c, StreamInput{SOQL: "SELECT Id FROM Account", PageDone: func() error { pages = append(pages, n); return nil }},
		func(json.RawMessage) error { n++; return nil })
	rows = append(rows, n)
	want := emulator.SampleSizes.Accounts
	if err != nil || stats.Count != want || !stats.Done || !slices.Equal(pages, []int{200, want}) {
		t.Fatalf("stream: %+v %v; PageDone after rows %v, want [200 %d]", stats, err, pages, want)
	}

	flushErr := errors.New("stdout closed")
	n, pages = 0, nil
	stats, err = StreamQuery(ctx, c, StreamInput{SOQL: "SELECT Id FROM Account", PageDone: func() error { pages = append(pages, n); return flushErr }},
		func(json.RawMessage) error { n++; return nil })
	if !errors.Is(err, flushErr) || stats.Count != 200 || stats.Done || len(pages) != 1 {
		t.Fatalf("failing PageDone: %+v %v, PageDone calls %v; want the error after the first page", stats, err, pages)
	}
}

// TestQueryProgress: a read that fetches another page first reports how far
// it is, out of the rows the query matches, or out of its limit when that is
// smaller.
func TestQueryProgress(t *testing.T) {
	t.Parallel()
	_, c := newOrg(t)
	type report struct{ done, total float64 }
	watch := func() (context.Context, *[]report) {
		var got []report
		return WithProgress(context.Background(), func(done, total float64, msg string) {
			if !strings.Contains(msg, "fetching the next page") {
				t.Errorf("progress message %q", msg)
			}
			got = append(got, report{done, total})
		}), &got
	}
	all := float64(emulator.SampleSizes.Accounts)

	// No limit: out of every row the query matches.
	ctx, got := watch()
	if _, err := StreamQuery(ctx, c, StreamInput{SOQL: "SELECT Id FROM Account"}, func(json.RawMessage) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(*got, []report{{200, all}}) {
		t.Errorf("stream without a limit: progress %v, want [{200 %v}]", *got, all)
	}

	// A limit below the total, reached on the second page: out of the limit.
	// (A cursor 10 rows into a 200-row first page, then 220 rows from it.)
	first, err := Query(context.Background(), c, QueryInput{SOQL: "SELECT Id FROM Account ORDER BY Id", MaxRecords: 10})
	if err != nil || first.NextRecordsURL == "" {
		t.Fatalf("first: %v %q", err, first.NextRecordsURL)
	}
	ctx, got = watch()
	more, err := QueryMore(ctx, c, QueryMoreInput{NextRecordsURL: first.NextRecordsURL, MaxRecords: 220})
	if err != nil || more.Returned != 220 {
		t.Fatalf("query_more: %d rows, %v", more.Returned, err)
	}
	if !slices.Equal(*got, []report{{190, 220}}) {
		t.Errorf("query_more of 220: progress %v, want [{190 220}]", *got)
	}
}

// TestQueryStripsIntoOnePagesBuffer: the records a query returns without
// attributes (written one after another into a buffer a page) are each
// StripAttributes of the record as sent, capped so that appending to one
// never reaches the next, across pages and from a cursor inside a page.
func TestQueryStripsIntoOnePagesBuffer(t *testing.T) {
	t.Parallel()
	_, c := newOrg(t)
	ctx := context.Background()
	const soql = "SELECT Id, Name, Owner.Name FROM Account ORDER BY Id"
	check := func(name string, run func(attributes bool) (QueryOutput, error)) {
		t.Helper()
		with, err := run(true)
		if err != nil {
			t.Fatalf("%s with attributes: %v", name, err)
		}
		without, err := run(false)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(with.Records) == 0 || len(with.Records) != len(without.Records) {
			t.Fatalf("%s: %d and %d records", name, len(with.Records), len(without.Records))
		}
		for i, rec := range without.Records {
			if want := StripAttributes(with.Records[i]); string(rec) != string(want) {
				t.Errorf("%s: record %d is %s, want %s", name, i, rec, want)
			}
			if cap(rec) != len(rec) {
				t.Errorf("%s: record %d has room for %d more bytes", name, i, cap(rec)-len(rec))
			}
		}
		_ = append(without.Records[0], 'x')
		if string(without.Records[1]) != string(StripAttributes(with.Records[1])) {
			t.Errorf("%s: appending to record 0 changed record 1", name)
		}
	}
	query := func(max int) func(bool) (QueryOutput, error) {
		return func(attributes bool) (QueryOutput, error) {
			return Query(ctx, c, QueryInput{SOQL: soql, MaxRecords: max, Attributes: attributes, RecordFormat: RecordFormatObjects})
		}
	}
	check("one page", query(5))
	check("two pages", query(250))
	first, err := Query(ctx, c, QueryInput{SOQL: soql, MaxRecords: 10})
	if err != nil {
		t.Fatal(err)
	}
	check("from a cursor", func(attributes bool) (QueryOutput, error) {
		return QueryMore(ctx, c, QueryMoreInput{NextRecordsURL: first.NextRecordsURL, MaxRecords: 300, Attributes: attributes, RecordFormat: RecordFormatObjects})
	})
}
