package reports

import "github.com/hbharness/hbharness/summary"

// The one colour rule of every page and chart (docs/reports.md#colours):
// red is a violation nobody expected, amber one the scenario declares (an
// expected failure, which passes), grey what no verdict judged (a drain, a
// service nobody polled); data series and fault bands use none of the three,
// so a colour never says more than the verdict did.
const (
	paintBad      = "bad"      // red
	paintExpected = "expected" // amber
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

// failed reports whether the run's verdict on invariant failed, expected
// or not.
func failed(s summary.Summary, invariant string) bool {
	for _, v := range s.Invariants {
		if v.Name == invariant && v.Outcome == summary.Fail {
			return true
		}
	}
	return false
}

// paintWord names a paint in a caption.
func paintWord(paint string) string {
	if paint == paintExpected {
		return "Amber (a failure the scenario expects)"
	}
	return "Red"
}
