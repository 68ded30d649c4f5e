// Package store keeps the OAuth proxy's state: client registrations, pending
// authorizations, consent ids, codes, tokens and rate-limit counters. Each
// value lives under one key with a time to live. Memory serves one process;
// Redis lets several `sfmcp serve` replicas share a deployment.
//
// The store sees bytes only. Callers hash their tokens before using them in
// keys and seal secrets with a Cipher before storing them.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is returned for a key that does not exist or has expired.
var ErrNotFound = errors.New("not found")

// ErrUnavailable wraps every failure to reach the backing store, so that a
// caller can answer 503 rather than treat the key as missing.
var ErrUnavailable = errors.New("OAuth state storage is unavailable")

// unavailable wraps err in ErrUnavailable with a message that names the store.
type unavailable struct {
	what string
	err  error
}

func (e *unavailable) Error() string {
	return fmt.Sprintf("OAuth state storage (%s) is unavailable: %v", e.what, e.err)
}
func (e *unavailable) Is(target error) bool { return target == ErrUnavailable }
func (e *unavailable) Unwrap() error        { return e.err }

// Entry is one key to write.
type Entry struct {
	Key   string
	Value []byte
	TTL   time.Duration // > 0
}

// Store is the proxy's state. Every method is safe for concurrent use, and
// across replicas when the store is shared.
type Store interface {
	// Get returns the value of key, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Set writes every entry, or none of them.
	Set(ctx context.Context, entries ...Entry) error
	// Replace overwrites an existing key and keeps its time to live; it
	// returns ErrNotFound (and writes nothing) when key does not exist, so a
	// late write never brings back something deleted meanwhile.
	Replace(ctx context.Context, key string, value []byte) error
	// Consume is the single-use read: atomically, if key exists it is deleted,
	// its value is copied to tombstone (kept for tombTTL) and returned with
	// fresh = true. Otherwise the tombstone's value, if any, is returned with
	// fresh = false: the key was consumed before. Neither: ErrNotFound.
	Consume(ctx context.Context, key, tombstone string, tombTTL time.Duration) (value []byte, fresh bool, err error)
	// Delete removes keys; missing keys are not an error.
	Delete(ctx context.Context, keys ...string) error
	// Incr adds one to the counter at key and returns the new count; the
	// counter starts a window of the given length when it is created.
	Incr(ctx context.Context, key string, window time.Duration) (int64, error)
	// Reserve keeps a bounded set of members that expire (live client
	// registrations): atomically, members whose time is up are dropped; then
	// if member is already in set, or set holds fewer than max members,
	// member is (re)added to expire after ttl (a member's expiry only moves
	// later) and ok is true. Otherwise nothing changes, ok is false and
	// retryAfter is how long until the set's first member expires.
	Reserve(ctx context.Context, set, member string, ttl time.Duration, max int) (ok bool, retryAfter time.Duration, err error)
	// Ping checks that the store can be reached.
	Ping(ctx context.Context) error
	// Close releases connections.
	Close() error
}
