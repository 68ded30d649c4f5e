package store

import (
	"context"
	"encoding/binary"
	"sync"
	"time"
)

// Memory is a Store in this process's memory: state is lost on restart and
// not shared with other replicas.
type Memory struct {
	now func() time.Time

	mu     sync.Mutex
	m      map[string]memEntry
	sets   map[string]map[string]time.Time // Reserve's sets: member → expiry
	writes int
}

type memEntry struct {
	value   []byte
	expires time.Time
}

// NewMemory returns an empty Memory store. now may be nil (time.Now).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, m: map[string]memEntry{}, sets: map[string]map[string]time.Time{}}
}

// live returns key's entry if it has not expired; callers hold mu.
func (s *Memory) live(key string) (memEntry, bool) {
	e, ok := s.m[key]
	if !ok {
		return memEntry{}, false
	}
	if !s.now().Before(e.expires) {
		delete(s.m, key)
		return memEntry{}, false
	}
	return e, true
}

// put stores a copy of v; callers hold mu. Every so many writes, expired
// entries are swept so that keys nobody reads again do not pile up.
func (s *Memory) put(key string, v []byte, ttl time.Duration) {
	s.m[key] = memEntry{value: append([]byte(nil), v...), expires: s.now().Add(ttl)}
	s.writes++
	if s.writes%1024 == 0 {
		now := s.now()
		for k, e := range s.m {
			if !now.Before(e.expires) {
				delete(s.m, k)
			}
		}
	}
}

// Get implements Store.
func (s *Memory) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.live(key)
	if !ok {
		return nil, ErrNotFound
	}
	return append([]byte(nil), e.value...), nil
}

// Set implements Store.
func (s *Memory) Set(_ context.Context, entries ...Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range entries {
		s.put(e.Key, e.Value, e.TTL)
	}
	return nil
}

// Replace implements Store.
func (s *Memory) Replace(_ context.Context, key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.live(key)
	if !ok {
		return ErrNotFound
	}
	s.m[key] = memEntry{value: append([]byte(nil), value...), expires: e.expires}
	return nil
}

// Consume implements Store.
func (s *Memory) Consume(_ context.Context, key, tombstone string, tombTTL time.Duration) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.live(key); ok {
		delete(s.m, key)
		s.put(tombstone, e.value, tombTTL)
		return append([]byte(nil), e.value...), true, nil
	}
	if e, ok := s.live(tombstone); ok {
		return append([]byte(nil), e.value...), false, nil
	}
	return nil, false, ErrNotFound
}

// Delete implements Store.
func (s *Memory) Delete(_ context.Context, keys ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		delete(s.m, k)
	}
	return nil
}

// Incr implements Store.
func (s *Memory) Incr(_ context.Context, key string, window time.Duration) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.live(key)
	if !ok {
		e = memEntry{value: make([]byte, 8), expires: s.now().Add(window)}
	}
	n := int64(binary.BigEndian.Uint64(e.value)) + 1
	v := binary.BigEndian.AppendUint64(nil, uint64(n))
	s.m[key] = memEntry{value: v, expires: e.expires}
	return n, nil
}

// Reserve implements Store. Sweeping the whole set on each call is linear
// in its size, which the caller bounds (max).
func (s *Memory) Reserve(_ context.Context, set, member string, ttl time.Duration, max int) (bool, time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	m := s.sets[set]
	if m == nil {
		m = map[string]time.Time{}
		s.sets[set] = m
	}
	var first time.Time
	for k, exp := range m {
		if !now.Before(exp) {
			delete(m, k)
		} else if first.IsZero() || exp.Before(first) {
			first = exp
		}
	}
	exp, in := m[member]
	if !in && len(m) >= max {
		return false, first.Sub(now), nil
	}
	if next := now.Add(ttl); next.After(exp) {
		m[member] = next
	}
	return true, 0, nil
}

// Ping implements Store.
func (s *Memory) Ping(context.Context) error { return nil }

// Close implements Store.
func (s *Memory) Close() error { return nil }

// Len is the number of live keys (for tests).
func (s *Memory) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k := range s.m {
		if _, ok := s.live(k); ok {
			n++
		}
	}
	return n
}
