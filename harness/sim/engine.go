package sim

import (
	"container/heap"
	"context"
	"time"
)

// engine is the discrete-event core: events ordered by model time, then by
// the order they were scheduled, so that equal times always run in one
// order and a seed replays a run exactly. There is no goroutine per worker:
// each event runs to completion, and what its calls cost is spent on the
// clock it reads (Now, Spend), not waited for.
type engine struct {
	start time.Time
	at    time.Duration // the running event's instant (model offset)
	spent time.Duration // what its calls have spent so far
	q     events
	seq   uint64
	ran   int64
}

type event struct {
	at  time.Duration
	seq uint64
	run func()
}

type events []event

func (q events) Len() int { return len(q) }
func (q events) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q events) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *events) Push(x any)   { *q = append(*q, x.(event)) }
func (q *events) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// Now is the running event's time: its instant plus what it has spent.
func (e *engine) Now() time.Time { return e.start.Add(e.at + e.spent) }

// Spend passes d of the running event's time (a round trip, a statement).
func (e *engine) Spend(d time.Duration) {
	if d > 0 {
		e.spent += d
	}
}

// elapsed is the model offset the running event has reached.
func (e *engine) elapsed() time.Duration { return e.at + e.spent }

// schedule runs fn at model offset at (never before the running event).
func (e *engine) schedule(at time.Duration, fn func()) {
	e.seq++
	heap.Push(&e.q, event{at: max(at, e.at), seq: e.seq, run: fn})
}

// runUntil runs every event up to and including model offset end, checking
// ctx now and then so that a long simulation can be interrupted.
func (e *engine) runUntil(ctx context.Context, end time.Duration) error {
	for e.q.Len() > 0 && e.q[0].at <= end {
		ev := heap.Pop(&e.q).(event)
		e.at, e.spent = ev.at, 0
		ev.run()
		e.ran++
		if e.ran&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	e.at, e.spent = end, 0
	return ctx.Err()
}
