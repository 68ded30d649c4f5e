package redistest

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/testenv"
)

// Cluster is a running Redis Cluster of three masters and no replicas.
type Cluster struct {
	// URL is redis+cluster://<first>?addr=<second>&addr=<third>, the form
	// sfmcp's REDIS_URL takes for a cluster.
	URL   string
	Nodes []*Server
}

// StartCluster runs three `redis-server --cluster-enabled yes` on free
// loopback ports and joins them with `redis-cli --cluster create` (both from
// Debian's redis-server package), then waits for cluster_state:ok.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		testenv.Missing(t, "redis-server is not installed (.ci/test-deps.sh installs the Debian package redis-server)")
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		testenv.Missing(t, "redis-cli is not installed (the Debian package redis-tools, a dependency of redis-server)")
	}
	c := &Cluster{}
	var addrs []string
	for range 3 {
		var s *Server
		var last error
		for range 5 {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			port := ln.Addr().(*net.TCPAddr).Port
			ln.Close()
			// The cluster bus listens on port+10000: it must be free too.
			if port+10000 > 65535 {
				last = fmt.Errorf("port %d leaves no room for the cluster bus", port)
				continue
			}
			if bl, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000)); err == nil {
				bl.Close()
			} else {
				last = err
				continue
			}
			dir := t.TempDir()
			s, last = start(bin, port, dir, "--cluster-enabled", "yes", "--cluster-config-file", dir+"/nodes.conf",
				"--cluster-node-timeout", "2000")
			if last == nil {
				break
			}
		}
		if s == nil {
			t.Fatalf("redis-server (cluster node): %v", last)
		}
		t.Cleanup(s.Stop)
		c.Nodes = append(c.Nodes, s)
		addrs = append(addrs, s.Addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for {
		ok := true
		for _, s := range c.Nodes {
			host, port, _ := net.SplitHostPort(s.Addr)
			out, err := exec.CommandContext(ctx, cli, "-h", host, "-p", port, "cluster", "info").Output()
			if err != nil || !strings.Contains(string(out), "cluster_state:ok") {
				ok = false
			}
		}
		if ok {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("the Redis Cluster never reached cluster_state:ok")
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.URL = "redis+cluster://" + addrs[0] + "?addr=" + addrs[1] + "&addr=" + addrs[2]
	return c
}
