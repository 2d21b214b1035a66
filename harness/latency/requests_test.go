package latency

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRequestRecorderClassifiesOutcomes(t *testing.T) {
	var r RequestRecorder
	r.Observe(200, 10*time.Millisecond)
	r.Observe(201, 30*time.Millisecond)
	r.Observe(401, time.Millisecond)
	r.Observe(503, 2*time.Millisecond)
	r.Observe(302, 3*time.Millisecond)
	r.Observe(101, 3*time.Millisecond)
	r.Observe(200, 3*time.Millisecond)
	r.Malformed() // that 200's body was not the protocol's
	r.Failed()

	s := r.Stats()
	require.Equal(t, RequestStats{
		Total: 8, OK: 2, Status3xx: 1, Status4xx: 1, Status5xx: 1, Malformed: 1, Other: 1, Transport: 1,
		Min: time.Millisecond, Mean: (10 + 30 + 1 + 2 + 3 + 3 + 3) * time.Millisecond / 7,
		P50: s.P50, P99: s.P99, Max: 30 * time.Millisecond,
	}, s)
	require.InEpsilon(t, float64(3*time.Millisecond), float64(s.P50), 0.01)
	require.Equal(t, 30*time.Millisecond, s.P99, "p99 of seven answers is the largest")
	require.Equal(t, uint64(6), s.Errors())

	var sum RequestRecorder
	sum.Merge(&r)
	sum.Merge(&r)
	require.Equal(t, uint64(16), sum.Stats().Total)
	require.Equal(t, uint64(2), sum.Stats().Malformed)
	require.Equal(t, uint64(2), sum.Stats().Transport)
}

func TestLagRecorderCountsLateAndDropped(t *testing.T) {
	l := NewLagRecorder(25 * time.Millisecond)
	require.False(t, l.Sent(time.Millisecond))
	require.False(t, l.Sent(25*time.Millisecond), "exactly at tolerance is on time")
	require.True(t, l.Sent(26*time.Millisecond))
	l.Dropped(2)
	l.Dropped(0)
	s := l.Stats()
	require.Equal(t, uint64(3), s.Sends)
	require.Equal(t, uint64(1), s.Late)
	require.Equal(t, uint64(2), s.Dropped)
	require.Equal(t, uint64(5), s.Scheduled())
	require.Equal(t, uint64(3), s.Missed())
	require.Equal(t, 26*time.Millisecond, s.Max)
	require.Equal(t, 25*time.Millisecond, s.Tolerance)
}
