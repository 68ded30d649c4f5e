package redistest

import "syscall"

// procAttr makes the kernel kill redis-server when the test process dies
// without running its cleanups (a crash, a timeout, a runner killing it):
// a server frozen by Pause would otherwise stay behind, stopped, for good.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
