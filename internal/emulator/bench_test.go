package emulator_test

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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

// BenchmarkQueryPage2000 times one 2,000-row REST query page of 7 columns
// with a parent lookup (Owner.Name) over 10,000 Accounts: "first" runs the
// query (scan, filter, keep ids) and renders its first page; "next" renders
// a later page through nextRecordsUrl. Each iteration is one HTTP request
// with its JSON body read in full.
//
//	go test -run '^$' -bench QueryPage2000 -benchtime 20x ./internal/emulator/
func BenchmarkQueryPage2000(b *testing.B) {
	const total = 10_000
	s := emulatortest.New(b, func(o *emulator.Options) { o.NoSampleData = true })
	recs := make([]map[string]any, 200)
	for n := 0; n < total; n += 200 {
		for j := range recs {
			recs[j] = map[string]any{"attributes": map[string]string{"type": "Account"},
				"Name": fmt.Sprintf("Bench %06d", n+j), "Industry": "Technology", "NumberOfEmployees": n + j,
				"Phone": "+1 555 0100", "Website": "https://example.com/" + strconv.Itoa(n+j)}
		}
		status, body := s.Do(b, "POST", v+"/composite/sobjects", map[string]any{"allOrNone": true, "records": recs})
		if status != 200 || strings.Contains(string(body), `"success":false`) {
			b.Fatalf("insert: %d %.300s", status, body)
		}
	}
	first := v + "/query?q=" + url.QueryEscape("SELECT Id, Name, Industry, NumberOfEmployees, Phone, Website, Owner.Name FROM Account")
	// The loop only counts the records of each body, so that the time is
	// the emulator's, not this client's JSON decoding.
	page := func(path string) []byte {
		status, body := s.Do(b, "GET", path, nil)
		if status != 200 {
			b.Fatalf("query: %d %.300s", status, body)
		}
		if n := bytes.Count(body, []byte(`{"attributes":{"type":"Account"`)); n != 2000 {
			b.Fatalf("a page of %d records", n)
		}
		return body
	}
	full := decodeB[queryResult](b, page(first))
	if full.TotalSize != total || full.Records[0]["Owner"] == nil {
		b.Fatalf("first page: total %d, first record %v", full.TotalSize, full.Records[0])
	}
	// Wall time depends on what else the machine runs; the process's CPU
	// time per page (server and this client together) much less.
	run := func(b *testing.B, path string) {
		cpu := cpuTime()
		for b.Loop() {
			page(path)
		}
		b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	}
	b.Run("first", func(b *testing.B) { run(b, first) })
	next := full.NextRecordsURL
	b.Run("next", func(b *testing.B) { run(b, next) })
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkBulkIngest runs one Bulk API 2.0 insert job of BENCH_ROWS
// (default 100,000) Accounts with 6 columns, the CSV of
// .ci/bench-emulator.sh, over HTTP, against a file-backed org ("file", as
// `sfmcp emulator --data`) and an in-memory one ("memory", the default of
// emulator.Options): timed from the first byte of the upload to
// JobComplete. It reports rows/s and the process's CPU time per row (server
// and this client together; wall time depends on what else the machine
// runs, CPU time much less).
//
//	BENCH_ROWS=100000 go test -run '^$' -bench BulkIngest -benchtime 1x ./internal/emulator/
func BenchmarkBulkIngest(b *testing.B) {
	rows := 100_000
	if s := os.Getenv("BENCH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("BENCH_ROWS=%q", s)
		}
		rows = n
	}
	var data bytes.Buffer
	data.WriteString("Name,Industry,NumberOfEmployees,Phone,Website,Description\n")
	for i := range rows {
		fmt.Fprintf(&data, "\"Bench Account %d\",Energy,%d,+1 555 0100,https://example.com/%d,\"Row %d, with a comma\"\n", i, i%5000, i, i)
	}
	for _, file := range []bool{true, false} {
		name := "memory"
		if file {
			name = "file"
		}
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				dir := b.TempDir()
				s := emulatortest.New(b, func(o *emulator.Options) {
					o.NoSampleData = true
					if file {
						o.DataPath = filepath.Join(dir, "org.db")
					}
				})
				benchIngest(b, s, rows, data.String())
			}
		})
	}
}

// benchIngest uploads data as one insert job, waits for it to end and
// reports the figures of BenchmarkBulkIngest.
func benchIngest(b *testing.B, s *emulatortest.Server, rows int, data string) {
	c := newBulk(b, s)
	id := c.create(map[string]any{"object": "Account", "operation": "insert"})
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime()
	if r := c.do("PUT", bulkV+"/jobs/ingest/"+id+"/batches", data, false); r.status != 201 {
		b.Fatalf("upload: %d %s", r.status, r.body)
	}
	c.closeJob(id)
	var info map[string]any
	for {
		info = c.json("GET", bulkV+"/jobs/ingest/"+id, nil, 200)
		if st := info["state"]; st == "JobComplete" || st == "Failed" || st == "Aborted" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	elapsed, used := time.Since(start), cpuTime()-cpu
	b.StopTimer()
	if info["state"] != "JobComplete" || num(info["numberRecordsProcessed"]) != rows || num(info["numberRecordsFailed"]) != 0 {
		b.Fatalf("job ended: %v", info)
	}
	b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(used.Nanoseconds())/1000/float64(rows), "cpu-µs/row")
	b.ReportMetric(float64(peakRSSKB())/1024, "peak-RSS-MB")
}
