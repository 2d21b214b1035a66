package reports

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/reports/chart"
	"github.com/hbharness/hbharness/reports/metric"
	"github.com/hbharness/hbharness/summary"
)

// maxHTMLRows bounds the key and service tables of the HTML report; the full
// lists are in summary.json. Past shownHTMLRows, the worst first, the rows
// are folded away so that a long table does not bury the charts.
const (
	maxHTMLRows   = 200
	shownHTMLRows = 20
)

// runPage is what the run report template reads.
type runPage struct {
	S              summary.Summary
	Verdict        string
	Headline       headline
	Keys           []summary.KeyStats
	FoldedKeys     []summary.KeyStats
	MoreKeys       int
	Services       []serviceRow
	FoldedServices []serviceRow
	MoreServices   int
	// KeyTint colours the key rows that explain a failed rate verdict:
	// "bad" (red), or "expected" (amber) when the scenario expects that
	// verdict to fail. Service rows carry their own (serviceRows).
	KeyTint string
	Charts  []*chart.Chart
	Links   RunLinks
	Facts   []fact
}

// WriteHTML writes one run as a single self-contained HTML file: the verdict
// table, the run's numbers and, when h is not nil, plots of dispatches,
// staleness, liveness, requests and dispatches per throttle window as inline
// SVG. It loads nothing from elsewhere and runs no script, so it can be
// archived as a CI artifact and opened anywhere; links says what else it
// points to (the suite or comparison it belongs to, its own files).
func WriteHTML(w io.Writer, s summary.Summary, h *history.History, links RunLinks) error {
	page := runPage{S: s, Verdict: verdictWord(s), Headline: runHeadline(s), Links: links, Facts: runFacts(s),
		KeyTint: violationPaint(s, verify.RateNearExpected)}
	keys := worstKeys(s.Keys)
	page.Keys, page.FoldedKeys, page.MoreKeys = fold(keys)
	page.Services, page.FoldedServices, page.MoreServices = fold(serviceRows(s))
	page.Charts = runCharts(s, h)
	markFindings(page.Charts, s)
	return render(w, "run", page, fmt.Sprintf("HTML report of %s/%s", s.Scenario, s.RunName()))
}

// runCharts draws every chart a run's history allows, in reading order:
// heartbeats, staleness, liveness, then the requests (load, latency,
// errors), then dispatches per window against keys and requests.
func runCharts(s summary.Summary, h *history.History) []*chart.Chart {
	if h == nil {
		return nil
	}
	left := plotLeft(s, h)
	charts := []*chart.Chart{dispatchChart(s, h, left),
		stalenessChart(h, left, findingPaint(s, verify.LastSeenNeverStale)),
		livenessChart(h, left, violationPaint(s, verify.NoFalseLiveness))}
	for _, c := range []*chart.Chart{requestsChart(h, left), latencyChart(h, left), errorsChart(h, left, violationPaint(s, verify.RequestsSucceed)), windowChart(s, h, left)} {
		if c != nil {
			charts = append(charts, c)
		}
	}
	return charts
}

// fold splits rows, worst first, into those shown, those folded away, and
// how many are left to summary.json.
func fold[T any](rows []T) (shown, folded []T, more int) {
	kept := rows[:min(len(rows), maxHTMLRows)]
	shown = kept[:min(len(kept), shownHTMLRows)]
	return shown, kept[len(shown):], len(rows) - len(kept)
}

// render executes one page into memory first, so that a template error
// leaves no half-written file.
func render(w io.Writer, name string, data any, what string) error {
	t, err := template.New("report").Funcs(template.FuncMap{
		"px":           chart.FmtPx,
		"num":          metric.Num,
		"dur":          modelDuration,
		"mark":         mark,
		"target":       targetName,
		"orDash":       orDash,
		"verdict":      verdictWord,
		"outside":      outside,
		"minGap":       minGap,
		"range2":       expectedRange,
		"bad":          func(cell string) bool { return strings.Contains(cell, "✗") },
		"expectedFail": expectedFailure,
		"rows":         func(rows any, tint string) map[string]any { return map[string]any{"Rows": rows, "Tint": tint} },
	}).Parse(pageTemplates + comparisonTemplate + trendTemplate + suiteTemplate)
	if err != nil {
		return fmt.Errorf("parse report templates (a bug in package reports): %w", err)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("render %s: %w", what, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write %s: %w", what, err)
	}
	return nil
}
