package reports

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/summary"
)

// What crosses an invariant's line is red only when the verdict found it
// and nobody expected it; amber when the scenario expects it; grey when
// the verdict held (it lay where the verdict does not judge), so that a
// chart never raises an alarm its verdict did not.
func TestFindingPaint(t *testing.T) {
	stale := func(outcome, expected summary.Outcome) []summary.Verdict {
		return []summary.Verdict{{Name: verify.LastSeenNeverStale, Outcome: outcome, Expected: expected, Passed: outcome == expected || expected == summary.Either}}
	}
	tests := []struct {
		name       string
		verdicts   []summary.Verdict
		finding    string
		violation  string
		captionHas string
	}{
		{"a finding", stale(summary.Fail, summary.Pass), paintBad, paintBad, "Red"},
		{"an expected failure", stale(summary.Fail, summary.Fail), paintExpected, paintExpected, "Amber"},
		{"failed where either was expected", stale(summary.Fail, summary.Either), paintExpected, paintExpected, "Amber"},
		{"held: what crossed was not judged", stale(summary.Pass, summary.Pass), paintUnjudged, paintBad, "Grey"},
		{"no such verdict: never meeker than it may be", nil, paintBad, paintBad, "Red"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := summary.Summary{Invariants: tt.verdicts}
			assert.Equal(t, tt.finding, findingPaint(s, verify.LastSeenNeverStale))
			assert.Equal(t, tt.violation, violationPaint(s, verify.LastSeenNeverStale))
			assert.Contains(t, paintWord(tt.finding), tt.captionHas)
		})
	}
}
