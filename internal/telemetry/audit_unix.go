//go:build unix

package telemetry

import (
	"os"
	"syscall"
)

// lockExclusive takes an advisory lock on f for one long write, so that
// lines longer than PIPE_BUF from several processes never interleave, and
// returns its release. A lock that cannot be had is skipped: the line is still
// written whole by this process.
func lockExclusive(f *os.File) func() {
	fd := int(f.Fd())
	if err := syscall.Flock(fd, syscall.LOCK_EX); err != nil {
		return func() {}
	}
	return func() { _ = syscall.Flock(fd, syscall.LOCK_UN) }
}
