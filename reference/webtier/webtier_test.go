package webtier

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/modeltime"
)

func TestGILBooksTheFirstFreeProcess(t *testing.T) {
	const cpu = 40 * time.Millisecond
	tests := []struct {
		processes, requests int
		// waits are in units of cpu, sorted: the k-th request of a process
		// waits k-1 bookings.
		waits []int
	}{
		{1, 3, []int{0, 1, 2}},
		{2, 4, []int{0, 0, 1, 1}},
		{4, 3, []int{0, 0, 0}},
	}
	for _, tc := range tests {
		t.Run("", func(t *testing.T) {
			g := NewGIL(tc.processes, cpu)
			waits := make([]time.Duration, tc.requests)
			var wg sync.WaitGroup
			for i := range tc.requests {
				wg.Go(func() {
					w, err := g.Run(context.Background())
					require.NoError(t, err)
					waits[i] = w
				})
			}
			wg.Wait()
			slices.Sort(waits)
			for i, want := range tc.waits {
				// Booked on a virtual clock: exact up to the instants the
				// goroutines arrived, which a busy machine can spread.
				require.InDelta(t, float64(time.Duration(want)*cpu), float64(waits[i]), float64(cpu/2), "wait %d of %v", i, waits)
			}
		})
	}
}

func TestNoCPUCostsNothing(t *testing.T) {
	for _, g := range []*GIL{nil, NewGIL(0, time.Second), NewGIL(4, 0)} {
		start := time.Now()
		w, err := g.Run(context.Background())
		require.NoError(t, err)
		require.Zero(t, w)
		require.Less(t, time.Since(start), 100*time.Millisecond)
	}
}

func TestConnectionsRefusePastTheLimit(t *testing.T) {
	c := NewConnections(2)
	r1, err := c.Take()
	require.NoError(t, err)
	_, err = c.Take()
	require.NoError(t, err)
	_, err = c.Take()
	require.True(t, errors.Is(err, ErrNoConnection))
	require.Equal(t, int64(2), c.Held(), "a refused one is not held")
	r1()
	r1() // idempotent
	require.Equal(t, int64(1), c.Held())
	_, err = NewConnections(0).Take()
	require.NoError(t, err, "0 is no limit")
}

func TestSlotsQueueAndGiveUpWithTheClient(t *testing.T) {
	s := NewSlots(1)
	leave, _, err := s.Enter(context.Background())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	deadline, _ := ctx.Deadline()
	begun := time.Now()
	_, waited, err := s.Enter(ctx)
	returned := time.Now()
	require.Error(t, err, "the only slot is taken")
	// It queued until the client gave up, and says how long it queued: its
	// own span of the call (the deadline was set before the call began, a
	// few ms earlier on a starved machine).
	require.False(t, returned.Before(deadline), "Enter returned before the client gave up")
	require.Positive(t, waited)
	require.LessOrEqual(t, waited, returned.Sub(begun))
	leave()
	_, _, err = s.Enter(context.Background())
	require.NoError(t, err)
	unbounded := NewSlots(0)
	for range 100 {
		_, _, err := unbounded.Enter(context.Background())
		require.NoError(t, err)
	}
}

func TestAtScale(t *testing.T) {
	tests := []struct {
		limit int
		scale modeltime.Scale
		want  int
	}{
		{97, modeltime.Real, 97},
		{97, 0.1, 970},
		{80, 0.03, 2667},
		{0, 0.1, 0},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, AtScale(tc.limit, tc.scale), "%d at %v", tc.limit, tc.scale)
	}
}
