package metric

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/summary"
)

// Writes per key per window: a key polled once (a list between rounds of
// work) may open one window, so its write is not an excess over the job
// key's windows. The CI rerun of steady read 1.167 without it, a false
// regression.
func TestPerKeyPerWindowCountsALonePoll(t *testing.T) {
	cases := []struct {
		name   string
		keys   []summary.KeyStats
		writes int
		want   float64
	}{
		{"one key, one write a window", []summary.KeyStats{{Key: "job", ExpectedMax: 13}}, 12, 1},
		{"a lone list beside it opens one window", []summary.KeyStats{{Key: "job", ExpectedMax: 13}, {Key: "list", ExpectedMax: 1}}, 13, 1},
		{"a key never expected to dispatch adds none", []summary.KeyStats{{Key: "job", ExpectedMax: 13}, {Key: "idle", ExpectedMax: 0}}, 12, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := perKeyPerWindow(summary.Summary{Keys: tc.keys, ThrottleS: 30, ModelDurationS: 360}, tc.writes)
			require.True(t, ok)
			require.InDelta(t, tc.want, got, 1e-9)
		})
	}
}
