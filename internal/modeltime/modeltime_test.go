package modeltime

import (
	"flag"
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
		{"hundredth", 0.01, 30 * time.Second, 300 * time.Millisecond},
		{"rounds to the nanosecond", 0.3, time.Nanosecond, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.wall, tc.scale.Wall(tc.model))
			if tc.wall > 0 {
				require.Equal(t, tc.model, tc.scale.Model(tc.wall))
			}
		})
	}
}

func TestRates(t *testing.T) {
	s := Scale(0.05)
	require.InDelta(t, 2000.0, s.PerWall(100), 1e-9, "100 a model second is 2000 a wall second at 0.05")
	require.InDelta(t, 100.0, s.PerModel(2000), 1e-9)
}

func TestRunRoundTrip(t *testing.T) {
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	r := Run{Start: start, Scale: 0.05}
	at := r.At(2 * time.Minute)
	require.Equal(t, start.Add(6*time.Second), at)
	require.Equal(t, 2*time.Minute, r.Since(at))
	require.Equal(t, -20*time.Second, r.Since(start.Add(-time.Second)))
}

// One rule, wherever a scale comes from: a file, a flag or code.
func TestOneRule(t *testing.T) {
	for _, bad := range []float64{0, -1, 1.5, math.NaN(), math.Inf(1)} {
		_, err := New(bad)
		require.Error(t, err, "scale %v", bad)
		require.Error(t, Scale(bad).Validate(), "scale %v", bad)
	}
	for _, good := range []float64{1e-4, 0.05, 1} {
		s, err := New(good)
		require.NoError(t, err)
		require.NoError(t, s.Validate())
	}
	for _, bad := range []string{"", "fast", "0", "2", "NaN"} {
		_, err := Parse(bad)
		require.Error(t, err, "%q", bad)
	}
}

func TestFlag(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	var f Flag
	fs.Var(&f, "time-scale", "")
	require.False(t, f.IsSet())
	require.Error(t, fs.Parse([]string{"--time-scale", "3"}))
	require.NoError(t, fs.Parse([]string{"--time-scale", "0.2"}))
	require.True(t, f.IsSet())
	require.Equal(t, Scale(0.2), f.Scale)
}

func TestClientTimeoutEndsAfterTheServers(t *testing.T) {
	tests := []struct {
		scale          Scale
		server, client time.Duration // model
	}{
		{0.03, 5 * time.Second, 30 * time.Second},
		{0.02, 4 * time.Second, 30 * time.Second},
		{Real, 5 * time.Second, 30 * time.Second},
	}
	for _, tc := range tests {
		s, c := tc.scale.Timeout(tc.server), tc.scale.ClientTimeout(tc.client)
		if c <= s {
			t.Errorf("at %v a client's %v (%v of wall) ends before the server's %v (%v)", tc.scale, tc.client, c, tc.server, s)
		}
	}
}
