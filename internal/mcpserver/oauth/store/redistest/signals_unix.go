//go:build unix

package redistest

import "syscall"

// The signals that freeze and resume a redis-server process.
var stopSignal, contSignal = syscall.SIGSTOP, syscall.SIGCONT
