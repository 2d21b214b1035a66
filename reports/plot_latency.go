package reports

import (
	"fmt"
	"math"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/reports/chart"
)

// logLatencyRatio is how far the worst p99 may sit above the best p50
// before the latency axis turns logarithmic: past it a linear axis flattens
// the p50 line onto zero, and a fault's slow answers are all one sees.
const logLatencyRatio = 30

// minLatencyMS is the floor of a logarithmic latency axis.
const minLatencyMS = 0.01

// latencyChart draws each timeline window's p50 and p99 wall latency of the
// answered requests, measured from the intended send, on a millisecond
// axis, with faults shaded: slow answers can be read against the fault that
// caused them. Lines break where a window had no answer. It returns nil when
// the run kept no request timeline.
func latencyChart(h *history.History, left float64) *chart.Chart {
	if len(h.Requests.Timeline) == 0 {
		return nil
	}
	end := runEnd(h)
	c := chart.New("latency", "", plotWidth, 220)
	c.Left = left
	c.Right = plotRight
	bars, per := reqBars(h.Requests.Timeline, int(c.PlotW()/minReqBarPx))
	width := 0.0
	if len(bars) > 0 {
		width = bars[0].to - bars[0].from
	}
	c.Title = fmt.Sprintf("latency per %s window: p50 and p99 of the answered requests", modelDuration(width))

	best, worst := math.Inf(1), 0.0
	var worstAt float64
	for _, b := range bars {
		if b.from >= end || b.answered() <= 0 {
			continue
		}
		if p := millis(b.p50); p > 0 {
			best = min(best, p)
		}
		if p := millis(b.p99); p > worst {
			worst, worstAt = p, b.from
		}
	}
	logScale := worst > 0 && !math.IsInf(best, 1) && worst/best > logLatencyRatio
	y := func(ms float64) float64 { return ms }
	if logScale {
		y = func(ms float64) float64 { return math.Log10(max(ms, minLatencyMS)) }
		lo := math.Floor(math.Log10(max(best, minLatencyMS)))
		hi := math.Ceil(math.Log10(worst))
		c.SetRange(0, end, lo, hi)
		var ticks []float64
		for k := lo; k <= hi; k++ {
			ticks = append(ticks, k)
		}
		shadeFaults(c, h.Faults)
		c.YAxis(ticks, func(k float64) string { return latencyText(time.Duration(math.Pow(10, k) * float64(time.Millisecond))) }, "ms (log scale)")
	} else {
		top := max(worst, 1) * 1.1
		c.SetRange(0, end, 0, top)
		shadeFaults(c, h.Faults)
		c.YAxis(chart.NiceTicks(0, top, 6), countLabel, "ms")
	}
	c.XAxis(chart.TimeTicks(0, end, 12), timeLabel, "model time")

	p99 := latencySegments(bars, end, func(b reqBar) float64 { return y(millis(b.p99)) })
	p50 := latencySegments(bars, end, func(b reqBar) float64 { return y(millis(b.p50)) })
	for _, seg := range p50 {
		c.Polyline(seg, "latency p50", "", "")
	}
	for _, seg := range p99 {
		c.Polyline(seg, "latency", "", "")
	}
	if len(p99) == 0 {
		c.TextPx(c.Left+c.PlotW()/2, c.Top+c.PlotH()/2, "no request got an answer, so no latency", "middle", "empty", "")
	}

	lx := c.Left + c.PlotW() + 10
	c.LinePx(lx, c.Top+7, lx+16, c.Top+7, "latency", "")
	c.TextPx(lx+20, c.Top+11, "p99", "start", "legend", "")
	c.LinePx(lx, c.Top+23, lx+16, c.Top+23, "latency p50", "")
	c.TextPx(lx+20, c.Top+27, "p50", "start", "legend", "")
	if worst > 0 {
		tip := fmt.Sprintf("worst p99 %s, in the window from %s", latencyText(time.Duration(worst*float64(time.Millisecond))), timeLabel(worstAt))
		c.TextPx(lx, c.Top+45, "worst p99", "start", "legend", tip)
		c.TextPx(lx, c.Top+59, latencyText(time.Duration(worst*float64(time.Millisecond))), "start", "legend", tip)
	}

	c.Caption = fmt.Sprintf("Wall latency of each %s window's answered requests, from the instant each was meant to be sent (so a stalled generator cannot hide a slow target): dark p99, light p50. ",
		modelDuration(width))
	if logScale {
		c.Caption += fmt.Sprintf("The axis is logarithmic: the worst p99 is over %d times the best p50. ", logLatencyRatio)
	}
	if per > 1 {
		c.Caption += fmt.Sprintf("The run's %d timeline windows are merged %d to a point; a merged point is the worst of its windows'. ", len(h.Requests.Timeline), per)
	}
	c.Caption += "Lines break where a window had no answer. "
	if len(h.Faults) > 0 {
		c.Caption += faultCaption
	}
	return c
}

// latencySegments turns the bars into unbroken lines of (mid-window time,
// value), broken at windows without an answer. A lone answered window
// between silent ones becomes a level across its width, so that it shows.
func latencySegments(bars []reqBar, end float64, value func(reqBar) float64) [][][2]float64 {
	var out [][][2]float64
	var seg [][2]float64
	var segBars []reqBar
	flush := func() {
		if len(seg) == 1 {
			b := segBars[0]
			seg = [][2]float64{{b.from, seg[0][1]}, {min(b.to, end), seg[0][1]}}
		}
		if len(seg) > 0 {
			out = append(out, seg)
		}
		seg, segBars = nil, nil
	}
	for _, b := range bars {
		if b.from >= end {
			break
		}
		if b.answered() <= 0 {
			flush()
			continue
		}
		seg = append(seg, [2]float64{(b.from + min(b.to, end)) / 2, value(b)})
		segBars = append(segBars, b)
	}
	flush()
	return out
}
