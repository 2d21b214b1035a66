package fault

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/modeltime"
)

// transition is a proxy switching toxic, as seen by watch.
type transition struct {
	at    time.Time
	toxic string
}

// watch records every toxic change on p until the test's Schedule returns
// and stop is called.
func watch(p *Proxy) (stop func() []transition) {
	var (
		seen []transition
		last string
		wg   sync.WaitGroup
	)
	sample := func() {
		if name := describe(p.cur.Load().toxic); name != last {
			seen = append(seen, transition{at: time.Now(), toxic: name})
			last = name
		}
	}
	sample() // before the schedule can switch anything
	quit := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-quit:
				sample() // the switch Schedule made just before returning
				return
			case <-time.After(time.Millisecond):
				sample()
			}
		}
	})
	return func() []transition {
		close(quit)
		wg.Wait()
		return seen
	}
}

func assertNear(t *testing.T, want, got time.Time, what string) {
	t.Helper()
	assert.InDelta(t, 0, got.Sub(want).Seconds(), 0.020, "%s: off by %v", what, got.Sub(want))
}

func TestScheduleAppliesAndLiftsOnTime(t *testing.T) {
	redis := startProxy(t, startEcho(t))
	db := startProxy(t, startEcho(t))
	stopRedis, stopDB := watch(redis), watch(db)

	start := time.Now().Add(20 * time.Millisecond)
	faults := []Fault{
		{Kind: RedisDown, At: 10 * time.Second, For: 20 * time.Second},
		{Kind: DBSlow, At: 5 * time.Second, For: 10 * time.Second, Latency: 4 * time.Second},
	}
	applied, err := Schedule(ctxTimeout(t, 5*time.Second), faults, Targets{Redis: redis, DB: db}, modeltime.Run{Start: start, Scale: 0.01}, quietLog())
	require.NoError(t, err)
	returned := time.Now()
	redisSeen, dbSeen := stopRedis(), stopDB()

	require.Len(t, redisSeen, 3, "pass-through, down, pass-through: %v", redisSeen)
	assert.Equal(t, []string{"pass-through", "down", "pass-through"}, []string{redisSeen[0].toxic, redisSeen[1].toxic, redisSeen[2].toxic})
	assertNear(t, start.Add(100*time.Millisecond), redisSeen[1].at, "redis-down applied")
	assertNear(t, start.Add(300*time.Millisecond), redisSeen[2].at, "redis-down lifted")
	assertNear(t, start.Add(300*time.Millisecond), returned, "Schedule returns when the last fault ends")

	require.Len(t, dbSeen, 3, "pass-through, latency, pass-through: %v", dbSeen)
	assert.Equal(t, "latency 40ms", dbSeen[1].toxic, "4 s of model latency is 40 ms of wall time at 0.01")
	assertNear(t, start.Add(50*time.Millisecond), dbSeen[1].at, "db-slow applied")
	assertNear(t, start.Add(150*time.Millisecond), dbSeen[2].at, "db-slow lifted")

	require.Len(t, applied, 2)
	// In the order they started; model time, so ±20 ms wall is ±2 s.
	assert.Equal(t, DBSlow, applied[0].Kind)
	assert.InDelta(t, 5, applied[0].At.Seconds(), 2)
	assert.InDelta(t, 10, applied[0].For.Seconds(), 2)
	assert.Equal(t, RedisDown, applied[1].Kind)
	assert.InDelta(t, 10, applied[1].At.Seconds(), 2)
	assert.InDelta(t, 20, applied[1].For.Seconds(), 2)
}

func TestScheduleStacksOverlapsOnOneProxy(t *testing.T) {
	shared := startProxy(t, startEcho(t))
	stop := watch(shared)
	faults := []Fault{
		{Kind: RedisSlow, At: 0, For: 30 * time.Second, Latency: time.Second},
		{Kind: BrokerDown, At: 10 * time.Second, For: 10 * time.Second},
	}
	applied, err := Schedule(ctxTimeout(t, 5*time.Second), faults, Targets{Redis: shared, Broker: shared}, modeltime.Run{Start: time.Now(), Scale: 0.01}, quietLog())
	require.NoError(t, err)
	var names []string
	for _, tr := range stop() {
		names = append(names, tr.toxic)
	}
	assert.Equal(t, []string{"pass-through", "latency 10ms", "down", "latency 10ms", "pass-through"}, names,
		"broker-down ending must hand the proxy back to redis-slow, which is still in effect")
	require.Len(t, applied, 2)
	assert.InDelta(t, 30, applied[0].For.Seconds(), 2)
	assert.InDelta(t, 10, applied[1].For.Seconds(), 2)
}

func TestScheduleCancelledLiftsActiveFaults(t *testing.T) {
	p := startProxy(t, startEcho(t))
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	faults := []Fault{
		{Kind: RedisBlackhole, At: 0, For: 1000 * time.Second},
		{Kind: RedisDown, At: 2000 * time.Second, For: time.Second},
	}
	began := time.Now()
	applied, err := Schedule(ctx, faults, Targets{Redis: p}, modeltime.Run{Start: began, Scale: 0.01}, quietLog())
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, "cut short with 1 of 2 faults started")
	assert.Less(t, time.Since(began), 200*time.Millisecond)
	assert.Equal(t, "pass-through", describe(p.cur.Load().toxic), "a cancelled schedule must not leave a fault behind")
	require.Len(t, applied, 1)
	assert.Equal(t, RedisBlackhole, applied[0].Kind)
	assert.InDelta(t, 5, applied[0].For.Seconds(), 2, "measured until the cancel, not the planned 1000 s")
}

func TestScheduleNothing(t *testing.T) {
	applied, err := Schedule(t.Context(), nil, Targets{}, modeltime.Run{Start: time.Now(), Scale: 0.05}, quietLog())
	require.NoError(t, err)
	assert.Empty(t, applied)
}

func TestScheduleRejectsBadPlans(t *testing.T) {
	p := startProxy(t, startEcho(t))
	all := Targets{Redis: p, Broker: p, DB: p}
	tests := []struct {
		name    string
		faults  []Fault
		targets Targets
		scale   modeltime.Scale
		wantErr string
	}{
		{name: "unknown kind", targets: all, faults: []Fault{{Kind: "broker-slow", At: time.Second, For: time.Second}},
			wantErr: `faults[0] (broker-slow at 1s for 1s): unknown fault kind "broker-slow"; use one of broker-down, redis-down, redis-blackhole, redis-slow, db-slow`},
		{name: "missing broker proxy", targets: Targets{Redis: p, DB: p},
			faults:  []Fault{{Kind: RedisDown, For: time.Second}, {Kind: BrokerDown, At: time.Minute, For: time.Second}},
			wantErr: "faults[1] (broker-down at 1m0s for 1s): needs the proxy in front of broker, but Targets.Broker is nil"},
		{name: "missing db proxy", targets: Targets{Redis: p}, faults: []Fault{{Kind: DBSlow, For: time.Second, Latency: time.Second}},
			wantErr: "Targets.DB is nil"},
		{name: "negative at", targets: all, faults: []Fault{{Kind: RedisDown, At: -time.Second, For: time.Second}},
			wantErr: "starts before the run"},
		{name: "zero for", targets: all, faults: []Fault{{Kind: RedisDown, At: time.Second}},
			wantErr: "for must be > 0"},
		{name: "slow without latency", targets: all, faults: []Fault{{Kind: RedisSlow, For: time.Second}},
			wantErr: "needs a latency > 0"},
		{name: "latency on an outage", targets: all, faults: []Fault{{Kind: BrokerDown, For: time.Second, Latency: time.Second}},
			wantErr: "only redis-slow and db-slow take one"},
		{name: "latency lost to the scale", targets: all, scale: 1e-12, faults: []Fault{{Kind: DBSlow, For: time.Second, Latency: time.Millisecond}},
			wantErr: "too small to inject"},
		{name: "bad scale", targets: all, scale: -1, faults: []Fault{{Kind: RedisDown, For: time.Second}},
			wantErr: "time scale -1 is out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			scale := tc.scale
			if scale == 0 {
				scale = 0.01
			}
			began := time.Now()
			applied, err := Schedule(t.Context(), tc.faults, tc.targets, modeltime.Run{Start: began, Scale: scale}, quietLog())
			require.ErrorContains(t, err, tc.wantErr)
			assert.Nil(t, applied)
			assert.Less(t, time.Since(began), 50*time.Millisecond, "validation happens before anything waits")
			assert.Equal(t, "pass-through", describe(p.cur.Load().toxic), "nothing is applied when the plan is invalid")
		})
	}
}
