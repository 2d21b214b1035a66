package reports

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/summary"
)

func TestSuiteLine(t *testing.T) {
	cases := []struct {
		name string
		sum  summary.Summary
		want string
	}{
		{"passed", summary.Summary{Scenario: "steady", Strategy: "view-gate", Passed: true, DispatchesTotal: 12, MaxStalenessS: 31.2,
			Requests: summary.Requests{P99MS: 4.126}, WallDurationS: 11.23},
			"steady · view-gate · PASS · 12 dispatches · max staleness 31.2 s · p99 4.13 ms · 11.2s wall"},
		{"failed names the invariant", summary.Summary{Scenario: "no-gate", Strategy: "none", Label: "fail-open", DispatchesTotal: 900,
			Invariants: []summary.Verdict{{Name: verify.AtMostOnePerWindow, Outcome: summary.Fail, Expected: summary.Pass}}, WallDurationS: 3},
			"no-gate · none [fail-open] · FAIL (dispatch_at_most_one_per_window) · 900 dispatches · max staleness 0 s · p99 0 ms · 3s wall"},
		{"an expected failure is named in the pass", brokerOutage(),
			"broker-outage · view-gate · PASS (expected fail: last_seen_never_stale, never_marked_offline_while_polled) · 48 dispatches · max staleness 95 s · p99 7.5 ms · 31.2s wall"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, SuiteLine(tc.sum, false))
		})
	}
}
