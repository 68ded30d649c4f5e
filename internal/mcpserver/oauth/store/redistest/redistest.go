// Package redistest starts a real redis-server on a free loopback port for a
// test and stops it when the test ends.
package redistest

import (
	"bytes"
	"fmt"
	"github.com/sfmcp/sfmcp/internal/testenv"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// Server is a running redis-server.
type Server struct {
	// URL is redis://127.0.0.1:<port>.
	URL  string
	Addr string
	cmd  *exec.Cmd
}

// Start runs redis-server with no persistence. When redis-server is not
// installed (.ci/test-deps.sh installs Debian's) the test skips, or fails
// under CI=true.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		testenv.Missing(t, "redis-server is not installed (.ci/test-deps.sh installs the Debian package redis-server)")
	}
	var last error
	for range 5 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		s, err := start(bin, port, t.TempDir())
		if err == nil {
			t.Cleanup(s.Stop)
			return s
		}
		last = err // the port was taken meanwhile: try another
	}
	t.Fatalf("redis-server: %v", last)
	return nil
}

func start(bin string, port int, dir string, extra ...string) (*Server, error) {
	cmd := exec.Command(bin, append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--protected-mode", "yes"}, extra...)...)
	cmd.SysProcAttr = procAttr()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s := &Server{URL: "redis://" + addr, Addr: addr, cmd: cmd}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return nil, fmt.Errorf("redis-server exited: %s", out.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			_, _ = c.Write([]byte("PING\r\n"))
			buf := make([]byte, 7)
			_ = c.SetReadDeadline(time.Now().Add(time.Second))
			n, _ := c.Read(buf)
			c.Close()
			if string(buf[:n]) == "+PONG\r\n" {
				return s, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	return nil, fmt.Errorf("redis-server did not answer on %s: %s", addr, out.String())
}

// Stop kills the server (idempotent): what a crashed Redis looks like to clients.
func (s *Server) Stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
	}
}

// Pause freezes the server (SIGSTOP where there are signals): connections
// stay open but nothing is answered, as with a Redis that hangs or a network
// partition.
func (s *Server) Pause(t testing.TB) {
	t.Helper()
	if err := s.cmd.Process.Signal(stopSignal); err != nil {
		t.Fatal(err)
	}
}

// Resume lets a paused server go on (SIGCONT), its data intact.
func (s *Server) Resume(t testing.TB) {
	t.Helper()
	if err := s.cmd.Process.Signal(contSignal); err != nil {
		t.Fatal(err)
	}
}
