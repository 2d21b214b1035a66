package gate

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/provision/testenv"
)

// fakeNow is a settable clock for the local gate.
type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time { return f.t }

func TestLocalGateOneWinnerPerWindow(t *testing.T) {
	clk := &fakeNow{t: time.Unix(1000, 0)}
	g := NewLocal(clk.now)
	ctx := context.Background()
	won := func(key string) bool {
		ok, err := g.Acquire(ctx, key, 30*time.Second)
		require.NoError(t, err)
		return ok
	}
	require.True(t, won("a"))
	require.False(t, won("a"), "same window")
	require.True(t, won("b"), "keys are independent")
	clk.t = clk.t.Add(29*time.Second + 999*time.Millisecond)
	require.False(t, won("a"), "1 ms before the window ends")
	clk.t = clk.t.Add(time.Millisecond)
	require.True(t, won("a"), "exactly at the end the key is free again")
	clk.t = clk.t.Add(time.Hour)
	require.True(t, won("c"))
	require.Len(t, g.until, 1, "expired keys are swept")
}

func TestRedisGateIsSetNX(t *testing.T) {
	env := testenv.New(t)
	g := NewRedis(env.Redis, env.Prefix)
	ctx := context.Background()
	ok, err := g.Acquire(ctx, "heartbeat:pipeline:1:project:1", 200*time.Millisecond)
	require.NoError(t, err)
	require.True(t, ok)
	ok, _ = g.Acquire(ctx, "heartbeat:pipeline:1:project:1", 200*time.Millisecond)
	require.False(t, ok)
	ttl := env.Redis.PTTL(ctx, env.Prefix+"heartbeat:pipeline:1:project:1").Val()
	require.Greater(t, ttl, 100*time.Millisecond, "millisecond TTL (PX), under the run's prefix")
	require.Eventually(t, func() bool {
		ok, _ := g.Acquire(ctx, "heartbeat:pipeline:1:project:1", time.Second)
		return ok
	}, 2*time.Second, 10*time.Millisecond, "free again after the TTL")
}

type broken struct{}

func (broken) Acquire(context.Context, string, time.Duration) (bool, error) {
	return false, errors.New("redis: connection refused")
}

func TestPolicies(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		policy   Policy
		dispatch []bool // two calls in one window while Redis is down
	}{
		{FailClosed, []bool{false, false}},
		{FailOpen, []bool{true, true}},
		{FailOpenLocal, []bool{true, false}},
	} {
		t.Run(string(c.policy), func(t *testing.T) {
			g := Guarded{Inner: broken{}, Policy: c.policy, Fallback: NewLocal(time.Now)}
			for i, want := range c.dispatch {
				d, dispatch, err := g.Acquire(ctx, "k", time.Minute)
				require.Error(t, err, "the failure is reported whatever the policy")
				require.Equal(t, Errored, d)
				require.Equal(t, want, dispatch, "call %d", i)
			}
		})
	}
	_, err := ParsePolicy("fail-sideways")
	require.ErrorContains(t, err, "fail-closed, fail-open, fail-open-local")
}

// A loser learns how long the winner's window has left, so a local pre-gate
// can hold exactly that long and ask again the moment Redis would say yes.
func TestRedisAcquireTTLReportsTheRemainingWindow(t *testing.T) {
	env := testenv.New(t)
	g := NewRedis(env.Redis, env.Prefix)
	ctx := context.Background()
	won, left, err := g.AcquireTTL(ctx, "k", 300*time.Millisecond)
	require.NoError(t, err)
	require.True(t, won)
	require.Equal(t, 300*time.Millisecond, left)
	time.Sleep(100 * time.Millisecond)
	won, left, err = g.AcquireTTL(ctx, "k", 300*time.Millisecond)
	require.NoError(t, err)
	require.False(t, won)
	require.InDelta(t, 200, left.Milliseconds(), 60, "what is left of the winner's window, not a fresh one")

	local := NewLocal(time.Now)
	local.Hold("k", left)
	require.True(t, local.Held("k"))
	require.Eventually(t, func() bool { return !local.Held("k") }, time.Second, 5*time.Millisecond)
	won, _, err = g.AcquireTTL(ctx, "k", 300*time.Millisecond)
	require.NoError(t, err)
	require.True(t, won, "free in Redis once the local hold ends")
}
