package reports

import (
	"bytes"
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
// runs such as CI's matrix of scenarios. colour paints the verdicts (for a
// terminal; never for a file or a pipe).
func WriteSuiteTable(w io.Writer, runs []summary.Summary, colour bool) error {
	ew := &errWriter{w: w}
	writeJudgedTarget(ew, runs)
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tSTRATEGY\tVERDICT\tDISPATCHES\tMAX STALENESS\tP99\tOUT")
	verdicts := make([]string, len(runs))
	for i, s := range runs {
		verdicts[i] = suiteVerdict(s)
		if s.Skipped != "" {
			fmt.Fprintf(tw, "%s\t%s\t%s\t—\t—\t—\t—\n", s.Scenario, s.RunName(), verdicts[i])
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s s\t%s ms\t%s\n", s.Scenario, s.RunName(), verdicts[i],
			s.DispatchesTotal, metric.Num(s.MaxStalenessS, 2), metric.Num(s.Requests.P99MS, 2), orDash(s.OutDir))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write suite table: %w", err)
	}
	lines := strings.SplitAfter(table.String(), "\n")
	for i, l := range lines {
		if colour && i >= 1 && i <= len(runs) {
			// Painted after the columns are laid out: tabwriter would count
			// the escape codes as width.
			l = strings.Replace(l, verdicts[i-1], colourVerdict(verdicts[i-1]), 1)
		}
		fmt.Fprint(ew, l)
	}
	writeSkipped(ew, runs)
	fmt.Fprintln(ew, suiteTally(runs))
	return ew.err
}

// suiteTally counts a suite's runs by verdict: "17 passed (8 with expected
// failures), 2 failed, 1 unusable (...)", for the table and the index page.
func suiteTally(runs []summary.Summary) string {
	passed, unusable, skipped := 0, 0, 0
	for _, s := range runs {
		switch {
		case s.Skipped != "":
			skipped++
		case s.LoadGenerator.Saturated || s.Unusable != "":
			unusable++
		case s.Passed:
			passed++
		}
	}
	out := fmt.Sprintf("%d passed", passed)
	if n := expectedFailRuns(runs); n > 0 {
		out += fmt.Sprintf(" (%d with expected failures)", n)
	}
	out += fmt.Sprintf(", %d failed", len(runs)-passed-unusable-skipped)
	if unusable > 0 {
		out += fmt.Sprintf(", %d unusable (load generator saturated, nothing answered, or time scale refused)", unusable)
	}
	if skipped > 0 {
		out += fmt.Sprintf(", %d skipped", skipped)
	}
	return out
}

// expectedFailLead opens the verdict of a run that passed by failing as
// its scenario declared.
const expectedFailLead = "expected fail: "

// suiteVerdict names the failed invariants so that a suite line says why,
// and a pass that holds expected failures says which: "PASS (expected
// fail: last_seen_never_stale)" must not read as a healthy run.
func suiteVerdict(s summary.Summary) string {
	word := verdictWord(s)
	if s.LoadGenerator.Saturated || s.Unusable != "" || s.Skipped != "" {
		return word
	}
	if word == "PASS" {
		if ef := expectedFailures(s); len(ef) > 0 {
			return word + " (" + expectedFailLead + strings.Join(ef, ", ") + ")"
		}
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

// expectedFailures names the verdicts that failed as the scenario declared.
func expectedFailures(s summary.Summary) []string {
	var out []string
	for _, v := range s.Invariants {
		if expectedFailure(v) {
			out = append(out, v.Name)
		}
	}
	return out
}

// expectedFailRuns counts the passing runs whose pass holds an expected failure.
func expectedFailRuns(runs []summary.Summary) int {
	n := 0
	for _, s := range runs {
		if verdictWord(s) == "PASS" && len(expectedFailures(s)) > 0 {
			n++
		}
	}
	return n
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
