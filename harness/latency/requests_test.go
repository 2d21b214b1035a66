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
	require.False(t, l.Sent(time.Time{}, time.Millisecond))
	require.False(t, l.Sent(time.Time{}, 25*time.Millisecond), "exactly at tolerance is on time")
	require.True(t, l.Sent(time.Time{}, 26*time.Millisecond))
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

// Late sends held up by one stall are one episode; apart, they are several.
func TestLagRecorderCountsStalls(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	cases := []struct {
		name   string
		sends  [][2]int // due (ms after t0), lag (ms)
		stalls uint64
	}{
		{"none late", [][2]int{{0, 1}, {100, 2}}, 0},
		{"four senders in one 40 ms stall", [][2]int{{0, 40}, {5, 35}, {10, 30}, {30, 30}}, 1},
		{"a stall that chains into the next", [][2]int{{0, 40}, {39, 30}, {68, 30}}, 1},
		{"three stalls apart", [][2]int{{0, 40}, {200, 40}, {400, 40}, {405, 40}}, 3},
		{"recorded out of order", [][2]int{{400, 40}, {0, 40}, {200, 40}, {10, 40}}, 3},
		// A generator that cannot keep up is late send after send: one
		// chain of second-long lateness is four stalls' worth, not one.
		{"lateness that never ends", [][2]int{{0, 60}, {50, 60}, {100, 60}, {150, 60}, {200, 60}, {250, 60},
			{300, 60}, {350, 60}, {400, 60}, {450, 60}, {500, 60}, {550, 60}, {600, 60}, {650, 60}, {700, 60},
			{750, 60}, {800, 60}, {850, 60}, {900, 60}, {950, 60}}, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := NewLagRecorder(25 * time.Millisecond)
			for _, s := range tc.sends {
				l.Sent(t0.Add(ms(s[0])), ms(s[1]))
			}
			require.Equal(t, tc.stalls, l.Stats().Stalls)
		})
	}
}
