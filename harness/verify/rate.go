package verify

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

// Bounds is the dispatch count a key active for the given model time may
// show: at least one per throttle window plus the longest poll gap (a window
// can expire just after a poll, and the next poll re-opens it), at most one
// per window plus the one that opens the first window. A non-positive
// throttle leaves the count unbounded above, and a non-positive divisor
// leaves it unbounded below.
func Bounds(active, throttle, maxPollGap time.Duration) (lo, hi int) {
	if active <= 0 {
		active = 0
	}
	if period := throttle + maxPollGap; period > 0 {
		lo = int(active / period)
	}
	if throttle <= 0 {
		return lo, math.MaxInt
	}
	return lo, int((active+throttle-1)/throttle) + 1
}

// Ceiling is the most dispatches a key polled over spans may show: one per
// window plus the one that opens the first, for every stretch of polling
// that begins after the last stretch's window has run out (spans closer
// than a window apart are one stretch, gap included). For one stretch it is
// Bounds's hi. A span that is an instant is a poll too, and may open a
// window: a worker that claims a random job lists once between rounds of
// work, often far from its other lists, and each such list may dispatch.
func Ceiling(spans []history.Interval, throttle time.Duration) int {
	if throttle <= 0 {
		return math.MaxInt
	}
	sorted := slices.Clone(spans)
	slices.SortFunc(sorted, func(a, b history.Interval) int { return cmp.Compare(a.From, b.From) })
	total, open := 0, false
	var from, to time.Duration
	flush := func() {
		if open {
			total += int((to-from+throttle-1)/throttle) + 1
		}
	}
	for _, iv := range sorted {
		if iv.To < iv.From {
			continue
		}
		if open && iv.From < to+throttle {
			to = max(to, iv.To)
			continue
		}
		flush()
		from, to, open = iv.From, iv.To, true
	}
	flush()
	return total
}

// checkRate holds each active key's dispatch count within Bounds. Keys that
// were never active have no expectation and are skipped.
func checkRate(h history.History) judgement {
	events, noun := series(h)
	counts := make(map[string]int)
	for _, e := range events {
		if inRun(h, e.At) {
			counts[e.Key]++
		}
	}

	var (
		judged, outside int
		found           bool
		worst           string
		worstWhere      *summary.Where
		worstMargin     int
		worstN, worstLo int
		worstHi         int
		ext             extent
	)
	for _, u := range rateUnits(h) {
		var n, lo, hi int
		var spans []history.Interval
		for _, k := range u.keys {
			if len(k.Active) == 0 {
				continue // never polled: no expectation
			}
			klo, khi := keyBounds(h, k.Active)
			lo, hi = lo+klo, satAdd(hi, khi)
			n += counts[k.Key]
			spans = append(spans, k.Active...)
		}
		// A key polled only in instants (a list between rounds of work)
		// may add a dispatch to its unit, but is not judged alone.
		active := activeTime(history.Union(spans))
		if active <= 0 {
			continue
		}
		judged++
		// The margin is how far inside the nearer bound the count sits;
		// negative when outside, so the smallest one is the worst key.
		margin := min(n-lo, hi-n)
		if margin < 0 {
			outside++
			from, to := spanOf(spans)
			ext.add(from, to)
		}
		if !found || margin < worstMargin {
			found, worstMargin = true, margin
			worstN, worstLo, worstHi = n, lo, hi
			worst = fmt.Sprintf("%s: %d %s over %s active, expected [%d, %d]",
				u.name, n, noun, fmtDur(active), lo, hi)
			from, to := spanOf(spans)
			worstWhere = during(u.name, from, to)
		}
	}

	total := 0
	for _, n := range counts {
		total += n
	}
	ev := summary.Evidence{count("keys polled", judged), count(noun, total)}
	if judged == 0 {
		return inconclusive(fmt.Sprintf("no key was ever polled (%d keys known), so no count was expected", len(h.Keys)), ev...)
	}
	if outside > 0 {
		bound, limit := float64(worstHi), "max"
		if worstN < worstLo {
			bound, limit = float64(worstLo), "min"
		}
		return fail(fmt.Sprintf("%s; %d of %d active keys out of bounds", worst, outside, judged), ev...).locate(worstWhere).
			sized(ext.size(float64(worstN), bound, noun+" of one key", limit, outside, judged, "active keys"))
	}
	return pass(fmt.Sprintf("tightest: %s; all %d active keys within bounds", worst, judged), ev...)
}

// rateUnit is what one count is judged on: one key, or keys whose writes
// cannot be told apart.
type rateUnit struct {
	name string
	keys []history.Key
}

// rateUnits are the keys the rate is judged on, in order. Where writes
// stand for dispatches (an external target), keys that mark the same
// services are one unit: a write names its services, not its key, so which
// of them wrote it is the history's guess (the key polled at the time), and
// a list key polled once between rounds of work would lend its write to the
// job key beside it. Their counts are then judged together, against their
// bounds summed.
func rateUnits(h history.History) []rateUnit {
	keys := mergedKeys(h)
	if h.HaveDispatches {
		out := make([]rateUnit, len(keys))
		for i, k := range keys {
			out[i] = rateUnit{name: "key " + k.Key, keys: []history.Key{k}}
		}
		return out
	}
	var out []rateUnit
	index := map[string]int{}
	for _, k := range keys {
		sig := fmt.Sprint(sortedIDs(k.Services))
		i, ok := index[sig]
		if !ok {
			index[sig] = len(out)
			out = append(out, rateUnit{name: "key " + k.Key})
			i = len(out) - 1
		} else {
			out[i].name += " + " + k.Key
		}
		out[i].keys = append(out[i].keys, k)
	}
	for i := range out {
		if len(out[i].keys) > 1 {
			out[i].name = "keys " + strings.TrimPrefix(out[i].name, "key ") + " (one set of services: writes name no key)"
		}
	}
	return out
}

func sortedIDs(ids []int64) []int64 {
	s := slices.Clone(ids)
	slices.Sort(s)
	return s
}

// satAdd adds two bounds, an unbounded one (math.MaxInt) staying unbounded.
func satAdd(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// keyBounds is the dispatch count a key polled over spans may show, as
// dispatch_rate_near_expected judges it and summary.json's keys report it:
// the floor counts only the time a dispatch could land and be seen, the
// ceiling is Ceiling's.
func keyBounds(h history.History, spans []history.Interval) (lo, hi int) {
	active := activeTime(spans)
	lo, hi = Bounds(active, h.Throttle, h.MaxPollGap)
	if len(spans) > 0 {
		hi = Ceiling(spans, h.Throttle)
	}
	if lost := outageTime(h, spans) + unseenTime(h, spans); lost > 0 {
		// While the broker or the gate is down no dispatch can land, and
		// the window a failed attempt won is lost too; while the write
		// observer is blind no write is counted.
		lo, _ = Bounds(max(0, active-lost), h.Throttle, h.MaxPollGap)
	}
	return lo, hi
}

// mergedKeys lists h.Keys in order with the spans of a key listed twice
// put together, so that it is judged and reported once.
func mergedKeys(h history.History) []history.Key {
	var out []history.Key
	index := make(map[string]int, len(h.Keys))
	for _, k := range h.Keys {
		i, ok := index[k.Key]
		if !ok {
			index[k.Key] = len(out)
			out = append(out, history.Key{Key: k.Key, Services: k.Services})
			i = len(out) - 1
		}
		out[i].Active = append(out[i].Active, k.Active...)
	}
	return out
}

// spanOf is from the first span's start to the last one's end.
func spanOf(spans []history.Interval) (from, to time.Duration) {
	for i, iv := range spans {
		if i == 0 || iv.From < from {
			from = iv.From
		}
		to = max(to, iv.To)
	}
	return from, to
}

// outageTime is how much of the active spans an outage took away, each
// outage extended by one throttle window (the window its failed attempt won).
func outageTime(h history.History, active []history.Interval) time.Duration {
	var lost time.Duration
	for _, f := range h.Faults {
		if !f.StopsDispatch {
			continue
		}
		from, to := f.At, f.At+f.For+h.Throttle
		for _, iv := range active {
			if lo, hi := max(from, iv.From), min(to, iv.To); hi > lo {
				lost += hi - lo
			}
		}
	}
	return lost
}

// unseenTime is how much of the active spans the write observer was blind,
// each gap extended by one window (a write just before it was not yet due
// again). Only writes are observed; dispatches are the target's own report.
func unseenTime(h history.History, active []history.Interval) time.Duration {
	if h.HaveDispatches {
		return 0
	}
	var lost time.Duration
	for _, g := range h.Unobserved {
		if g.Observer != history.ObserverWrites {
			continue
		}
		for _, iv := range active {
			if lo, hi := max(g.From, iv.From), min(g.To+h.Throttle, iv.To); hi > lo {
				lost += hi - lo
			}
		}
	}
	return lost
}
