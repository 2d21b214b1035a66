package reports

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/reports/chart"
)

// maxStaleSeries bounds the staleness plot to the services a reader can tell
// apart; the stalest are kept.
const maxStaleSeries = 9

// The staleness axis breaks when the worst staleness is more than
// staleLogPast times offline_after: linear up to staleBreak times it,
// logarithmic above.
const (
	staleLogPast = 10
	staleBreak   = 2
)

// logTimeTicks are round durations above from up to top for a logarithmic
// stretch of axis, no two closer than a factor of 2.
func logTimeTicks(from, top float64) []float64 {
	var out []float64
	last := from
	for _, t := range []float64{300, 600, 1800, 3600, 7200, 21600, 43200, 86400, 172800, 604800} {
		if t > from && t <= top && t >= last*2 {
			out = append(out, t)
			last = t
		}
	}
	return out
}

// stalenessChart draws now - last_seen per service from the sampler, with the
// offline_after line. Only staleness while a service's workers poll counts
// against it (last_seen_never_stale): those stretches are solid and turn red
// at or above the line (amber, paint, when the scenario expects the
// failure); the rest are dashed and faded, and the y axis is
// scaled to the polled stretches so that a service left alone on purpose
// does not flatten everything else.
func stalenessChart(h *history.History, left float64, paint string) *chart.Chart {
	bySvc := make(map[int64][]history.Sample)
	for _, s := range h.Samples {
		bySvc[s.ServiceID] = append(bySvc[s.ServiceID], s)
	}
	polled := polledFunc(h)
	ids := make([]int64, 0, len(bySvc))
	worst := make(map[int64]time.Duration) // stalest read while polled
	nullReads := make(map[int64]int)
	for id, ss := range bySvc {
		ids = append(ids, id)
		for _, s := range ss {
			switch {
			case s.Null:
				nullReads[id]++
			case polled(id, s.At):
				worst[id] = max(worst[id], s.Fresh())
			}
		}
	}
	slices.SortFunc(ids, func(a, b int64) int {
		if c := cmp.Compare(worst[b], worst[a]); c != 0 {
			return c
		}
		if c := cmp.Compare(nullReads[b], nullReads[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	end := runEnd(h)
	top := sec(h.OfflineAfter) * 1.25
	for _, id := range ids[:min(len(ids), maxStaleSeries)] {
		top = max(top, sec(worst[id])*1.05)
	}
	if top <= 0 {
		top = 1
	}

	c := chart.New("staleness", "staleness over time (now − last_seen)", plotWidth, 300)
	c.Left = left
	c.Right = plotRight
	c.SetRange(0, end, 0, top)
	yTicks := chart.TimeTicks(0, top, 6)
	threshold := sec(h.OfflineAfter)
	broken := threshold > 0 && top > staleLogPast*threshold
	if broken {
		// An hour of staleness (clock-skew-behind) on a linear axis left the
		// 30 s sawtooth and the 60 s line at the floor.
		brk := staleBreak * threshold
		c.YScale = chart.LogAbove(brk)
		yTicks = append(chart.TimeTicks(0, brk, 4), logTimeTicks(brk, top)...)
	}
	polledAt := func(id int64) func(time.Duration) bool {
		return func(at time.Duration) bool { return polled(id, at) }
	}
	groups, hidden := groupSeries(c, ids, bySvc, polledAt, maxStaleSeries)
	if len(hidden) > 0 {
		drawStaleEnvelope(c, hidden, bySvc, polledAt)
	}
	shadeFaults(c, h.Faults)
	markEvents(c, h.Events)
	c.YAxis(yTicks, timeLabel, "staleness")
	if broken {
		y := c.Py(staleBreak * threshold)
		c.TextPx(c.Left+3, y+4, "≈", "start", "axis-break", "")
		c.LinePx(c.Left-4, y, c.Left+4, y, "axis", "")
	}
	c.XAxis(chart.TimeTicks(0, end, 12), timeLabel, "model time")

	var clip string
	if h.OfflineAfter > 0 {
		y := c.Py(sec(h.OfflineAfter))
		c.LinePx(c.Left, y, c.Left+c.PlotW(), y, "threshold", "")
		c.TextPx(c.Left+c.PlotW()-4, y-4, "offline_after "+modelDuration(sec(h.OfflineAfter)), "end", "threshold-label", "")
		clip = c.ClipAbove("stale", sec(h.OfflineAfter))
	}

	nulls, unpolled := 0, false
	for i, g := range groups {
		id := g.ids[0]
		color := chart.SeriesColor(i)
		for _, seg := range g.segs {
			if len(seg.pts) == 1 {
				// A lone read between two NULLs or at a polling edge draws no
				// line; a polled one still gets a dot.
				if seg.polled {
					c.RectPx(c.Px(seg.pts[0][0])-1, c.Py(seg.pts[0][1])-1, 2, 2, "", color, "")
				}
				continue
			}
			if !seg.polled {
				unpolled = true
				c.Polyline(seg.pts, "series unpolled", color, "")
				continue
			}
			c.Polyline(seg.pts, "series", color, "")
			if clip != "" && slices.ContainsFunc(seg.pts, func(p [2]float64) bool { return p[1] >= sec(h.OfflineAfter) }) {
				c.Polyline(seg.pts, "series "+paint, "", clip)
			}
		}
		for _, s := range bySvc[id] {
			if s.Null {
				nulls++
				c.RectPx(c.Px(sec(s.At))-1, c.Top, 2, 6, "null-mark "+paint, "", fmt.Sprintf("%s: last_seen NULL at %s", g.name(), timeLabel(sec(s.At))))
			}
		}
		ly := c.Top + 12 + float64(i)*16
		lx := c.Left + c.PlotW() + 10
		c.LinePx(lx, ly-4, lx+16, ly-4, "legend-line", color)
		tip := fmt.Sprintf("%s: stalest %s while polled, %d NULL reads", g.name(), modelDuration(sec(worst[id])), nullReads[id])
		c.TextPx(lx+20, ly, g.label(), "start", "legend", tip)
	}
	if len(hidden) > 0 {
		ly := c.Top + 12 + float64(len(groups))*16
		lx := c.Left + c.PlotW() + 10
		c.RectPx(lx, ly-8, 16, 8, "envelope", "", "")
		c.TextPx(lx+20, ly, fmt.Sprintf("%d more", len(hidden)), "start", "legend", "")
	}
	if len(groups) == 0 {
		c.TextPx(c.Left+c.PlotW()/2, c.Top+c.PlotH()/2, "no samples were recorded", "middle", "empty", "")
	}

	c.Caption = fmt.Sprintf("%d samples of %d services", len(h.Samples), len(ids))
	if h.SampleEvery > 0 {
		c.Caption += fmt.Sprintf(", one read of each every %s (model time)", modelDuration(sec(h.SampleEvery)))
	}
	c.Caption += ". "
	merged := 0
	for _, g := range groups {
		if len(g.ids) > 1 {
			merged++
		}
	}
	if merged > 0 {
		c.Caption += "Services whose lines would lie on top of each other (written by the same heartbeat) are drawn as one line, named together in the legend. "
	}
	if len(hidden) > 0 {
		c.Caption += fmt.Sprintf("Showing the stalest while polled; pale blue band: the range of the other %d services' polled staleness. ", len(hidden))
	}
	if h.OfflineAfter > 0 {
		c.Caption += paintWord(paint) + ": at or above offline_after while polled, where Antenna shows the service offline. "
	}
	if broken {
		c.Caption += fmt.Sprintf("The axis is linear up to %s (≈ on the axis) and logarithmic above it, each decade as tall as that: the worst staleness, %s, is more than %d× offline_after. ",
			modelDuration(staleBreak*threshold), modelDuration(top/1.05), staleLogPast)
	}
	if unpolled {
		c.Caption += "Dashed grey: no worker was polling the service, so staleness is expected there and not judged (cut at the top of the plot). "
	}
	c.Caption += eventCaption(h.Events)
	if nulls > 0 {
		c.Caption += fmt.Sprintf("%s marks at the top: %d reads of a NULL last_seen.", paintWord(paint), nulls)
	}
	return c
}

// polledFunc reports whether a service had polling workers at a model time.
// A service the history does not describe is treated as polled, so that it
// is judged rather than excused.
func polledFunc(h *history.History) func(id int64, at time.Duration) bool {
	spans := make(map[int64][]history.Interval)
	known := make(map[int64]bool)
	for _, s := range h.Services {
		spans[s.ID] = append(spans[s.ID], s.Polled...)
		known[s.ID] = true
	}
	return func(id int64, at time.Duration) bool {
		if !known[id] {
			return true
		}
		for _, iv := range spans[id] {
			if at >= iv.From && at < iv.To {
				return true
			}
		}
		return false
	}
}

// staleSeg is one unbroken stretch of a service's staleness line.
type staleSeg struct {
	pts    [][2]float64
	polled bool
}

// staleSegments turns one service's samples into polylines, broken where
// last_seen was NULL and where polling started or stopped. Each pixel column
// keeps only its freshest and stalest sample, in time order, so that long
// runs stay small while every peak and every refresh still shows.
func staleSegments(c *chart.Chart, samples []history.Sample, polled func(time.Duration) bool) []staleSeg {
	ss := slices.Clone(samples)
	slices.SortFunc(ss, func(a, b history.Sample) int { return cmp.Compare(a.At, b.At) })
	var segs []staleSeg
	var cur staleSeg
	var col [][2]float64 // the current pixel column's points
	colID := math.MinInt
	flushCol := func() {
		if len(col) == 0 {
			return
		}
		lo, hi := 0, 0
		for i, p := range col {
			if p[1] < col[lo][1] {
				lo = i
			}
			if p[1] > col[hi][1] {
				hi = i
			}
		}
		cur.pts = append(cur.pts, col[min(lo, hi)])
		if lo != hi {
			cur.pts = append(cur.pts, col[max(lo, hi)])
		}
		col = col[:0]
	}
	breakSeg := func() {
		flushCol()
		if len(cur.pts) > 0 {
			segs = append(segs, cur)
		}
		cur, colID = staleSeg{}, math.MinInt
	}
	for _, s := range ss {
		if s.Null {
			breakSeg()
			continue
		}
		p := [2]float64{sec(s.At), sec(s.Fresh())}
		if pol := polled(s.At); pol != cur.polled || len(cur.pts)+len(col) == 0 {
			breakSeg()
			cur.polled = pol
		}
		if id := int(math.Floor(c.Px(p[0]))); id != colID {
			flushCol()
			colID = id
		}
		col = append(col, p)
	}
	breakSeg()
	return segs
}
