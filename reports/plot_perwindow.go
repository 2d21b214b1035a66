package reports

import (
	"fmt"
	"math"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/reports/chart"
	"github.com/hbharness/hbharness/reports/metric"
	"github.com/hbharness/hbharness/summary"
)

// maxWindows bounds the per-window plot; past it bars are thinner than a pixel.
const maxWindows = 600

// windowChart answers the PR's question "does task volume scale with active
// keys / 30 s rather than with request rate": bars count the heartbeat
// events in each throttle window, a step line counts the keys being polled
// in it (the gate's ideal: one dispatch per polled key per window), and the
// caption gives the requests per window for scale. It returns nil when the
// history has no throttle window to count in.
func windowChart(s summary.Summary, h *history.History, left float64) *chart.Chart {
	w := sec(h.Throttle)
	end := runEnd(h)
	if w <= 0 {
		return nil
	}
	n := int(math.Ceil(end / w))
	if n < 1 || n > maxWindows {
		return nil
	}
	events, noun := heartbeatEvents(h)
	// A bar over its keys is a violation only when the verdict found one;
	// otherwise it is inside the clock tolerance, and purple, not red.
	over, overWord := "over", "purple"
	if p := failurePaint(s, verify.AtMostOnePerWindow); p != "" {
		over, overWord = p, "red"
		if p == paintExpected {
			overWord = "amber (as the scenario expects)"
		}
	}
	counts := make([]int, n)
	for _, e := range events {
		i := min(max(int(sec(e.At)/w), 0), n-1)
		counts[i]++
	}
	keysActive := make([]int, n)
	for _, k := range h.Keys {
		for i := range n {
			from, to := float64(i)*w, float64(i+1)*w
			for _, iv := range k.Active {
				if sec(iv.From) < to && sec(iv.To) > from {
					keysActive[i]++
					break
				}
			}
		}
	}
	top := 1.0
	for i := range n {
		top = max(top, float64(counts[i]), float64(keysActive[i]))
	}
	top *= 1.1
	requests, haveRequests := requestsPerWindow(h, w, n)

	title := fmt.Sprintf("%s per %s window vs requests", noun, modelDuration(w))
	c := chart.New("windows", title, plotWidth, 240)
	c.Left = left
	c.Right = plotRight
	c.SetRange(0, end, 0, top)
	shadeFaults(c, h.Faults)
	c.YAxis(chart.NiceTicks(0, top, 6), countLabel, noun)
	c.XAxis(chart.TimeTicks(0, end, 12), timeLabel, "model time")
	for i, k := range counts {
		from, to := float64(i)*w, min(float64(i+1)*w, end)
		tip := fmt.Sprintf("%s–%s: %d %s, %d keys polled", timeLabel(from), timeLabel(to), k, noun, keysActive[i])
		class := "bar"
		if k > keysActive[i] && len(h.Keys) > 0 {
			class = "bar " + over // more than one per polled key
		}
		// A one-pixel inset keeps neighbouring bars apart.
		x0, x1 := c.Px(from)+0.5, c.Px(to)-0.5
		y := c.Py(float64(k))
		c.RectPx(x0, y, max(x1-x0, 0.5), c.Py(0)-y, class, "", tip)
	}
	// The legend sits on the title's line: the right margin holds the
	// requests axis.
	lx := c.Left + c.PlotW() - 300
	c.RectPx(lx, 6, 16, 8, "bar", "", "")
	c.TextPx(lx+20, 14, noun, "start", "legend", "")
	lx += 110
	if len(h.Keys) > 0 {
		c.Polyline(steps(n, w, end, func(i int) float64 { return float64(keysActive[i]) }), "ideal", "", "")
		c.LinePx(lx, 10, lx+16, 10, "ideal", "")
		c.TextPx(lx+20, 14, "keys polled", "start", "legend", "")
		lx += 100
	}
	if haveRequests {
		// Requests on their own scale, read on the right-hand axis: the
		// question is whether the bars follow this line or the keys line.
		peak := 1.0
		for _, r := range requests {
			peak = max(peak, float64(r))
		}
		rtop := peak * 1.1
		scale := top / rtop
		c.Polyline(steps(n, w, end, func(i int) float64 { return float64(requests[i]) * scale }), "reqline", "", "")
		for _, t := range chart.NiceTicks(0, rtop, 6) {
			y := c.Py(t * scale)
			c.LinePx(c.Left+c.PlotW(), y, c.Left+c.PlotW()+4, y, "axis", "")
			c.TextPx(c.Left+c.PlotW()+7, y+4, countLabel(t), "start", "tick reqtick", "")
		}
		c.LinePx(c.Left+c.PlotW(), c.Top, c.Left+c.PlotW(), c.Top+c.PlotH(), "axis", "")
		c.TextPx(c.Left+c.PlotW(), c.Top-8, "requests", "end", "axis-title reqtick", "")
		c.LinePx(lx, 10, lx+16, 10, "reqline", "")
		c.TextPx(lx+20, 14, "requests (right axis)", "start", "legend", "")
	}

	perWindow := s.Requests.RPSModel * w
	c.Caption = fmt.Sprintf("Bars: %s in each %s throttle window (%d in all); %s bars exceed the keys polled in their window. ",
		noun, modelDuration(w), len(events), overWord)
	if len(h.Keys) > 0 {
		c.Caption += "Black line: gate keys polled in the window, the view gate's ideal of one dispatch per key per window. "
	}
	if haveRequests {
		c.Caption += fmt.Sprintf("Green line: requests sent in the window, on the right-hand axis (%s per window on average): the gate's dispatches should follow the keys, not the requests.",
			metric.Num(perWindow, 0))
	} else {
		c.Caption += fmt.Sprintf("Requests averaged %s per window (%s req/s model × %s); the run kept no per-window request counts, so they are given as a number rather than drawn.",
			metric.Num(perWindow, 0), metric.Num(s.Requests.RPSModel, 1), modelDuration(w))
	}
	return c
}

// requestsPerWindow sums the request timeline into n throttle windows of w
// model seconds, each timeline window counted where it begins; false when
// the run kept no timeline.
func requestsPerWindow(h *history.History, w float64, n int) ([]int64, bool) {
	if len(h.Requests.Timeline) == 0 {
		return nil, false
	}
	out := make([]int64, n)
	for _, tw := range h.Requests.Timeline {
		i := int(sec(tw.From) / w)
		if i < 0 || i >= n {
			continue
		}
		for _, c := range tw.ByEndpoint {
			out[i] += c.Total
		}
	}
	return out, true
}

// steps is n per-window values as the points of a step line.
func steps(n int, w, end float64, value func(i int) float64) [][2]float64 {
	pts := make([][2]float64, 0, 2*n)
	for i := range n {
		v := value(i)
		pts = append(pts, [2]float64{float64(i) * w, v}, [2]float64{min(float64(i+1)*w, end), v})
	}
	return pts
}
