package reports

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/reports/chart"
	"github.com/hbharness/hbharness/summary"
)

// suitePage is what the suite index template reads.
type suitePage struct {
	Title    string
	Meta     string
	Headline headline
	Rows     []suiteRow
	Files    []Link
}

// suiteRow is one run on a suite's index: its verdict as the terminal
// table words it, the finding its page leads with, a link to that page and
// its small multiples.
type suiteRow struct {
	Scenario string
	Run      string
	Verdict  string
	// Class tints the verdict: "pass", "expected" (a pass that holds
	// expected failures), "fail" or "void" (unusable, skipped).
	Class    string
	Finding  headline
	Href     string
	Sparks   []*chart.Chart
	Unjudged string // why the row has no charts
}

// WriteSuiteHTML writes a suite's index page, in dir: the tally, then one
// row per run with its verdict (expected failures marked), its headline
// finding, a link to its report (runPage in its folder) and small
// multiples of its staleness and dispatches, drawn alike so that all of
// them can be read at a glance. hists holds each run's history in runs'
// order, nil where none was kept; files are the suite's own files (its
// junit.xml), linked from the top.
func WriteSuiteHTML(w io.Writer, runs []summary.Summary, hists []*history.History, dir, runPage string, files []Link) error {
	page := suitePage{Files: files, Meta: suiteMeta(runs), Title: fmt.Sprintf("hbharness · suite of %d runs", len(runs))}
	page.Headline = headline{Class: suiteClass(runs), Lead: suiteTally(runs)}
	for i, s := range runs {
		row := suiteRow{Scenario: s.Scenario, Run: s.RunName(), Verdict: suiteVerdict(s), Class: rowClass(s), Finding: runHeadline(s)}
		if s.Skipped != "" {
			row.Finding = headline{Class: "void", Lead: "skipped", Rest: oneLine(s.Skipped), Short: oneLine(s.Skipped)}
		}
		if s.OutDir != "" && dir != "" {
			if rel, err := filepath.Rel(dir, s.OutDir); err == nil && s.Skipped == "" {
				row.Href = filepath.ToSlash(filepath.Join(rel, runPage))
			}
		}
		var h *history.History
		if i < len(hists) {
			h = hists[i]
		}
		switch {
		case h != nil:
			id := fmt.Sprintf("r%d", i)
			row.Sparks = []*chart.Chart{sparkStaleness(id+"-stale", s, h), sparkDispatches(id+"-disp", s, h)}
		case s.Skipped != "" || s.Unusable != "":
			row.Unjudged = "not run"
		default:
			row.Unjudged = "no history kept"
		}
		page.Rows = append(page.Rows, row)
	}
	return render(w, "suite", page, "the suite's index page")
}

// suiteMeta says when the suite ran and at what scales.
func suiteMeta(runs []summary.Summary) string {
	var first summary.Summary
	var wall float64
	var scales []string
	for _, s := range runs {
		if s.StartedAt.IsZero() {
			continue
		}
		if first.StartedAt.IsZero() || s.StartedAt.Before(first.StartedAt) {
			first = s
		}
		wall += s.WallDurationS
		if sc := fmt.Sprint(s.TimeScale); !slices.Contains(scales, sc) {
			scales = append(scales, sc)
		}
	}
	out := fmt.Sprintf("%d runs", len(runs))
	if !first.StartedAt.IsZero() {
		out += " · started " + first.StartedAt.Format("2006-01-02 15:04:05 MST")
	}
	out += fmt.Sprintf(" · %s of wall time in runs · target %s", modelDuration(wall), suiteTarget(runs))
	if len(scales) > 0 {
		out += " · time scale " + strings.Join(scales, ", ")
	}
	return out
}

func suiteTarget(runs []summary.Summary) string {
	for _, s := range runs {
		if s.Target != "" {
			return s.Target
		}
	}
	return "—"
}

// suiteClass colours the index's headline: red when any run failed, grey
// when none could be judged, amber when every run passed but some only by
// failing as declared, green otherwise.
func suiteClass(runs []summary.Summary) string {
	classes := make([]string, len(runs))
	for i, s := range runs {
		classes[i] = rowClass(s)
	}
	switch {
	case slices.Contains(classes, "fail"):
		return "fail"
	case !slices.Contains(classes, "pass") && !slices.Contains(classes, "expected"):
		return "void"
	case slices.Contains(classes, "expected"):
		return "expected"
	}
	return "pass"
}

// rowClass is a run's tint on the index, by the rule of every page.
func rowClass(s summary.Summary) string {
	switch {
	case s.Skipped != "" || s.Unusable != "" || s.LoadGenerator.Saturated:
		return "void"
	case !s.Passed:
		return "fail"
	case len(expectedFailures(s)) > 0:
		return "expected"
	}
	return "pass"
}

// suiteTemplate is the suite's index page; it uses the "head" and "svg"
// templates of pageTemplates.
const suiteTemplate = `
{{define "suite"}}{{template "head" .Title}}
<body>
<h1>Suite of {{len .Rows}} runs</h1>
<p class="meta">{{.Meta}}{{if .Files}} · files: {{range $i, $f := .Files}}{{if $i}} · {{end}}<a href="{{$f.Href}}">{{$f.Text}}</a>{{end}}{{end}}</p>
<p class="headline {{.Headline.Class}}" id="headline"><strong>{{.Headline.Lead}}</strong></p>
<table class="suite">
<tr><th>run</th><th>verdict</th><th>finding</th><th>staleness · heartbeats per window</th></tr>
{{range .Rows}}<tr class="run"><td class="name">{{if .Href}}<a href="{{.Href}}">{{.Scenario}}</a>{{else}}{{.Scenario}}{{end}} <code>{{.Run}}</code></td>
<td class="verdict v-{{.Class}}">{{.Verdict}}</td>
<td class="finding" title="{{.Finding.Rest}}"><strong>{{.Finding.Lead}}</strong>{{if .Finding.Short}} · {{.Finding.Short}}{{end}}</td>
<td class="sparks">{{range .Sparks}}<div class="chart-box spark">{{template "svg" .}}</div>{{else}}<span class="meta">{{.Unjudged}}</span>{{end}}</td></tr>
{{end}}</table>
<p class="meta">Each run's verdict as the terminal table words it: PASS (expected fail: …) passed by failing as its scenario declares, which is amber here and on its page; red is a failure nobody expected; grey a run that proved nothing. The small multiples are drawn alike for every run: the worst polled staleness against offline_after (dashed; past three times it the line is cut, and its peak is written above), and heartbeats per throttle window against the keys polled (the line); violet bands are faults.</p>
</body>
</html>
{{end}}
`
