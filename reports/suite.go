package reports

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/reports/metric"
	"github.com/hbharness/hbharness/summary"
)

// WriteSuiteTable writes one line per run and a final tally, for a batch of
// runs such as CI's matrix of scenarios.
func WriteSuiteTable(w io.Writer, runs []summary.Summary) error {
	ew := &errWriter{w: w}
	writeJudgedTarget(ew, runs)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tSTRATEGY\tVERDICT\tDISPATCHES\tMAX STALENESS\tP99\tOUT")
	passed, unusable, skipped := 0, 0, 0
	for _, s := range runs {
		switch {
		case s.Skipped != "":
			skipped++
			fmt.Fprintf(tw, "%s\t%s\t%s\t—\t—\t—\t—\n", s.Scenario, s.RunName(), verdictWord(s))
			continue
		case s.LoadGenerator.Saturated || s.Unusable != "":
			unusable++
		case s.Passed:
			passed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s s\t%s ms\t%s\n", s.Scenario, s.RunName(), suiteVerdict(s),
			s.DispatchesTotal, metric.Num(s.MaxStalenessS, 2), metric.Num(s.Requests.P99MS, 2), orDash(s.OutDir))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write suite table: %w", err)
	}
	writeSkipped(ew, runs)
	fmt.Fprintf(ew, "%d passed, %d failed", passed, len(runs)-passed-unusable-skipped)
	if unusable > 0 {
		fmt.Fprintf(ew, ", %d unusable (load generator saturated, nothing answered, or time scale refused)", unusable)
	}
	if skipped > 0 {
		fmt.Fprintf(ew, ", %d skipped", skipped)
	}
	fmt.Fprintln(ew)
	return ew.err
}

// suiteVerdict names the failed invariants so that a suite line says why.
func suiteVerdict(s summary.Summary) string {
	word := verdictWord(s)
	if s.LoadGenerator.Saturated || s.Unusable != "" {
		return word
	}
	var failed []string
	for _, v := range s.Invariants {
		if !v.Passed {
			failed = append(failed, v.Name)
		}
	}
	if len(failed) == 0 {
		return word
	}
	return word + " (" + strings.Join(failed, ", ") + ")"
}

// invariantNames lists the fixed invariants in report order, then any other
// name a run carries, so that nothing a run judged is hidden.
func invariantNames(runs []summary.Summary) []string {
	names := verify.Names()
	for _, s := range runs {
		for _, v := range s.Invariants {
			if !slices.Contains(names, v.Name) {
				names = append(names, v.Name)
			}
		}
	}
	return names
}
