//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package h1

import (
	"net"
	"syscall"
)

// peerSpoke reports whether the peer sent bytes or closed nc, without
// waiting and without consuming anything: one non-blocking MSG_PEEK. A
// connection that cannot say (not a socket) is taken as quiet.
func peerSpoke(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	spoke := false
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		// n > 0: unsolicited bytes; n == 0 with no error: the peer closed;
		// an error other than "would block": the connection is broken.
		spoke = n > 0 || rerr == nil || (rerr != syscall.EAGAIN && rerr != syscall.EWOULDBLOCK && rerr != syscall.EINTR)
		return true // never wait for readiness
	})
	return spoke || err != nil
}
