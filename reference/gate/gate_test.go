package gate

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/provision/testenv"
	"github.com/hbharness/hbharness/reference/contract"
)

// fakeNow is a settable clock for the local gate.
type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time { return f.t }

func TestLocalGateOneWinnerPerWindow(t *testing.T) {
	clk := &fakeNow{t: time.Unix(1000, 0)}
	g := NewLocal(clk.now)
	ctx := context.Background()
	won := func(key string) bool {
		a, err := g.Acquire(ctx, key, 30*time.Second)
		require.NoError(t, err)
		return a.Won
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
	before := time.Now()
	a, err := g.Acquire(ctx, "heartbeat:pipeline:1:project:1", 200*time.Millisecond)
	require.NoError(t, err)
	require.True(t, a.Won)
	require.Equal(t, ClockRedis, a.Clock)
	require.WithinDuration(t, before, a.At, time.Second, "timed by Redis's clock, the same host's")
	exp := env.Redis.PExpireTime(ctx, env.Prefix+"heartbeat:pipeline:1:project:1").Val()
	require.Equal(t, time.UnixMilli(exp.Milliseconds()), a.At.Add(200*time.Millisecond),
		"the win is the instant Redis counts the window from: the key's expiry less the TTL")
	a, _ = g.Acquire(ctx, "heartbeat:pipeline:1:project:1", 200*time.Millisecond)
	require.False(t, a.Won)
	require.True(t, a.At.IsZero(), "a loss has no time")
	ttl := env.Redis.PTTL(ctx, env.Prefix+"heartbeat:pipeline:1:project:1").Val()
	require.Greater(t, ttl, 100*time.Millisecond, "millisecond TTL (PX), under the run's prefix")
	require.Eventually(t, func() bool {
		a, _ := g.Acquire(ctx, "heartbeat:pipeline:1:project:1", time.Second)
		return a.Won
	}, 2*time.Second, 10*time.Millisecond, "free again after the TTL")
}

type broken struct{}

func (broken) Acquire(context.Context, string, time.Duration) (Answer, error) {
	return Answer{}, errors.New("redis: connection refused")
}

func TestPolicies(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		policy   contract.Policy
		dispatch []bool // two calls in one window while Redis is down
	}{
		{contract.FailClosed, []bool{false, false}},
		{contract.FailOpen, []bool{true, true}},
		{contract.FailOpenLocal, []bool{true, false}},
	} {
		t.Run(string(c.policy), func(t *testing.T) {
			g := Guarded{Inner: broken{}, Policy: c.policy, Fallback: NewLocal(time.Now)}
			for i, want := range c.dispatch {
				d, dispatch, _, err := g.Acquire(ctx, "k", time.Minute)
				require.Error(t, err, "the failure is reported whatever the policy")
				require.Equal(t, Errored, d)
				require.Equal(t, want, dispatch, "call %d", i)
			}
		})
	}
	_, err := contract.ParsePolicy("fail-sideways")
	require.ErrorContains(t, err, "fail-closed, fail-open, fail-open-local")
}

// A loser learns how long the winner's window has left, so a local pre-gate
// can hold exactly that long and ask again the moment Redis would say yes.
func TestRedisLoserLearnsTheRemainingWindow(t *testing.T) {
	env := testenv.New(t)
	g := NewRedis(env.Redis, env.Prefix)
	ctx := context.Background()
	a, err := g.Acquire(ctx, "k", 300*time.Millisecond)
	require.NoError(t, err)
	require.True(t, a.Won)
	require.Equal(t, 300*time.Millisecond, a.Left)
	time.Sleep(100 * time.Millisecond)
	a, err = g.Acquire(ctx, "k", 300*time.Millisecond)
	require.NoError(t, err)
	require.False(t, a.Won)
	require.InDelta(t, 200, a.Left.Milliseconds(), 60, "what is left of the winner's window, not a fresh one")

	local := NewLocal(time.Now)
	local.Hold("k", a.Left)
	require.True(t, local.Held("k"))
	require.Eventually(t, func() bool { return !local.Held("k") }, time.Second, 5*time.Millisecond)
	// PTTL rounds what is left down to a millisecond, and Redis drops a key
	// only once its clock is past the expiry: the local hold may end up to
	// two of Redis's resolution before Redis frees the key (it lost once
	// so beside two CPU hogs).
	time.Sleep(2 * contract.RedisResolution)
	a, err = g.Acquire(ctx, "k", 300*time.Millisecond)
	require.NoError(t, err)
	require.True(t, a.Won, "free in Redis once the local hold ends")
}

// The tolerance the verifier grants a Redis-timed gap, measured: eight
// callers hammer one key with a 20 ms window for a second and a half, and
// no two wins, timed by Redis, are closer than the window less the 1 ms
// with which Redis stores and expires TTLs.
func TestRedisWinsAreAWindowApartOnRedisClock(t *testing.T) {
	env := testenv.New(t)
	g := NewRedis(env.Redis, env.Prefix)
	ctx := context.Background()
	const ttl = 20 * time.Millisecond
	var mu sync.Mutex
	var wins []time.Time
	stop := time.Now().Add(1500 * time.Millisecond)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for time.Now().Before(stop) {
				a, err := g.Acquire(ctx, "hammered", ttl)
				if err == nil && a.Won {
					mu.Lock()
					wins = append(wins, a.At)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	require.Greater(t, len(wins), 40, "about one win per window")
	slices.SortFunc(wins, func(a, b time.Time) int { return a.Compare(b) })
	closest := time.Hour
	for i := 1; i < len(wins); i++ {
		closest = min(closest, wins[i].Sub(wins[i-1]))
	}
	t.Logf("%d wins; closest two %v apart on Redis's clock (window %v)", len(wins), closest, ttl)
	require.GreaterOrEqual(t, closest, ttl-contract.RedisResolution)
}
