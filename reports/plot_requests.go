package reports

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/reports/chart"
	"github.com/hbharness/hbharness/reports/metric"
)

// minReqBarPx is the narrowest a requests bar may be: past it neighbouring
// bars blur into one, so timeline windows are merged until each bar is this
// wide.
const minReqBarPx = 2

// reqBar is one bar of the requests chart: a timeline window, or several
// consecutive ones merged to fit the plot.
type reqBar struct {
	from, to   float64 // model seconds
	windows    int
	counts     history.RequestCounts
	byEndpoint map[string]history.RequestCounts
	// p50 and p99 are the worst of the merged windows': percentiles of
	// separate windows cannot be combined into those of their union.
	p50, p99 time.Duration
}

// rate is n requests of the bar per model second.
func (b reqBar) rate(n int64) float64 {
	if b.to <= b.from {
		return 0
	}
	return float64(n) / (b.to - b.from)
}

// answered counts the requests that got an HTTP answer, the only ones with a
// latency.
func (b reqBar) answered() int64 { return b.counts.Total - b.counts.Transport }

// requestsChart sets the load the target was under against what it made
// of it: per timeline window, the requests per model second answered ok
// and, stacked on top, those that failed. Faults are shaded so that the
// load can be read against them; the latency and errors charts below break
// the same windows down. It returns nil when the run kept no request
// timeline.
func requestsChart(h *history.History, left float64) *chart.Chart {
	if len(h.Requests.Timeline) == 0 {
		return nil
	}
	end := runEnd(h)
	c := chart.New("requests", "", plotWidth, 240)
	c.Left = left
	c.Right = plotRight
	bars, per := reqBars(h.Requests.Timeline, int(c.PlotW()/minReqBarPx))

	var all history.RequestCounts
	peak := 0.0
	for _, b := range bars {
		all = all.Add(b.counts)
		if b.from < end {
			peak = max(peak, b.rate(b.counts.Total))
		}
	}
	width := 0.0
	if len(bars) > 0 {
		width = bars[0].to - bars[0].from
	}
	c.Title = fmt.Sprintf("requests per second (model), per %s window", modelDuration(width))
	top := max(peak, 1) * 1.1
	c.SetRange(0, end, 0, top)
	shadeFaults(c, h.Faults)
	c.YAxis(chart.NiceTicks(0, top, 6), countLabel, "req/s")
	c.XAxis(chart.TimeTicks(0, end, 12), timeLabel, "model time")

	var late int64 // sent after the end of the time axis, which the other charts share
	for _, b := range bars {
		if b.from >= end {
			late += b.counts.Total
			continue
		}
		tip := reqTip(b, end)
		x0, w := barPx(c, b, end)
		ok, bad := b.rate(b.counts.OK), b.rate(b.counts.Errors())
		if ok > 0 {
			y := c.Py(ok)
			c.RectPx(x0, y, w, c.Py(0)-y, "bar", "", tip)
		}
		if bad > 0 {
			y := c.Py(ok + bad)
			c.RectPx(x0, y, w, c.Py(ok)-y, "bar err", "", tip)
		}
	}

	lx := c.Left + c.PlotW() + 10
	c.RectPx(lx, c.Top+3, 16, 8, "bar", "", "")
	c.TextPx(lx+20, c.Top+11, "ok", "start", "legend", "")
	c.RectPx(lx, c.Top+19, 16, 8, "bar err", "", "")
	c.TextPx(lx+20, c.Top+27, "errors", "start", "legend", "")

	c.Caption = fmt.Sprintf("Requests per model second in each %s window of model time, by the instant each was meant to be sent (%d in all): blue answered ok, brown the errors stacked on top (%d errors",
		modelDuration(width), all.Total, all.Errors())
	if cl := errorClasses(all); cl != "" {
		c.Caption += ": " + cl
	}
	c.Caption += "). "
	if per > 1 {
		c.Caption += fmt.Sprintf("The run's %d timeline windows are merged %d to a bar to fit the plot. ", len(h.Requests.Timeline), per)
	}
	c.Caption += "Each bar's tooltip breaks it down by endpoint and error class; the latency and errors charts below draw the same windows. "
	if late > 0 {
		c.Caption += fmt.Sprintf("%d requests meant for after the run's end are counted but not drawn. ", late)
	}
	if len(h.Faults) > 0 {
		c.Caption += faultCaption
	}
	return c
}

// barPx is where a bar goes, in pixels: its left edge and width, the time
// axis cut at end.
func barPx(c *chart.Chart, b reqBar, end float64) (x0, w float64) {
	x0, x1 := c.Px(b.from), c.Px(min(b.to, end))
	if x1-x0 >= 4 {
		// Wide bars get a gap to tell them apart; narrow ones would be
		// mostly gap.
		x0, x1 = x0+0.5, x1-0.5
	}
	return x0, max(x1-x0, 0.5)
}

// reqBars turns the timeline into at most maxBars bars, merging runs of
// consecutive windows when there are more; per is how many windows a bar
// holds.
func reqBars(timeline []history.RequestWindow, maxBars int) (bars []reqBar, per int) {
	ws := slices.Clone(timeline)
	slices.SortStableFunc(ws, func(a, b history.RequestWindow) int { return cmp.Compare(a.From, b.From) })
	per = max(1, int(math.Ceil(float64(len(ws))/float64(max(maxBars, 1)))))
	for i, w := range ws {
		if i%per == 0 {
			bars = append(bars, reqBar{from: sec(w.From), byEndpoint: map[string]history.RequestCounts{}})
		}
		b := &bars[len(bars)-1]
		b.to = sec(w.From + w.Every)
		b.windows++
		for ep, n := range w.ByEndpoint {
			b.counts = b.counts.Add(n)
			b.byEndpoint[ep] = b.byEndpoint[ep].Add(n)
		}
		b.p50, b.p99 = max(b.p50, w.P50), max(b.p99, w.P99)
	}
	return bars, per
}

// reqTip is a bar's tooltip: its time range, the requests and errors by
// class, each endpoint's share, and the p99.
func reqTip(b reqBar, end float64) string {
	var t strings.Builder
	fmt.Fprintf(&t, "%s–%s: %d requests, %d ok, %d errors", timeLabel(b.from), timeLabel(min(b.to, end)),
		b.counts.Total, b.counts.OK, b.counts.Errors())
	if cl := errorClasses(b.counts); cl != "" {
		fmt.Fprintf(&t, " (%s)", cl)
	}
	for _, ep := range slices.Sorted(maps.Keys(b.byEndpoint)) {
		n := b.byEndpoint[ep]
		fmt.Fprintf(&t, " · %s %d", ep, n.Total)
		if n.Errors() > 0 {
			fmt.Fprintf(&t, ", %d errors", n.Errors())
			if cl := errorClasses(n); cl != "" {
				fmt.Fprintf(&t, " (%s)", cl)
			}
		}
	}
	switch {
	case b.answered() <= 0:
		t.WriteString(" · no answers, so no latency")
	case b.windows > 1:
		fmt.Fprintf(&t, " · p50 %s, p99 %s (worst of %d windows)", latencyText(b.p50), latencyText(b.p99), b.windows)
	default:
		fmt.Fprintf(&t, " · p50 %s, p99 %s", latencyText(b.p50), latencyText(b.p99))
	}
	return t.String()
}

// errorClasses lists the non-zero error classes: "4 5xx, 1 transport".
func errorClasses(c history.RequestCounts) string {
	var parts []string
	for _, cl := range []struct {
		n    int64
		name string
	}{
		{c.Transport, "transport"}, {c.Status3xx, "3xx"}, {c.Status4xx, "4xx"},
		{c.Status5xx, "5xx"}, {c.Malformed, "malformed"}, {c.Other, "other"},
	} {
		if cl.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", cl.n, cl.name))
		}
	}
	return strings.Join(parts, ", ")
}

// latencyText prints a wall latency in milliseconds, the unit the run table
// uses, to three or four significant digits so that it fits the legend.
func latencyText(d time.Duration) string {
	ms := millis(d)
	switch {
	case ms >= 10_000:
		return metric.Num(ms/1000, 1) + " s"
	case ms >= 100:
		return metric.Num(ms, 0) + " ms"
	case ms >= 10:
		return metric.Num(ms, 1) + " ms"
	}
	return metric.Num(ms, 2) + " ms"
}
