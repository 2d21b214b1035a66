package reports

import (
	"slices"
	"strings"

	"github.com/hbharness/hbharness/harness/verify"
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
	case verify.LastSeenNeverStale, verify.RecoversAfterFault:
		return []string{"staleness"}
	case verify.NeverOfflineWhilePolled, verify.NoFalseLiveness:
		return []string{"liveness", "staleness"}
	case verify.RequestsSucceed:
		return []string{"errors", "requests"}
	}
	return nil
}

// markFindings marks where each failed verdict found its failure on the
// chart that shows it: a red band over the span (a line for an instant),
// amber for a failure the scenario expects, labelled with the invariant.
// Verdicts that carry no time (written before they did) are left unmarked.
func markFindings(charts []*chart, s Summary) {
	labels := map[*chart]int{}         // labels already on a chart, to stack the next above
	rowLabels := map[*chart][]string{} // findings on a key's row, named above the plot
	for _, v := range s.Invariants {
		if v.Outcome != verify.Fail || v.Where == nil || v.Where.FromS == nil {
			continue
		}
		var c *chart
		for _, id := range findingCharts(v.Name) {
			if i := slices.IndexFunc(charts, func(c *chart) bool { return c != nil && c.ID == id }); i >= 0 {
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
		class, labelClass, label := "finding", "finding-label", "✗ "+v.Name
		if expectedFailure(v) {
			class, labelClass, label = "finding expected", "finding-label expected", "expected: "+v.Name
		}
		tip := v.Name + ": " + findingText(s, v)
		x0, x1 := c.px(from), c.px(to)
		if row, ok := keyRow(c, v.Where.Subject); ok {
			// A key's finding on the dispatch chart covers its row only.
			c.rectPx(x0, row-12, max(x1-x0, 1.5), 16, class, "", tip)
			rowLabels[c] = append(rowLabels[c], label)
			continue
		}
		c.rectPx(x0, c.Top, max(x1-x0, 1.5), c.plotH(), class, "", tip)
		y := c.Top + c.plotH() - 6 - 13*float64(labels[c])
		labels[c]++
		// Labels past the middle read leftwards so that they stay on the plot.
		if x0 > c.Left+c.plotW()/2 {
			c.textPx(x0-3, y, label, "end", labelClass, tip)
		} else {
			c.textPx(x1+3, y, label, "start", labelClass, tip)
		}
	}
	for c, ls := range rowLabels {
		c.textPx(c.Left+c.plotW(), c.Top-8, strings.Join(ls, " · ")+" (tinted on the key's row)", "end", "finding-label", "")
	}
}

// keyRow finds the baseline of a key's row label on the dispatch chart, for
// a subject "key K"; false when the chart has no row for it.
func keyRow(c *chart, subject string) (float64, bool) {
	key, ok := strings.CutPrefix(subject, "key ")
	if !ok || c.ID != "dispatches" {
		return 0, false
	}
	for _, el := range c.Els {
		if el.Kind == "text" && el.Class == "key-label" && strings.HasPrefix(el.Tip, key+": ") {
			return el.Y, true
		}
	}
	return 0, false
}
