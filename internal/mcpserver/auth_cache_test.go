package mcpserver

import (
	"encoding/binary"
	"testing"
)

// TestBearerCachesAreBounded: the caches of validated and refused tokens
// hold many tokens at once (each kept one is found again, so it is not
// validated at Salesforce again) but never more than maxRemembered, however
// many distinct tokens arrive.
func TestBearerCachesAreBounded(t *testing.T) {
	t.Parallel()
	a := &bearerAuth{valid: map[tokenKey]validation{}, refused: map[tokenKey]refusal{}}
	key := func(i int) tokenKey {
		var k tokenKey
		binary.BigEndian.PutUint64(k[:], uint64(i))
		return k
	}
	a.keep(key(1), validation{})
	a.keep(key(2), validation{})
	if _, ok := a.valid[key(1)]; !ok || len(a.valid) != 2 {
		t.Fatalf("after keeping two tokens the cache holds %d and the first is %v", len(a.valid), ok)
	}
	a.remember(key(1), refusal{})
	a.remember(key(2), refusal{})
	if _, ok := a.refused[key(1)]; !ok || len(a.refused) != 2 {
		t.Fatalf("after two refusals the cache holds %d and the first is %v", len(a.refused), ok)
	}
	for i := range 3 * maxRemembered {
		a.keep(key(i), validation{})
		a.remember(key(i), refusal{})
		if len(a.valid) > maxRemembered || len(a.refused) > maxRemembered {
			t.Fatalf("after %d tokens: %d validations and %d refusals kept, bound %d", i+1, len(a.valid), len(a.refused), maxRemembered)
		}
	}
}
