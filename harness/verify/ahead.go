package verify

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

// aheadTolerance is how far past the moment of its write a stored last_seen
// may lie before the writer's clock is called ahead. On one machine the
// writer and the database read one clock, and a correct writer stamps
// before its UPDATE, so its stamps are never ahead at all; across machines
// NTP keeps clocks within tens of milliseconds. One model second, or 50 ms
// of wall time where a compressed run makes that more, is far past either
// and far below anything that moves a 60 s liveness window.
func aheadTolerance(h history.History) time.Duration {
	tol := time.Second
	if h.TimeScale > 0 {
		tol = max(tol, h.TimeScale.Model(50*time.Millisecond))
	}
	return tol
}

// checkAhead fails when a write stored a last_seen later than the moment it
// was made, by more than aheadTolerance: the writer's clock runs ahead. Such
// a value reads as fresh to Antenna (now - last_seen is negative, so under
// 60 s) for as long as the clock is ahead, on top of the window: a service
// that dies reads live that much longer, and every staleness check passes
// without a word. The write is timed by the database (the audit's
// clock_timestamp(), the commit time of logical decoding) or, when only
// sampled, by the sample that first saw it; either is no earlier than the
// real write, so the offset found is never overstated.
func checkAhead(h history.History) judgement {
	tol := aheadTolerance(h)
	rule := fmt.Sprintf("a stored last_seen must not lie more than %s past its write", fmtDur(tol))
	var stamped []history.Write
	for _, w := range h.Writes {
		if w.Stamped && w.At <= h.Duration {
			stamped = append(stamped, w)
		}
	}
	if len(stamped) == 0 {
		return aheadFromSamples(h, tol, rule)
	}
	var ahead []history.Write
	for _, w := range stamped {
		if w.Ahead() > tol {
			ahead = append(ahead, w)
		}
	}
	ev := summary.Evidence{count("writes judged", len(stamped))}
	if len(ahead) == 0 {
		worst := slices.MaxFunc(stamped, func(a, b history.Write) int { return cmp.Compare(a.Ahead(), b.Ahead()) })
		return pass(fmt.Sprintf("no write stored a last_seen in the future: %d writes judged, the latest stamp %s (%s)",
			len(stamped), relative(worst.Ahead()), rule), ev...)
	}
	offsets := make([]time.Duration, len(ahead))
	for i, w := range ahead {
		offsets[i] = w.Ahead()
	}
	slices.Sort(offsets)
	worst := slices.MaxFunc(ahead, func(a, b history.Write) int { return cmp.Compare(a.Ahead(), b.Ahead()) })
	first, last := ahead[0].At, ahead[0].At
	for _, w := range ahead {
		first, last = min(first, w.At), max(last, w.At)
	}
	// Sampled writes are timed by the sample that saw them, up to a sample
	// period after the real write: the offset is a lower bound.
	atLeast, timer := "", "the database's clock"
	if h.Observation == history.ObservedBySampling {
		atLeast, timer = "at least ", "as first sampled"
	}
	return fail(fmt.Sprintf("the writer's clock is ahead by %s%s: a write at %s (%s) stored last_seen %s for service%s %s; "+
		"%d of %d writes ahead, from %s to %s, median %s (%s). Antenna reads such a service as fresh that much longer than it is%s",
		atLeast, fmtDur(worst.Ahead()), fmtDur(worst.At), timer, fmtDur(worst.Stamp), plural(len(worst.Services)), idList(worst.Services),
		len(ahead), len(stamped), fmtDur(first), fmtDur(last), fmtDur(offsets[len(offsets)/2]), rule, zoneHint(h, offsets[len(offsets)/2])), ev...).
		locate(during("writer's clock", first, last)).
		sized(aheadExtent(ahead, worst.Ahead(), tol, len(stamped)))
}

// aheadExtent sizes the writes whose stamps were ahead: each stands until
// the next write, which the extent cannot know, so as an instant.
func aheadExtent(ahead []history.Write, worst, tol time.Duration, judged int) *summary.Extent {
	var ext extent
	for _, w := range ahead {
		ext.add(w.At, w.At)
	}
	return ext.size(worst.Seconds(), tol.Seconds(), "s ahead", "max", len(ahead), judged, "writes")
}

// zoneHint names the likely cause of an offset of whole hours: a writer that
// stores another zone's wall clock (UTC, say) in a naive last_seen, which
// Antenna reads as local to its TIME_ZONE. The offset is in model time.
func zoneHint(h history.History, offset time.Duration) string {
	wall := offset
	if h.TimeScale > 0 {
		wall = h.TimeScale.Wall(offset)
	}
	hours := wall.Round(time.Hour)
	if hours < time.Hour || (wall-hours).Abs() > time.Minute {
		return ""
	}
	return fmt.Sprintf("; %s of wall time is a whole number of hours: a writer storing another zone's wall clock (UTC, say) in a naive last_seen, which Antenna reads as local to its TIME_ZONE?", hours)
}

// aheadFromSamples judges from the sampler alone when no write's stored
// value is known: a sample that reads last_seen later than the database's
// own now has seen a stamp from the future, by at least that much.
func aheadFromSamples(h history.History, tol time.Duration, rule string) judgement {
	var judged, ahead int
	var worst history.Sample
	var first, last time.Duration
	var ext extent
	for _, s := range h.Samples {
		if s.Null || s.At > h.Duration {
			continue
		}
		judged++
		if -s.Staleness <= tol {
			continue
		}
		if ahead == 0 {
			first, last = s.At, s.At
		}
		ahead++
		ext.add(s.At, s.At+h.SampleEvery)
		first, last = min(first, s.At), max(last, s.At)
		if s.Staleness < worst.Staleness {
			worst = s
		}
	}
	ev := summary.Evidence{count("samples judged", judged)}
	if judged == 0 {
		return inconclusive("no write's stored value was read and no sample read a last_seen ("+rule+")", ev...)
	}
	if ahead == 0 {
		return pass(fmt.Sprintf("no sample read a last_seen in the future: %d samples judged; writes' stored values were not read, "+
			"so a clock ahead by less than the time to the next sample would go unseen (%s)", judged, rule), ev...)
	}
	return fail(fmt.Sprintf("the writer's clock is ahead by at least %s: service %d read last_seen %s in the future at %s (the database's clock); "+
		"%d of %d samples read a future last_seen, from %s to %s (%s; sampled only, so the offset is a lower bound)",
		fmtDur(-worst.Staleness), worst.ServiceID, fmtDur(-worst.Staleness), fmtDur(worst.At), ahead, judged, fmtDur(first), fmtDur(last), rule), ev...).
		locate(during(fmt.Sprintf("service %d", worst.ServiceID), first, last)).
		sized(ext.size((-worst.Staleness).Seconds(), tol.Seconds(), "s ahead", "max", ahead, judged, "samples"))
}

// relative words a stamp's offset from its write: "before its write" for a
// correct writer, never a negative duration.
func relative(d time.Duration) string {
	if d <= 0 {
		return fmtDur(-d) + " before its write"
	}
	return fmtDur(d) + " after its write"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func idList(ids []int64) string {
	s := ""
	for i, id := range ids {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprint(id)
	}
	return s
}

// lastWrites says, for a service and an instant, when its last_seen was
// last written: the true age of what a sample read, whatever value the
// writer's clock stored. Antenna's own figure (now - last_seen) is that age
// only while the writer's clock is right.
type lastWrites map[int64][]time.Duration // sorted

func newLastWrites(h history.History) lastWrites {
	wt := lastWrites{}
	for _, w := range h.Writes {
		for _, id := range w.Services {
			wt[id] = append(wt[id], w.At)
		}
	}
	for id := range wt {
		slices.Sort(wt[id])
	}
	return wt
}

// age is how long before t service id was last written; false when it was
// not written before t in the run (or its writes were not observed).
func (wt lastWrites) age(id int64, t time.Duration) (time.Duration, bool) {
	ats := wt[id]
	i, _ := slices.BinarySearch(ats, t+1)
	if i == 0 {
		return 0, false
	}
	return t - ats[i-1], true
}
