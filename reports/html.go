package reports

import (
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"

	"github.com/hbharness/hbharness/harness/history"
)

// maxHTMLRows bounds the key and service tables of the HTML report; the full
// lists are in summary.json.
const maxHTMLRows = 200

// runPage is what the run report template reads.
type runPage struct {
	S            Summary
	Verdict      string
	Keys         []KeyStats
	MoreKeys     int
	Services     []ServiceStats
	MoreServices int
	Charts       []*chart
}

// WriteHTML writes one run as a single self-contained HTML file: the verdict
// table, the run's numbers and, when h is not nil, plots of dispatches,
// staleness, liveness, requests and dispatches per throttle window as inline
// SVG. It loads nothing from elsewhere and runs no script, so it can be
// archived as a CI artifact and opened anywhere.
func WriteHTML(w io.Writer, s Summary, h *history.History) error {
	page := runPage{S: s, Verdict: verdictWord(s)}
	keys := worstKeys(s.Keys)
	page.Keys = keys[:min(len(keys), maxHTMLRows)]
	page.MoreKeys = len(keys) - len(page.Keys)
	svcs := slices.Clone(s.Services)
	slices.SortStableFunc(svcs, func(a, b ServiceStats) int {
		if c := cmp.Compare(b.MaxStalenessS, a.MaxStalenessS); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	page.Services = svcs[:min(len(svcs), maxHTMLRows)]
	page.MoreServices = len(svcs) - len(page.Services)
	if h != nil {
		left := plotLeft(s, h)
		page.Charts = append(page.Charts, dispatchChart(s, h, left), stalenessChart(h, left), livenessChart(h, left))
		if c := requestsChart(h, left); c != nil {
			page.Charts = append(page.Charts, c)
		}
		if c := windowChart(s, h, left); c != nil {
			page.Charts = append(page.Charts, c)
		}
	}
	return render(w, "run", page, fmt.Sprintf("HTML report of %s/%s", s.Scenario, s.Strategy))
}

// render executes one page into memory first, so that a template error
// leaves no half-written file.
func render(w io.Writer, name string, data any, what string) error {
	t, err := template.New("report").Funcs(template.FuncMap{
		"px":      fmtPx,
		"num":     num,
		"dur":     modelDuration,
		"mark":    mark,
		"target":  targetName,
		"orDash":  orDash,
		"verdict": verdictWord,
		"outside": outside,
		"minGap":  minGap,
		"range2":  expectedRange,
		"bad":     func(cell string) bool { return strings.Contains(cell, "✗") },
	}).Parse(pageTemplates + comparisonTemplate + trendTemplate)
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
