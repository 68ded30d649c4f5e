package store

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth/store/redistest"
)

// stores runs f against a memory store and a real Redis.
func stores(t *testing.T, f func(t *testing.T, s Store)) {
	t.Run("memory", func(t *testing.T) { t.Parallel(); f(t, NewMemory(nil)) })
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		srv := redistest.Start(t)
		s, err := NewRedis(context.Background(), srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		f(t, s)
	})
}

func TestStoreContract(t *testing.T) {
	t.Parallel()
	stores(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		if _, err := s.Get(ctx, "missing"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get missing: %v", err)
		}
		if err := s.Set(ctx, Entry{"a", []byte("1"), time.Minute}, Entry{"b", []byte("2"), 50 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		if v, err := s.Get(ctx, "a"); err != nil || string(v) != "1" {
			t.Fatalf("get a: %q %v", v, err)
		}
		time.Sleep(120 * time.Millisecond)
		if _, err := s.Get(ctx, "b"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("b outlived its TTL: %v", err)
		}
		if err := s.Replace(ctx, "b", []byte("x")); !errors.Is(err, ErrNotFound) {
			t.Fatalf("replace of a missing key: %v", err)
		}
		if err := s.Replace(ctx, "a", []byte("3")); err != nil {
			t.Fatal(err)
		}
		if v, _ := s.Get(ctx, "a"); string(v) != "3" {
			t.Fatalf("after replace: %q", v)
		}

		// Consume: first fresh, then the tombstone, then for nothing.
		v, fresh, err := s.Consume(ctx, "a", "a-used", time.Minute)
		if err != nil || !fresh || string(v) != "3" {
			t.Fatalf("consume: %q %v %v", v, fresh, err)
		}
		v, fresh, err = s.Consume(ctx, "a", "a-used", time.Minute)
		if err != nil || fresh || string(v) != "3" {
			t.Fatalf("second consume: %q %v %v", v, fresh, err)
		}
		if _, _, err := s.Consume(ctx, "never", "never-used", time.Minute); !errors.Is(err, ErrNotFound) {
			t.Fatalf("consume of nothing: %v", err)
		}

		for i := 1; i <= 3; i++ {
			n, err := s.Incr(ctx, "counter", time.Minute)
			if err != nil || n != int64(i) {
				t.Fatalf("incr %d: %d %v", i, n, err)
			}
		}
		if err := s.Delete(ctx, "counter", "nothing"); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.Incr(ctx, "counter", time.Minute); n != 1 {
			t.Fatalf("counter after delete: %d", n)
		}
	})
}

// TestConsumeIsSingleUse races many consumers of one key: exactly one wins.
func TestConsumeIsSingleUse(t *testing.T) {
	t.Parallel()
	stores(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		for round := range 20 {
			key := "code" + string(rune('a'+round))
			if err := s.Set(ctx, Entry{key, []byte("v"), time.Minute}); err != nil {
				t.Fatal(err)
			}
			var wins atomic.Int32
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					if _, fresh, err := s.Consume(ctx, key, key+"-used", time.Minute); err == nil && fresh {
						wins.Add(1)
					}
				})
			}
			wg.Wait()
			if wins.Load() != 1 {
				t.Fatalf("round %d: %d consumers won", round, wins.Load())
			}
		}
	})
}

func TestRedisUnavailable(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s, err := NewRedis(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv.Stop()
	time.Sleep(50 * time.Millisecond)
	_, err = s.Get(context.Background(), "k")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), srv.Addr) {
		t.Fatalf("get with redis down: %v", err)
	}
	if _, err := NewRedis(context.Background(), srv.URL); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("connect to a stopped redis: %v", err)
	}
	if _, err := NewRedis(context.Background(), "http://nope"); err == nil {
		t.Fatal("a non-redis URL was accepted")
	}
}

func TestCipher(t *testing.T) {
	t.Parallel()
	const k1 = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=" // the Fernet spec's key
	const k2 = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80="
	secret := []byte(`{"access_token":"00Dxx!secret"}`)

	c, err := ParseKeys(k1)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := c.Seal(secret)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(sealed, []byte(sealPrefix)) || bytes.Contains(sealed, []byte("secret")) {
		t.Fatalf("sealed: %s", sealed)
	}
	if pt, err := c.Open(sealed); err != nil || !bytes.Equal(pt, secret) {
		t.Fatalf("open: %q %v", pt, err)
	}
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-2] ^= 1
	if _, err := c.Open(tampered); !errors.Is(err, ErrUnsealable) {
		t.Fatalf("tampered: %v", err)
	}

	// Rotation: a new first key seals; the old one still opens old values.
	rotated, err := ParseKeys(k2 + ", " + k1)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := rotated.Open(sealed); err != nil || !bytes.Equal(pt, secret) {
		t.Fatalf("open after rotation: %v", err)
	}
	newer, _ := rotated.Seal(secret)
	if _, err := c.Open(newer); !errors.Is(err, ErrUnsealable) {
		t.Fatalf("the old key opened a value of the new one: %v", err)
	}

	// Fernet tokens made by Python's cryptography open with the same key.
	for _, tok := range []string{
		"gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==",
		"gAAAAABrAZVgz7N8m_ZQntRy_u2MvZj3rW775IEWeUFtuLUeHvkDZDLUqyq1viyApqx2Nb8IWzP1LoH5UiuPADh4U4XWKtcI9gkVHXxiCoKQ3-l1tIphOhY=",
	} {
		if _, err := rotated.Open([]byte(tok)); err != nil {
			t.Errorf("fernet token %.12s...: %v", tok, err)
		}
	}
	// And ours match the spec's vector byte for byte.
	key, _ := decodeKey(k1)
	got, err := fernetEncryptIV(key, []byte("hello"), time.Unix(499162800, 0), []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	if err != nil || got != "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==" {
		t.Fatalf("fernet vector: %s %v", got, err)
	}

	// "fernet:" makes the first key seal Fernet tokens.
	fc, err := ParseKeys("fernet:" + k1)
	if err != nil {
		t.Fatal(err)
	}
	ft, _ := fc.Seal(secret)
	if !bytes.HasPrefix(ft, []byte("gAAAAA")) {
		t.Fatalf("fernet seal: %s", ft)
	}
	if pt, err := c.Open(ft); err != nil || !bytes.Equal(pt, secret) {
		t.Fatalf("open fernet: %v", err)
	}

	for _, bad := range []string{"", " , ", "not base64!", "c2hvcnQ="} {
		if _, err := ParseKeys(bad); err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
		}
	}
	// The operator is told which key of the list is wrong (counting from 1).
	if _, err := ParseKeys(k1 + ",c2hvcnQ="); err == nil || !strings.Contains(err.Error(), "key 2:") {
		t.Errorf("ParseKeys with a bad second key: %v, want it named as key 2", err)
	}
}

// TestRedisCluster runs the store's contract against a real Redis Cluster of
// three masters: keys that go together share a hash tag, a Set and a Delete
// of keys in different slots work, and single-use Consume holds.
func TestRedisCluster(t *testing.T) {
	t.Parallel()
	cl := redistest.StartCluster(t)
	ctx := context.Background()
	s, err := NewRedis(ctx, cl.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Keys in many slots, written together and deleted together.
	var entries []Entry
	var keys []string
	for i := range 20 {
		k := "grant:" + string(rune('a'+i))
		entries = append(entries, Entry{k, []byte("v"), time.Minute})
		keys = append(keys, k)
	}
	if err := s.Set(ctx, entries...); err != nil {
		t.Fatalf("set across slots: %v", err)
	}
	for _, k := range keys {
		if v, err := s.Get(ctx, k); err != nil || string(v) != "v" {
			t.Fatalf("get %s: %q %v", k, v, err)
		}
	}
	if err := s.Delete(ctx, keys...); err != nil {
		t.Fatalf("delete across slots: %v", err)
	}
	for _, k := range keys {
		if _, err := s.Get(ctx, k); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s survived the delete: %v", k, err)
		}
	}
	// Consume pairs share a tag, as the proxy's keys do.
	for round := range 10 {
		key, tomb := "code:{h"+string(rune('a'+round))+"}", "code-used:{h"+string(rune('a'+round))+"}"
		if err := s.Set(ctx, Entry{key, []byte("v"), time.Minute}); err != nil {
			t.Fatal(err)
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if _, fresh, err := s.Consume(ctx, key, tomb, time.Minute); err == nil && fresh {
					wins.Add(1)
				} else if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("round %d: %d consumers won", round, wins.Load())
		}
	}
	if n, err := s.Incr(ctx, "count:{x}", time.Minute); err != nil || n != 1 {
		t.Fatalf("incr: %d %v", n, err)
	}
	// Reserve is one key: it works on a cluster too.
	for i, want := range []bool{true, true, false} {
		if ok, _, err := s.Reserve(ctx, "clients", string(rune('a'+i)), time.Minute, 2); err != nil || ok != want {
			t.Fatalf("reserve %d on a cluster: %v %v, want %v", i, ok, err, want)
		}
	}
	if _, err := NewRedis(ctx, "redis+sentinel://127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "master_name") {
		t.Errorf("sentinel URL without master_name: %v", err)
	}
	if _, err := NewRedis(ctx, "redis+nope://127.0.0.1:1"); err == nil {
		t.Error("an unknown redis+ scheme was accepted")
	}
}

// TestReserve: a bounded set of expiring members, in both stores.
func TestReserve(t *testing.T) {
	t.Parallel()
	stores(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		reserve := func(member string, ttl time.Duration) (bool, time.Duration) {
			t.Helper()
			ok, wait, err := s.Reserve(ctx, "set", member, ttl, 3)
			if err != nil {
				t.Fatal(err)
			}
			return ok, wait
		}
		for _, m := range []string{"a", "b"} {
			if ok, _ := reserve(m, time.Hour); !ok {
				t.Fatalf("reserve %s refused", m)
			}
		}
		if ok, _ := reserve("c", 300*time.Millisecond); !ok {
			t.Fatal("reserve c refused")
		}
		ok, wait := reserve("d", time.Hour)
		if ok || wait <= 0 || wait > 300*time.Millisecond {
			t.Fatalf("a fourth member: ok %v, retry after %v (want refused, at most c's 300ms)", ok, wait)
		}
		// A member already in is never refused; its expiry only moves later.
		if ok, _ := reserve("a", 2*time.Hour); !ok {
			t.Fatal("re-reserving a member refused")
		}
		if ok, _ := reserve("c", time.Millisecond); !ok {
			t.Fatal("re-reserving c refused")
		}
		time.Sleep(400 * time.Millisecond) // c's first (and longest) expiry passes
		if ok, _ := reserve("d", time.Hour); !ok {
			t.Fatal("c expired but d is still refused")
		}
		if ok, _ := reserve("e", time.Hour); ok {
			t.Fatal("a, b, d are live: e should be refused")
		}
		// Concurrent reservations never overshoot the bound.
		var won atomic.Int32
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() {
				if ok, _, err := s.Reserve(ctx, "race", string(rune('A'+i)), time.Minute, 7); err == nil && ok {
					won.Add(1)
				}
			})
		}
		wg.Wait()
		if won.Load() != 7 {
			t.Fatalf("%d of 40 concurrent reservations won; the bound is 7", won.Load())
		}
	})
}
