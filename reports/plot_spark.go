package reports

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/reports/chart"
	"github.com/hbharness/hbharness/summary"
)

// A suite index's small multiples: every run's staleness and dispatches
// drawn alike, so that a reader sees all of them at a glance and opens the
// one that looks wrong. Two fit a phone's width side by side.
const (
	sparkW = 190
	sparkH = 64
	// sparkCap is how far above offline_after a staleness spark reaches:
	// an hour of staleness would flatten the 30 s sawtooth to nothing, so
	// past it the line is cut and its peak written on the chart.
	sparkCap = 3
)

// newSpark is a small multiple's canvas: a title, and no axes.
func newSpark(id, title string, end, top float64) *chart.Chart {
	c := chart.New(id, title, sparkW, sparkH)
	c.Left, c.Right, c.Top, c.Bottom = 2, 2, 20, 2
	c.SetRange(0, end, 0, top)
	c.LinePx(c.Left, c.Top+c.PlotH(), c.Left+c.PlotW(), c.Top+c.PlotH(), "axis", "")
	return c
}

// sparkStaleness draws a run's worst polled staleness at each sample
// against offline_after (the dashed line), faults shaded; at or above the
// line it takes the verdict's paint. The axis stops at sparkCap times the
// threshold and says so.
func sparkStaleness(id string, s summary.Summary, h *history.History) *chart.Chart {
	end := runEnd(h)
	polled := polledFunc(h)
	worst := map[float64]float64{}
	var ats []float64
	for _, sm := range h.Samples {
		if sm.Null || !polled(sm.ServiceID, sm.At) {
			continue
		}
		at := sec(sm.At)
		if _, ok := worst[at]; !ok {
			ats = append(ats, at)
		}
		worst[at] = max(worst[at], sec(sm.Fresh()))
	}
	slices.Sort(ats)
	threshold := sec(h.OfflineAfter)
	peak := 0.0
	for _, v := range worst {
		peak = max(peak, v)
	}
	top := max(peak*1.05, threshold*1.25, 1)
	capped := threshold > 0 && peak > sparkCap*threshold
	if capped {
		top = sparkCap * threshold
	}
	c := newSpark(id, "staleness", end, top)
	sparkFaults(c, h.Faults)
	pts := make([][2]float64, len(ats))
	for i, at := range ats {
		pts[i] = [2]float64{at, math.Min(worst[at], top)}
	}
	c.Polyline(pts, "series", chart.SeriesColor(0), "")
	if threshold > 0 {
		y := c.Py(threshold)
		c.LinePx(c.Left, y, c.Left+c.PlotW(), y, "threshold", "")
		if peak >= threshold {
			c.Polyline(pts, "series "+findingPaint(s, verify.LastSeenNeverStale), "", c.ClipAbove("stale", threshold))
		}
	}
	label := "peak " + modelDuration(peak)
	if capped {
		label += " (cut)"
	}
	c.TextPx(c.Left+c.PlotW(), 14, label, "end", "tick", "")
	if len(ats) == 0 {
		c.TextPx(c.Left+c.PlotW()/2, c.Top+c.PlotH()/2, "no samples", "middle", "empty", "")
	}
	return c
}

// sparkDispatches draws a run's heartbeats per throttle window as bars,
// against the keys polled in each (the line): bars above it take the
// verdict's paint when dispatch_at_most_one_per_window failed.
func sparkDispatches(id string, s summary.Summary, h *history.History) *chart.Chart {
	end := runEnd(h)
	w := sec(h.Throttle)
	events, noun := heartbeatEvents(h)
	if w <= 0 {
		w = end
	}
	n := max(int(math.Ceil(end/w)), 1)
	counts, keys := make([]int, n), make([]int, n)
	for _, e := range events {
		counts[min(max(int(sec(e.At)/w), 0), n-1)]++
	}
	for _, k := range h.Keys {
		for i := range n {
			from, to := float64(i)*w, float64(i+1)*w
			if slices.ContainsFunc(k.Active, func(iv history.Interval) bool { return sec(iv.From) < to && sec(iv.To) > from }) {
				keys[i]++
			}
		}
	}
	top := 1.0
	for i := range n {
		top = max(top, float64(counts[i]), float64(keys[i]))
	}
	c := newSpark(id, noun, end, top*1.1)
	sparkFaults(c, h.Faults)
	over := cmp.Or(failurePaint(s, verify.AtMostOnePerWindow), "over")
	for i, k := range counts {
		class := "bar"
		if len(h.Keys) > 0 && k > keys[i] {
			class = "bar " + over
		}
		x0, x1 := c.Px(float64(i)*w), c.Px(min(float64(i+1)*w, end))
		y := c.Py(float64(k))
		c.RectPx(x0, y, max(x1-x0-0.5, 0.5), c.Py(0)-y, class, "", "")
	}
	if len(h.Keys) > 0 {
		c.Polyline(steps(n, w, end, func(i int) float64 { return float64(keys[i]) }), "ideal", "", "")
	}
	c.TextPx(c.Left+c.PlotW(), 14, fmt.Sprintf("%d in all", len(events)), "end", "tick", "")
	return c
}

// sparkFaults shades the faults without their names, for which a small
// multiple has no room: each band's tooltip still names its fault.
func sparkFaults(c *chart.Chart, faults []history.Fault) {
	from := len(c.Els)
	shadeFaults(c, faults)
	c.Els = append(c.Els[:from], slices.DeleteFunc(c.Els[from:], func(e chart.El) bool { return e.Class == "fault-label" })...)
}
