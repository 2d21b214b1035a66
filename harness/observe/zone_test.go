package observe

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/modeltime"
)

// Antenna's last_seen is naive New York time. Read in that zone, a value
// written ten seconds ago is ten seconds old; read as UTC it would be hours
// stale; and a writer that stores UTC there has a clock hours ahead.
func TestSamplerReadsANaiveLastSeenInItsZone(t *testing.T) {
	ny, err := LoadZone(AntennaTimeZone)
	require.NoError(t, err)
	hoursBehind := func() float64 { // New York behind UTC now: 4 or 5
		_, off := time.Now().In(ny).Zone()
		return float64(-off) / 3600
	}()
	cases := []struct {
		name      string
		column    string // last_seen's type
		written   string // the value stored, 10 s ago on some wall clock
		zone      *time.Location
		staleness float64 // seconds, wall
	}{
		{"naive New York read in New York", "timestamp", "(now() - interval '10 seconds') AT TIME ZONE 'America/New_York'", ny, 10},
		{"naive New York read as UTC", "timestamp", "(now() - interval '10 seconds') AT TIME ZONE 'America/New_York'", nil, 10 + 3600*hoursBehind},
		{"UTC stored in a New York column reads hours ahead", "timestamp", "(now() - interval '10 seconds') AT TIME ZONE 'UTC'", ny, 10 - 3600*hoursBehind},
		{"a time zone in the column needs no zone", "timestamptz", "now() - interval '10 seconds'", ny, 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, keys := seeded(t)
			ctx := context.Background()
			_, err := env.Pool.Exec(ctx, "ALTER TABLE ml_processingservice ALTER COLUMN last_seen TYPE "+tc.column)
			require.NoError(t, err)
			s := &Sampler{Pool: env.Pool, Every: time.Hour, Anchor: modeltime.Run{Start: time.Now(), Scale: 1}, Zone: tc.zone,
				Log: slog.New(slog.DiscardHandler)}
			require.NoError(t, s.Baseline(ctx))
			id := keys[0].Services[0]
			_, err = env.Pool.Exec(ctx, "UPDATE ml_processingservice SET last_seen = "+tc.written+" WHERE id = $1", id)
			require.NoError(t, err)
			s.Sample(ctx)
			var got *float64
			for _, smp := range s.Samples() {
				if smp.ServiceID == id {
					v := smp.Staleness.Seconds()
					got = &v
				}
			}
			require.NotNil(t, got)
			require.InDelta(t, tc.staleness, *got, 2)
			require.Len(t, s.Writes(), 1)
			w := s.Writes()[0]
			if ahead := w.Stamp.Sub(w.At); tc.staleness < 0 {
				require.InDelta(t, -tc.staleness, ahead.Seconds(), 2, "timed by the sample that saw it, the stamp lies ahead by the offset")
			} else {
				require.LessOrEqual(t, ahead, time.Duration(0), "a correct stamp is the write's time")
			}
		})
	}
}
