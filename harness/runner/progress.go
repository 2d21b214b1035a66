package runner

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/hbharness/hbharness/faults"
	"github.com/hbharness/hbharness/harness/latency"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/heartbeat"
)

// DefaultProgressEvery is how often (wall) Options.Progress is called.
const DefaultProgressEvery = 500 * time.Millisecond

// Progress is a run's figures so far, for a live display; the summary's are
// computed after the run. Durations are model time.
type Progress struct {
	Elapsed, Duration time.Duration
	// Requests ended so far, fleet and attacks together; Late, sends that
	// left later than the generator's tolerance.
	Requests, Late uint64
	// Dispatches and Writes are the target's so far; -1 when it cannot
	// tell while the run goes on (an external target's dispatches).
	Dispatches, Writes int64
	// WorstStaleness is the largest last_seen age sampled on a service
	// heartbeated during the run; -1 before any was. It also counts
	// services whose workers have stopped, which the verdicts leave out.
	WorstStaleness time.Duration
	// Faults are the kinds planned to be active now.
	Faults []string
	// Done marks the last call, once the load has ended.
	Done bool
}

// liveEvents passes the reference's events on and counts dispatches and
// writes as they happen, so a display can read them without a lock.
type liveEvents struct {
	next               heartbeat.Sink
	dispatches, writes atomic.Int64
}

func (l *liveEvents) Record(e heartbeat.Event) {
	switch {
	case e.Kind == heartbeat.EventDispatch:
		l.dispatches.Add(1)
	case e.Kind == heartbeat.EventTask && e.Result == heartbeat.TaskWrote:
		l.writes.Add(1)
	}
	l.next.Record(e)
}

func (l *liveEvents) counts() (dispatches, writes int64) { return l.dispatches.Load(), l.writes.Load() }

// watch calls report every period until ctx ends, then once more with Done
// set. It runs on a goroutine of its own, so report is never called twice
// at once; the returned function waits for the last call.
func (d *drive) watch(ctx context.Context, run modeltime.Run, live *latency.Live, report func(Progress), every time.Duration) (wait func()) {
	if report == nil {
		return func() {}
	}
	if every <= 0 {
		every = DefaultProgressEvery
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				p := d.progress(run, live, time.Now())
				p.Done = true
				report(p)
				return
			case now := <-t.C:
				report(d.progress(run, live, now))
			}
		}
	}()
	return func() { <-done }
}

func (d *drive) progress(run modeltime.Run, live *latency.Live, now time.Time) Progress {
	el := min(max(run.Since(now), 0), d.spec.Duration)
	p := Progress{Elapsed: el, Duration: d.spec.Duration, Requests: live.Requests(), Late: live.LateSends(),
		Dispatches: -1, Writes: -1, WorstStaleness: -1, Faults: activeFaults(d.faults, el)}
	if d.setup.Counts != nil {
		p.Dispatches, p.Writes = d.setup.Counts()
	} else if d.setup.Sampler != nil {
		p.Writes = int64(d.setup.Sampler.WritesSeen())
	}
	if s := d.setup.Sampler; s != nil {
		if worst, ok := s.WorstStaleness(); ok {
			p.WorstStaleness = worst
		}
	}
	return p
}

// activeFaults are the kinds of the planned faults under way at model time at.
func activeFaults(plan []faults.Fault, at time.Duration) []string {
	var out []string
	for _, f := range plan {
		// For 0 is a fault that lasts to the end.
		if f.At <= at && (f.For == 0 || at < f.At+f.For) {
			out = append(out, f.Kind)
		}
	}
	return out
}
