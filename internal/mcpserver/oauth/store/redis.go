package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Store in Redis, shared by every replica that points at it.
// Keys are prefixed; callers put the part that tells two related keys apart
// outside braces ("code:{h}", "code-used:{h}") so a cluster keeps them in one
// slot for Consume.
type Redis struct {
	c      *redis.Client
	prefix string
	where  string // host:port, for messages
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

// NewRedis connects to rawURL (redis://[user:password@]host:port[/db] or
// rediss://) and checks the connection with a PING.
func NewRedis(ctx context.Context, rawURL string) (*Redis, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL %s: %w", redactURL(rawURL), err)
	}
	opts.DialTimeout = 5 * time.Second
	opts.ReadTimeout = 3 * time.Second
	opts.WriteTimeout = 3 * time.Second
	opts.MaxRetries = 1
	s := &Redis{c: redis.NewClient(opts), prefix: "sfmcp:oauth:", where: opts.Addr}
	if err := s.Ping(ctx); err != nil {
		_ = s.c.Close()
		return nil, err
	}
	return s, nil
}

// redactURL drops the password of a Redis URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
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

// Set implements Store: one MULTI/EXEC, so a failure writes nothing.
func (s *Redis) Set(ctx context.Context, entries ...Entry) error {
	if len(entries) == 1 {
		e := entries[0]
		return s.fail(s.c.Set(ctx, s.prefix+e.Key, e.Value, e.TTL).Err())
	}
	_, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
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
	return s.fail(s.c.Del(ctx, full...).Err())
}

// Incr implements Store.
func (s *Redis) Incr(ctx context.Context, key string, window time.Duration) (int64, error) {
	n, err := incrScript.Run(ctx, s.c, []string{s.prefix + key}, window.Milliseconds()).Int64()
	return n, s.fail(err)
}

// Ping implements Store.
func (s *Redis) Ping(ctx context.Context) error { return s.fail(s.c.Ping(ctx).Err()) }

// Close implements Store.
func (s *Redis) Close() error { return s.c.Close() }
