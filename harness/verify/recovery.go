package verify

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

// Recovery is how one fault's end was got over: from its end until every
// service being polled read fresh and live again, against the bound the
// system promises.
type Recovery struct {
	Fault history.Fault
	// Took is from the fault's end to the first sample at which every
	// polled service was fresh and live; Recovered false when that never
	// came within the run.
	Took      time.Duration
	Recovered bool
	// Bound is one throttle window (the next dispatch), plus the longest
	// poll gap (the next poll to open it), plus a sample period (when it is
	// seen), plus another window where the fault can spend one (a key won
	// by an enqueue that failed, a SET NX delivered when the network heals),
	// plus a checker period where it flipped a service offline.
	Bound time.Duration
	// Observable is false when the run ended before the bound ran out.
	Observable bool
	// Blind is how long the sampler saw nothing between the fault's end and
	// its recovery (or the run's end): the recovery may lie anywhere in it.
	Blind time.Duration
}

// blurred says the sampler's blindness hides whether the bound was kept:
// taking the blind stretch away brings the recovery back within it.
func (r Recovery) blurred(runLeft time.Duration) bool {
	took := r.Took
	if !r.Recovered {
		took = runLeft
	}
	return r.Blind > 0 && took > r.Bound && took-r.Blind <= r.Bound
}

// Recoveries measures every fault that ended.
func Recoveries(h history.History) []Recovery {
	var out []Recovery
	rounds := sampleRounds(h)
	win := newJudgedWindow(h)
	for _, f := range h.Faults {
		end := f.At + f.For
		if end >= h.Duration {
			continue // lasted to the end: nothing to recover from in this run
		}
		r := Recovery{Fault: f, Bound: h.Throttle + h.MaxPollGap + h.SampleEvery}
		if f.SpendsWindow {
			r.Bound += h.Throttle
		}
		if flippedDuring(h, f) {
			r.Bound += h.CheckerEvery
		}
		r.Observable = end+r.Bound <= h.Duration
		for _, round := range rounds {
			if round.at < end || round.at > h.Duration {
				continue
			}
			if allWell(h, win, round.samples) {
				r.Took, r.Recovered = round.at-end, true
				break
			}
		}
		until := h.Duration
		if r.Recovered {
			until = end + r.Took
		}
		r.Blind = h.BlindTime(history.ObserverSampler, end, until)
		out = append(out, r)
	}
	return out
}

// round is the samples of one pass of the sampler over every row.
type round struct {
	at      time.Duration
	samples []history.Sample
}

// sampleRounds groups samples into the sampler's passes: a pass reads
// every row within a few milliseconds, far less than its period.
func sampleRounds(h history.History) []round {
	ss := slices.Clone(h.Samples)
	slices.SortStableFunc(ss, func(a, b history.Sample) int { return cmp.Compare(a.At, b.At) })
	gap := max(h.SampleEvery/2, time.Millisecond)
	var out []round
	for _, s := range ss {
		if n := len(out); n > 0 && s.At-out[n-1].at < gap {
			out[n-1].samples = append(out[n-1].samples, s)
			continue
		}
		out = append(out, round{at: s.At, samples: []history.Sample{s}})
	}
	return out
}

// allWell says every service polled at this round (past its grace) reads
// fresh and live.
func allWell(h history.History, win judgedWindow, samples []history.Sample) bool {
	for _, s := range samples {
		if !win.judges(s) {
			continue
		}
		if !isLive(s) || win.staleness(s) >= h.OfflineAfter {
			return false
		}
	}
	return true
}

// flippedDuring says a polled service read offline between the fault's start
// and one window after its end.
func flippedDuring(h history.History, f history.Fault) bool {
	win := newJudgedWindow(h)
	for _, s := range h.Samples {
		if s.At >= f.At && s.At <= f.At+f.For+h.Throttle && win.judges(s) && !isLive(s) {
			return true
		}
	}
	return false
}

// checkRecovery fails a fault whose end was not got over within its bound:
// the system then stays broken longer than its design explains.
func checkRecovery(h history.History) judgement {
	rs := Recoveries(h)
	if len(h.Faults) == 0 {
		return judgement{outcome: summary.NotApplicable, detail: "not applicable: no fault was injected"}
	}
	ev := summary.Evidence{count("faults", len(h.Faults)), count("recoveries judged", 0)}
	var judged, slow int
	var worst string
	var worstWhere *summary.Where
	var worstOver, worstTook, worstBound time.Duration
	var ext extent
	var notObservable []string
	for _, r := range rs {
		name := fmt.Sprintf("%s at %s for %s", r.Fault.Kind, fmtDur(r.Fault.At), fmtDur(r.Fault.For))
		switch {
		case r.blurred(h.Duration - (r.Fault.At + r.Fault.For)):
			notObservable = append(notObservable, fmt.Sprintf("%s (the sampler was blind for %s of its recovery)", name, fmtDur(r.Blind)))
		case r.Recovered:
			judged++
			if over := r.Took - r.Bound; over > 0 {
				slow++
				end := r.Fault.At + r.Fault.For
				ext.add(end+r.Bound, end+r.Took)
				if over > worstOver {
					worstOver, worstTook, worstBound = over, r.Took, r.Bound
					worst = fmt.Sprintf("%s: recovered %s after it ended, bound %s", name, fmtDur(r.Took), fmtDur(r.Bound))
					worstWhere = during(r.Fault.Kind+" recovery", end, end+r.Took)
				}
			} else if worst == "" || slow == 0 {
				worst = fmt.Sprintf("slowest: %s recovered in %s, bound %s", name, fmtDur(r.Took), fmtDur(r.Bound))
			}
		case r.Observable:
			judged++
			slow++
			over := h.Duration - (r.Fault.At + r.Fault.For) - r.Bound
			ext.add(r.Fault.At+r.Fault.For+r.Bound, h.Duration)
			if over >= worstOver {
				worstOver, worstTook, worstBound = over, h.Duration-(r.Fault.At+r.Fault.For), r.Bound
				worst = fmt.Sprintf("%s: never recovered in the %s after it ended, bound %s", name,
					fmtDur(h.Duration-(r.Fault.At+r.Fault.For)), fmtDur(r.Bound))
				worstWhere = during(r.Fault.Kind+" recovery", r.Fault.At+r.Fault.For, h.Duration)
			}
		default:
			notObservable = append(notObservable, name)
		}
	}
	ev[1].N = int64(judged)
	rule := "recovery is from a fault's end until every polled service reads fresh and live; bound = window + longest poll gap + sample period (+ a window where the fault can spend one, + the checker period where it flipped a service)"
	switch {
	case judged == 0 && len(notObservable) > 0:
		return inconclusive(fmt.Sprintf("%d faults could not be seen got over, ended too close to the end or while the sampler was blind (%v); %s", len(notObservable), notObservable, rule), ev...)
	case judged == 0:
		return judgement{outcome: summary.NotApplicable, evidence: ev, detail: "not applicable: every fault lasted to the end of the run"}
	}
	unjudged := ""
	if len(notObservable) > 0 {
		unjudged = fmt.Sprintf(", %d not judged %v", len(notObservable), notObservable)
	}
	if slow > 0 {
		// The violation is the time past each fault's bound; a fault never
		// got over counts to the run's end, a lower bound on its recovery.
		return fail(fmt.Sprintf("%s; %d of %d faults got over too slowly%s (%s)", worst, slow, judged, unjudged, rule), ev...).locate(worstWhere).
			sized(ext.size(worstTook.Seconds(), worstBound.Seconds(), "s to recover", "max", slow, judged, "faults"))
	}
	return pass(fmt.Sprintf("%s; %d faults judged%s (%s)", worst, judged, unjudged, rule), ev...)
}

// FaultStats is what one fault did while it lasted, and how it was got over.
type FaultStats struct {
	Recovery
	Dispatches, Writes int
	// WorstStaleness is the stalest polled service read while it lasted
	// and until it was got over (or the run ended).
	WorstStaleness time.Duration
}

// Faults measures every fault, in the order of the history.
func Faults(h history.History) []FaultStats {
	rec := map[int]Recovery{}
	for _, r := range Recoveries(h) {
		for j, f := range h.Faults {
			if f == r.Fault {
				rec[j] = r
			}
		}
	}
	win := newJudgedWindow(h)
	out := make([]FaultStats, len(h.Faults))
	for i, f := range h.Faults {
		fs := FaultStats{Recovery: rec[i]}
		fs.Fault = f
		until := f.At + f.For
		if fs.Recovered {
			until += fs.Took
		} else {
			until = h.Duration
		}
		for _, d := range h.Dispatches {
			if d.At >= f.At && d.At < f.At+f.For {
				fs.Dispatches++
			}
		}
		for _, w := range h.Writes {
			if w.At >= f.At && w.At < f.At+f.For {
				fs.Writes++
			}
		}
		for _, s := range h.Samples {
			if s.At >= f.At && s.At <= until && win.judges(s) {
				fs.WorstStaleness = max(fs.WorstStaleness, win.staleness(s))
			}
		}
		out[i] = fs
	}
	return out
}
