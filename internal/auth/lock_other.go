//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package auth

import "os"

// Platforms without flock or LockFileEx get no cross-process lock: writes
// there are still atomic, but two processes refreshing at once may race.
func tryLock(*os.File) error { return nil }

func unlock(*os.File) {}
