package gcpace

import (
	"context"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mb = 1 << 20
	for _, tc := range []struct {
		live uint64
		want int
	}{
		{0, 400},        // nothing live yet: the most headroom
		{4 * mb, 400},   // 32 MB would be 800%: capped
		{8 * mb, 400},   // exactly 400%
		{16 * mb, 200},  // 32 MB of headroom
		{20 * mb, 160},  // still 32 MB
		{32 * mb, 100},  // Go's default from here on
		{500 * mb, 100}, // never below it: a large live heap is only doubled
	} {
		if got := Percent(tc.live, 32*mb, 100, 400); got != tc.want {
			t.Errorf("Percent(%d MB) = %d, want %d", tc.live/mb, got, tc.want)
		}
	}
}

// TestPacerFollowsTheLiveHeap: GOGC starts at the maximum, falls to Go's
// default while a large live heap is held, and rises again once it is not.
func TestPacerFollowsTheLiveHeap(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan int, 64)
	start(ctx, 32<<20, 100, 400, func(pct int) { got <- pct })
	wait := func(want int) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case pct := <-got:
				if pct == want {
					return
				}
			case <-deadline:
				t.Fatalf("GOGC never became %d", want)
			case <-time.After(20 * time.Millisecond):
				runtime.GC() // the pacer runs after collections
			}
		}
	}
	wait(400)
	live := make([][]byte, 96)
	for i := range live {
		live[i] = make([]byte, 1<<20)
	}
	wait(100)
	runtime.KeepAlive(live)
	live = nil
	wait(400)

	// Once its context ends, the pacer changes nothing.
	cancel()
	runtime.GC()
	runtime.GC()
	debug.SetGCPercent(150)
	hold := make([][]byte, 96)
	for i := range hold {
		hold[i] = make([]byte, 1<<20)
	}
	for range 3 {
		runtime.GC()
	}
	runtime.KeepAlive(hold)
	if pct := debug.SetGCPercent(100); pct != 150 {
		t.Errorf("GOGC %d after the pacer's context ended, want 150 (left alone)", pct)
	}
}
