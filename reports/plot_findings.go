package reports

import (
	"slices"
	"strings"

	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/reports/chart"
	"github.com/hbharness/hbharness/summary"
)

// findingCharts names, per invariant, the charts that show what it judges,
// best first: a failed verdict's finding is marked on the first of them the
// page has.
func findingCharts(invariant string) []string {
	switch invariant {
	case verify.AtMostOnePerWindow, verify.ObserversAgree:
		return []string{"dispatches"}
	case verify.RateNearExpected:
		// The key's own row: its count is what the verdict judged.
		return []string{"dispatches", "windows"}
	case verify.LastSeenNeverStale, verify.RecoversAfterFault, verify.LastSeenNotInFuture:
		return []string{"staleness"}
	case verify.NeverOfflineWhilePolled, verify.NoFalseLiveness:
		return []string{"liveness", "staleness"}
	case verify.RequestsSucceed:
		return []string{"errors", "requests"}
	}
	return nil
}

// markFindings marks where each failed verdict found its failure on the
// chart that shows it: a red band over the span (a line for an instant; on
// a chart drawn in rows, over the subject's row only), amber for a failure
// the scenario expects. Labels naming the invariant and the span go above the
// plot, right-aligned, one per line, so that they never cover the data or
// each other. Verdicts that
// carry no time (written before they did) are left unmarked.
func markFindings(charts []*chart.Chart, s summary.Summary) {
	type label struct{ text, class, tip string }
	labels := map[*chart.Chart][]label{}
	var order []*chart.Chart
	for _, v := range s.Invariants {
		if v.Outcome != summary.Fail || v.Where == nil || v.Where.FromS == nil {
			continue
		}
		var c *chart.Chart
		for _, id := range findingCharts(v.Name) {
			if i := slices.IndexFunc(charts, func(c *chart.Chart) bool { return c != nil && c.ID == id }); i >= 0 {
				c = charts[i]
				break
			}
		}
		if c == nil {
			continue
		}
		from, to := *v.Where.FromS, *v.Where.FromS
		if v.Where.ToS != nil {
			to = *v.Where.ToS
		}
		class, l := "finding", label{"✗ " + v.Name, "finding-label", v.Name + ": " + findingText(s, v)}
		if expectedFailure(v) {
			class, l.text, l.class = "finding expected", "expected: "+v.Name, "finding-label expected"
		}
		l.text += " " + spanLabel(from, to)
		x0, x1 := c.Px(from), c.Px(to)
		if top, h, ok := subjectRow(c, v.Where.Subject); ok {
			c.RectPx(x0, top, max(x1-x0, 1.5), h, class, "", l.tip)
			l.text += " (its row)"
		} else {
			c.RectPx(x0, c.Top, max(x1-x0, 1.5), c.PlotH(), class, "", l.tip)
		}
		if labels[c] == nil {
			order = append(order, c)
		}
		labels[c] = append(labels[c], l)
	}
	for _, c := range order {
		// One line each: side by side, two long labels ran into each other.
		var lines []chart.El
		for _, l := range labels[c] {
			lines = append(lines, chart.El{Text: l.text, Class: l.class, Tip: l.tip})
		}
		c.StackAbove(lines)
	}
}

// spanLabel prints a finding's time on its label: "3m–3m10s", or "at 3m".
func spanLabel(from, to float64) string {
	if to <= from {
		return "at " + timeLabel(from)
	}
	return timeLabel(from) + "–" + timeLabel(to)
}

// subjectRow finds the row a finding's subject has on a chart drawn in
// rows: a key's on the dispatch chart, a service's on the liveness chart.
// It returns the row's top and height in pixels; false when the chart has
// no row for the subject.
func subjectRow(c *chart.Chart, subject string) (top, height float64, ok bool) {
	var prefix string
	var above, h float64 // from the row label's baseline to the row's top, and the row's height
	switch {
	case c.ID == "dispatches" && strings.HasPrefix(subject, "key "):
		prefix, above, h = strings.TrimPrefix(subject, "key ")+": ", 12, 16
	case c.ID == "liveness" && strings.HasPrefix(subject, "service "):
		// The strip's tip goes on with its key in brackets, or a colon.
		prefix, above, h = subject, 17, liveRowH
	default:
		return 0, 0, false
	}
	for _, el := range c.Els {
		if el.Kind != "text" || el.Class != "key-label" {
			continue
		}
		if rest, ok := strings.CutPrefix(el.Tip, prefix); ok && (prefix[len(prefix)-1] == ' ' || strings.HasPrefix(rest, " (") || strings.HasPrefix(rest, ":")) {
			return el.Y - above, h, true
		}
	}
	return 0, 0, false
}
