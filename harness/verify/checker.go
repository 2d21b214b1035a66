package verify

import (
	"fmt"
	"time"

	"github.com/hbharness/hbharness/harness/history"
)

// CheckerDelay is what the run's copies of the offline check say about how
// late a service whose heartbeats stopped can be flipped offline. Antenna's
// beat enqueues a copy every checker_every on a task queue (the heartbeat
// tasks' own, by default), a worker runs it whenever it reaches the head of
// that queue, and a copy that waited past checker_expires is dropped unrun.
// A service stale from T on (its last write + offline_after) is flipped by
// the first copy that runs after T: at the latest, the first copy that
// runs among those enqueued after T. So with copies that ran enqueued at
// most MaxGap apart, each having waited at most MaxWait, it is flipped by
// T + MaxGap + MaxWait: the Allowance. Dropped, failed and unsent copies
// flip nothing; they widen the gap between the copies around them.
type CheckerDelay struct {
	// Known says the target reported its copies (in-process); otherwise
	// Allowance is checker_every + checker_expires, a copy every period
	// waiting at most until its expiry, and the counts are zero.
	Known bool
	// Copies enqueued within the run, by what became of them by its end.
	Sent, Ran, Dropped, Failed, Unsent, Queued int
	// Late counts the copies sent within the run that a worker took only
	// after it ended (the queue drained after the load).
	Late int
	// MaxWait is the longest a copy that ran within the run waited in its
	// queue, or a copy not yet run at the run's end had waited by then.
	MaxWait time.Duration
	// MaxDropWait is the longest a dropped copy waited before a worker
	// dropped it.
	MaxDropWait time.Duration
	// MaxGap is the longest stretch between the enqueues of two copies
	// that ran (a copy still queued at the end counts as running then),
	// the run's start and end included as bounds.
	MaxGap time.Duration
	// Allowance is how long after a service goes stale a copy is sure to
	// have flipped it: MaxGap + MaxWait.
	Allowance time.Duration
	// RanAt are the instants the copies ran within the run, in order.
	RanAt []time.Duration
}

// checkerDelay reads h's checks.
func checkerDelay(h history.History) CheckerDelay {
	if !h.ChecksKnown {
		return CheckerDelay{Allowance: h.CheckerEvery + h.CheckerExpires}
	}
	d := CheckerDelay{Known: true}
	last := time.Duration(0) // the previous copy that counts as running
	for _, c := range h.Checks {
		if c.Enqueued > h.Duration {
			break // sent after the run: it judges nothing
		}
		d.Sent++
		effective := false
		switch {
		case c.Outcome == history.CheckUnsent:
			d.Unsent++
		case !c.Taken() || c.At > h.Duration:
			// Not yet taken when the run ended: for every sample of the
			// run it is still waiting, and has waited this long so far.
			if c.Taken() {
				d.Late++
			} else {
				d.Queued++
			}
			d.MaxWait = max(d.MaxWait, h.Duration-c.Enqueued)
			effective = true
		case c.Outcome == history.CheckRan:
			d.Ran++
			d.MaxWait = max(d.MaxWait, c.Waited())
			d.RanAt = append(d.RanAt, c.At)
			effective = true
		case c.Outcome == history.CheckDropped:
			d.Dropped++
			d.MaxDropWait = max(d.MaxDropWait, c.Waited())
		default:
			d.Failed++
		}
		if effective {
			d.MaxGap = max(d.MaxGap, c.Enqueued-last)
			last = max(last, c.Enqueued)
		}
	}
	d.MaxGap = max(d.MaxGap, h.Duration-last)
	d.Allowance = d.MaxGap + d.MaxWait
	return d
}

// NoneRan says the target reported its copies and none ran in the run.
func (d CheckerDelay) NoneRan() bool { return d.Known && d.Ran == 0 }

// describe states the allowance and where it comes from, for verdicts.
func (d CheckerDelay) describe(h history.History) string {
	if !d.Known {
		return fmt.Sprintf("the check's allowance %s (checker_every %s + checker_expires %s: the target does not report its checks)",
			fmtDur(d.Allowance), fmtDur(h.CheckerEvery), fmtDur(h.CheckerExpires))
	}
	s := fmt.Sprintf("the check's allowance %s (the longest gap between checks that ran %s + their longest queue wait %s",
		fmtDur(d.Allowance), fmtDur(d.MaxGap), fmtDur(d.MaxWait))
	if lost := d.Dropped + d.Failed + d.Unsent; lost > 0 {
		s += fmt.Sprintf("; %d of %d copies flipped nothing: %d dropped past checker_expires %s, %d failed, %d not enqueued",
			lost, d.Sent, d.Dropped, fmtDur(h.CheckerExpires), d.Failed, d.Unsent)
	}
	return s + ")"
}

// noneRanReason says why no check could judge anything.
func (d CheckerDelay) noneRanReason(h history.History) string {
	why := fmt.Sprintf("no offline check ran during the %s run (checker_every %s", fmtDur(h.Duration), fmtDur(h.CheckerEvery))
	if d.Sent > 0 {
		why += fmt.Sprintf("; %d copies sent: %d dropped, %d failed, %d not enqueued, %d still queued at the end",
			d.Sent, d.Dropped, d.Failed, d.Unsent, d.Queued+d.Late)
	}
	return why + ")"
}

// ranBetween counts the copies that ran within [from, to].
func (d CheckerDelay) ranBetween(from, to time.Duration) int {
	n := 0
	for _, at := range d.RanAt {
		if at >= from && at <= to {
			n++
		}
	}
	return n
}

// lagIndex answers, per service, how long after its last poll its own
// last heartbeat landed: the task of the last dispatch its polling caused
// waits in the queue like any other (behind a results backlog under
// heartbeat_queue shared), and it is stale only offline_after after that
// write. Dispatches up to one poll gap after the last poll count as its
// own (a sibling's in that gap only lengthens the allowance by it). 0 when
// the target does not report its dispatches. Built in one pass over the
// history, so that asking for every service of a large run stays linear.
type lagIndex struct {
	maxPollGap time.Duration
	// writes are, per service, each tagged write's dispatch time and commit.
	writes map[int64][]dispatchWrite
}

type dispatchWrite struct{ dispatched, wrote time.Duration }

func newLagIndex(h history.History) lagIndex {
	x := lagIndex{maxPollGap: h.MaxPollGap, writes: map[int64][]dispatchWrite{}}
	if !h.HaveDispatches {
		return x
	}
	dispatched := make(map[string]time.Duration, len(h.Dispatches))
	for _, d := range h.Dispatches {
		dispatched[d.ID] = d.At
	}
	for _, w := range h.Writes {
		at, ok := dispatched[w.DispatchID]
		if !ok || w.DispatchID == "" {
			continue
		}
		for _, id := range w.Services {
			x.writes[id] = append(x.writes[id], dispatchWrite{dispatched: at, wrote: w.At})
		}
	}
	return x
}

// of is service id's lag after its last poll at lastPoll.
func (x lagIndex) of(id int64, lastPoll time.Duration) time.Duration {
	var lag time.Duration
	for _, w := range x.writes[id] {
		if w.dispatched <= lastPoll+x.maxPollGap {
			lag = max(lag, w.wrote-lastPoll)
		}
	}
	return lag
}

// livenessLimits is, per service that went silent, how long it may be
// silent and still read live: offline_after after its own last heartbeat
// landed, plus the check's allowance.
func livenessLimits(h history.History, quiet silence, d CheckerDelay) map[int64]time.Duration {
	out := map[int64]time.Duration{}
	lags := newLagIndex(h)
	for _, svc := range h.Services {
		lag := time.Duration(0)
		if last, ok := quiet.lastPoll(svc.ID); ok {
			lag = lags.of(svc.ID, last)
		}
		out[svc.ID] = h.OfflineAfter + lag + d.Allowance
	}
	return out
}
