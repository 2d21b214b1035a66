package clock

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestScaleConversions(t *testing.T) {
	tests := []struct {
		name  string
		scale Scale
		model time.Duration
		wall  time.Duration
	}{
		{"twentieth", 0.05, 10 * time.Minute, 30 * time.Second},
		{"identity", 1, 5 * time.Second, 5 * time.Second},
		{"slowed down", 2, time.Second, 2 * time.Second},
		{"hundredth", 0.01, 30 * time.Second, 300 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.wall, tc.scale.Wall(tc.model))
			require.Equal(t, tc.model, tc.scale.Model(tc.wall))
		})
	}
}

func TestRunRoundTrip(t *testing.T) {
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	r := Run{Start: start, Scale: 0.05}
	at := r.At(2 * time.Minute)
	require.Equal(t, start.Add(6*time.Second), at)
	require.Equal(t, 2*time.Minute, r.Since(at))
	require.Equal(t, -20*time.Second, r.Since(start.Add(-time.Second)))
}

func TestScaleValidate(t *testing.T) {
	for _, bad := range []Scale{0, -1, Scale(math.NaN()), Scale(math.Inf(1))} {
		require.Error(t, bad.Validate(), "scale %v", float64(bad))
	}
	require.NoError(t, Scale(0.05).Validate())
}
