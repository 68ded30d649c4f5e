//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package filelock

import (
	"errors"
	"os"
)

// Platforms without flock or LockFileEx get no cross-process lock.
var errBusy = errors.New("busy")

func tryLock(*os.File) error { return nil }

func unlock(*os.File) {}
