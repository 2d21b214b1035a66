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
// chart that shows it: a red band over the span (a line for an instant; on
// the dispatch chart, over the key's row only), amber for a failure the
// scenario expects. Labels naming the invariant and the span go above the
// plot, right-aligned, so that they never cover the data. Verdicts that
// carry no time (written before they did) are left unmarked.
func markFindings(charts []*chart, s Summary) {
	type label struct{ text, class, tip string }
	labels := map[*chart][]label{}
	var order []*chart
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
		class, l := "finding", label{"✗ " + v.Name, "finding-label", v.Name + ": " + findingText(s, v)}
		if expectedFailure(v) {
			class, l.text, l.class = "finding expected", "expected: "+v.Name, "finding-label expected"
		}
		l.text += " " + spanLabel(from, to)
		x0, x1 := c.px(from), c.px(to)
		if row, ok := keyRow(c, v.Where.Subject); ok {
			c.rectPx(x0, row-12, max(x1-x0, 1.5), 16, class, "", l.tip)
			l.text += " (its key's row)"
		} else {
			c.rectPx(x0, c.Top, max(x1-x0, 1.5), c.plotH(), class, "", l.tip)
		}
		if labels[c] == nil {
			order = append(order, c)
		}
		labels[c] = append(labels[c], l)
	}
	for _, c := range order {
		x := c.Left + c.plotW()
		ls := labels[c]
		for i := len(ls) - 1; i >= 0; i-- {
			c.textPx(x, c.Top-8, ls[i].text, "end", ls[i].class, ls[i].tip)
			// An estimate of the bold label's width: 6.3 px a character.
			x -= 6.3*float64(len([]rune(ls[i].text))) + 14
		}
	}
}

// spanLabel prints a finding's time on its label: "3m–3m10s", or "at 3m".
func spanLabel(from, to float64) string {
	if to <= from {
		return "at " + timeLabel(from)
	}
	return timeLabel(from) + "–" + timeLabel(to)
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
