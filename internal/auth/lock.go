package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// lockTimeout bounds the wait for another sfmcp process to finish writing.
const lockTimeout = 10 * time.Second

// errLocked is what tryLock returns while another holder has the lock.
var errLocked = errors.New("locked")

// inProcess serialises the goroutines of this process per lock path; flock
// serialises processes. (Within one process flock would do too, on Linux,
// but the race detector cannot see it and other systems differ.)
var inProcess sync.Map // path → *sync.Mutex

// withLock runs fn while holding an exclusive advisory lock on path (created
// if need be; it stays, empty, so every process locks the same inode). Other
// sfmcp processes wait; a holder that dies releases the lock with it.
func withLock(ctx context.Context, path string, fn func() error) error {
	if path == "" {
		return fn()
	}
	mu, _ := inProcess.LoadOrStore(path, new(sync.Mutex))
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("opening the lock file: %w", err)
	}
	defer f.Close()
	deadline := time.Now().Add(lockTimeout)
	for {
		err := tryLock(f)
		if err == nil {
			break
		}
		if !errors.Is(err, errLocked) {
			return fmt.Errorf("locking %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("another sfmcp process has held %s for more than %s", path, lockTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	defer unlock(f)
	return fn()
}
