package reports

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/reports/chart"
	"github.com/hbharness/hbharness/reports/metric"
	"github.com/hbharness/hbharness/summary"
)

// comparisonPage is what the comparison template reads.
type comparisonPage struct {
	Scenario string
	Meta     string
	Columns  []comparisonHead
	Rows     [][]string
	Charts   []*chart.Chart
	Legend   []string
	LogSpan  int
	OverTime []overTime
}

// comparisonHead is one strategy in the page's heading: its verdicts and
// links to each of its runs' reports.
type comparisonHead struct {
	Name         string
	Verdict      string
	Inconclusive bool
	Passed       bool
	Links        []Link
}

// WriteComparisonHTML writes one scenario under several strategies as a
// single self-contained HTML file, written into dir (links to each run's
// page, the file named runPage in its folder, are relative to it; "" leaves
// them out): per metric a bar
// chart of every strategy on one shared axis, coloured by that metric's own
// merit, and the comparison table. A strategy whose runs were all unusable
// is shown as inconclusive. hists, when given, holds each run's history in
// runs' order (nil where it was not kept): the page then also draws each
// strategy over model time, side by side on shared axes.
func WriteComparisonHTML(w io.Writer, runs []summary.Summary, dir, runPage string, hists []*history.History) error {
	cols, err := comparisonColumns(runs)
	if err != nil {
		return err
	}
	page := comparisonPage{Scenario: runs[0].Scenario, Rows: comparisonRows(cols), Legend: comparisonLegend(cols), LogSpan: logSpan,
		Meta: fmt.Sprintf("time scale %s · model %s%s", metric.Num(runs[0].TimeScale, 4), modelDuration(runs[0].ModelDurationS), repeatText(cols))}
	for _, c := range cols {
		h := comparisonHead{Name: c.Name, Verdict: tally(c.Runs, verdictWord), Inconclusive: len(c.usable) == 0,
			Passed: !slices.ContainsFunc(c.Runs, func(s summary.Summary) bool { return !s.Passed })}
		for i, s := range c.Runs {
			if s.OutDir == "" || dir == "" {
				continue
			}
			rel, err := filepath.Rel(dir, s.OutDir)
			if err != nil {
				continue
			}
			text := "report"
			if len(c.Runs) > 1 {
				text = strconv.Itoa(i + 1)
			}
			h.Links = append(h.Links, Link{Text: text, Href: filepath.ToSlash(filepath.Join(rel, runPage))})
		}
		page.Columns = append(page.Columns, h)
	}
	aggs := aggregate(cols)
	marks := repeated(cols)
	// One chart per metric, every strategy on the chart's one axis.
	for _, name := range []string{"dispatches", "writes", "staleness", "recovery", "p99"} {
		m, err := metric.Named(name)
		if err != nil {
			return fmt.Errorf("comparison chart %q: %w (a bug in package reports)", name, err)
		}
		var bars []rangeBar
		measured := false
		for i, c := range cols {
			b := rangeBar{Label: c.Name}
			sp, ok := aggs[i].spreadOf(name)
			switch {
			case len(c.usable) == 0:
				b.Missing = "inconclusive"
			case !ok:
				b.Missing = "not measured"
			default:
				measured = true
				b.Median, b.Min, b.Max = sp.Median, sp.Min, sp.Max
				b.Text = spreadText(m, sp, false)
				b.Class = meritClass(m, sp, c.usable)
			}
			bars = append(bars, b)
		}
		if !measured {
			continue
		}
		title := m.Label
		if marks {
			title += ": median and min–max"
		}
		page.Charts = append(page.Charts, rangeBarChart("cmp-"+name, title, metricRowLabel(m), bars))
	}
	page.OverTime = timeRows(firstHistories(runs, hists))
	return render(w, "comparison", page, "comparison HTML of "+page.Scenario)
}

// firstHistories picks, per strategy in order of first appearance, its
// first usable run's history.
func firstHistories(runs []summary.Summary, hists []*history.History) []strategyHistory {
	var out []strategyHistory
	seen := map[string]bool{}
	for i, s := range runs {
		if i >= len(hists) || hists[i] == nil || !usableRun(s) || seen[s.RunName()] {
			continue
		}
		seen[s.RunName()] = true
		out = append(out, strategyHistory{name: s.RunName(), h: hists[i]})
	}
	return out
}

// meritClass colours one strategy's bar by the metric itself, under the
// colour rule of every page (paint.go): red where an invariant that judges
// the metric failed unexpectedly in any of its runs, amber where it failed
// only as the scenario expects, purple where it is worse than the best
// strategy beyond noise, blue otherwise.
func meritClass(m metric.Metric, sp Spread, runs []summary.Summary) string {
	class := ""
	for _, s := range runs {
		for _, v := range s.Invariants {
			if v.Outcome != summary.Fail || !slices.Contains(m.JudgedBy, v.Name) {
				continue
			}
			if !expectedFailure(v) {
				return "bar " + paintBad
			}
			class = "bar " + paintExpected
		}
	}
	if class != "" {
		return class
	}
	if !sp.Best && !sp.WithinNoise && m.Worse != metric.Neutral {
		return "bar over"
	}
	return "bar"
}

// comparisonTemplate is the comparison page; it uses the "head" and "svg"
// templates of pageTemplates.
const comparisonTemplate = `
{{define "comparison"}}{{template "head" (printf "hbharness · %s · comparison" .Scenario)}}
<body>
<h1>{{.Scenario}} · {{len .Columns}} strategies</h1>
<p class="meta">{{.Meta}}</p>
<table>
<tr><th>strategy</th><th>verdict</th><th>reports</th></tr>
{{range .Columns}}<tr><td><code>{{.Name}}</code></td><td{{if .Inconclusive}} style="color:#8a6d00;font-weight:600"{{else if .Passed}} class="ok"{{else}} class="no"{{end}}>{{if .Inconclusive}}inconclusive: {{end}}{{.Verdict}}</td><td>{{range $i, $l := .Links}}{{if $i}} · {{end}}<a href="{{$l.Href}}">{{$l.Text}}</a>{{else}}—{{end}}</td></tr>
{{end}}</table>
<div class="charts">{{range .Charts}}<figure><div class="chart-box">{{template "svg" .}}</div></figure>{{end}}</div>
{{range .OverTime}}<h2>{{.Title}}</h2>
<div class="charts">{{range .Charts}}<figure><div class="chart-box">{{template "svg" .}}</div></figure>{{end}}</div>
{{end}}{{if .OverTime}}<p class="meta">The first usable run of each strategy; shaded bands are faults, the line is the offline threshold (staleness) or one heartbeat per key per window.</p>
{{end}}<table class="compare">
{{range $i, $row := .Rows}}<tr>{{range $j, $c := $row}}{{if or (eq $i 0) (eq $j 0)}}<th>{{$c}}</th>{{else}}<td{{if bad $c}} class="no"{{end}}>{{$c}}</td>{{end}}{{end}}</tr>
{{end}}</table>
{{range .Legend}}<p class="meta">{{.}}</p>
{{end}}<p class="meta">Bars are coloured by each metric's own merit: red where an invariant judging it failed unexpectedly, amber where it failed as the scenario expects, purple where it is worse than the best strategy beyond noise; a metric spanning more than {{.LogSpan}}× is drawn on a log scale.</p>
</body>
</html>
{{end}}
`
