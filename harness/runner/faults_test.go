package runner_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/faults"
	"github.com/hbharness/hbharness/harness/runner"
	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/scenarios"
	"github.com/hbharness/hbharness/summary"
)

// faulted is 3m30s of model time, a fault from 1m for 50s, 6 workers on 2
// keys: each kind's effect shows in the fault's 50 s and is gone before the
// end. At 0.03 (faultScale) it takes 6.3 s of wall time. The offline check runs every
// 5 s, so that what a fault makes stale is flipped within seconds (at
// Antenna's 5 min no check would run in the run).
const faulted = `
name: fault-kind
duration: 3m30s
time_scale: SCALE
settings: {checker_every: 5s}
strategy: STRATEGY
replicas: REPLICAS
fixtures: {projects: 1, pipelines: 2, services_per_key: 2, jobs_per_key: 1}
fleet:
  - {name: adc, workers: 6, poll_every: 5s, jitter: 1s, start: spread, batch_size: 4}
faults:
  - FAULT
allowed_errors: {tasks: 1000, result: 1000, list: 1000}
`

const (
	faultAt  = time.Minute
	faultFor = 50 * time.Second
	// settle keeps a task already taken when the fault began, or a request
	// already past the dependency, out of what the fault is judged by; tail
	// keeps out what lands between the heal and the instant it is timed.
	settle = 5 * time.Second
	tail   = 2 * time.Second
	// faultScale is the kinds' time scale unless a case says otherwise;
	// gentleFaultScale is the second try's, for a case whose staleness
	// verdicts failed where they should hold.
	faultScale       = 0.03
	gentleFaultScale = 0.1
)

// effect is what one run shows of its fault.
type effect struct {
	res                *runner.Result
	dispatches, writes int // strictly inside the fault, past settle
	errors             int64
	maxLatency         time.Duration // wall, of a request out during the fault
}

// held is how long a request that a blackhole holds is answered after at
// the least: a quarter of the fault's wall time. A held request waits to
// the heal (or its client's timeout, never under a second of wall), so the
// first one out in the fault waits nearly all of it (1.5 s at 0.03); but a
// fleet stalled beside two CPU hogs has sent its first request of the fault
// a second late (475 ms, 0 errors), and a refused one answers in under
// 100 ms, so a quarter still tells holding from refusing.
func (e effect) held() time.Duration {
	f := e.res.History.Faults[0]
	return e.res.TimeScale.Wall(f.For) / 4
}

func (e effect) outcome(name string) summary.Outcome {
	for _, v := range e.res.Verdicts {
		if v.Name == name {
			return v.Outcome
		}
	}
	return ""
}

// staleUnexpectedly names the staleness verdicts among pass that failed,
// with their details: what a stalled machine fakes at a small scale.
func (e effect) staleUnexpectedly(pass []string) string {
	var out []string
	for _, name := range pass {
		if (name == verify.LastSeenNeverStale || name == verify.NeverOfflineWhilePolled) && e.outcome(name) == summary.Fail {
			out = append(out, name+": "+e.detail(name))
		}
	}
	return strings.Join(out, "; ")
}

func (e effect) detail(name string) string {
	for _, v := range e.res.Verdicts {
		if v.Name == name {
			return v.Detail
		}
	}
	return ""
}

func faultRun(t *testing.T, scale float64, strategy string, replicas int, fault string) effect {
	t.Helper()
	src := strings.NewReplacer("SCALE", fmt.Sprint(scale), "STRATEGY", strategy, "REPLICAS", fmt.Sprint(replicas), "FAULT", fault).Replace(faulted)
	s, err := scenarios.Parse([]byte(src), "fault.yaml", runner.ScenarioOptions())
	require.NoError(t, err)
	e := effect{res: run(t, s)}
	h := e.res.History
	require.NotEmpty(t, h.Faults, "the fault was applied")
	f := h.Faults[0]
	inside := func(at time.Duration) bool { return at >= f.At+settle && at < f.At+f.For-tail }
	for _, d := range h.Dispatches {
		if inside(d.At) {
			e.dispatches++
		}
	}
	for _, w := range h.Writes {
		if inside(w.At) {
			e.writes++
		}
	}
	for _, w := range h.Requests.Timeline {
		// A window counts when one of its requests was out during the fault:
		// sent in it, or sent just before it (a loaded machine applies the
		// fault a little late) and answered after it began. Max is wall.
		if w.From+w.Every+s.TimeScale.Model(w.Max) > f.At && w.From < f.At+f.For {
			for _, c := range w.ByEndpoint {
				e.errors += c.Errors()
			}
			e.maxLatency = max(e.maxLatency, w.Max)
		}
	}
	t.Logf("%s under %s: %d dispatches and %d writes inside the fault, %d errors, slowest request %s (load generator: lag p99 %s, %d late); verdicts %v",
		fault, strategy, e.dispatches, e.writes, e.errors, e.maxLatency, e.res.Load.ScheduleLagP99, e.res.Load.Late, outcomesOf(e.res))
	return e
}

func outcomesOf(r *runner.Result) map[string]summary.Outcome { return outcomes(r.Verdicts) }

// Every fault kind, at high compression: what it does to a heartbeat, and
// the verdicts that follow. The invariants a kind must not break are
// asserted to pass; the one it exists to break, to fail.
func TestEveryFaultKindEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every fault kind end to end")
	}
	sound := []string{verify.AtMostOnePerWindow, verify.ObserversAgree, verify.RecoversAfterFault}
	cases := []struct {
		kind, fault string
		strategy    string
		replicas    int
		// scale is the case's time scale (faultScale when zero).
		scale float64
		check func(t *testing.T, e effect)
		pass  []string // invariants that must pass
		fail  []string // invariants that must fail
	}{
		{kind: "broker-down", fault: `{kind: broker-down, at: 1m, for: 50s}`, pass: sound,
			check: func(t *testing.T, e effect) {
				assert.Zero(t, e.writes, "no task reaches a worker while the broker is down")
				assert.Positive(t, e.errors, "results cannot be queued: 503")
			}},
		{kind: "broker-blackhole", fault: `{kind: broker-blackhole, at: 1m, for: 50s}`,
			pass: []string{verify.AtMostOnePerWindow, verify.RecoversAfterFault},
			check: func(t *testing.T, e effect) {
				assert.Zero(t, e.writes, "no task reaches a worker while the broker's network drops everything")
				assert.GreaterOrEqual(t, e.maxLatency, e.held(), "a publish waits out its timeout")
				// A publish that timed out is retried (as Celery's is); the
				// held first attempt is delivered too when the network heals,
				// and its task runs twice. Caught, when it happens, by name.
				if e.outcome(verify.ObserversAgree) != summary.Pass {
					assert.Contains(t, e.detail(verify.ObserversAgree), "written 2 times")
				}
			}},
		// At 0.1 with 1 s of latency: beside two CPU hogs at 0.03 a slow
		// broker's 150 ms per call let no write through in the fault's 1.5 s
		// of wall. 5 s, as before, is past the broker's 4 s timeout, which
		// only the 1 s wall floor at 0.03 (33 model s) had hidden.
		{kind: "broker-slow", scale: 0.1, fault: `{kind: broker-slow, at: 1m, for: 50s, latency: 1s}`, pass: sound,
			check: func(t *testing.T, e effect) {
				assert.Positive(t, e.writes, "a slow broker still delivers")
				assert.GreaterOrEqual(t, e.maxLatency, 100*time.Millisecond, "1 s of model latency is 100 ms of wall at 0.1")
			}},
		{kind: "redis-down", fault: `{kind: redis-down, at: 1m, for: 50s}`, pass: sound,
			check: func(t *testing.T, e effect) {
				assert.Zero(t, e.dispatches, "fail-closed: no gate, no dispatch")
			}},
		{kind: "redis-blackhole", fault: `{kind: redis-blackhole, at: 1m, for: 50s}`, pass: sound,
			check: func(t *testing.T, e effect) {
				assert.Zero(t, e.dispatches, "fail-closed: no answer from the gate, no dispatch")
				assert.GreaterOrEqual(t, e.maxLatency, e.held(), "the cache has no read timeout: a request waits for the network to heal")
			}},
		{kind: "redis-slow", fault: `{kind: redis-slow, at: 1m, for: 50s, latency: 5s}`, pass: sound,
			check: func(t *testing.T, e effect) {
				assert.Positive(t, e.dispatches, "a slow gate still answers")
				assert.GreaterOrEqual(t, e.maxLatency, 150*time.Millisecond)
			}},
		{kind: "redis-restart", fault: `{kind: redis-restart, at: 1m, for: 50s}`, pass: sound,
			check: func(t *testing.T, e effect) {
				assert.Zero(t, e.dispatches, "no gate while Redis is away")
			}},
		{kind: "redis-evict", fault: `{kind: redis-evict, at: 1m, for: 50s}`,
			pass: []string{verify.LastSeenNeverStale, verify.ObserversAgree, verify.RecoversAfterFault},
			fail: []string{verify.AtMostOnePerWindow},
			check: func(t *testing.T, e effect) {
				// 6 workers on 2 keys poll about every 1.7 s each key: every
				// eviction lets the next poll dispatch again.
				assert.Greater(t, e.dispatches, 2*4, "far more than one per window per key")
			}},
		{kind: "db-down", fault: `{kind: db-down, at: 1m, for: 50s}`, pass: sound,
			check: func(t *testing.T, e effect) {
				assert.Zero(t, e.writes, "nothing reaches the database")
				assert.Positive(t, e.errors, "the API needs the database too: no job, no heartbeat")
			}},
		{kind: "db-slow", fault: `{kind: db-slow, at: 1m, for: 50s, latency: 2s}`, pass: sound,
			check: func(t *testing.T, e effect) {
				assert.Positive(t, e.writes, "a slow database still takes writes")
				assert.GreaterOrEqual(t, e.maxLatency, 150*time.Millisecond)
			}},
		// The task queue is off the heartbeat's path: /tasks heartbeats first.
		{kind: "nats-down", fault: `{kind: nats-down, at: 1m, for: 50s}`,
			pass: append([]string{verify.LastSeenNeverStale, verify.NeverOfflineWhilePolled}, sound...),
			check: func(t *testing.T, e effect) {
				assert.Positive(t, e.dispatches, "every /tasks still heartbeats before it fails")
				assert.Positive(t, e.writes)
				assert.Positive(t, e.errors, "/tasks answers 503")
			}},
		// At 0.1, not 0.03: the 5 s connect timeout is floored at 1 s of wall
		// (modeltime.MinTimeout), 33 model seconds at 0.03. Each worker's
		// poll then takes 38 s, three workers a key leave gaps past the 30 s
		// window, and last_seen ages past 60 s, which Antenna at real time
		// (a 10 s cycle) never sees. At 0.1 the floor is 10 model seconds.
		{kind: "nats-blackhole", scale: 0.1, fault: `{kind: nats-blackhole, at: 1m, for: 50s}`,
			pass: append([]string{verify.LastSeenNeverStale, verify.NeverOfflineWhilePolled}, sound...),
			check: func(t *testing.T, e effect) {
				assert.Positive(t, e.dispatches, "every /tasks still heartbeats before it waits")
				assert.Positive(t, e.errors, "/tasks answers 503 after the connect timeout")
				assert.GreaterOrEqual(t, e.maxLatency, time.Second, "the 5 s connect timeout, never under 1 s of wall")
			}},
		{kind: "nats-slow", fault: `{kind: nats-slow, at: 1m, for: 50s, latency: 1s}`,
			pass: append([]string{verify.LastSeenNeverStale, verify.NeverOfflineWhilePolled}, sound...),
			check: func(t *testing.T, e effect) {
				assert.Positive(t, e.dispatches, "a slow task queue does not stop the heartbeat")
				assert.GreaterOrEqual(t, e.maxLatency, 2*30*time.Millisecond, "1 s of model latency each way is 30 ms of wall")
			}},
		{kind: "db-lock", fault: `{kind: db-lock, at: 1m, for: 50s}`, pass: sound,
			check: func(t *testing.T, e effect) {
				assert.Zero(t, e.writes, "the rows are locked")
				assert.Less(t, e.maxLatency, 1500*time.Millisecond, "view-gate requests do not wait on the lock (50 s is 1.5 s of wall)")
			}},
		{kind: "db-lock", strategy: "inline", fault: `{kind: db-lock, at: 1m, for: 50s}`,
			pass: []string{verify.ObserversAgree},
			check: func(t *testing.T, e effect) {
				// The lock is held 1.5 s of wall and a request that arrives while
				// it is held waits out the rest: 852 ms was the slowest seen
				// beside two CPU hogs, where the lock was taken late.
				assert.GreaterOrEqual(t, e.maxLatency, 500*time.Millisecond, "inline requests wait on the lock (50 s is 1.5 s of wall)")
			}},
		{kind: "worker-stall", fault: `{kind: worker-stall, at: 1m, for: 50s}`, pass: sound,
			check: func(t *testing.T, e effect) {
				assert.Positive(t, e.dispatches, "requests still dispatch")
				assert.Zero(t, e.writes, "but nothing takes the tasks")
				assert.Greater(t, len(e.res.History.Writes), 0)
			}},
		{kind: "worker-crash", fault: `{kind: worker-crash, at: 1m, for: 20s}`,
			pass: []string{verify.AtMostOnePerWindow},
			fail: []string{verify.ObserversAgree},
			check: func(t *testing.T, e effect) {
				assert.Contains(t, e.detail(verify.ObserversAgree), "written 2 times", "the redelivered task writes again, caught")
			}},
		// The skewed cases at 0.1: a write must land inside the fault to
		// carry the skew, and at 0.03 (1.5 s of wall) beside two CPU hogs
		// only 2 dispatches fell inside it and no skewed write was read
		// (worst staleness 41.5 s), so "behind" passed what it must fail.
		{kind: "clock-skew behind", scale: 0.1, fault: `{kind: clock-skew, at: 1m, for: 50s, offset: -90s}`,
			pass: []string{verify.AtMostOnePerWindow, verify.ObserversAgree},
			fail: []string{verify.LastSeenNeverStale, verify.NeverOfflineWhilePolled},
			check: func(t *testing.T, e effect) {
				assert.Positive(t, e.writes, "writes continue, from a clock 90 s behind")
			}},
		{kind: "clock-skew in a zone east of UTC", scale: 0.1, fault: `{kind: clock-skew, at: 1m, for: 50s, zone: Asia/Kolkata}`,
			pass: []string{verify.AtMostOnePerWindow, verify.ObserversAgree},
			fail: []string{verify.LastSeenNeverStale, verify.NeverOfflineWhilePolled},
			check: func(t *testing.T, e effect) {
				assert.Equal(t, &faults.ClockSkew{Offset: faults.Duration(-(5*time.Hour + 30*time.Minute)), Zone: "Asia/Kolkata"},
					e.res.History.Faults[0].Planned.Params, "UTC read as IST is 5h30 behind")
			}},
		{kind: "clock-skew ahead", scale: 0.1, fault: `{kind: clock-skew, at: 1m, for: 50s, offset: 10m}`,
			pass: []string{verify.LastSeenNeverStale, verify.NeverOfflineWhilePolled, verify.AtMostOnePerWindow, verify.ObserversAgree},
			check: func(t *testing.T, e effect) {
				future := 0
				for _, s := range e.res.History.Samples {
					if !s.Null && s.Staleness < -time.Minute {
						future++
					}
				}
				assert.Positive(t, future, "last_seen reads in the future")
			}},
		{kind: "replica-kill", replicas: 2, fault: `{kind: replica-kill, at: 1m, for: 50s, replica: 1}`,
			pass: append([]string{verify.LastSeenNeverStale, verify.NeverOfflineWhilePolled}, sound...),
			check: func(t *testing.T, e effect) {
				assert.Positive(t, e.dispatches+e.writes, "the other replica carries on")
			}},
		{kind: "replica-kill forever", replicas: 2, fault: `{kind: replica-kill, at: 1m, for: 0, replica: 0}`,
			pass: []string{verify.LastSeenNeverStale, verify.NeverOfflineWhilePolled, verify.AtMostOnePerWindow, verify.ObserversAgree},
			check: func(t *testing.T, e effect) {
				f := e.res.History.Faults[0]
				assert.Equal(t, e.res.History.Duration-f.At, f.For, "it lasts to the end")
			}},
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[strings.Fields(tc.kind)[0]] = true
	}
	for _, k := range faults.Kinds() {
		require.True(t, covered[k.Name], "fault kind %s has no end-to-end case", k.Name)
	}
	for _, tc := range cases {
		name := tc.kind
		if tc.strategy != "" {
			name += " under " + tc.strategy
		}
		t.Run(name, func(t *testing.T) {
			strategy := tc.strategy
			if strategy == "" {
				strategy = "view-gate"
			}
			scale := tc.scale
			if scale == 0 {
				scale = faultScale
			}
			e := faultRun(t, scale, strategy, max(tc.replicas, 1), tc.fault)
			if stale := e.staleUnexpectedly(tc.pass); scale < gentleFaultScale && stale != "" {
				// Beside two CPU hogs, at 0.03, a stall of under 3 s of wall
				// reads as 90 s of staleness (nats-down, redis-evict): the
				// case gets one gentler try, whose verdicts stand.
				t.Logf("at %v: %s; again at %v", scale, stale, gentleFaultScale)
				e = faultRun(t, gentleFaultScale, strategy, max(tc.replicas, 1), tc.fault)
			}
			for _, name := range tc.pass {
				assert.Equal(t, summary.Pass, e.outcome(name), "%s: %s", name, e.detail(name))
			}
			for _, name := range tc.fail {
				assert.Equal(t, summary.Fail, e.outcome(name), "%s: %s", name, e.detail(name))
			}
			tc.check(t, e)
		})
	}
}

// Two faults on one proxy at once both apply and both clear: the later one
// outlives the earlier one, and what it does shows alone until it ends.
func TestOverlappingFaultsBothApplyAndClear(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	// A view makes three Redis round trips before its gate answers (the
	// token and the job through cachalot, then SET NX), each twice the
	// latency with no read timeout: 2 s of latency keeps a view's gate
	// inside the slow stretch left after down lifts.
	e := faultRun(t, faultScale, "view-gate", 1, `{kind: redis-down, at: 1m, for: 40s}
  - {kind: redis-slow, at: 1m20s, for: 1m, latency: 2s}`)
	h := e.res.History
	require.Len(t, h.Faults, 2)
	for i, want := range []struct{ at, for_ time.Duration }{{time.Minute, 40 * time.Second}, {80 * time.Second, time.Minute}} {
		f := h.Faults[i]
		assert.InDelta(t, want.at.Seconds(), f.At.Seconds(), 2, "%s started as planned", f.Kind)
		assert.InDelta(t, want.for_.Seconds(), f.For.Seconds(), 2, "%s ended as planned", f.Kind)
	}
	count := func(from, to time.Duration) (n int) {
		for _, d := range h.Dispatches {
			if d.At >= from && d.At < to {
				n++
			}
		}
		return n
	}
	// The proxy shows the newest fault in effect: down until slow is pushed
	// at 1m20s, slow from then until it lifts.
	assert.Zero(t, count(65*time.Second, 80*time.Second), "down: no gate")
	assert.Positive(t, count(85*time.Second, 140*time.Second), "slow over down: the gate answers, slowly")
	var slow time.Duration
	for _, w := range h.Requests.Timeline {
		if w.From >= 85*time.Second && w.From+w.Every <= 140*time.Second {
			slow = max(slow, w.Max)
		}
	}
	// Three round trips of 2 x 2 s of model latency: 12 s, 360 ms of wall.
	assert.GreaterOrEqual(t, slow, 300*time.Millisecond, "slow in effect over down, and after down lifted")
	assert.Positive(t, count(145*time.Second, h.Duration), "both cleared: dispatching again")
	assert.Equal(t, summary.Pass, e.outcome(verify.RecoversAfterFault), e.detail(verify.RecoversAfterFault))
}
