package verify

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/summary"
)

func TestDecide(t *testing.T) {
	pass := summary.Verdict{Name: RequestsSucceed, Outcome: summary.Pass, Expected: summary.Pass, Passed: true}
	missed := summary.Verdict{Name: AtMostOnePerWindow, Outcome: summary.Fail, Expected: summary.Pass}
	empty := summary.Verdict{Name: LastSeenNeverStale, Outcome: summary.Inconclusive, Expected: summary.Pass,
		Detail: "inconclusive: no service was polled"}
	run := func(strategy string, vs ...summary.Verdict) summary.Summary {
		return summary.Summary{Scenario: "steady", Strategy: strategy, Invariants: vs}
	}
	unusable := run("inline")
	unusable.Unusable = "every request was refused"
	var mismatch *MismatchError
	var nothing *NoFindingError
	cases := []struct {
		name string
		runs []summary.Summary
		as   any
		want string
	}{
		{"all matched", []summary.Summary{run("view-gate", pass)}, nil, ""},
		{"one missed", []summary.Summary{run("view-gate", pass), run("inline", missed, empty)}, &mismatch,
			"verdicts did not match:\n  steady/inline: dispatch_at_most_one_per_window (fail, expected pass)"},
		{"judged nothing", []summary.Summary{run("view-gate", pass, empty)}, &nothing,
			"no evidence for a verdict expected to pass:\n  steady/view-gate: last_seen_never_stale judged nothing (no service was polled)"},
		{"tested nothing outweighs a mismatch", []summary.Summary{run("view-gate", missed), unusable}, &nothing,
			"the run tested nothing about its target:\n  steady/inline: every request was refused"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Decide(tc.runs)
			if tc.as == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorAs(t, err, tc.as)
			require.EqualError(t, err, tc.want)
		})
	}
}
