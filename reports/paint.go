package reports

import (
	"slices"

	"github.com/hbharness/hbharness/summary"
)

// The one colour rule of every page and chart (docs/reports.md#colours):
// red is a violation nobody expected, amber one the scenario declares (an
// expected failure, which passes), grey what no verdict judged (a drain, a
// service nobody polled); data series and fault bands use none of the three,
// so a colour never says more than the verdict did.
const (
	paintBad      = "bad"      // red
	paintExpected = "expected" // amber
	paintUnjudged = "unjudged" // grey
)

// violationPaint is the class a chart or table draws an invariant's
// violations in: amber when the scenario expects that verdict to fail, red
// otherwise (and when the summary has no such verdict, so that a violation
// is never drawn meeker than it is).
func violationPaint(s summary.Summary, invariant string) string {
	for _, v := range s.Invariants {
		if v.Name == invariant && expectedFailure(v) {
			return paintExpected
		}
	}
	return paintBad
}

// faultCaption says what the fault bands are; violet, a colour no verdict
// uses, so that a fault never reads as a failure.
const faultCaption = "Violet bands: injected faults."

// findingPaint is how a chart draws what crosses an invariant's line:
// violationPaint when the run's verdict failed; grey when it held, since
// what crossed then lay where the verdict does not judge (a polled span's
// first offline_after, say) and red would be a false alarm; red when the
// summary has no such verdict at all.
func findingPaint(s summary.Summary, invariant string) string {
	if p := failurePaint(s, invariant); p != "" {
		return p
	}
	switch {
	case slices.ContainsFunc(s.Invariants, func(v summary.Verdict) bool { return v.Name == invariant }):
		return paintUnjudged
	}
	return paintBad
}

// failurePaint is how a row or bar that shows an invariant's violation is
// tinted: violationPaint when the run's verdict on it failed, expected or
// not; "" when it held, for then nothing it judged was wrong.
func failurePaint(s summary.Summary, invariant string) string {
	for _, v := range s.Invariants {
		if v.Name == invariant && v.Outcome == summary.Fail {
			return violationPaint(s, invariant)
		}
	}
	return ""
}

// paintWord names a paint in a caption.
func paintWord(paint string) string {
	switch paint {
	case paintExpected:
		return "Amber (a failure the scenario expects)"
	case paintUnjudged:
		return "Grey (where the verdict does not judge, such as a polled span's first offline_after; it held)"
	}
	return "Red"
}
