// Command proxy-floor measures what HTTP alone costs serve per call: a
// proxy that does nothing but read a small POST, send one GET upstream and
// answer with the upstream's body, once built on net/http's server and
// client and once on internal/h1's. The CPU per call of that proxy process
// (utime + stime from /proc ÷ calls) is the floor under sfmcp's own work in
// BenchmarkServeHTTPQueryFixedUpstream (BENCHMARKS.md, issue 16).
//
// It re-executes itself for the upstream and for each proxy, so that each
// runs in its own process, and alternates the two proxies -rounds times.
// A benchmark tool, not a test: it asserts nothing. Linux only (/proc).
//
//	go run ./scripts/proxy-floor -conns 8 -calls 40000 -rounds 2
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sfmcp/sfmcp/internal/h1"
)

// page is the one-row query page the benchmark's fixed upstream answers.
const page = `{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/001000000000001AAA"},"Id":"001000000000001AAA","Name":"Acme"}]}`

// callBody is a tools/call the size of the benchmark's.
const callBody = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"salesforce_query","arguments":{"max_records":1,"soql":"SELECT Id, Name FROM Account ORDER BY Name LIMIT 1"}}}`

func main() {
	role := flag.String("role", "", "internal: upstream, nethttp or h1 (a child process)")
	listen := flag.String("listen", "", "internal: the child's address")
	upstream := flag.String("upstream", "", "internal: the upstream's address")
	conns := flag.Int("conns", 8, "concurrent connections")
	calls := flag.Int("calls", 40000, "calls per measurement")
	rounds := flag.Int("rounds", 2, "alternations of the two proxies")
	flag.Parse()
	var err error
	switch *role {
	case "upstream":
		err = serveUpstream(*listen)
	case "nethttp", "h1":
		err = serveProxy(*role, *listen, *upstream)
	case "":
		err = measure(*conns, *calls, *rounds)
	default:
		err = fmt.Errorf("unknown role %q", *role)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "proxy-floor:", err)
		os.Exit(1)
	}
}

func serveUpstream(addr string) error {
	return http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		_, _ = io.WriteString(w, page)
	}))
}

func serveProxy(kind, addr, upstream string) error {
	base := &http.Transport{MaxIdleConnsPerHost: 256}
	var rt http.RoundTripper = base
	if kind == "h1" {
		rt = h1.NewTransport(base)
	}
	target := "http://" + upstream + "/services/data/v66.0/query?q=SELECT+Id"
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, target, nil)
		req.Header.Set("Authorization", "Bearer x")
		resp, err := rt.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	if kind == "h1" {
		return (&h1.Server{Handler: h, Fallback: srv}).Serve(ln)
	}
	return srv.Serve(ln)
}

func measure(conns, calls, rounds int) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	up, err := start(self, "upstream", "")
	if err != nil {
		return err
	}
	defer up.stop()
	fmt.Printf("load average before: %s\n", loadavg())
	for r := 1; r <= rounds; r++ {
		for _, kind := range []string{"nethttp", "h1"} {
			p, err := start(self, kind, up.addr)
			if err != nil {
				return err
			}
			cpu, rate, err := drive(p, conns, calls)
			p.stop()
			if err != nil {
				return fmt.Errorf("%s: %w", kind, err)
			}
			fmt.Printf("round %d %-8s %d conns: %6.1f µs CPU/call, %6.0f calls/s\n", r, kind, conns, cpu, rate)
		}
	}
	fmt.Printf("load average after: %s\n", loadavg())
	return nil
}

type child struct {
	cmd  *exec.Cmd
	addr string
}

func start(self, role, upstream string) (*child, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-role", role, "-listen", addr, "-upstream", upstream)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, addr: addr}
	for range 200 {
		if nc, err := net.Dial("tcp", addr); err == nil {
			nc.Close()
			return c, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.stop()
	return nil, fmt.Errorf("%s did not start on %s", role, addr)
}

func (c *child) stop() {
	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// drive sends calls POSTs over conns connections and returns the proxy's
// CPU per call in µs and the calls per second.
func drive(p *child, conns, calls int) (float64, float64, error) {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns}}
	defer hc.CloseIdleConnections()
	url := "http://" + p.addr + "/mcp"
	one := func() error {
		resp, err := hc.Post(url, "application/json", strings.NewReader(callBody))
		if err != nil {
			return err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(b, []byte(page)) {
			return fmt.Errorf("HTTP %d %.200s %v", resp.StatusCode, b, err)
		}
		return nil
	}
	for range 200 { // connections and pools warm
		if err := one(); err != nil {
			return 0, 0, err
		}
	}
	cpu0, err := cpuTime(p.cmd.Process.Pid)
	if err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			for range calls / conns {
				if ctx.Err() != nil {
					return
				}
				if err := one(); err != nil {
					cancel(err)
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return 0, 0, err
	}
	wall := time.Since(t0)
	cpu1, err := cpuTime(p.cmd.Process.Pid)
	if err != nil {
		return 0, 0, err
	}
	n := float64(calls / conns * conns)
	return float64((cpu1 - cpu0).Microseconds()) / n, n / wall.Seconds(), nil
}

// cpuTime is the user plus system CPU time process pid has used so far.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// Fields after the command name (which may hold spaces) start at ") ".
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil // clock ticks of 10 ms
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.Join(strings.Fields(string(b))[:3], " ")
}
