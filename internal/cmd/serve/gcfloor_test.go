package serve

import (
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

func TestGCPercentFor(t *testing.T) {
	const mb = 1 << 20
	for _, c := range []struct {
		floor, live uint64
		want        int
	}{
		{16 * mb, 2 * mb, 700},   // goal 2 MB × 8 = 16 MB
		{16 * mb, 4 * mb, 300},   // 4 MB × 4
		{16 * mb, 8 * mb, 100},   // twice the live heap reaches the floor: the default
		{16 * mb, 100 * mb, 100}, // a large heap: the default, memory as before
		{16 * mb, 0, 100},        // nothing measured yet
		{16 * mb, 7 * mb, 128},
	} {
		if got := gcPercentFor(c.floor, c.live); got != c.want {
			t.Errorf("gcPercentFor(%d, %d) = %d, want %d", c.floor, c.live, got, c.want)
		}
	}
}

// gogc is the GOGC in force, as the runtime reports it.
func gogc() uint64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func TestKeepHeapGoalAbove(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	stop := keepHeapGoalAbove(64 << 30) // far above this test's live heap
	defer stop()
	deadline := time.Now().Add(5 * time.Second)
	for gogc() <= 1000 {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC still %d after collections; want it raised to reach the floor", gogc())
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond) // the finalizer runs on its own goroutine
	}
	stop()
	if got := gogc(); got != 100 {
		t.Fatalf("GOGC after stop = %d, want 100", got)
	}
	runtime.GC()
	time.Sleep(20 * time.Millisecond)
	if got := gogc(); got != 100 {
		t.Fatalf("GOGC after stop and a collection = %d, want 100 (the tuner must not run on)", got)
	}
}

func TestKeepHeapGoalAboveLeavesOperatorsGOGC(t *testing.T) {
	t.Setenv("GOGC", "150") // read at start by the runtime; here only by keepHeapGoalAbove
	before := gogc()
	stop := keepHeapGoalAbove(64 << 30)
	defer stop()
	runtime.GC()
	time.Sleep(20 * time.Millisecond)
	if got := gogc(); got != before {
		t.Fatalf("GOGC = %d with GOGC set in the environment, want it left at %d", got, before)
	}
}
