// Package gcpace paces the garbage collector of a server whose live heap is
// small and whose garbage is plentiful: each HTTP tool call of serve leaves
// ~10 kB of garbage and keeps almost nothing, so with Go's default target
// (collect when the heap has doubled) a few-MB live heap is collected every
// few hundred calls, a tenth of the CPU of a call. A fixed higher GOGC would
// also multiply a large live heap (a page of big records, many at once).
// Instead the target gives the heap at least a floor of headroom, never more
// than a maximum percent and never less than Go's default: after every
// collection the percent is set again from the live heap.
package gcpace

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// Percent is the GOGC that gives a live heap of live bytes floor bytes of
// headroom, within [lo, hi].
func Percent(live, floor uint64, lo, hi int) int {
	if live == 0 {
		return hi
	}
	p := floor * 100 / live
	switch {
	case p >= uint64(hi):
		return hi
	case p <= uint64(lo):
		return lo
	}
	return int(p)
}

// Pacer sets the collector's target after each collection until its
// context ends.
type Pacer struct {
	floor  uint64
	lo, hi int
	ctx    context.Context
	sample []metrics.Sample
	set    atomic.Int64 // the percent last set
	// retuned is called (when not nil) with each new percent: for tests.
	retuned func(int)
}

// sentinel is the object whose collection marks the end of a GC cycle: it
// holds a pointer so that it is not a tiny allocation (those share a block
// and may outlive many cycles).
type sentinel struct{ _ *int }

// Start sets GOGC to hi now and, after each collection, to Percent of the
// live heap, until ctx ends (the last percent set then stays). The caller
// decides whether to pace at all: a GOGC chosen in the environment should
// be left alone.
func Start(ctx context.Context, floor uint64, lo, hi int) *Pacer {
	return start(ctx, floor, lo, hi, nil)
}

func start(ctx context.Context, floor uint64, lo, hi int, retuned func(int)) *Pacer {
	p := &Pacer{floor: floor, lo: lo, hi: hi, ctx: ctx, retuned: retuned,
		sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	p.apply(hi)
	p.arm()
	return p
}

// arm registers a cleanup that runs once the next collection has found a
// new sentinel unreachable.
func (p *Pacer) arm() {
	runtime.AddCleanup(new(sentinel), func(p *Pacer) { p.retune() }, p)
}

// retune runs on the runtime's cleanup goroutine after a collection.
func (p *Pacer) retune() {
	if p.ctx.Err() != nil {
		return
	}
	metrics.Read(p.sample)
	if p.sample[0].Value.Kind() == metrics.KindUint64 {
		p.apply(Percent(p.sample[0].Value.Uint64(), p.floor, p.lo, p.hi))
	}
	p.arm()
}

func (p *Pacer) apply(pct int) {
	if int64(pct) == p.set.Swap(int64(pct)) {
		return
	}
	debug.SetGCPercent(pct)
	if p.retuned != nil {
		p.retuned(pct)
	}
}
