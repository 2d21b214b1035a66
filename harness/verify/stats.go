package verify

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hbharness/hbharness/harness/history"
)

// KeyStats is one gate key's line of summary.json (docs/design.md#summaryjson, keys).
type KeyStats struct {
	Key string
	// Dispatches counts the events inside the run that the rate invariant
	// judges: dispatches, or database writes for an external target.
	Dispatches               int
	ExpectedMin, ExpectedMax int
	// MinGap is the closest pair of the key's events; 0 with fewer than two.
	MinGap   time.Duration
	DBWrites int
}

// ServiceStats is one service's line of summary.json (docs/design.md#summaryjson, services).
type ServiceStats struct {
	ID int64
	// MaxStaleness is the oldest last_seen read while the service was judged
	// (polled, past the grace); a NULL one counts from when its polling began.
	MaxStaleness time.Duration
	// MaxAgeSinceWrite is the oldest true age since a write that a judged
	// sample read: MaxStaleness computed from the stored value hides it when
	// a writer's clock runs ahead.
	MaxAgeSinceWrite time.Duration
	// OfflineFlips counts live → not-live transitions over all its samples.
	OfflineFlips int
	// FalseLive is the model time it read live while none of its own
	// workers polled (one sample period per such sample).
	FalseLive time.Duration
	// Stopped says its workers stopped polling before the end; then
	// TimeToOffline is from their last poll to the first read of it as not
	// live, and Detected whether that came before the run ended.
	Stopped       bool
	Detected      bool
	TimeToOffline time.Duration
	// TimeToOfflineBound is, for a stopped service, the latest it may be
	// flipped after its last poll (read up to a sample period later):
	// offline_after after its own last heartbeat landed (HeartbeatLag past
	// the last poll) plus the offline check's allowance, the rule
	// no_false_liveness holds it to.
	TimeToOfflineBound time.Duration
	HeartbeatLag       time.Duration
}

// Liveness sums up how fast dead services were seen dead, beside the
// bounds: the last write comes at most one throttle window before the last
// poll, so detection takes at least OfflineAfter - Throttle; and at most
// OfflineAfter + the offline check's allowance (the longest gap between
// checks that ran + the longest any waited in its queue: Checker), plus a
// service's own last heartbeat's lag past its last poll (its per-service
// bound).
type Liveness struct {
	Stopped, Detected                  int
	TimeToOfflineMax, TimeToOfflineP50 time.Duration
	BoundLo, BoundHi                   time.Duration
	FalseLive                          time.Duration
	// Checker is what the run's copies of the offline check did.
	Checker CheckerDelay
	// Unmeasured names the stopped services that no check could have
	// flipped within the run (none ran after they went stale), whose
	// time_to_offline is therefore not a measurement; "" when none.
	Unmeasured string
}

// Stats are the numbers reports print next to the verdicts.
type Stats struct {
	Keys            []KeyStats
	Services        []ServiceStats
	Liveness        Liveness
	DispatchesTotal int
	DBWritesTotal   int
	MaxStaleness    time.Duration
	// MaxAgeSinceWrite is the services' largest (see ServiceStats).
	MaxAgeSinceWrite time.Duration
}

// Summarize computes per-key and per-service statistics from a history with
// the same rules the invariants use, so the report's numbers explain its verdicts.
func Summarize(h history.History) Stats {
	events, _ := series(h)
	var st Stats
	st.Keys, st.DispatchesTotal = keyStats(h, events)
	st.DBWritesTotal = writesInRun(h)
	st.Services = serviceStats(h)
	var times []time.Duration
	delay := checkerDelay(h)
	st.Liveness.Checker = delay
	st.Liveness.BoundLo, st.Liveness.BoundHi = h.OfflineAfter-h.Throttle, h.OfflineAfter+delay.Allowance
	st.Liveness.Unmeasured = unmeasured(h, delay)
	for _, s := range st.Services {
		st.MaxStaleness = max(st.MaxStaleness, s.MaxStaleness)
		st.MaxAgeSinceWrite = max(st.MaxAgeSinceWrite, s.MaxAgeSinceWrite)
		st.Liveness.FalseLive += s.FalseLive
		if s.Stopped {
			st.Liveness.Stopped++
		}
		if s.Detected {
			st.Liveness.Detected++
			times = append(times, s.TimeToOffline)
		}
	}
	if len(times) > 0 {
		slices.Sort(times)
		st.Liveness.TimeToOfflineMax = times[len(times)-1]
		st.Liveness.TimeToOfflineP50 = times[(len(times)-1)/2]
	}
	return st
}

// keyStats lists h.Keys in order, then any key that only shows up in events
// or writes, sorted, so that unexpected keys are visible rather than dropped.
func keyStats(h history.History, events []event) ([]KeyStats, int) {
	groups := byKey(events)
	inRunCount := make(map[string]int)
	total := 0
	for _, e := range events {
		if inRun(h, e.At) {
			inRunCount[e.Key]++
			total++
		}
	}
	// Writes count per key by the key of the dispatch that tagged them when
	// the target tags its writes, else by the key their services belong to.
	writes := make(map[string]int)
	byID := make(map[string]string, len(h.Dispatches))
	for _, d := range h.Dispatches {
		byID[d.ID] = d.Key
	}
	for _, w := range h.Writes {
		if k, ok := byID[w.DispatchID]; ok && w.DispatchID != "" {
			writes[k]++
		} else {
			writes[w.Key]++
		}
	}

	spans := make(map[string][]history.Interval, len(h.Keys))
	var order []string
	for _, k := range mergedKeys(h) {
		order = append(order, k.Key)
		spans[k.Key] = k.Active
	}
	var extra []string
	for _, k := range sortedKeys(groups) {
		if _, known := spans[k]; !known {
			extra = append(extra, k)
		}
	}
	for _, k := range sortedKeys(writes) {
		if _, known := spans[k]; !known && groups[k] == nil {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)

	stats := make([]KeyStats, 0, len(order)+len(extra))
	for _, key := range append(order, extra...) {
		// The bounds the rate invariant judged, from the same function, so
		// that the keys table and the verdict never disagree.
		lo, hi := keyBounds(h, spans[key])
		ks := KeyStats{Key: key, Dispatches: inRunCount[key], ExpectedMin: lo, ExpectedMax: hi, DBWrites: writes[key]}
		es := groups[key]
		for i := 1; i < len(es); i++ {
			if gap := es[i].At - es[i-1].At; i == 1 || gap < ks.MinGap {
				ks.MinGap = gap
			}
		}
		stats = append(stats, ks)
	}
	return stats, total
}

// serviceStats lists h.Services in order, then any service only seen by the
// sampler, by id.
func serviceStats(h history.History) []ServiceStats {
	win := newJudgedWindow(h)
	samples := make(map[int64][]history.Sample)
	for _, s := range h.Samples {
		samples[s.ServiceID] = append(samples[s.ServiceID], s)
	}
	var order []int64
	listed := make(map[int64]bool)
	for _, s := range h.Services {
		if !listed[s.ID] {
			listed[s.ID] = true
			order = append(order, s.ID)
		}
	}
	var extra []int64
	for id := range samples {
		if !listed[id] {
			extra = append(extra, id)
		}
	}
	slices.Sort(extra)

	quiet := newSilence(h)
	writes := newLastWrites(h)
	limits := livenessLimits(h, quiet, checkerDelay(h))
	lags := newLagIndex(h)
	stats := make([]ServiceStats, 0, len(order)+len(extra))
	for _, id := range append(order, extra...) {
		ss := ServiceStats{ID: id}
		seq := slices.Clone(samples[id])
		slices.SortStableFunc(seq, func(a, b history.Sample) int { return cmp.Compare(a.At, b.At) })
		last, polled := quiet.lastPoll(id)
		ss.Stopped = polled && last+quiet.gap < h.Duration
		if ss.Stopped {
			ss.HeartbeatLag = lags.of(id, last)
			ss.TimeToOfflineBound = limits[id]
		}
		for i, s := range seq {
			if win.judges(s) {
				ss.MaxStaleness = max(ss.MaxStaleness, win.staleness(s))
				if a, ok := writes.age(id, s.At); ok && !s.Null {
					ss.MaxAgeSinceWrite = max(ss.MaxAgeSinceWrite, a)
				}
			}
			if i > 0 && live(seq[i-1]) && !live(s) {
				ss.OfflineFlips++
			}
			if live(s) && quiet.of(id, s.At) > 0 && s.At <= h.Duration {
				ss.FalseLive += h.SampleEvery
			}
			if ss.Stopped && !ss.Detected && s.At > last && !live(s) {
				ss.Detected, ss.TimeToOffline = true, s.At-last
			}
		}
		stats = append(stats, ss)
	}
	return stats
}

func live(s history.Sample) bool { return s.Live && !s.LiveNull }

// unmeasured names the stopped services no copy of the check ran after
// within the run, once they were stale (their own last heartbeat +
// offline_after): nothing could flip them, so their detection, or its
// absence, measured no checker. "" when the target does not report its
// checks, or every stopped service had one.
func unmeasured(h history.History, d CheckerDelay) string {
	if !d.Known {
		return ""
	}
	quiet := newSilence(h)
	lags := newLagIndex(h)
	var names []string
	for _, svc := range h.Services {
		last, ok := quiet.lastPoll(svc.ID)
		if !ok || last+quiet.gap >= h.Duration {
			continue
		}
		stale := last + lags.of(svc.ID, last) + h.OfflineAfter
		if d.ranBetween(stale, h.Duration) == 0 {
			names = append(names, fmt.Sprintf("service %d (stale from %s)", svc.ID, fmtDur(stale)))
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "no offline check ran after " + strings.Join(names, ", ") + " went stale, before the run ended: its time_to_offline measures no check"
}

// writesInRun counts the writes that answer dispatches made within the run,
// as DispatchesTotal counts those dispatches: a tagged write by when its
// dispatch was made (a dispatch just before the end writes after it, on a
// loaded machine), an untagged one by when it landed. Counted otherwise, a
// run whose last dispatches drain after its end reads as one with more
// writes than dispatches.
func writesInRun(h history.History) int {
	made := make(map[string]time.Duration, len(h.Dispatches))
	for _, d := range h.Dispatches {
		made[d.ID] = d.At
	}
	n := 0
	for _, w := range h.Writes {
		at, ok := made[w.DispatchID]
		if !ok || w.DispatchID == "" {
			at = w.At
		}
		if inRun(h, at) {
			n++
		}
	}
	return n
}
