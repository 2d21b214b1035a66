package runner

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/history"
)

// Writes milliseconds apart under a 30 s window mean a wrong --time-scale
// for a throttled strategy, and nothing at all for one with no throttle.
func TestScaleNote(t *testing.T) {
	h := &history.History{Throttle: 30 * time.Second, TimeScale: 0.05}
	for i := range 10 {
		h.Writes = append(h.Writes, history.Write{Key: "k", At: time.Duration(i) * 5 * time.Millisecond})
	}
	cases := []struct {
		strategy string
		warns    bool
	}{
		{"view-gate", true},
		{"task-throttle", true},
		{"per-service", true},
		{"inline", false},
		{"none", false},
	}
	for _, tc := range cases {
		t.Run(tc.strategy, func(t *testing.T) {
			got := scaleNote(tc.strategy, h)
			if tc.warns {
				require.Contains(t, got, "is --time-scale right?")
			} else {
				require.Empty(t, got)
			}
		})
	}
	h.Writes = nil
	for i := range 10 {
		h.Writes = append(h.Writes, history.Write{Key: "k", At: time.Duration(i) * 30 * time.Second})
	}
	require.Empty(t, scaleNote("view-gate", h), "writes a window apart are what the scale says")
}
