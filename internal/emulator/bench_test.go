package emulator_test

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// BenchmarkEmulator100k inserts 100,000 Accounts through sObject Collections
// (200 a call, over HTTP) and pages them all out through query, 2000 a page.
// It reports each phase's records/s and the process's peak RSS.
//
//	go test -run '^$' -bench Emulator100k -benchtime 1x ./internal/emulator/
func BenchmarkEmulator100k(b *testing.B) {
	const total = 100_000
	for i := 0; i < b.N; i++ {
		s := emulatortest.New(b, func(o *emulator.Options) { o.NoSampleData = true })
		start := time.Now()
		recs := make([]map[string]any, 200)
		for n := 0; n < total; n += 200 {
			for j := range recs {
				recs[j] = map[string]any{"attributes": map[string]string{"type": "Account"},
					"Name": fmt.Sprintf("Bench %06d", n+j), "Industry": "Technology", "NumberOfEmployees": n + j}
			}
			status, body := s.Do(b, "POST", v+"/composite/sobjects", map[string]any{"allOrNone": true, "records": recs})
			if status != 200 || strings.Contains(string(body), `"success":false`) {
				b.Fatalf("insert: %d %.300s", status, body)
			}
		}
		insert := time.Since(start)
		start = time.Now()
		next := v + "/query?q=" + url.QueryEscape("SELECT Id, Name, Industry, NumberOfEmployees FROM Account")
		got := 0
		for next != "" {
			status, body := s.Do(b, "GET", next, nil)
			if status != 200 {
				b.Fatalf("query: %d %.300s", status, body)
			}
			page := decodeB[queryResult](b, body)
			got += len(page.Records)
			next = page.NextRecordsURL
		}
		read := time.Since(start)
		if got != total {
			b.Fatalf("paged out %d records, want %d", got, total)
		}
		b.ReportMetric(total/insert.Seconds(), "insert-rec/s")
		b.ReportMetric(total/read.Seconds(), "query-rec/s")
		b.ReportMetric(float64(peakRSSKB())/1024, "peak-RSS-MB")
	}
}

func decodeB[T any](b *testing.B, data []byte) T {
	var out T
	if err := jsonUnmarshal(data, &out); err != nil {
		b.Fatal(err)
	}
	return out
}

// peakRSSKB reads the process's high-water resident set size (Linux only).
func peakRSSKB() int {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return n
		}
	}
	return 0
}
