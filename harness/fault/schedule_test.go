package fault

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/faults"
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

func one(p Proxies) Targets { return Targets{Proxies: []Proxies{p}} }

func TestScheduleAppliesAndLiftsOnTime(t *testing.T) {
	redis := startProxy(t, startEcho(t))
	db := startProxy(t, startEcho(t))
	stopRedis, stopDB := watch(redis), watch(db)

	start := time.Now().Add(20 * time.Millisecond)
	plan := []faults.Fault{
		{Kind: "redis-down", At: 10 * time.Second, For: 20 * time.Second, Replica: faults.AllReplicas},
		{Kind: "db-slow", At: 5 * time.Second, For: 10 * time.Second, Params: &faults.Slow{Latency: faults.Duration(4 * time.Second)}, Replica: faults.AllReplicas},
	}
	applied, err := Schedule(ctxTimeout(t, 5*time.Second), plan, one(Proxies{Redis: redis, DB: db}), modeltime.Run{Start: start, Scale: 0.01}, quietLog())
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
	// In plan order; model time, so ±20 ms wall is ±2 s.
	assert.Equal(t, "redis-down", applied[0].Kind)
	assert.InDelta(t, 10, applied[0].Started.Seconds(), 2)
	assert.InDelta(t, 30, applied[0].Ended.Seconds(), 2)
	assert.Equal(t, "db-slow", applied[1].Kind)
	assert.InDelta(t, 5, applied[1].Started.Seconds(), 2)
	assert.InDelta(t, 15, applied[1].Ended.Seconds(), 2)
}

// Two overlapping faults on one proxy both apply and both clear.
func TestScheduleStacksOverlapsOnOneProxy(t *testing.T) {
	shared := startProxy(t, startEcho(t))
	stop := watch(shared)
	plan := []faults.Fault{
		{Kind: "redis-slow", At: 0, For: 30 * time.Second, Params: &faults.Slow{Latency: faults.Duration(time.Second)}, Replica: faults.AllReplicas},
		{Kind: "broker-down", At: 10 * time.Second, For: 10 * time.Second, Replica: faults.AllReplicas},
	}
	applied, err := Schedule(ctxTimeout(t, 5*time.Second), plan, one(Proxies{Redis: shared, Broker: shared}), modeltime.Run{Start: time.Now(), Scale: 0.01}, quietLog())
	require.NoError(t, err)
	var names []string
	for _, tr := range stop() {
		names = append(names, tr.toxic)
	}
	assert.Equal(t, []string{"pass-through", "latency 10ms", "down", "latency 10ms", "pass-through"}, names,
		"broker-down ending must hand the proxy back to redis-slow, which is still in effect")
	require.Len(t, applied, 2)
	assert.InDelta(t, 30, (applied[0].Ended - applied[0].Started).Seconds(), 2)
	assert.InDelta(t, 10, (applied[1].Ended - applied[1].Started).Seconds(), 2)
}

func TestScheduleCancelledLiftsActiveFaults(t *testing.T) {
	p := startProxy(t, startEcho(t))
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	plan := []faults.Fault{
		{Kind: "redis-blackhole", At: 0, For: 1000 * time.Second, Replica: faults.AllReplicas},
		{Kind: "redis-down", At: 2000 * time.Second, For: time.Second, Replica: faults.AllReplicas},
	}
	began := time.Now()
	applied, err := Schedule(ctx, plan, one(Proxies{Redis: p}), modeltime.Run{Start: began, Scale: 0.01}, quietLog())
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, "cut short")
	assert.Less(t, time.Since(began), 200*time.Millisecond)
	assert.Equal(t, "pass-through", describe(p.cur.Load().toxic), "a cancelled schedule must not leave a fault behind")
	require.Len(t, applied, 1)
	assert.Equal(t, "redis-blackhole", applied[0].Kind)
	assert.InDelta(t, 5, (applied[0].Ended - applied[0].Started).Seconds(), 2, "measured until the cancel, not the planned 1000 s")
}

func TestScheduleNothing(t *testing.T) {
	applied, err := Schedule(t.Context(), nil, Targets{}, modeltime.Run{Start: time.Now(), Scale: 0.05}, quietLog())
	require.NoError(t, err)
	assert.Empty(t, applied)
}

// A proxy that cannot heal ends the schedule loudly.
func TestScheduleFailsWhenAProxyDoesNotHeal(t *testing.T) {
	p := startProxy(t, startEcho(t))
	plan := []faults.Fault{{Kind: "redis-down", At: 0, For: 10 * time.Second, Replica: faults.AllReplicas}}
	time.AfterFunc(30*time.Millisecond, func() { _ = p.Close() }) // the proxy dies mid-fault
	_, err := Schedule(ctxTimeout(t, 5*time.Second), plan, one(Proxies{Redis: p}), modeltime.Run{Start: time.Now(), Scale: 0.01}, quietLog())
	require.ErrorContains(t, err, "did not heal")
	require.ErrorContains(t, err, "is closed")
}

// fakeReplicas records what the replica kinds asked for.
type fakeReplicas struct {
	mu    sync.Mutex
	n     int
	calls []string
}

func (f *fakeReplicas) record(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	return nil
}
func (f *fakeReplicas) Count() int { return f.n }
func (f *fakeReplicas) StallWorkers(r int, s bool) error {
	return f.record(fmt.Sprintf("stall %d %v", r, s))
}
func (f *fakeReplicas) CrashWorker(r int) error    { return f.record(fmt.Sprintf("crash %d", r)) }
func (f *fakeReplicas) RestoreWorkers(r int) error { return f.record(fmt.Sprintf("restore %d", r)) }
func (f *fakeReplicas) SkewWorkers(r int, o time.Duration) error {
	return f.record(fmt.Sprintf("skew %d %v", r, o))
}
func (f *fakeReplicas) Kill(r int) error    { return f.record(fmt.Sprintf("kill %d", r)) }
func (f *fakeReplicas) Restart(r int) error { return f.record(fmt.Sprintf("restart %d", r)) }

type fakeKeys struct{ evictions atomic.Int64 }

func (k *fakeKeys) EvictGateKeys(context.Context) (int, error) { k.evictions.Add(1); return 1, nil }

func TestReplicaAndKeyKinds(t *testing.T) {
	rs := &fakeReplicas{n: 2}
	keys := &fakeKeys{}
	plan := []faults.Fault{
		{Kind: "worker-stall", At: 0, For: 10 * time.Second, Replica: 1},
		{Kind: "clock-skew", At: 0, For: 10 * time.Second, Params: &faults.ClockSkew{Offset: faults.Duration(-30 * time.Second)}, Replica: faults.AllReplicas},
		{Kind: "worker-crash", At: 20 * time.Second, For: 10 * time.Second, Replica: 0},
		{Kind: "replica-kill", At: 20 * time.Second, For: 0, Replica: 1},
		{Kind: "redis-evict", At: 0, For: 30 * time.Second, Replica: faults.AllReplicas},
	}
	applied, err := Schedule(ctxTimeout(t, 5*time.Second), plan, Targets{Replicas: rs, Keys: keys}, modeltime.Run{Start: time.Now(), Scale: 0.01}, quietLog())
	require.NoError(t, err)
	assert.Equal(t, []string{"stall 1 true", "skew 0 -300ms", "skew 1 -300ms", "stall 1 false", "skew 0 0s", "skew 1 0s",
		"crash 0", "kill 1", "restore 0"}, rs.calls, "at 0 in plan order, lifts at 10 s, crash and kill at 20 s; no restart for for: 0")
	require.Len(t, applied, 5)
	assert.Equal(t, time.Duration(-1), applied[3].Ended, "the killed replica stays dead to the end")
	assert.Greater(t, keys.evictions.Load(), int64(10), "evicted every model second for 30 s")
}

// Every kind described is one this harness can inject, and nothing else.
func TestEveryKindHasAnInjector(t *testing.T) {
	inj := injectors()
	for _, name := range faults.Names() {
		assert.Contains(t, inj, name)
		delete(inj, name)
	}
	assert.Empty(t, inj, "injectors for kinds faults.Kinds does not describe")
}

func TestScheduleRejectsBadPlans(t *testing.T) {
	p := startProxy(t, startEcho(t))
	all := one(Proxies{Redis: p, Broker: p, DB: p})
	tests := []struct {
		name    string
		faults  []faults.Fault
		targets Targets
		scale   modeltime.Scale
		wantErr string
	}{
		{name: "unknown kind", targets: all, faults: []faults.Fault{{Kind: "broker-slower", At: time.Second, For: time.Second, Replica: faults.AllReplicas}},
			wantErr: `faults[0] (broker-slower at 1s for 1s): unknown fault kind "broker-slower"; use one of broker-down,`},
		{name: "missing broker proxy", targets: one(Proxies{Redis: p, DB: p}),
			faults:  []faults.Fault{{Kind: "redis-down", For: time.Second, Replica: faults.AllReplicas}, {Kind: "broker-down", At: time.Minute, For: time.Second, Replica: faults.AllReplicas}},
			wantErr: "faults[1] (broker-down at 1m0s for 1s): needs the proxy in front of replica 0's broker, and the run has none"},
		{name: "no such replica", targets: all, faults: []faults.Fault{{Kind: "db-down", For: time.Second, Replica: 3}},
			wantErr: "replica 3 does not exist: the run has 1 (0 to 0)"},
		{name: "negative at", targets: all, faults: []faults.Fault{{Kind: "redis-down", At: -time.Second, For: time.Second, Replica: faults.AllReplicas}},
			wantErr: "starts before the run"},
		{name: "zero for", targets: all, faults: []faults.Fault{{Kind: "redis-down", At: time.Second, Replica: faults.AllReplicas}},
			wantErr: "for must be > 0"},
		{name: "slow without latency", targets: all, faults: []faults.Fault{{Kind: "redis-slow", For: time.Second, Replica: faults.AllReplicas}},
			wantErr: "latency: is required for redis-slow"},
		{name: "another kind's parameters", targets: all, faults: []faults.Fault{{Kind: "broker-down", For: time.Second, Params: &faults.Slow{Latency: faults.Duration(time.Second)}, Replica: faults.AllReplicas}},
			wantErr: "broker-down takes parameters of type *faults.None, not *faults.Slow"},
		{name: "skew without offset", targets: Targets{Replicas: &fakeReplicas{n: 1}}, faults: []faults.Fault{{Kind: "clock-skew", For: time.Second, Replica: faults.AllReplicas}},
			wantErr: "offset: is required for clock-skew"},
		{name: "a replica kind without replicas", targets: all, faults: []faults.Fault{{Kind: "worker-stall", For: time.Second, Replica: faults.AllReplicas}},
			wantErr: "needs control of the target's replicas"},
		{name: "db-lock without the database", targets: all, faults: []faults.Fault{{Kind: "db-lock", For: time.Second, Replica: faults.AllReplicas}},
			wantErr: "needs a direct connection to the run's database"},
		{name: "db-lock aimed at a replica", targets: Targets{DB: "postgres://x"}, faults: []faults.Fault{{Kind: "db-lock", For: time.Second, Replica: 0}},
			wantErr: "db-lock cannot be aimed at one replica"},
		{name: "latency lost to the scale", targets: all, scale: 1e-12, faults: []faults.Fault{{Kind: "db-slow", For: time.Second, Params: &faults.Slow{Latency: faults.Duration(time.Millisecond)}, Replica: faults.AllReplicas}},
			wantErr: "too small to inject"},
		{name: "bad scale", targets: all, scale: -1, faults: []faults.Fault{{Kind: "redis-down", For: time.Second, Replica: faults.AllReplicas}},
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
