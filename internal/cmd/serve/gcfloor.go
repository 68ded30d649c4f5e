package serve

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// heapGoalFloor is the smallest heap the garbage collector lets the HTTP
// server grow to before it collects (see keepHeapGoalAbove).
const heapGoalFloor = 16 << 20

// keepHeapGoalAbove makes the garbage collector wait until the heap reaches
// floor bytes, where with GOGC=100 it would collect at twice the live heap.
// serve's live heap is small (about 2 MB serving calls), so the runtime's
// goal is 4 MB and it collects after every hundred or so calls: each
// collection costs the same fixed work (stacks, globals, waking the other
// processors) and it was a fifth of serve's CPU per call (BENCHMARKS.md,
// issue 16). After each collection the goal is set back to
// max(floor, 2 × live heap) by choosing GOGC: once the live heap is floor/2
// or more, GOGC is 100 again, so memory stays bounded as before, only never
// below floor.
//
// It does nothing when GOGC or GOMEMLIMIT is set in the environment: the
// operator's choice stands. The returned stop ends the tuning and restores
// GOGC=100.
func keepHeapGoalAbove(floor uint64) (stop func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	t := &heapTuner{floor: floor, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}, percent: 100}
	t.arm()
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if !t.stopped {
			t.stopped = true
			debug.SetGCPercent(100)
		}
	}
}

// heapTuner adjusts GOGC after each garbage collection: a finalizer on an
// object nothing refers to runs once per collection that frees it.
type heapTuner struct {
	floor   uint64
	sample  []metrics.Sample
	mu      sync.Mutex
	percent int
	stopped bool
}

// sentinel is what heapTuner puts its finalizer on: a pointer-sized
// allocation (a tiny one might share a block with live data and never be
// freed).
type sentinel struct{ _ *heapTuner }

func (t *heapTuner) arm() {
	runtime.SetFinalizer(&sentinel{}, func(*sentinel) { t.afterGC() })
}

func (t *heapTuner) afterGC() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	metrics.Read(t.sample)
	if t.sample[0].Value.Kind() == metrics.KindUint64 {
		if p := gcPercentFor(t.floor, t.sample[0].Value.Uint64()); p != t.percent {
			t.percent = p
			debug.SetGCPercent(p)
		}
	}
	t.arm()
}

// gcPercentFor is the GOGC that puts the next heap goal, live × (1 +
// GOGC/100), at floor, and never below 100 (the runtime's default).
func gcPercentFor(floor, live uint64) int {
	if live == 0 || live >= floor/2 {
		return 100
	}
	return int(floor*100/live) - 100
}
