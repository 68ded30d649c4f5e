package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sfmcp/sfmcp/internal/redisurl"
)

// Redis is a Store in Redis, shared by every replica that points at it: a
// single server, a Redis Cluster or a Sentinel-managed primary, through
// go-redis's UniversalClient. Keys are prefixed; callers put the part that
// tells two related keys apart outside braces ("code:{h}", "code-used:{h}")
// so a cluster keeps them in one slot for Consume.
type Redis struct {
	c       redis.UniversalClient
	cluster bool
	prefix  string
	where   string // host:port list, for messages
}

// consumeScript is Consume in one atomic step: GETDEL the key and leave a
// tombstone, or read the tombstone.
var consumeScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], v, 'PX', ARGV[1])
  return {1, v}
end
local t = redis.call('GET', KEYS[2])
if t then
  return {0, t}
end
return false
`)

// replaceScript writes a key only if it exists, keeping its time to live
// (SET XX KEEPTTL, answered as 1 or 0).
var replaceScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'XX', 'KEEPTTL') then return 1 end
return 0
`)

// incrScript counts in a window that starts with the first count.
var incrScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`)

// reserveScript is Reserve on a sorted set scored by expiry (Unix ms):
// ARGV now, expiry, member, max. It answers {1} when member is in, or {0, ms
// until the first member expires}. The set itself expires with its last member.
var reserveScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local exp = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local cur = redis.call('ZSCORE', KEYS[1], ARGV[3])
if not cur and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tonumber(first[2]) - now}
end
if not cur or tonumber(cur) < exp then
  redis.call('ZADD', KEYS[1], exp, ARGV[3])
end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], tonumber(last[2]))
return {1}
`)

// NewRedis connects to rawURL (any form redisurl.New takes: redis://,
// rediss://, redis+cluster://, redis+sentinel://) and checks the connection
// with a PING.
func NewRedis(ctx context.Context, rawURL string) (*Redis, error) {
	return NewRedisPrefix(ctx, rawURL, "sfmcp:oauth:")
}

// NewRedisPrefix is NewRedis with its keys under prefix instead of the
// OAuth proxy's, for other state replicas share (bearer validations).
func NewRedisPrefix(ctx context.Context, rawURL, prefix string) (*Redis, error) {
	c, err := redisurl.New(rawURL)
	if err != nil {
		return nil, err
	}
	s := &Redis{c: c.UniversalClient, cluster: c.Cluster, prefix: prefix, where: c.Where}
	if err := s.Ping(ctx); err != nil {
		_ = s.c.Close()
		return nil, err
	}
	return s, nil
}

func (s *Redis) fail(err error) error {
	if err == nil || errors.Is(err, redis.Nil) {
		return err
	}
	return &unavailable{what: "redis at " + s.where, err: err}
}

// Get implements Store.
func (s *Redis) Get(ctx context.Context, key string) ([]byte, error) {
	v, err := s.c.Get(ctx, s.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	return v, s.fail(err)
}

// Set implements Store: one MULTI/EXEC, so a failure writes nothing. A
// cluster refuses MULTI across slots, so there the entries are pipelined
// SETs and all-or-nothing does not hold: the proxy's one multi-key write (a
// grant and its code) can then at worst leave a grant no code names, which
// expires with its TTL.
func (s *Redis) Set(ctx context.Context, entries ...Entry) error {
	if len(entries) == 1 {
		e := entries[0]
		return s.fail(s.c.Set(ctx, s.prefix+e.Key, e.Value, e.TTL).Err())
	}
	pipe := s.c.TxPipelined
	if s.cluster {
		pipe = s.c.Pipelined
	}
	_, err := pipe(ctx, func(p redis.Pipeliner) error {
		for _, e := range entries {
			p.Set(ctx, s.prefix+e.Key, e.Value, e.TTL)
		}
		return nil
	})
	return s.fail(err)
}

// Replace implements Store.
func (s *Redis) Replace(ctx context.Context, key string, value []byte) error {
	n, err := replaceScript.Run(ctx, s.c, []string{s.prefix + key}, value).Int()
	if err != nil {
		return s.fail(err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Consume implements Store.
func (s *Redis) Consume(ctx context.Context, key, tombstone string, tombTTL time.Duration) ([]byte, bool, error) {
	res, err := consumeScript.Run(ctx, s.c, []string{s.prefix + key, s.prefix + tombstone}, tombTTL.Milliseconds()).Slice()
	if errors.Is(err, redis.Nil) {
		return nil, false, ErrNotFound
	}
	if err != nil {
		return nil, false, s.fail(err)
	}
	if len(res) != 2 {
		// The answer holds the consumed value: never quote it.
		return nil, false, fmt.Errorf("redis consume: unexpected answer of %d values, want 2", len(res))
	}
	fresh, _ := res[0].(int64)
	v, _ := res[1].(string)
	return []byte(v), fresh == 1, nil
}

// Delete implements Store.
func (s *Redis) Delete(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = s.prefix + k
	}
	if s.cluster && len(full) > 1 {
		// A cluster refuses one DEL of keys in different slots (CROSSSLOT):
		// send one DEL per key, pipelined to each key's node.
		_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range full {
				p.Del(ctx, k)
			}
			return nil
		})
		return s.fail(err)
	}
	return s.fail(s.c.Del(ctx, full...).Err())
}

// Incr implements Store.
func (s *Redis) Incr(ctx context.Context, key string, window time.Duration) (int64, error) {
	n, err := incrScript.Run(ctx, s.c, []string{s.prefix + key}, window.Milliseconds()).Int64()
	return n, s.fail(err)
}

// Reserve implements Store. The clock is this replica's: replicas' clocks
// are assumed close (seconds), which is all expiry in days needs.
func (s *Redis) Reserve(ctx context.Context, set, member string, ttl time.Duration, max int) (bool, time.Duration, error) {
	now := time.Now()
	res, err := reserveScript.Run(ctx, s.c, []string{s.prefix + set}, now.UnixMilli(), now.Add(ttl).UnixMilli(), member, max).Int64Slice()
	if err != nil {
		return false, 0, s.fail(err)
	}
	if len(res) == 0 {
		return false, 0, fmt.Errorf("redis reserve: empty answer")
	}
	if res[0] == 1 {
		return true, 0, nil
	}
	var wait time.Duration
	if len(res) > 1 {
		wait = time.Duration(res[1]) * time.Millisecond
	}
	return false, wait, nil
}

// Ping implements Store.
func (s *Redis) Ping(ctx context.Context) error { return s.fail(s.c.Ping(ctx).Err()) }

// Close implements Store.
func (s *Redis) Close() error { return s.c.Close() }
