package verify

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/hbharness/hbharness/harness/history"
)

// event is one throttled action on a gate key: a dispatch as the target
// reported it or, when dispatches are not visible, a database write.
type event struct {
	At    time.Duration
	Key   string
	Clock history.Clock
	ID    string
}

// series returns what the dispatch invariants judge and what to call it in
// details. External targets hide their dispatches, so the database writes
// stand in for them: each one is a dispatch that landed.
func series(h history.History) (events []event, noun string) {
	if h.HaveDispatches {
		events = make([]event, 0, len(h.Dispatches))
		for _, d := range h.Dispatches {
			events = append(events, event{At: d.At, Key: d.Key, Clock: d.Clock, ID: d.ID})
		}
		return events, "dispatches"
	}
	events = make([]event, 0, len(h.Writes))
	for _, w := range h.Writes {
		events = append(events, event{At: w.At, Key: w.Key, Clock: history.ClockPostgres})
	}
	return events, "writes"
}

// byKey groups events per key, each group sorted by time.
func byKey(events []event) map[string][]event {
	groups := make(map[string][]event)
	for _, e := range events {
		groups[e.Key] = append(groups[e.Key], e)
	}
	for _, es := range groups {
		slices.SortStableFunc(es, func(a, b event) int { return cmp.Compare(a.At, b.At) })
	}
	return groups
}

// sortedKeys gives map keys in a fixed order so that ties between equally bad
// keys always name the same one.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// inRun reports whether a model instant lies within the run; events recorded
// while draining after the end are not held against the rate bound.
func inRun(h history.History, at time.Duration) bool {
	return at >= 0 && at <= h.Duration
}

// activeTime is the total model time covered by spans, overlaps counted once,
// so that a key reported active twice over the same span is not double-counted.
func activeTime(spans []history.Interval) time.Duration {
	sorted := slices.Clone(spans)
	slices.SortFunc(sorted, func(a, b history.Interval) int { return cmp.Compare(a.From, b.From) })
	var total time.Duration
	reach := time.Duration(math.MinInt64)
	for _, iv := range sorted {
		from := max(iv.From, reach)
		if iv.To > from {
			total += iv.To - from
			reach = iv.To
		}
	}
	return total
}

// activeWindows is how many throttle windows of polling the keys saw in all:
// the opportunities a gate had to let a dispatch through.
func activeWindows(h history.History) int {
	if h.Throttle <= 0 {
		return 0
	}
	var total time.Duration
	for _, k := range h.Keys {
		total += activeTime(k.Active)
	}
	return int(math.Ceil(float64(total) / float64(h.Throttle)))
}

// judgedWindow decides which samples the liveness invariants hold against a
// service: those taken while it was polled, past the first OfflineAfter of
// each polling span, because a service only has to become fresh once its
// first poll has landed and the resulting write has run.
type judgedWindow struct {
	polled map[int64][]history.Interval
	grace  time.Duration
}

func newJudgedWindow(h history.History) judgedWindow {
	polled := make(map[int64][]history.Interval, len(h.Services))
	for _, s := range h.Services {
		polled[s.ID] = append(polled[s.ID], s.Polled...)
	}
	return judgedWindow{polled: polled, grace: h.OfflineAfter}
}

// span returns the polling span a sample lies in past the grace.
func (w judgedWindow) span(s history.Sample) (history.Interval, bool) {
	for _, iv := range w.polled[s.ServiceID] {
		if s.At >= iv.From+w.grace && s.At < iv.To {
			return iv, true
		}
	}
	return history.Interval{}, false
}

func (w judgedWindow) judges(s history.Sample) bool {
	_, ok := w.span(s)
	return ok
}

// staleness is how stale a judged sample reads. A NULL last_seen was never
// written: the service has been stale since its polling began.
func (w judgedWindow) staleness(s history.Sample) time.Duration {
	if !s.Null {
		return s.Fresh()
	}
	iv, _ := w.span(s)
	return s.At - iv.From
}

// fmtDur renders model time for details ("3m12s", "150ms"); a microsecond is
// the finest grain any clock here records.
func fmtDur(d time.Duration) string {
	if d != 0 && d > -time.Millisecond && d < time.Millisecond {
		return d.Round(time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}
