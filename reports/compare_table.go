package reports

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/hbharness/hbharness/reports/metric"
	"github.com/hbharness/hbharness/summary"
)

// WriteComparison writes one scenario run under several strategies side by
// side: one column per strategy, one row per invariant and per metric.
// Repeated runs of a strategy (compare --repeat) share its column: each
// metric shows their median and min–max, and, against the strategy with
// the lowest median, whether the difference is within noise.
func WriteComparison(w io.Writer, runs []summary.Summary) error {
	cols, err := comparisonColumns(runs)
	if err != nil {
		return err
	}
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "%s · time scale %s · model %s%s\n\n", runs[0].Scenario, metric.Num(runs[0].TimeScale, 4),
		modelDuration(runs[0].ModelDurationS), repeatText(cols))
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	for _, row := range comparisonRows(cols) {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write comparison table: %w", err)
	}
	fmt.Fprintln(ew)
	for _, l := range comparisonLegend(cols) {
		fmt.Fprintln(ew, l)
	}
	return ew.err
}

// repeatText says how many runs each strategy had, when more than one.
func repeatText(cols []*column) string {
	most := 0
	for _, c := range cols {
		most = max(most, len(c.Runs))
	}
	if most < 2 {
		return ""
	}
	return fmt.Sprintf(" · %d runs per strategy, interleaved", most)
}

// comparisonLegend explains the marks the table uses.
func comparisonLegend(cols []*column) []string {
	out := []string{"✓ outcome matched the scenario's expectation · ✗ it did not"}
	if repeated(cols) {
		out = append(out, "metrics: median (min–max) over a strategy's usable runs · best: lowest median ·",
			"≈ within noise: its range overlaps the best's, or lies above it by less than the metric's floor · no mark: a real difference from the best")
	}
	for _, c := range cols {
		if n := len(c.Runs) - len(c.usable); n > 0 {
			out = append(out, fmt.Sprintf("%s: %d of %d run(s) inconclusive (load generator saturated, nothing answered, or interrupted), left out of its numbers",
				c.Name, n, len(c.Runs)))
		}
	}
	return out
}

// comparisonRows builds the comparison as text cells, header row first. The
// HTML comparison renders the same rows.
func comparisonRows(cols []*column) [][]string {
	header := []string{""}
	for _, c := range cols {
		header = append(header, c.Name)
	}
	rows := [][]string{header}
	add := func(label string, cell func(*column) string) {
		row := []string{label}
		for _, c := range cols {
			row = append(row, cell(c))
		}
		rows = append(rows, row)
	}
	add("verdict", func(c *column) string { return tally(c.Runs, verdictWord) })
	var all []summary.Summary
	for _, c := range cols {
		all = append(all, c.Runs...)
	}
	for _, name := range invariantNames(all) {
		add(name, func(c *column) string {
			if len(c.usable) == 0 {
				return "inconclusive"
			}
			return tally(c.usable, func(s summary.Summary) string {
				i := slices.IndexFunc(s.Invariants, func(v summary.Verdict) bool { return v.Name == name })
				if i < 0 {
					return "—"
				}
				return string(s.Invariants[i].Outcome) + " " + mark(s.Invariants[i])
			})
		})
	}
	aggs := aggregate(cols)
	marks := repeated(cols)
	for _, m := range metric.All() {
		measured := slices.ContainsFunc(aggs, func(a StrategyAggregate) bool { _, ok := a.spreadOf(m.Name); return ok })
		if !measured {
			continue
		}
		add(metricRowLabel(m), func(c *column) string {
			a := aggs[slices.Index(cols, c)]
			sp, ok := a.spreadOf(m.Name)
			switch {
			case len(c.usable) == 0:
				return "inconclusive"
			case !ok:
				return "—"
			}
			return spreadText(m, sp, marks)
		})
	}
	add("dispatches_total", func(c *column) string { return countText(c, func(s summary.Summary) int { return s.DispatchesTotal }) })
	add("db_writes_total", func(c *column) string { return countText(c, func(s summary.Summary) int { return s.DBWritesTotal }) })
	return rows
}

func metricRowLabel(m metric.Metric) string {
	if m.Unit == "" {
		return m.Label
	}
	return m.Label + " " + m.Unit
}

// spreadText prints a metric's spread: "median (min–max)", or the value
// alone where every run measured the same, then, when runs were repeated,
// its mark.
func spreadText(m metric.Metric, sp Spread, marks bool) string {
	t := metric.Num(sp.Median, m.Prec)
	if sp.Max > sp.Min {
		t += " (" + metric.Num(sp.Min, m.Prec) + "–" + metric.Num(sp.Max, m.Prec) + ")"
	}
	if !marks {
		return t
	}
	switch {
	case sp.Best:
		t += " best"
	case sp.WithinNoise:
		t += " ≈"
	}
	return t
}

// countText prints a raw count: the value where every usable run agrees,
// else their median and range.
func countText(c *column, count func(summary.Summary) int) string {
	if len(c.usable) == 0 {
		return "inconclusive"
	}
	var vs []float64
	for _, s := range c.usable {
		vs = append(vs, float64(count(s)))
	}
	slices.Sort(vs)
	if vs[0] == vs[len(vs)-1] {
		return metric.Num(vs[0], 0)
	}
	return metric.Num(metric.Median(vs), 1) + " (" + metric.Num(vs[0], 0) + "–" + metric.Num(vs[len(vs)-1], 0) + ")"
}

// tally prints what runs show, "pass ✓" for one, "pass ✓ ×3" for three
// alike, "pass ✓ 2 · fail ✗ 1" when they differ, in order of first showing.
func tally(runs []summary.Summary, word func(summary.Summary) string) string {
	var words []string
	count := map[string]int{}
	for _, s := range runs {
		w := word(s)
		if count[w] == 0 {
			words = append(words, w)
		}
		count[w]++
	}
	if len(runs) == 1 || (len(words) == 1 && words[0] == "—") {
		return words[0]
	}
	if len(words) == 1 {
		return fmt.Sprintf("%s ×%d", words[0], count[words[0]])
	}
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = fmt.Sprintf("%s %d", w, count[w])
	}
	return strings.Join(parts, " · ")
}
