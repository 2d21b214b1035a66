package reports

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/hbharness/hbharness/summary"
)

// writeJudgedTarget heads a suite table with the deployment it judged, so
// that a pasted table cannot be mistaken for an in-process run. The
// in-process reference needs no heading.
func writeJudgedTarget(w io.Writer, runs []summary.Summary) {
	var targets []string
	for _, s := range runs {
		if t := targetName(s); t != "in-process" && !slices.Contains(targets, t) {
			targets = append(targets, t)
		}
	}
	if len(targets) > 0 {
		fmt.Fprintf(w, "target: %s (external deployment)\n", strings.Join(targets, ", "))
	}
}

// writeSkipped says, under the table, why each skipped run was left out.
func writeSkipped(w io.Writer, runs []summary.Summary) {
	for _, s := range runs {
		if s.Skipped != "" {
			fmt.Fprintf(w, "skipped %s/%s: %s\n", s.Scenario, s.RunName(), s.Skipped)
		}
	}
}
