package verify

import (
	"cmp"
	"slices"
	"time"

	"github.com/hbharness/hbharness/summary"
)

// extent gathers the parts of a violation as a checker finds them, so that
// a failed verdict is sized whole (summary.Extent) and not only by its
// worst place: a headline would otherwise call an hour of staleness its
// first half-minute.
type extent struct {
	spans [][2]time.Duration
}

// add records one part of the violation over [from, to]; an instant is a
// part of no length.
func (e *extent) add(from, to time.Duration) {
	e.spans = append(e.spans, [2]time.Duration{from, max(from, to)})
}

// size states the violation: its parts' span and union, the worst value
// against its bound (both in unit; limit "max" or "min" says which side is
// allowed), and count of of judged things, named by noun.
func (e *extent) size(worst, bound float64, unit, limit string, count, of int, noun string) *summary.Extent {
	x := &summary.Extent{Worst: worst, Bound: bound, Unit: unit, Limit: limit, Count: count, Of: of, Noun: noun}
	if len(e.spans) == 0 {
		return x
	}
	spans := slices.Clone(e.spans)
	slices.SortFunc(spans, func(a, b [2]time.Duration) int { return cmp.Compare(a[0], b[0]) })
	var total, last time.Duration
	from, to := spans[0][0], spans[0][0]
	cur := spans[0]
	for _, s := range spans[1:] {
		if s[0] <= cur[1] {
			cur[1] = max(cur[1], s[1])
			continue
		}
		total += cur[1] - cur[0]
		to = max(to, cur[1])
		cur = s
	}
	total += cur[1] - cur[0]
	last = max(to, cur[1])
	x.FromS, x.ToS, x.TotalS = from.Seconds(), last.Seconds(), total.Seconds()
	return x
}

// sized attaches a violation's extent to a failed judgement.
func (j judgement) sized(x *summary.Extent) judgement {
	j.extent = x
	return j
}
