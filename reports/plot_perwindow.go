package reports

import (
	"fmt"
	"math"

	"github.com/hbharness/hbharness/harness/history"
)

// maxWindows bounds the per-window plot; past it bars are thinner than a pixel.
const maxWindows = 600

// windowChart answers the PR's question "does task volume scale with active
// keys / 30 s rather than with request rate": bars count the heartbeat
// events in each throttle window, a step line counts the keys being polled
// in it (the gate's ideal: one dispatch per polled key per window), and the
// caption gives the requests per window for scale. It returns nil when the
// history has no throttle window to count in.
func windowChart(s Summary, h *history.History, left float64) *chart {
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

	title := fmt.Sprintf("%s per %s window vs requests", noun, modelDuration(w))
	c := newChart("windows", title, plotWidth, 240)
	c.Left = left
	c.Right = plotRight
	c.setRange(0, end, 0, top)
	shadeFaults(c, h.Faults)
	c.yAxis(niceTicks(0, top, 6), countLabel, noun)
	c.xAxis(timeTicks(0, end, 12), timeLabel, "model time")
	for i, k := range counts {
		from, to := float64(i)*w, min(float64(i+1)*w, end)
		tip := fmt.Sprintf("%s–%s: %d %s, %d keys polled", timeLabel(from), timeLabel(to), k, noun, keysActive[i])
		class := "bar"
		if k > keysActive[i] && len(h.Keys) > 0 {
			class = "bar over" // more than one per polled key
		}
		// A one-pixel inset keeps neighbouring bars apart.
		x0, x1 := c.px(from)+0.5, c.px(to)-0.5
		y := c.py(float64(k))
		c.rectPx(x0, y, max(x1-x0, 0.5), c.py(0)-y, class, "", tip)
	}
	if len(h.Keys) > 0 {
		var pts [][2]float64
		for i, k := range keysActive {
			pts = append(pts, [2]float64{float64(i) * w, float64(k)}, [2]float64{min(float64(i+1)*w, end), float64(k)})
		}
		c.polyline(pts, "ideal", "", "")
		lx := c.Left + c.plotW() + 10
		c.linePx(lx, c.Top+8, lx+16, c.Top+8, "ideal", "")
		c.textPx(lx+20, c.Top+12, "keys polled", "start", "legend", "")
	}

	perWindow := s.Requests.RPSModel * w
	c.Caption = fmt.Sprintf("Bars: %s in each %s throttle window (%d in all); orange bars exceed the keys polled in their window. ",
		noun, modelDuration(w), len(events))
	if len(h.Keys) > 0 {
		c.Caption += "Line: gate keys polled in the window, the view gate's ideal of one dispatch per key per window. "
	}
	c.Caption += fmt.Sprintf("Requests averaged %s per window (%s req/s model × %s)",
		num(perWindow, 0), num(s.Requests.RPSModel, 1), modelDuration(w))
	if len(h.Requests.Timeline) > 0 {
		c.Caption += "; the requests chart above draws them over time."
	} else {
		c.Caption += "; the run keeps no per-window request counts, so they are given as a number rather than drawn."
	}
	return c
}
