package salesforce

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/h1"
)

// BenchmarkQueryFirstPage is one QueryFirstPage through h1's transport (as
// serve sends) and through net/http's, to a loopback upstream that answers a
// one-row page at once with the headers Salesforce sends. The upstream
// writes a canned answer without allocating, so allocs/op are the client's.
// h1-observed has an observer, as serve's telemetry is; h1-page200 is a
// page of 200 records: the per-record cost of decoding.
//
//	go test -run '^$' -bench BenchmarkQueryFirstPage -benchmem ./internal/salesforce/
func BenchmarkQueryFirstPage(b *testing.B) {
	for _, tr := range []struct {
		name string
		hc   func() *http.Client
	}{
		{"h1", func() *http.Client { return WithoutRedirects(&http.Client{Transport: h1.NewTransport(NewTransport())}) }},
		{"net-http", NewHTTPClient},
	} {
		b.Run(tr.name, func(b *testing.B) { benchQueryFirstPage(b, tr.hc, benchPage, 1, nil) })
	}
	// With an observer, as serve's telemetry is: the client's side of it.
	b.Run("h1-observed", func(b *testing.B) {
		benchQueryFirstPage(b, func() *http.Client { return WithoutRedirects(&http.Client{Transport: h1.NewTransport(NewTransport())}) }, benchPage, 1, benchObserver{})
	})
	// A page of 200 records through h1: the per-record cost of decoding.
	var page strings.Builder
	page.WriteString(`{"totalSize":200,"done":true,"records":[`)
	for i := range 200 {
		if i > 0 {
			page.WriteByte(',')
		}
		fmt.Fprintf(&page, `{"attributes":{"type":"Opportunity","url":"/services/data/v62.0/sobjects/Opportunity/006%015d"},"Id":"006%015d","Name":"Deal %d, phase \"2\"",`+
			`"Amount":%d.5,"StageName":"Closed Won","IsClosed":true,"CloseDate":"2026-11-%02d","Description":null}`, i, i, i, i*100, i%28+1)
	}
	page.WriteString(`]}`)
	b.Run("h1-page200", func(b *testing.B) {
		benchQueryFirstPage(b, func() *http.Client { return WithoutRedirects(&http.Client{Transport: h1.NewTransport(NewTransport())}) }, page.String(), 200, nil)
	})
}

// benchPage is a Salesforce query page of one account.
const benchPage = `{"totalSize":1,"done":true,"records":[` +
	`{"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/001000000000001AAA"},"Id":"001000000000001AAA","Name":"Acme"}]}`

func benchQueryFirstPage(b *testing.B, newHC func() *http.Client, body string, n int, obs Observer) {
	url := cannedUpstream(b, "HTTP/1.1 200 OK\r\n"+
		"Date: Sun, 06 Dec 2026 07:30:00 GMT\r\n"+
		"Content-Type: application/json;charset=UTF-8\r\n"+
		"Sforce-Limit-Info: api-usage=25/15000\r\n"+
		"Vary: Accept-Encoding\r\n"+
		"Cache-Control: no-cache,must-revalidate,max-age=0,no-store,private\r\n"+
		"Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
	c := newTestClient(b, url, func(cfg *Config, _ *TokenSourceConfig) { cfg.HTTPClient, cfg.Observer = newHC(), obs })
	ctx, cancel := context.WithCancel(context.Background()) // as a server request's: it can end
	defer cancel()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := c.QueryFirstPage(ctx, "SELECT Id, Name FROM Account WHERE Name = 'Acme'", QueryOptions{})
			if err != nil || len(res.Records) != n {
				b.Fatalf("%v %v", res, err)
			}
		}
	})
}

// cannedUpstream listens on loopback and answers every request (a head
// without a body) with answer; it returns the base URL.
func cannedUpstream(tb testing.TB, answer string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go serveCanned(nc, []byte(answer))
		}
	}()
	return "http://" + ln.Addr().String()
}

func serveCanned(nc net.Conn, answer []byte) {
	defer nc.Close()
	br := bufio.NewReader(nc)
	for {
		// The head ends at an empty line; GETs carry no body.
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(bytes.TrimRight(line, "\r\n")) == 0 {
				break
			}
		}
		if _, err := nc.Write(answer); err != nil {
			return
		}
	}
}

// benchObserver hears of everything and does nothing: what the client
// itself spends on an observer.
type benchObserver struct{}

func (benchObserver) RequestStarted(ctx context.Context, _ RequestInfo) (context.Context, func(RequestResult)) {
	return ctx, func(RequestResult) {}
}
func (benchObserver) Refreshed(context.Context, error) {}
func (benchObserver) APIUsage(string, int, int)        {}
