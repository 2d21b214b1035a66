package reports

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/reports/chart"
	"github.com/hbharness/hbharness/summary"
)

// maxKeyRows bounds the dispatch plot; more rows would not be readable.
const maxKeyRows = 30

// maxLabelChars bounds the key labels; the full key is in the tooltip.
const maxLabelChars = 44

// dispatchChart draws one row of tick marks per gate key over model time.
// Marks closer than the throttle window (less the clock tolerance) to the
// previous one on the same key are red (amber when the scenario expects
// it): they are what fails dispatch_at_most_one_per_window.
func dispatchChart(s summary.Summary, h *history.History, left float64) *chart.Chart {
	events, noun := heartbeatEvents(h)
	byKey := eventsByKey(events)
	keys := rowKeys(s, h, byKey)
	shown := keys[:min(len(keys), maxKeyRows)]
	rows := max(len(shown), 1)
	end := runEnd(h)

	const rowH = 16
	c := chart.New("dispatches", noun+" over time", plotWidth, 0)
	c.Left = left
	c.Right = plotRight
	c.Height = c.Top + float64(rows*rowH) + c.Bottom
	c.SetRange(0, end, 0, float64(rows))
	shadeWindows(c, h.Throttle, end)
	shadeFaults(c, h.Faults)
	markEvents(c, h.Events)

	active := make(map[string][]history.Interval)
	for _, k := range h.Keys {
		active[k.Key] = k.Active
	}
	tol := h.Tolerance[history.ClockRedis]
	if !h.HaveDispatches {
		tol = h.Tolerance[history.ClockPostgres]
	}
	soon := h.Throttle - tol
	violations := 0
	paint := violationPaint(s, verify.AtMostOnePerWindow)
	for i, key := range shown {
		top := float64(rows - i) // data y of the row's upper edge
		for _, iv := range active[key] {
			c.Rect(sec(iv.From), top-0.8, sec(iv.To), top-0.2, "active", "", "")
		}
		times := slices.Clone(byKey[key])
		slices.Sort(times)
		red := make([]bool, len(times))
		for j := 1; j < len(times); j++ {
			if h.Throttle > 0 && times[j]-times[j-1] < soon {
				red[j] = true
				violations++
			}
		}
		drawTicks(c, times, red, paint, c.Py(top-0.15), c.Py(top-0.85)-c.Py(top-0.15))
		label := key
		if r := []rune(key); len(r) > maxLabelChars {
			label = string(r[:maxLabelChars-1]) + "…"
		}
		tip := fmt.Sprintf("%s: %d %s", key, len(times), noun)
		c.TextPx(c.Left-6, c.Py(top-0.5)+4, label, "end", "key-label", tip)
		c.TextPx(c.Left+c.PlotW()+8, c.Py(top-0.5)+4, fmt.Sprint(len(times)), "start", "value", tip)
	}
	if len(shown) == 0 {
		c.TextPx(c.Left+c.PlotW()/2, c.Top+rowH/2+4, "no gate keys and no "+noun+" were recorded", "middle", "empty", "")
	}
	c.XAxis(chart.TimeTicks(0, end, 12), timeLabel, "model time")

	c.Caption = fmt.Sprintf("One row per gate key, one mark per %s (%d in all; each row's count on its right). ", singular(noun), len(events))
	if len(keys) > len(shown) {
		c.Caption += fmt.Sprintf("Showing %d of %d keys, worst first. ", len(shown), len(keys))
	}
	c.Caption += "Blue bands: the key was being polled. "
	if h.Throttle > 0 {
		c.Caption += fmt.Sprintf("Shaded bands: every other %s throttle window. %s marks: %d came within %s (throttle less the %s clock tolerance) of the previous one on their key. ",
			modelDuration(sec(h.Throttle)), paintWord(paint), violations, modelDuration(sec(soon)), modelDuration(sec(tol)))
	}
	c.Caption += eventCaption(h.Events)
	if len(h.Faults) > 0 {
		c.Caption += faultCaption
	}
	return c
}

// plotLeft is the left margin that fits the dispatch plot's key labels; every
// run plot uses it so that their time axes line up.
func plotLeft(s summary.Summary, h *history.History) float64 {
	events, _ := heartbeatEvents(h)
	keys := rowKeys(s, h, eventsByKey(events))
	chars := 8
	for _, k := range keys[:min(len(keys), maxKeyRows)] {
		chars = max(chars, min(len([]rune(k)), maxLabelChars))
	}
	return 16 + 6.4*float64(chars)
}

func eventsByKey(events []plotEvent) map[string][]time.Duration {
	byKey := make(map[string][]time.Duration)
	for _, e := range events {
		byKey[e.Key] = append(byKey[e.Key], e.At)
	}
	return byKey
}

// drawTicks draws sorted event times as tick marks, merging events that land
// on adjacent pixel columns into one mark so that the SVG stays small however
// many events there are (the none strategy dispatches on every request).
func drawTicks(c *chart.Chart, times []time.Duration, red []bool, paint string, y, h float64) {
	type span struct {
		from, to int
		red      bool
	}
	var spans []span
	for j, t := range times {
		col := int(math.Floor(c.Px(sec(t))))
		if n := len(spans); n > 0 && col <= spans[n-1].to+1 && red[j] == spans[n-1].red {
			spans[n-1].to = max(spans[n-1].to, col)
			continue
		}
		spans = append(spans, span{col, col, red[j]})
	}
	for _, sp := range spans {
		class := "tick-mark"
		if sp.red {
			class = "tick-mark " + paint
		}
		c.RectPx(float64(sp.from), y, float64(sp.to-sp.from)+1.5, h, class, "", "")
	}
}

// rowKeys orders the keys to plot: the summary's worst first (the ones that
// explain a verdict), then the history's keys, then keys that only appear in
// events, so that an unexpected key is shown rather than dropped.
func rowKeys(s summary.Summary, h *history.History, byKey map[string][]time.Duration) []string {
	var keys []string
	seen := make(map[string]bool)
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, k := range worstKeys(s.Keys) {
		add(k.Key)
	}
	for _, k := range h.Keys {
		add(k.Key)
	}
	var extra []string
	for k := range byKey {
		if !seen[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	for _, k := range extra {
		add(k)
	}
	return keys
}

func singular(noun string) string {
	switch noun {
	case "dispatches":
		return "dispatch"
	case "database writes":
		return "database write"
	}
	return noun
}
