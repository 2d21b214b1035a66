package faults

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSlow(t *testing.T) {
	s := &Slow{}
	require.ErrorContains(t, s.Check("redis-slow"), "is required for redis-slow")
	require.ErrorContains(t, s.Set("latency", "0s"), "more than zero")
	require.ErrorContains(t, s.Set("latency", "fast"), "not a duration")
	require.ErrorContains(t, s.Set("offset", "1s"), "not a parameter")
	require.NoError(t, s.Set("latency", "200ms"))
	require.NoError(t, s.Check("redis-slow"))
	require.Equal(t, Duration(200*time.Millisecond), s.Latency)
	require.Equal(t, "latency 200ms", s.String())
}
