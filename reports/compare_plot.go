package reports

import (
	"math"

	"github.com/hbharness/hbharness/reports/chart"
	"github.com/hbharness/hbharness/reports/metric"
)

// rangeBar is one strategy of a comparison chart: the median of its runs
// as a bar, their min–max as a whisker across its end.
type rangeBar struct {
	Label    string
	Median   float64
	Min, Max float64
	Text     string
	// Class colours the bar by the metric's own merit: "bar" (blue), "bar
	// over" (purple: worse than the best beyond noise), "bar bad" (red: an
	// invariant judging this metric failed unexpectedly), "bar expected"
	// (amber: it failed as the scenario expects).
	Class string
	// Missing says why there is no bar (inconclusive, not measured).
	Missing string
}

// logSpan is how many times larger the largest value must be than the
// smallest before a chart goes logarithmic: on a linear axis 20 beside 7,844
// is no bar at all.
const logSpan = 50

// rangeBarChart draws horizontal bars, one per strategy, on one axis shared
// by all; logarithmic when the values span more than logSpan.
func rangeBarChart(id, title, axis string, bars []rangeBar) *chart.Chart {
	const rowH = 24
	chars := 8
	for _, b := range bars {
		chars = max(chars, len([]rune(b.Label)))
	}
	c := chart.New(id, title, 460, 0)
	c.Left = 16 + 6.4*float64(chars)
	c.Right = 110 // room for "median (min–max)" past the longest bar
	c.Height = c.Top + float64(max(len(bars), 1)*rowH) + c.Bottom
	lo, hi := math.Inf(1), 0.0
	for _, b := range bars {
		if b.Missing != "" {
			continue
		}
		hi = max(hi, b.Max)
		if b.Min > 0 {
			lo = min(lo, b.Min)
		}
	}
	logScale := hi > 0 && !math.IsInf(lo, 1) && hi/lo > logSpan
	x := func(v float64) float64 { return v }
	var ticks []float64
	rows := float64(max(len(bars), 1))
	if logScale {
		// The axis starts a decade below the smallest value when that value
		// sits on a decade, so that its bar is not a bar of width zero.
		d0, d1 := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
		if math.Log10(lo)-d0 < 0.25 {
			d0--
		}
		c.SetRange(d0, d1, 0, rows)
		for d := d0; d <= d1; d++ {
			ticks = append(ticks, d)
		}
		// A zero has no place on a log axis: it sits at the axis itself.
		x = func(v float64) float64 {
			if v <= 0 {
				return d0
			}
			return math.Log10(v)
		}
		axis += " (log scale)"
	} else {
		if hi <= 0 {
			hi = 1
		}
		c.SetRange(0, hi, 0, rows)
		ticks = chart.NiceTicks(0, hi, 5)
	}
	for _, t := range ticks {
		px := c.Px(t)
		c.LinePx(px, c.Top, px, c.Top+c.PlotH(), "grid", "")
	}
	c.LinePx(c.Left, c.Top, c.Left, c.Top+c.PlotH(), "axis", "")
	for i, b := range bars {
		upper := rows - float64(i)
		mid := c.Py(upper - 0.5)
		c.TextPx(c.Left-6, mid+4, b.Label, "end", "key-label", "")
		if b.Missing != "" {
			c.TextPx(c.Left+4, mid+4, b.Missing, "start", "empty", "")
			continue
		}
		c.Rect(c.X0(), upper-0.8, x(b.Median), upper-0.2, b.Class, "", b.Label+": "+b.Text)
		if b.Max > b.Min {
			c.LinePx(c.Px(x(b.Min)), mid, c.Px(x(b.Max)), mid, "", "#222")
			c.LinePx(c.Px(x(b.Min)), mid-5, c.Px(x(b.Min)), mid+5, "", "#222")
			c.LinePx(c.Px(x(b.Max)), mid-5, c.Px(x(b.Max)), mid+5, "", "#222")
		}
		c.TextPx(c.Px(x(max(b.Median, b.Max)))+4, mid+4, b.Text, "start", "value", "")
	}
	label := countLabel
	if logScale {
		label = func(d float64) string { return metric.Num(math.Pow(10, d), 3) }
	}
	c.XAxis(ticks, label, axis)
	return c
}
