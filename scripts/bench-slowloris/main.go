// Command bench-slowloris measures what slow request bodies cost a server:
// it opens many connections that each send a POST's headers and then one
// byte of body every interval, spread over several loopback source
// addresses, and samples the server's resident memory from /proc while
// they trickle. It reports how many connections the server still holds,
// how many it refused or cut off (and with which status), and VmRSS/VmHWM.
//
// It is a benchmark tool (BENCHMARKS.md, .ci/bench-slowloris.sh), not a
// test: it asserts nothing. Linux only (/proc, 127.0.0.0/8 source addresses).
//
//	go run ./scripts/bench-slowloris -target http://127.0.0.1:8000 -pid 1234 -conns 3000
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type endpoint struct {
	path, contentType string
}

func main() {
	target := flag.String("target", "", "server base URL, like http://127.0.0.1:8000")
	pid := flag.Int("pid", 0, "server process id (for /proc/PID/status)")
	conns := flag.Int("conns", 3000, "connections to open")
	sources := flag.Int("sources", 30, "loopback source addresses to spread them over (127.0.0.2, ...)")
	interval := flag.Duration("interval", 2*time.Second, "time between body bytes")
	hold := flag.Duration("hold", 70*time.Second, "how long to keep trickling after the last connection opened")
	ramp := flag.Duration("ramp", 10*time.Second, "time over which the connections are opened")
	sample := flag.Duration("sample", 5*time.Second, "time between samples")
	length := flag.Int("length", 1000, "Content-Length each request declares (it never sends that much)")
	paths := flag.String("paths", "/mcp=application/json,/token=application/x-www-form-urlencoded,/register=application/json,/authorize/consent=application/x-www-form-urlencoded", "path=content-type list; connections go round-robin")
	flag.Parse()
	if *target == "" || *pid == 0 {
		fmt.Fprintln(os.Stderr, "usage: bench-slowloris -target URL -pid PID [-conns N]")
		os.Exit(2)
	}
	u, err := url.Parse(*target)
	if err != nil || u.Host == "" {
		fmt.Fprintln(os.Stderr, "bad -target:", *target)
		os.Exit(2)
	}
	var eps []endpoint
	for _, p := range strings.Split(*paths, ",") {
		path, ct, _ := strings.Cut(p, "=")
		eps = append(eps, endpoint{path, ct})
	}

	b := &bench{host: u.Host, interval: *interval, length: *length, outcomes: map[string]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	base := rss(*pid)
	fmt.Printf("server pid %d, before: VmRSS %s, VmHWM %s\n", *pid, mib(base.rss), mib(base.hwm))
	fmt.Printf("%8s %8s %8s %10s %10s  %s\n", "elapsed", "opened", "held", "VmRSS", "VmHWM", "cut/refused so far")
	start := time.Now()
	report := func() {
		m := rss(*pid)
		fmt.Printf("%7.0fs %8d %8d %10s %10s  %s\n", time.Since(start).Seconds(), b.opened.Load(), b.held.Load(), mib(m.rss), mib(m.hwm), b.outcomeString())
	}
	ticker := time.NewTicker(*sample)
	defer ticker.Stop()
	go func() {
		for range ticker.C {
			report()
		}
	}()

	var wg sync.WaitGroup
	gap := *ramp / time.Duration(*conns)
	for i := range *conns {
		src := net.IPv4(127, 0, 0, byte(2+i%*sources))
		ep := eps[i%len(eps)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.slow(ctx, src, ep)
		}()
		time.Sleep(gap)
	}
	time.Sleep(*hold)
	report()
	m := rss(*pid)
	fmt.Printf("summary: conns %d, still held %d, peak VmHWM %s (before: VmRSS %s), outcomes: %s\n",
		*conns, b.held.Load(), mib(m.hwm), mib(base.rss), b.outcomeString())
	cancel()
	wg.Wait()
}

type bench struct {
	host     string
	interval time.Duration
	length   int
	opened   atomic.Int64
	held     atomic.Int64
	mu       sync.Mutex
	outcomes map[string]int
}

func (b *bench) outcome(s string) {
	b.mu.Lock()
	b.outcomes[s]++
	b.mu.Unlock()
}

func (b *bench) outcomeString() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var keys []string
	for k := range b.outcomes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, b.outcomes[k]))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

// slow holds one connection: headers, then a body byte every interval,
// until ctx ends or the server answers or closes.
func (b *bench) slow(ctx context.Context, src net.IP, ep endpoint) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: 10 * time.Second}
	c, err := d.DialContext(ctx, "tcp", b.host)
	if err != nil {
		b.outcome("dial-error")
		return
	}
	defer c.Close()
	b.opened.Add(1)
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", ep.path, b.host, ep.contentType, b.length)
	if _, err := c.Write([]byte(head)); err != nil {
		b.outcome("write-error")
		return
	}
	b.held.Add(1)
	defer b.held.Add(-1)
	answered := make(chan string, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			answered <- "closed"
			return
		}
		resp.Body.Close()
		answered <- strconv.Itoa(resp.StatusCode)
	}()
	t := time.NewTicker(b.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-answered:
			b.outcome(s)
			return
		case <-t.C:
			if _, err := c.Write([]byte("x")); err != nil {
				select {
				case s := <-answered:
					b.outcome(s)
				case <-time.After(time.Second):
					b.outcome("write-error")
				}
				return
			}
		}
	}
}

type mem struct{ rss, hwm int64 }

// rss reads VmRSS and VmHWM (kB) of pid.
func rss(pid int) mem {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return mem{-1, -1}
	}
	var m mem
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			m.rss = n
		case "VmHWM:":
			m.hwm = n
		}
	}
	return m
}

func mib(kb int64) string {
	if kb < 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f MiB", float64(kb)/1024)
}
