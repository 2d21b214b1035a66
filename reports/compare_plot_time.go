package reports

import (
	"fmt"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/reports/chart"
	"github.com/hbharness/hbharness/reports/metric"
)

// overTime is one row of the comparison page's small multiples: one chart
// per strategy of the same quantity over model time, every chart on the same
// x and y ranges, so that a reader compares heights across the row by eye.
type overTime struct {
	Title  string
	Charts []*chart.Chart
}

// compareWidth fits two charts side by side in a normal window.
const compareWidth = 470

// strategyHistory is the run of a strategy drawn over time: its first run
// whose history was kept.
type strategyHistory struct {
	name string
	h    *history.History
}

// timeRows draws worst staleness and heartbeats per throttle window over
// time, per strategy, on shared axes. Strategies without a history (older
// runs, unusable ones) are left out; fewer than one leaves no rows.
func timeRows(runs []strategyHistory) []overTime {
	if len(runs) == 0 {
		return nil
	}
	end, stale, perWin := 0.0, 0.0, 0.0
	worst := make([][][2]float64, len(runs))
	wins := make([][]float64, len(runs))
	for i, r := range runs {
		end = max(end, runEnd(r.h))
		worst[i] = worstStaleness(r.h)
		for _, p := range worst[i] {
			stale = max(stale, p[1])
		}
		stale = max(stale, sec(r.h.OfflineAfter))
		wins[i] = heartbeatsPerWindow(r.h)
		for _, n := range wins[i] {
			perWin = max(perWin, n)
		}
	}
	var staleRow, winRow overTime
	staleRow.Title = "worst staleness over time (now − last_seen of the stalest service), same axes"
	winRow.Title = "heartbeats per throttle window per active key, same axes"
	for i, r := range runs {
		c := chart.New(fmt.Sprintf("cmp-stale-%d", i), r.name, compareWidth, 220)
		c.SetRange(0, end, 0, stale*1.08)
		shadeFaults(c, r.h.Faults)
		if off := sec(r.h.OfflineAfter); off > 0 {
			c.LinePx(c.Left, c.Py(off), c.Left+c.PlotW(), c.Py(off), "threshold", "")
		}
		c.YAxis(chart.NiceTicks(0, stale*1.08, 5), func(v float64) string { return metric.Num(v, 0) }, "seconds")
		c.XAxis(chart.TimeTicks(0, end, 6), timeLabel, "model time")
		c.Polyline(worst[i], "series", chart.SeriesColor(i), "")
		staleRow.Charts = append(staleRow.Charts, c)

		w := sec(r.h.Throttle)
		c = chart.New(fmt.Sprintf("cmp-win-%d", i), r.name, compareWidth, 200)
		top := max(perWin, 1) * 1.1
		c.SetRange(0, end, 0, top)
		shadeFaults(c, r.h.Faults)
		c.YAxis(chart.NiceTicks(0, top, 5), countLabel, "per key")
		c.XAxis(chart.TimeTicks(0, end, 6), timeLabel, "model time")
		for j, n := range wins[i] {
			if n > 0 {
				c.Rect(float64(j)*w, 0, float64(j+1)*w, n, "bar", chart.SeriesColor(i),
					fmt.Sprintf("%s–%s: %s per key", timeLabel(float64(j)*w), timeLabel(float64(j+1)*w), metric.Num(n, 2)))
			}
		}
		c.LinePx(c.Left, c.Py(1), c.Left+c.PlotW(), c.Py(1), "ideal", "")
		winRow.Charts = append(winRow.Charts, c)
	}
	return []overTime{staleRow, winRow}
}

// worstStaleness is, at each sampling sweep, the stalest service read
// (NULL reads left out: they have no age). Reads of one sweep, which may be
// stamped apart by the time the sweep took, make one point.
func worstStaleness(h *history.History) [][2]float64 {
	var out [][2]float64
	var at time.Duration = -1
	for _, s := range h.Samples {
		if s.Null {
			continue
		}
		if at < 0 || s.At-at >= h.SampleEvery/2 {
			out = append(out, [2]float64{sec(s.At), sec(s.Fresh())})
			at = s.At
			continue
		}
		out[len(out)-1][1] = max(out[len(out)-1][1], sec(s.Fresh()))
	}
	return out
}

// heartbeatsPerWindow counts heartbeats (dispatches, or writes where the
// target could not report dispatches) in each throttle window, divided by
// the keys that had any in it: 1 is the gate's promise, more is a leak.
func heartbeatsPerWindow(h *history.History) []float64 {
	w := h.Throttle
	if w <= 0 {
		return nil
	}
	events, _ := heartbeatEvents(h)
	n := int(runEnd(h)/sec(w)) + 1
	counts := make([]float64, n)
	keys := make([]map[string]bool, n)
	for _, e := range events {
		i := int(e.At / w)
		if i < 0 || i >= n {
			continue
		}
		counts[i]++
		if keys[i] == nil {
			keys[i] = map[string]bool{}
		}
		keys[i][e.Key] = true
	}
	for i := range counts {
		if len(keys[i]) > 0 {
			counts[i] /= float64(len(keys[i]))
		}
	}
	return counts
}
