package reports

import (
	"io"
	"math"

	"github.com/hbharness/hbharness/reports/chart"
	"github.com/hbharness/hbharness/reports/metric"
	"github.com/hbharness/hbharness/summary"
)

// trendPage is what the history template reads.
type trendPage struct {
	Runs   int
	Charts []*chart.Chart
	Rows   [][]string
}

// WriteTrendHTML writes the history as a self-contained page: per metric a
// line chart over the runs in the order they started, one line per
// scenario and strategy, and the same table as WriteTrend.
func WriteTrendHTML(w io.Writer, runs []summary.Summary, metrics []metric.Metric) error {
	sorted := byStart(runs)
	page := trendPage{Runs: len(sorted)}
	for _, m := range metrics {
		page.Charts = append(page.Charts, trendChart(m, sorted))
	}
	head := []string{"started (UTC)", "scenario", "strategy", "verdict"}
	for _, m := range metrics {
		head = append(head, metricRowLabel(m))
	}
	page.Rows = append(page.Rows, head)
	for _, s := range sorted {
		row := []string{startedText(s), s.Scenario, s.RunName(), verdictWord(s)}
		for _, m := range metrics {
			if v, ok := m.Value(s); ok {
				row = append(row, metric.Num(v, m.Prec))
			} else {
				row = append(row, "—")
			}
		}
		page.Rows = append(page.Rows, row)
	}
	return render(w, "trend", page, "history HTML")
}

// trendChart draws one metric over the runs: x is the run's place in time
// (runs are nightly, not evenly spaced, and a gap of a week says nothing
// about the metric), labelled with a few start dates.
func trendChart(m metric.Metric, runs []summary.Summary) *chart.Chart {
	c := chart.New("trend-"+m.Name, m.Label, plotWidth, 240)
	c.Right = plotRight + 90
	type series struct {
		name string
		pts  [][2]float64
	}
	var all []*series
	hi := 0.0
	for i, s := range runs {
		v, ok := m.Value(s)
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		name := s.Scenario + " · " + s.RunName()
		var sr *series
		for _, x := range all {
			if x.name == name {
				sr = x
			}
		}
		if sr == nil {
			sr = &series{name: name}
			all = append(all, sr)
		}
		sr.pts = append(sr.pts, [2]float64{float64(i), v})
		hi = max(hi, v)
	}
	if hi <= 0 {
		hi = 1
	}
	c.SetRange(-0.5, float64(max(len(runs), 1))-0.5, 0, hi*1.08)
	c.YAxis(chart.NiceTicks(0, hi*1.08, 5), countLabel, metricRowLabel(m))
	var ticks []float64
	step := max(1, len(runs)/6)
	for i := 0; i < len(runs); i += step {
		ticks = append(ticks, float64(i))
	}
	c.XAxis(ticks, func(x float64) string {
		i := int(x)
		if i < 0 || i >= len(runs) || runs[i].StartedAt.IsZero() {
			return "#" + metric.Num(x+1, 0)
		}
		return runs[i].StartedAt.UTC().Format("01-02 15:04")
	}, "runs in the order they started (UTC)")
	for k, sr := range all {
		color := chart.SeriesColor(k)
		c.Polyline(sr.pts, "series", color, "")
		for _, p := range sr.pts {
			c.RectPx(c.Px(p[0])-2.5, c.Py(p[1])-2.5, 5, 5, "", color, sr.name+": "+m.Format(p[1]))
		}
		y := c.Top + 14*float64(k)
		c.LinePx(c.Left+c.PlotW()+10, y, c.Left+c.PlotW()+24, y, "legend-line", color)
		c.TextPx(c.Left+c.PlotW()+28, y+4, sr.name, "start", "", "")
	}
	return c
}

// trendTemplate is the history page; it uses the "head" and "svg"
// templates of pageTemplates.
const trendTemplate = `
{{define "trend"}}{{template "head" "hbharness · history"}}
<body>
<h1>history · {{.Runs}} runs</h1>
{{range .Charts}}<figure><div class="chart-box">{{template "svg" .}}</div></figure>
{{end}}
<table>
{{range $i, $row := .Rows}}<tr>{{range $row}}{{if eq $i 0}}<th>{{.}}</th>{{else}}<td>{{.}}</td>{{end}}{{end}}</tr>
{{end}}</table>
</body>
</html>
{{end}}
`
