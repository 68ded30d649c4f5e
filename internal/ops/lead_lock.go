package ops

// Serializing lead writes by email before anything is created. The lead
// sync's after-check (settleDuplicates) stays as the last line; these locks
// keep it from ever having to act, so that no lead is created only to be
// deleted (in a real org each such lead fires triggers, flows and
// assignment rules, and sits in the recycle bin).

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sfmcp/sfmcp/internal/filelock"
	"github.com/sfmcp/sfmcp/internal/redisurl"
)

// LeadLocker serializes lead writes of one key (org and email) among
// whoever shares it: processes on one machine (FileLeadLocker), replicas
// sharing a Redis (RedisLeadLocker). Within a process LeadSyncer always
// locks too, before asking the LeadLocker.
type LeadLocker interface {
	// Lock waits for key until ctx ends; unlock releases it.
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// LeadLockWait bounds how long a lead write waits for another to finish.
const LeadLockWait = 2 * time.Minute

// leadLockKey names what a lead lock serializes: one email (or lead) in one org.
func leadLockKey(instanceURL, key string) string { return instanceURL + "\x00" + key }

// LeadLockDir is where FileLeadLocker keeps its files for the config file at
// cfgPath: a locks directory beside it (or in the temporary directory when
// there is no config file).
func LeadLockDir(cfgPath string) string {
	if cfgPath == "" {
		return filepath.Join(os.TempDir(), fmt.Sprintf("sfmcp-%d", os.Getuid()), "locks")
	}
	return filepath.Join(filepath.Dir(cfgPath), "locks")
}

// NewRedisClient connects to rawURL (any form redisurl.New takes: one
// server, a cluster or sentinels) and checks it with a PING.
func NewRedisClient(ctx context.Context, rawURL string) (redis.UniversalClient, error) {
	c, err := redisurl.New(rawURL)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, redisurl.DialTimeout)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("redis at %s: %w", c.Where, err)
	}
	return c.UniversalClient, nil
}

// FileLeadLocker locks with files in Dir (flock; LockFileEx on Windows), for
// the sfmcp processes of one machine. Keys share a fixed set of lock files
// (by hash), so the directory does not grow with every email ever synced;
// two emails that share a file wait for each other, briefly.
type FileLeadLocker struct {
	Dir string
}

// leadLockStripes is how many lock files FileLeadLocker spreads keys over.
const leadLockStripes = 64

// Lock implements LeadLocker.
func (f FileLeadLocker) Lock(ctx context.Context, key string) (func(), error) {
	sum := sha256.Sum256([]byte(key))
	path := filepath.Join(f.Dir, fmt.Sprintf("lead-%02x.lock", sum[0]%leadLockStripes))
	l, err := filelock.Acquire(ctx, path, LeadLockWait)
	if err != nil {
		return nil, fmt.Errorf("lead lock: %w", err)
	}
	return l.Unlock, nil
}

// RedisLeadLocker locks with Redis keys (SET NX with an expiry, renewed
// while held; released only by its holder), for `serve` replicas that share
// a Redis. A holder that dies frees the key when it expires.
type RedisLeadLocker struct {
	Client redis.UniversalClient
	// Prefix starts every key; "" means "sfmcp:leadlock:".
	Prefix string
	// TTL is the key's life, renewed every third of it; 0 means 15s.
	TTL time.Duration
}

// releaseScript deletes the key only while it still holds the holder's token.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// renewScript extends the key only while it still holds the holder's token.
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`)

// Lock implements LeadLocker.
func (r RedisLeadLocker) Lock(ctx context.Context, key string) (func(), error) {
	ttl := r.TTL
	if ttl <= 0 {
		ttl = 15 * time.Second
	}
	prefix := r.Prefix
	if prefix == "" {
		prefix = "sfmcp:leadlock:"
	}
	sum := sha256.Sum256([]byte(key)) // no email in Redis key names
	rk := prefix + hex.EncodeToString(sum[:16])
	var tb [16]byte
	_, _ = rand.Read(tb[:])
	token := hex.EncodeToString(tb[:])

	wctx, cancel := context.WithTimeout(ctx, LeadLockWait)
	defer cancel()
	wait := 5 * time.Millisecond
	for {
		ok, err := r.Client.SetNX(wctx, rk, token, ttl).Result()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if errors.Is(err, context.DeadlineExceeded) {
				return nil, fmt.Errorf("lead lock: another writer has held it for more than %s", LeadLockWait)
			}
			return nil, fmt.Errorf("lead lock in redis: %w", err)
		}
		if ok {
			break
		}
		select {
		case <-wctx.Done():
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("lead lock: another writer has held it for more than %s", LeadLockWait)
		case <-time.After(wait):
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				rctx, cancel := context.WithTimeout(context.Background(), ttl/3)
				_ = renewScript.Run(rctx, r.Client, []string{rk}, token, ttl.Milliseconds()).Err()
				cancel()
			}
		}
	}()
	return func() {
		close(stop)
		<-done
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = releaseScript.Run(rctx, r.Client, []string{rk}, token).Err()
	}, nil
}
