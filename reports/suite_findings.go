package reports

import (
	"fmt"
	"io"

	"github.com/hbharness/hbharness/summary"
)

// WriteSuiteFindings writes, under a suite's table, one line per run that
// did not pass: its headline, naming the invariant, the key or service, the
// model time and the fault in effect, so that a CI log says what failed and
// when without opening each report. It writes nothing when every run passed.
func WriteSuiteFindings(w io.Writer, runs []summary.Summary) error {
	ew := &errWriter{w: w}
	first := true
	for _, s := range runs {
		h := runHeadline(s)
		if h.Class != "fail" && h.Class != "void" {
			continue
		}
		if first {
			fmt.Fprintln(ew, "\nwhat failed, and when:")
			first = false
		}
		line := h.Lead
		if h.Rest != "" {
			line += " · " + h.Rest
		}
		fmt.Fprintf(ew, "  %s/%s: %s\n", s.Scenario, s.RunName(), line)
		if s.OutDir != "" {
			fmt.Fprintf(ew, "    %s/report.html\n", s.OutDir)
		}
	}
	return ew.err
}
