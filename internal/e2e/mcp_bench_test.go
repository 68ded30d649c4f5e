package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// BenchmarkServeHTTPQuery: 50 concurrent clients × 200 salesforce_query calls
// through `sfmcp serve --transport http` against an emulator, beside the
// same query sent to the emulator directly. Reports throughput, the median
// and p99 latency sfmcp adds, errors and the server's peak RSS.
//
//	go test -run '^$' -bench BenchmarkServeHTTPQuery -benchtime 1x ./internal/e2e/
func BenchmarkServeHTTPQuery(b *testing.B) {
	const clients, calls = 50, 200
	em := emulatortest.New(b)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + b.TempDir(), "LOG_LEVEL=warn",
		"SALESFORCE_INSTANCE_URL=" + em.URL, "SFMCP_ALLOWED_INSTANCE_HOSTS=" + emulatorHost(em)}
	base, pid := startServeBench(b, env)
	soql := "SELECT Id, Name FROM Account ORDER BY Name LIMIT 10"
	mcpBody := toolCallBody("salesforce_query", map[string]any{"soql": soql, "max_records": 10})
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}

	direct := func() error {
		req, _ := http.NewRequest("GET", em.URL+"/services/data/v66.0/query?q="+strings.ReplaceAll(soql, " ", "+"), nil)
		req.Header.Set("Authorization", "Bearer "+em.Token.AccessToken)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		return nil
	}
	viaMCP := func() error {
		req, _ := http.NewRequest("POST", base+"/mcp", strings.NewReader(mcpBody))
		req.Header.Set("Authorization", "Bearer "+em.Token.AccessToken)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || bytes.Contains(body, []byte(`"isError":true`)) || !bytes.Contains(body, []byte(`"returned":10`)) {
			return fmt.Errorf("HTTP %d %.200s", resp.StatusCode, body)
		}
		return nil
	}
	for b.Loop() {
		dLat, dErr, dDur := load(clients, calls, direct)
		mLat, mErr, mDur := load(clients, calls, viaMCP)
		n := float64(clients * calls)
		b.ReportMetric(n/mDur.Seconds(), "mcp-calls/s")
		b.ReportMetric(n/dDur.Seconds(), "direct-calls/s")
		b.ReportMetric(ms(pct(mLat, 50)), "mcp-p50-ms")
		b.ReportMetric(ms(pct(dLat, 50)), "direct-p50-ms")
		b.ReportMetric(ms(pct(mLat, 50)-pct(dLat, 50)), "added-p50-ms")
		b.ReportMetric(ms(pct(mLat, 99)-pct(dLat, 99)), "added-p99-ms")
		b.ReportMetric(float64(mErr+dErr), "errors")
		b.ReportMetric(float64(peakRSSKB(pid))/1024, "serve-peak-RSS-MB")
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func pct(l []time.Duration, p int) time.Duration {
	if len(l) == 0 {
		return 0
	}
	return l[(len(l)-1)*p/100]
}

// load runs calls × clients of fn concurrently; sorted latencies, errors, wall time.
func load(clients, calls int, fn func() error) ([]time.Duration, int, time.Duration) {
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			mine := make([]time.Duration, 0, calls)
			bad := 0
			for range calls {
				t0 := time.Now()
				if err := fn(); err != nil {
					bad++
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	wall := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat, errs, wall
}

func peakRSSKB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb
		}
	}
	return 0
}

func toolCallBody(name string, args any) string {
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": map[string]any{"name": name, "arguments": args}})
	return string(b)
}

func startServeBench(b *testing.B, env []string) (string, int) {
	b.Helper()
	port := freePort(b)
	cmd := exec.Command(binary, "serve", "--transport", "http", "--port", fmt.Sprint(port))
	cmd.Env = env
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() })
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for i := 0; i < 400; i++ {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			return base, cmd.Process.Pid
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Fatal("serve did not start")
	return "", 0
}

// BenchmarkServeStdioStart: from starting `sfmcp serve` to the answer to
// tools/list (after initialize), over stdio.
//
//	go test -run '^$' -bench BenchmarkServeStdioStart ./internal/e2e/
func BenchmarkServeStdioStart(b *testing.B) {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + b.TempDir(), "LOG_LEVEL=warn",
		"SALESFORCE_ACCESS_TOKEN=unused", "SALESFORCE_INSTANCE_URL=https://example.my.salesforce.com"}
	in := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}` + "\n" +
		`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n" +
		`{"jsonrpc":"2.0","id":2,"method":"tools/list"}` + "\n"
	for b.Loop() {
		cmd := exec.Command(binary, "serve")
		cmd.Env = env
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		_, _ = io.WriteString(stdin, in)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 8<<20)
		got := false
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), `{"jsonrpc":"2.0","id":2,`) {
				got = true
				break
			}
		}
		stdin.Close()
		_ = cmd.Wait()
		if !got {
			b.Fatal("no tools/list answer")
		}
	}
}

func freePort(b testing.TB) int {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
