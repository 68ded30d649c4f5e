//go:build !unix

package telemetry

import "os"

// lockExclusive is a no-op where flock(2) does not exist (Windows): each
// line is still one write to a file opened for appending.
func lockExclusive(*os.File) func() { return func() {} }
