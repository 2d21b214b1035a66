package verify

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

// checkAtMostOne holds every key to one dispatch per throttle window.
//
// With the target's dispatches in hand (in-process) each key's gaps are
// judged on the clock that timed them — Redis's for a gate win — less that
// clock's resolution, and nothing else: a write is held to the window
// through the dispatch it carries (observers_agree checks that each
// dispatch wrote once).
//
// Without them (external) the writes are judged per service row: in any
// window no row may be written more often than the number of gate keys
// covering it that were being polled, since the tasks path and the list path
// each have their own key. Writes of one key may come closer than the window
// by the target's queue delays; the queue allowance absorbs that, and gaps
// inside it are counted, not judged.
func checkAtMostOne(h history.History) judgement {
	if !h.HaveDispatches {
		return checkRowWrites(h)
	}
	windows := activeWindows(h)
	groups := byKey(func() []event { e, _ := series(h); return e }())
	var (
		gaps, violations, badKeys int
		worst                     string
		worstWhere                *summary.Where
		worstGap                  time.Duration
		found                     bool
		ext                       extent
	)
	for _, key := range sortedKeys(groups) {
		es := groups[key]
		bad := false
		for i := 1; i < len(es); i++ {
			gaps++
			gap := es[i].At - es[i-1].At
			tol := max(h.Tolerance[es[i].Clock], h.Tolerance[es[i-1].Clock])
			if gap < h.Throttle-tol {
				violations++
				bad = true
				ext.add(es[i-1].At, es[i].At)
			}
			if !found || gap < worstGap {
				found, worstGap = true, gap
				worst = fmt.Sprintf("key %s: dispatches %s and %s %s apart at %s (%s clock)",
					key, es[i-1].ID, es[i].ID, fmtDur(gap), fmtDur(es[i].At), es[i].Clock)
				worstWhere = during("key "+key, es[i-1].At, es[i].At)
			}
		}
		if bad {
			badKeys++
		}
	}
	ev := summary.Evidence{count("windows polled", windows), count("dispatches", len(h.Dispatches)), count("gaps", gaps)}
	tol := fmt.Sprintf("window %s; %s", fmtDur(h.Throttle), tolerances(h))
	switch {
	case windows == 0 && len(h.Dispatches) == 0:
		return inconclusive("no key was ever polled, so no gate had anything to let through", ev...)
	case violations > 0:
		return fail(fmt.Sprintf("%s, under the window; %d gaps too short on %d of %d keys (%s)",
			worst, violations, badKeys, len(groups), tol), ev...).locate(worstWhere).
			sized(ext.size(worstGap.Seconds(), h.Throttle.Seconds(), "s apart", "min", violations, gaps, "gaps"))
	case !found:
		return pass(fmt.Sprintf("no key had two dispatches (%d dispatches over %d windows of polling; %s)",
			len(h.Dispatches), windows, tol), ev...)
	}
	return pass(fmt.Sprintf("closest: %s (%d gaps on %d keys; %s)", worst, gaps, len(groups), tol), ev...)
}

// tolerances states the tolerance of each clock in use.
func tolerances(h history.History) string {
	var parts []string
	for _, c := range []history.Clock{history.ClockRedis, history.ClockPostgres, history.ClockProcess} {
		if t, ok := h.Tolerance[c]; ok {
			parts = append(parts, fmt.Sprintf("%s clock ±%s", c, fmtDur(t)))
		}
	}
	if len(parts) == 0 {
		return "no tolerance"
	}
	return "tolerance " + strings.Join(parts, ", ")
}

// checkRowWrites is the external form of checkAtMostOne, on the writes.
func checkRowWrites(h history.History) judgement {
	covering := map[int64][]history.Key{}
	for _, k := range h.Keys {
		for _, s := range k.Services {
			covering[s] = append(covering[s], k)
		}
	}
	perRow := map[int64][]time.Duration{}
	for _, w := range h.Writes {
		for _, s := range w.Services {
			perRow[s] = append(perRow[s], w.At)
		}
	}
	tol := h.Tolerance[history.ClockPostgres]
	limit := h.Throttle - h.QueueAllowance - tol
	var (
		judged, rows, allowed, violations int
		worst                             string
		worstWhere                        *summary.Where
		worstExcess                       int
		worstN, worstBound                int
		ext                               extent
	)
	ids := make([]int64, 0, len(perRow))
	for id := range perRow {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		keys := covering[id]
		if len(keys) == 0 {
			continue // a row no polled key marks: not this run's to judge
		}
		rows++
		ats := perRow[id]
		slices.Sort(ats)
		for i, at := range ats {
			judged++
			j := i
			for j+1 < len(ats) && ats[j+1]-at < h.Throttle-tol {
				j++
			}
			// Writes inside the window but outside what the queue may shift
			// are held to the bound; the others only counted.
			strict := i
			for strict+1 < len(ats) && ats[strict+1]-at < limit {
				strict++
			}
			allowed += j - strict
			n := strict - i + 1
			active := activeCovering(keys, at-h.QueueAllowance, at+h.Throttle)
			if n > max(active, 1) {
				violations++
				ext.add(at, ats[strict])
				if excess := n - max(active, 1); excess > worstExcess {
					worstExcess = excess
					worstN, worstBound = n, max(active, 1)
					worst = fmt.Sprintf("service %d written %d times within %s from %s while %d of its keys were polled",
						id, n, fmtDur(ats[strict]-at), fmtDur(at), active)
					worstWhere = during(fmt.Sprintf("service %d", id), at, ats[strict])
				}
			}
		}
	}
	ev := summary.Evidence{count("writes", len(h.Writes)), count("row writes judged", judged), count("rows", rows)}
	rule := fmt.Sprintf("window %s less queue allowance %s; %s; %d pairs within the allowance not judged; observed by %s%s",
		fmtDur(h.Throttle), fmtDur(h.QueueAllowance), tolerances(h), allowed, h.Observation, detectionLimit(h))
	switch {
	case judged == 0 && activeWindows(h) == 0:
		return inconclusive("no key was ever polled and no write was seen", ev...)
	case violations > 0:
		return fail(fmt.Sprintf("%s; %d windows over the bound (%s)", worst, violations, rule), ev...).locate(worstWhere).
			sized(ext.size(float64(worstN), float64(worstBound), "writes of a row in a window", "max", violations, judged, "row writes"))
	}
	return pass(fmt.Sprintf("no row written more often than its polled keys allow: %d row writes on %d rows (%s)",
		judged, rows, rule), ev...)
}

// activeCovering counts the keys with polling inside [from, to].
func activeCovering(keys []history.Key, from, to time.Duration) int {
	n := 0
	for _, k := range keys {
		if slices.ContainsFunc(k.Active, func(iv history.Interval) bool { return iv.From <= to && iv.To >= from }) {
			n++
		}
	}
	return n
}

func detectionLimit(h history.History) string {
	if h.DetectionLimit <= 0 {
		return ""
	}
	return fmt.Sprintf(" (writes closer than %s apart cannot be told apart)", fmtDur(h.DetectionLimit))
}
