package reports

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/hbharness/hbharness/reports/metric"
	"github.com/hbharness/hbharness/summary"
)

// byStart orders runs by when they started, oldest first: the order of a
// trend. Runs that started together keep their folders' order.
func byStart(runs []summary.Summary) []summary.Summary {
	out := slices.Clone(runs)
	slices.SortStableFunc(out, func(a, b summary.Summary) int {
		if c := a.StartedAt.Compare(b.StartedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.OutDir, b.OutDir)
	})
	return out
}

// WriteTrend writes one line per run, oldest first, with the chosen
// metrics: what a nightly job prints to show a trend. A metric a run did
// not measure is a dash.
func WriteTrend(w io.Writer, runs []summary.Summary, metrics []metric.Metric) error {
	ew := &errWriter{w: w}
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	head := []string{"STARTED (UTC)", "SCENARIO", "STRATEGY", "VERDICT"}
	for _, m := range metrics {
		head = append(head, strings.ToUpper(metricRowLabel(m)))
	}
	fmt.Fprintln(tw, strings.Join(append(head, "FOLDER"), "\t"))
	for _, s := range byStart(runs) {
		row := []string{startedText(s), s.Scenario, s.RunName(), verdictWord(s)}
		for _, m := range metrics {
			if v, ok := m.Value(s); ok {
				row = append(row, metric.Num(v, m.Prec))
			} else {
				row = append(row, "—")
			}
		}
		fmt.Fprintln(tw, strings.Join(append(row, orDash(s.OutDir)), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	return ew.err
}

// WriteTrendCSV writes the same as CSV, with full precision, a metric a
// run did not measure left empty.
func WriteTrendCSV(w io.Writer, runs []summary.Summary, metrics []metric.Metric) error {
	cw := csv.NewWriter(w)
	head := []string{"started_at", "scenario", "strategy", "label", "verdict"}
	for _, m := range metrics {
		col := m.Name
		if u := csvUnit(m.Unit); u != "" {
			col += "_" + u
		}
		head = append(head, col)
	}
	if err := cw.Write(append(head, "folder")); err != nil {
		return fmt.Errorf("write history CSV: %w", err)
	}
	for _, s := range byStart(runs) {
		started := ""
		if !s.StartedAt.IsZero() {
			started = s.StartedAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		row := []string{started, s.Scenario, s.Strategy, s.Label, verdictWord(s)}
		for _, m := range metrics {
			if v, ok := m.Value(s); ok {
				row = append(row, metric.Num(v, 6))
			} else {
				row = append(row, "")
			}
		}
		if err := cw.Write(append(row, s.OutDir)); err != nil {
			return fmt.Errorf("write history CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write history CSV: %w", err)
	}
	return nil
}

func csvUnit(u string) string {
	if u == "%" {
		return "pct"
	}
	return u
}

func startedText(s summary.Summary) string {
	if s.StartedAt.IsZero() {
		return "—"
	}
	return s.StartedAt.UTC().Format("2006-01-02 15:04:05")
}
