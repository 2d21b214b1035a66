package faults

import (
	"testing"
	"time"
	_ "time/tzdata" // zone: names must resolve whatever the host carries

	"github.com/stretchr/testify/require"
)

func TestClockSkew(t *testing.T) {
	c := &ClockSkew{}
	require.ErrorContains(t, c.Check("clock-skew"), "offset: is required for clock-skew")
	require.ErrorContains(t, c.Set("offset", "0s"), "is zero")
	require.NoError(t, c.Set("offset", "-45s"))
	require.Equal(t, Duration(-45*time.Second), c.Offset)
	require.ErrorContains(t, c.Set("zone", "Europe/Paris"), "give one")
	require.NoError(t, c.Check("clock-skew"))
	require.Equal(t, "offset -45s", c.String())
}

// A worker writing UTC into a naive-local column is a clock off by the
// zone's UTC offset, the other way.
func TestClockSkewZoneIsAnOffset(t *testing.T) {
	for _, zone := range []string{"Europe/Paris", "America/Toronto", "Asia/Kolkata"} {
		t.Run(zone, func(t *testing.T) {
			c := &ClockSkew{}
			require.NoError(t, c.Set("zone", zone))
			loc, err := time.LoadLocation(zone)
			require.NoError(t, err)
			_, east := time.Now().In(loc).Zone()
			require.Equal(t, Duration(-time.Duration(east)*time.Second), c.Offset)
			require.Contains(t, c.String(), zone)
		})
	}
	for _, tc := range []struct{ zone, msg string }{{"Mars/Olympus", "not a time zone"}, {"UTC", "no mismatch"}, {"", "IANA"}} {
		require.ErrorContains(t, (&ClockSkew{}).Set("zone", tc.zone), tc.msg)
	}
}
