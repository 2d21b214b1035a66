package reports

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/reports/chart"
)

// endpointColor colours an endpoint's errors as a data series: the series
// palette, with no red, amber or grey, which say what the verdict found
// (paint.go).
func endpointColor(i int) string { return chart.SeriesColor(i) }

// errorsChart draws the requests that failed in each timeline window,
// stacked by endpoint, on an axis of their own so that a handful of errors
// among thousands of requests still shows, and can be placed against the
// fault bands. Where the errors used up what the scenario allows
// (allowed_errors), a threshold line marks the window. It returns nil when
// the run kept no timeline or no request failed.
func errorsChart(h *history.History, left float64, paint string) *chart.Chart {
	if len(h.Requests.Timeline) == 0 {
		return nil
	}
	end := runEnd(h)
	c := chart.New("errors", "", plotWidth, 200)
	c.Left = left
	c.Right = plotRight
	bars, per := reqBars(h.Requests.Timeline, int(c.PlotW()/minReqBarPx))

	totals := map[string]int64{}
	var peak int64
	for _, b := range bars {
		for ep, n := range b.byEndpoint {
			totals[ep] += n.Errors()
		}
		if b.from < end {
			peak = max(peak, b.counts.Errors())
		}
	}
	var endpoints []string
	for ep, n := range totals {
		if n > 0 {
			endpoints = append(endpoints, ep)
		}
	}
	if len(endpoints) == 0 {
		return nil
	}
	// The endpoint with the most errors gets the first colour and the
	// bottom of each stack.
	slices.SortFunc(endpoints, func(a, b string) int {
		if c := cmp.Compare(totals[b], totals[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	color := map[string]string{}
	for i, ep := range endpoints {
		color[ep] = endpointColor(i)
	}

	width := 0.0
	if len(bars) > 0 {
		width = bars[0].to - bars[0].from
	}
	c.Title = fmt.Sprintf("failed requests per %s window, by endpoint", modelDuration(width))
	top := float64(max(peak, 1)) * 1.15
	c.SetRange(0, end, 0, top)
	shadeFaults(c, h.Faults)
	c.YAxis(chart.NiceTicks(0, top, 5), countLabel, "errors")
	c.XAxis(chart.TimeTicks(0, end, 12), timeLabel, "model time")

	for _, b := range bars {
		if b.from >= end || b.counts.Errors() == 0 {
			continue
		}
		x0, w := barPx(c, b, end)
		var below int64
		for _, ep := range endpoints {
			n := b.byEndpoint[ep].Errors()
			if n == 0 {
				continue
			}
			y0, y1 := c.Py(float64(below)), c.Py(float64(below+n))
			tip := fmt.Sprintf("%s–%s: %s %d errors (%s) of %d requests", timeLabel(b.from), timeLabel(min(b.to, end)),
				ep, n, errorClasses(b.byEndpoint[ep]), b.byEndpoint[ep].Total)
			c.RectPx(x0, y1, w, y0-y1, "err-bar", color[ep], tip)
			below += n
		}
	}
	crossed := allowanceCrossings(bars, h.AllowedErrors, end)
	for _, x := range crossed {
		px := c.Px(x.at)
		c.LinePx(px, c.Top, px, c.Top+c.PlotH(), "threshold "+paint, "")
		c.TextPx(px+3, c.Top+24, x.label, "start", "threshold-label "+paint, x.label)
	}

	lx := c.Left + c.PlotW() + 10
	for i, ep := range endpoints {
		y := c.Top + 3 + 16*float64(i)
		tip := fmt.Sprintf("%s: %d errors%s", ep, totals[ep], allowedText(h.AllowedErrors, ep))
		c.RectPx(lx, y, 16, 8, "", color[ep], tip)
		c.TextPx(lx+20, y+8, ep, "start", "legend", tip)
	}

	var parts []string
	for _, ep := range endpoints {
		parts = append(parts, fmt.Sprintf("%s %d%s", ep, totals[ep], allowedText(h.AllowedErrors, ep)))
	}
	c.Caption = fmt.Sprintf("Requests that failed (no answer, a 3xx, 4xx or 5xx, or a malformed body) in each %s window of model time, by the instant each was meant to be sent, stacked by endpoint: %s. ",
		modelDuration(width), strings.Join(parts, ", "))
	if h.AllowedErrors.PerEndpoint == nil {
		c.Caption += fmt.Sprintf("The scenario allows %d errors in all. ", h.AllowedErrors.Total)
	}
	if len(crossed) > 0 {
		c.Caption += paintWord(paint) + " lines: where the errors went past what the scenario allows, which fails requests_succeed. "
	}
	if per > 1 {
		c.Caption += fmt.Sprintf("The run's %d timeline windows are merged %d to a bar. ", len(h.Requests.Timeline), per)
	}
	c.Caption += "Each bar's tooltip gives the error classes. "
	if len(h.Faults) > 0 {
		c.Caption += faultCaption
	}
	return c
}

// crossing is the window in which errors went past an allowance.
type crossing struct {
	at    float64
	label string
}

// allowanceCrossings finds, per allowance (the total, or each endpoint's),
// the bar in which the running count of errors first went past it.
func allowanceCrossings(bars []reqBar, a history.Allowance, end float64) []crossing {
	var out []crossing
	if a.PerEndpoint == nil {
		var sum int64
		for _, b := range bars {
			if b.from >= end {
				break
			}
			if sum += b.counts.Errors(); sum > a.Total {
				return []crossing{{b.from, fmt.Sprintf("over the %d errors allowed", a.Total)}}
			}
		}
		return nil
	}
	sums := map[string]int64{}
	for _, b := range bars {
		if b.from >= end {
			break
		}
		for _, ep := range slices.Sorted(maps.Keys(b.byEndpoint)) {
			before := sums[ep]
			sums[ep] += b.byEndpoint[ep].Errors()
			if allowed := a.PerEndpoint[ep]; before <= allowed && sums[ep] > allowed {
				out = append(out, crossing{b.from, fmt.Sprintf("%s over its %d allowed", ep, allowed)})
			}
		}
	}
	return out
}

// allowedText says what the scenario allows an endpoint.
func allowedText(a history.Allowance, ep string) string {
	if a.PerEndpoint == nil {
		return ""
	}
	return fmt.Sprintf(" of %d allowed", a.PerEndpoint[ep])
}
