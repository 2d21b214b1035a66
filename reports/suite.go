package reports

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/hbharness/hbharness/harness/verify"
)

// WriteSuiteTable writes one line per run and a final tally, for a batch of
// runs such as CI's matrix of scenarios.
func WriteSuiteTable(w io.Writer, runs []Summary) error {
	ew := &errWriter{w: w}
	writeJudgedTarget(ew, runs)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tSTRATEGY\tVERDICT\tDISPATCHES\tMAX STALENESS\tP99\tOUT")
	passed, unusable, skipped := 0, 0, 0
	for _, s := range runs {
		switch {
		case s.Skipped != "":
			skipped++
			fmt.Fprintf(tw, "%s\t%s\t%s\t—\t—\t—\t—\n", s.Scenario, s.runName(), verdictWord(s))
			continue
		case s.LoadGenerator.Saturated || s.Unusable != "":
			unusable++
		case s.Passed:
			passed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s s\t%s ms\t%s\n", s.Scenario, s.runName(), suiteVerdict(s),
			s.DispatchesTotal, num(s.MaxStalenessS, 2), num(s.Requests.P99MS, 2), orDash(s.OutDir))
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
func suiteVerdict(s Summary) string {
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

// WriteComparison writes one scenario run under several strategies side by
// side: one column per run, one row per invariant and per headline number.
func WriteComparison(w io.Writer, runs []Summary) error {
	cols, err := comparisonColumns(runs)
	if err != nil {
		return err
	}
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "%s · time scale %s · model %s\n\n", runs[0].Scenario, num(runs[0].TimeScale, 4), modelDuration(runs[0].ModelDurationS))
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	for _, row := range comparisonRows(runs, cols) {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write comparison table: %w", err)
	}
	fmt.Fprintln(ew, "\n✓ outcome matched the scenario's expectation · ✗ it did not")
	return ew.err
}

// comparisonColumns checks that the runs compare like with like and names
// each column by its strategy, numbering repeats.
func comparisonColumns(runs []Summary) ([]string, error) {
	if len(runs) == 0 {
		return nil, errors.New("compare: no runs to compare; pass at least one strategy")
	}
	cols := make([]string, len(runs))
	seen := make(map[string]int)
	for i, s := range runs {
		if s.Scenario != runs[0].Scenario {
			return nil, fmt.Errorf("compare: runs are of different scenarios (%q and %q); compare one scenario across strategies", runs[0].Scenario, s.Scenario)
		}
		name := s.runName()
		seen[name]++
		cols[i] = name
		if seen[name] > 1 {
			cols[i] = fmt.Sprintf("%s (%d)", name, seen[name])
		}
	}
	return cols, nil
}

// comparisonRows builds the comparison as text cells, header row first. The
// HTML comparison renders the same rows.
func comparisonRows(runs []Summary, cols []string) [][]string {
	rows := [][]string{append([]string{""}, cols...)}
	add := func(label string, cell func(Summary) string) {
		row := []string{label}
		for _, s := range runs {
			row = append(row, cell(s))
		}
		rows = append(rows, row)
	}
	add("verdict", verdictWord)
	for _, name := range invariantNames(runs) {
		add(name, func(s Summary) string {
			i := slices.IndexFunc(s.Invariants, func(v verify.Verdict) bool { return v.Name == name })
			if i < 0 {
				return "—"
			}
			v := s.Invariants[i]
			return string(v.Outcome) + " " + mark(v)
		})
	}
	add("dispatches_total", func(s Summary) string { return fmt.Sprint(s.DispatchesTotal) })
	add("db_writes_total", func(s Summary) string { return fmt.Sprint(s.DBWritesTotal) })
	add("max_staleness_s", func(s Summary) string { return num(s.MaxStalenessS, 2) })
	add("requests rps (model)", func(s Summary) string { return num(s.Requests.RPSModel, 1) })
	add("p50 ms", func(s Summary) string { return num(s.Requests.P50MS, 2) })
	add("p99 ms", func(s Summary) string { return num(s.Requests.P99MS, 2) })
	return rows
}

// invariantNames lists the fixed invariants in report order, then any other
// name a run carries, so that nothing a run judged is hidden.
func invariantNames(runs []Summary) []string {
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

// runName is the strategy, with the run's label when it has one.
func (s Summary) runName() string {
	if s.Label != "" {
		return s.Strategy + " [" + s.Label + "]"
	}
	return s.Strategy
}
