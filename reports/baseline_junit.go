package reports

import (
	"fmt"
	"strings"

	"github.com/hbharness/hbharness/summary"
)

// baselineCase is the "baseline" test case of a run held against one
// (--baseline): a failure naming each metric that regressed, with its
// baseline, its value now, the change and the limit; skipped when the
// baseline held no run of the scenario. A run not held against any has no
// such case.
func baselineCase(s summary.Summary, class string) (junitCase, bool) {
	c := s.Baseline
	if c == nil {
		return junitCase{}, false
	}
	tc := junitCase{Name: "baseline", ClassName: class, Time: "0"}
	if c.Runs == 0 {
		tc.Skipped = &junitSkipped{Message: strings.Join(c.Notes, "; ")}
		return tc, true
	}
	regs := c.Regressions()
	if len(regs) == 0 {
		return tc, true
	}
	var names, lines []string
	for _, mc := range regs {
		names = append(names, mc.Metric)
		lines = append(lines, CheckText(mc))
	}
	lines = append(lines, "", fmt.Sprintf("baseline: %s (%d run(s) of %s) · max regression %s", c.Source, c.Runs, c.Against, c.Limits))
	lines = append(lines, c.Notes...)
	tc.Failure = &junitFailure{
		Message: fmt.Sprintf("regressed against %s: %s", c.Against, strings.Join(names, ", ")),
		Type:    "regression",
		Body:    strings.Join(lines, "\n"),
	}
	return tc, true
}
