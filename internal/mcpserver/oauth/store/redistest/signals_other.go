//go:build !unix

package redistest

import "os"

// Without SIGSTOP (Windows) a server cannot be frozen: Pause kills it, which
// a test of a hanging Redis then sees as a Redis gone.
var stopSignal, contSignal = os.Kill, os.Kill
