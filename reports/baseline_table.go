package reports

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/hbharness/hbharness/reports/metric"
	"github.com/hbharness/hbharness/summary"
)

// WriteBaselineTable writes the "baseline" section printed after a run's or
// a suite's table: for one run every metric checked, for several only the
// regressions (a suite of 20 scenarios would bury them), then the notes and
// a tally. It writes nothing when no run was held against a baseline.
func WriteBaselineTable(w io.Writer, runs []summary.Summary) error {
	var checked []summary.Summary
	for _, s := range runs {
		if s.Baseline != nil {
			checked = append(checked, s)
		}
	}
	if len(checked) == 0 {
		return nil
	}
	ew := &errWriter{w: w}
	b := checked[0].Baseline
	fmt.Fprintf(ew, "\nbaseline %s · max regression %s · a metric regresses above the largest of its median +N%%, +its floor, and (repeated baseline runs) their max + spread\n\n",
		b.Source, b.Limits)
	all := len(checked) == 1
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tSTRATEGY\tAGAINST\tMETRIC\tBASELINE\tNOW\tCHANGE\tLIMIT\t")
	regressions, rows := 0, 0
	var notes []string
	for _, s := range checked {
		c := s.Baseline
		for _, n := range c.Notes {
			notes = append(notes, s.Scenario+"/"+s.RunName()+": "+n)
		}
		for _, mc := range c.Metrics {
			if mc.Regressed {
				regressions++
			}
			if !all && !mc.Regressed {
				continue
			}
			m, err := metric.Named(mc.Metric)
			if err != nil {
				m = metric.Metric{Name: mc.Metric, Label: mc.Metric, Prec: 3}
			}
			word := "ok"
			switch {
			case mc.Regressed:
				word = "REGRESSED"
			case mc.NotJudged != "":
				word = "not judged (busier machine)"
			}
			rows++
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s (%s)\t%s\n", s.Scenario, s.RunName(), c.Against, m.Label,
				baselineText(m, mc), m.Format(mc.Now), changeText(mc), m.Format(mc.Limit), mc.LimitBy, word)
		}
	}
	if rows > 0 {
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write baseline table: %w", err)
		}
	}
	for _, n := range notes {
		fmt.Fprintf(ew, "note  %s\n", oneLine(n))
	}
	held := 0
	for _, s := range checked {
		if s.Baseline.Runs > 0 {
			held++
		}
	}
	fmt.Fprintf(ew, "%d regression(s) in %d run(s) held against the baseline", regressions, held)
	if n := len(checked) - held; n > 0 {
		fmt.Fprintf(ew, "; %d run(s) had none to be held against", n)
	}
	fmt.Fprintln(ew)
	return ew.err
}

// RegressionLines names every regression of runs, one line each, for the
// error that sets the exit status.
func RegressionLines(runs []summary.Summary) []string {
	var out []string
	for _, s := range runs {
		var parts []string
		for _, mc := range s.Baseline.Regressions() {
			parts = append(parts, CheckText(mc))
		}
		if len(parts) > 0 {
			out = append(out, fmt.Sprintf("%s/%s against %s: %s", s.Scenario, s.RunName(), s.Baseline.Against, strings.Join(parts, "; ")))
		}
	}
	return out
}

// CheckText says what a metric did, for error lines and JUnit:
// "p99 latency 4.8 ms, baseline 3.2 ms (+50%), limit 5.2 ms (floor)".
func CheckText(mc summary.MetricCheck) string {
	m, err := metric.Named(mc.Metric)
	if err != nil {
		m = metric.Metric{Name: mc.Metric, Label: mc.Metric, Prec: 3}
	}
	return fmt.Sprintf("%s %s, baseline %s (%s), limit %s (%s)", m.Label, m.Format(mc.Now), baselineText(m, mc),
		changeText(mc), m.Format(mc.Limit), mc.LimitBy)
}

func baselineText(m metric.Metric, mc summary.MetricCheck) string {
	if mc.BaselineMin == mc.BaselineMax {
		return m.Format(mc.Baseline)
	}
	return fmt.Sprintf("%s, %s–%s", m.Format(mc.Baseline), metric.Num(mc.BaselineMin, m.Prec), metric.Num(mc.BaselineMax, m.Prec))
}

// changeText is the change from the baseline's median, in percent; from
// zero only the absolute change means anything.
func changeText(mc summary.MetricCheck) string {
	d := mc.Now - mc.Baseline
	if mc.Baseline == 0 {
		if d == 0 {
			return "±0"
		}
		return fmt.Sprintf("%+.3g from 0", d)
	}
	return fmt.Sprintf("%+.0f%%", 100*d/mc.Baseline)
}
