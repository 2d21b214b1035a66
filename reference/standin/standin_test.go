package standin_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/gate"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/reference/standin"
	"github.com/hbharness/hbharness/reference/store"
)

// clock is a manual simulation clock: the test sets the event's instant,
// the stand-ins spend on it.
type clock struct {
	at    time.Time
	spent time.Duration
}

func (c *clock) Now() time.Time        { return c.at.Add(c.spent) }
func (c *clock) Spend(d time.Duration) { c.spent += d }
func (c *clock) event(at time.Time)    { c.at, c.spent = at, 0 }

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func rng() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

// The gate's Redis: one winner per window, timed by Redis's millisecond
// clock; a key is held through its expiry millisecond, as Redis holds it.
func TestRedisGate(t *testing.T) {
	c := &clock{}
	r := standin.NewRedis(c, rng(), standin.Latency{Base: 2 * time.Millisecond})
	ttl := 30 * time.Second
	cases := []struct {
		name string
		at   time.Duration
		won  bool
		left time.Duration
	}{
		{"first caller wins", 0, true, ttl},
		{"inside the window loses, told what is left", 10 * time.Second, false, 20 * time.Second},
		{"at the expiry millisecond still held", 30 * time.Second, false, 0},
		{"a millisecond later wins again", 30*time.Second + time.Millisecond, true, ttl},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The command runs halfway through the round trip: 1 ms in.
			c.event(t0.Add(tc.at - time.Millisecond))
			a, err := r.Acquire(context.Background(), "k", ttl)
			require.NoError(t, err)
			assert.Equal(t, tc.won, a.Won)
			assert.Equal(t, tc.left, a.Left)
			assert.Equal(t, 2*time.Millisecond, c.spent, "the round trip is spent")
			if tc.won {
				assert.WithinDuration(t, t0.Add(tc.at), a.At, 0, "timed by Redis at the command")
				assert.Equal(t, gate.ClockRedis, a.Clock)
			}
		})
	}
	r.Down = true
	_, err := r.Acquire(context.Background(), "k", ttl)
	require.ErrorIs(t, err, standin.ErrRedisDown)
}

func TestBrokerIsFIFOAndWakes(t *testing.T) {
	c := &clock{at: t0}
	b := standin.NewBroker(c, rng(), standin.Latency{Base: time.Millisecond})
	woken := 0
	b.Notify = func() { woken++ }
	for _, id := range []string{"a", "b", "c"} {
		require.NoError(t, b.Enqueue(context.Background(), broker.Message{Type: broker.TypeHeartbeat, Heartbeat: &heartbeat.Task{DispatchID: id}}))
	}
	assert.Equal(t, 3, woken)
	pending, err := b.Pending(context.Background())
	require.NoError(t, err)
	assert.Len(t, pending, 3)
	for _, want := range []string{"a", "b", "c"} {
		m, ok := b.Next()
		require.True(t, ok)
		assert.Equal(t, want, m.Heartbeat.DispatchID)
	}
	_, ok := b.Next()
	assert.False(t, ok)
	require.ErrorContains(t, b.Consume(context.Background(), "x", nil), "does not consume")
}

func keys() []contract.Key {
	return []contract.Key{
		{PipelineID: 1, ProjectID: 1, Slug: "default", Services: []int64{1, 2}},
		{PipelineID: 2, ProjectID: 1, Slug: "pipeline-2", Services: []int64{3}},
	}
}

func read(d *standin.DB, at time.Time) map[int64]standin.Row {
	out := map[int64]standin.Row{}
	d.Read(at, func(r standin.Row) { out[r.ID] = r })
	return out
}

// Row locks queue statements: a write to a row another statement holds
// starts when that one commits, and a read before a commit sees the old value.
func TestDBLocksAndCommits(t *testing.T) {
	c := &clock{}
	d := standin.NewDB(c, rng(), standin.Latency{Base: 100 * time.Millisecond}, keys())
	ctx := context.Background()
	job := heartbeat.JobTarget(1, 1)

	c.event(t0)
	n, err := d.MarkSeen(ctx, job, t0, store.Tag{DispatchID: "d1", Key: job.GateKey()})
	require.NoError(t, err)
	assert.EqualValues(t, 2, n)
	assert.Equal(t, 100*time.Millisecond, c.spent)

	c.event(t0.Add(50 * time.Millisecond))
	_, err = d.MarkServiceSeen(ctx, 2, t0.Add(50*time.Millisecond), store.Tag{DispatchID: "d2"})
	require.NoError(t, err)
	assert.Equal(t, 150*time.Millisecond, c.spent, "waited 50 ms for d1's lock, then its own 100 ms")

	require.Len(t, d.Writes, 2)
	assert.Equal(t, t0.Add(100*time.Millisecond), d.Writes[0].At)
	assert.Equal(t, t0.Add(200*time.Millisecond), d.Writes[1].At)
	assert.Equal(t, []int64{1, 2}, d.Writes[0].Services)

	cases := []struct {
		at       time.Duration
		seen     bool
		lastSeen time.Duration // of service 2
	}{
		{at: 99 * time.Millisecond, seen: false},
		{at: 100 * time.Millisecond, seen: true, lastSeen: 0},
		{at: 199 * time.Millisecond, seen: true, lastSeen: 0},
		{at: 200 * time.Millisecond, seen: true, lastSeen: 50 * time.Millisecond},
	}
	for _, tc := range cases {
		r := read(d, t0.Add(tc.at))[2]
		assert.Equal(t, tc.seen, r.Seen, "at %v", tc.at)
		if tc.seen {
			assert.Equal(t, t0.Add(tc.lastSeen), r.LastSeen, "at %v", tc.at)
			assert.True(t, r.Live)
		}
	}
	assert.False(t, read(d, t0.Add(time.Hour))[3].Seen, "another key's service is untouched")
}

func TestDBConditionalWrites(t *testing.T) {
	c := &clock{}
	d := standin.NewDB(c, rng(), standin.Latency{Base: 10 * time.Millisecond}, keys())
	ctx := context.Background()
	job := heartbeat.JobTarget(1, 1)
	window := 30 * time.Second

	c.event(t0)
	_, err := d.MarkSeen(ctx, job, t0, store.Tag{})
	require.NoError(t, err)

	c.event(t0.Add(5 * time.Millisecond))
	n, err := d.MarkStaleSkipLocked(ctx, job, t0.Add(5*time.Millisecond), window, store.Tag{})
	require.NoError(t, err)
	assert.Zero(t, n, "rows being written are skipped")

	c.event(t0.Add(10 * time.Second))
	n, err = d.MarkSeenIfStale(ctx, job, t0.Add(10*time.Second), window, store.Tag{})
	require.NoError(t, err)
	assert.Zero(t, n, "fresh within the window: no write")

	c.event(t0.Add(40 * time.Second))
	n, err = d.MarkStaleSkipLocked(ctx, job, t0.Add(40*time.Second), window, store.Tag{})
	require.NoError(t, err)
	assert.EqualValues(t, 2, n, "stale past the window")

	c.event(t0.Add(3 * time.Minute))
	ids, err := d.MarkStaleOffline(ctx, t0.Add(2*time.Minute))
	require.NoError(t, err)
	assert.Equal(t, []int64{1, 2}, ids, "seen before the cutoff and live; never-seen 3 is left alone")
	after := read(d, t0.Add(time.Hour))
	assert.False(t, after[1].Live)
	assert.False(t, after[3].Seen)

	d.Down = true
	_, err = d.MarkSeen(ctx, job, t0, store.Tag{})
	require.ErrorIs(t, err, standin.ErrDBDown)
}

func TestLatencyDraws(t *testing.T) {
	r := rng()
	fixed := standin.Latency{Base: time.Millisecond}
	assert.Equal(t, time.Millisecond, fixed.Draw(r))
	tail := standin.Latency{Base: time.Millisecond, Tail: time.Millisecond}
	var sum time.Duration
	for range 10000 {
		d := tail.Draw(r)
		require.GreaterOrEqual(t, d, time.Millisecond)
		sum += d
	}
	assert.InDelta(t, 2.0, float64(sum)/10000/float64(time.Millisecond), 0.1, "mean base + tail")
	require.Error(t, standin.Latency{Base: -1}.Validate())
}
