package reports

import (
	"fmt"
	"io"
)

// comparisonPage is what the comparison template reads.
type comparisonPage struct {
	Scenario string
	Runs     []Summary
	Rows     [][]string
	Charts   []*chart
}

// WriteComparisonHTML writes one scenario under several strategies as a
// single self-contained HTML file: bar charts of dispatches and of the worst
// staleness per strategy, and the comparison table.
func WriteComparisonHTML(w io.Writer, runs []Summary) error {
	cols, err := comparisonColumns(runs)
	if err != nil {
		return err
	}
	page := comparisonPage{Scenario: runs[0].Scenario, Runs: runs, Rows: comparisonRows(runs, cols)}
	var disp, stale []bar
	for i, s := range runs {
		disp = append(disp, bar{Label: cols[i], Value: float64(s.DispatchesTotal), Text: fmt.Sprint(s.DispatchesTotal), Failed: !s.Passed})
		stale = append(stale, bar{Label: cols[i], Value: s.MaxStalenessS, Text: num(s.MaxStalenessS, 1) + " s", Failed: !s.Passed})
	}
	page.Charts = []*chart{
		barChart("cmp-dispatches", "dispatches_total", "dispatches", disp),
		barChart("cmp-staleness", "max_staleness_s", "model seconds", stale),
	}
	return render(w, "comparison", page, "comparison HTML of "+page.Scenario)
}

// comparisonTemplate is the comparison page; it uses the "head" and "svg"
// templates of pageTemplates.
const comparisonTemplate = `
{{define "comparison"}}{{template "head" (printf "hbharness · %s · comparison" .Scenario)}}
<body>
<h1>{{.Scenario}} · {{len .Runs}} strategies</h1>
<p class="meta">{{range $i, $s := .Runs}}{{if $i}} · {{end}}{{$s.Strategy}} <span class="{{if $s.Passed}}ok{{else}}no{{end}}">{{verdict $s}}</span>{{end}}</p>
<div class="charts">{{range .Charts}}<figure>{{template "svg" .}}</figure>{{end}}</div>
<table>
{{range $i, $row := .Rows}}<tr>{{range $j, $c := $row}}{{if or (eq $i 0) (eq $j 0)}}<th>{{$c}}</th>{{else}}<td{{if bad $c}} class="no"{{end}}>{{$c}}</td>{{end}}{{end}}</tr>
{{end}}</table>
<p class="meta">✓ the outcome matched the scenario's expectation · ✗ it did not. Red bars: runs that did not pass.</p>
</body>
</html>
{{end}}
`
