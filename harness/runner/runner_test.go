package runner_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/runner"
	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/internal/provision"
	"github.com/hbharness/hbharness/internal/testdeps"
	"github.com/hbharness/hbharness/scenarios"
	"github.com/hbharness/hbharness/summary"
)

// short is a 3-minute model run of 20 workers on 2 keys: six throttle
// windows per key, a few seconds of wall time. Its offline check runs every
// 5 s: at Antenna's 5 min none would run in it, and
// never_marked_offline_while_polled would judge nothing.
const short = `
name: short
duration: 3m
time_scale: SCALE
settings: {checker_every: 5s}
fixtures: {projects: 1, pipelines: 2, services_per_key: 3, jobs_per_key: 1}
fleet:
  - {name: adc, workers: 20, poll_every: 5s, jitter: 1s, start: spread, batch_size: 4}
`

func spec(t *testing.T, scale, strat string) *scenarios.Spec {
	t.Helper()
	s, err := scenarios.Parse([]byte(strings.ReplaceAll(short, "SCALE", scale)), "short.yaml", runner.ScenarioOptions())
	require.NoError(t, err)
	s.WithOverrides(strat, 0)
	return s
}

// Every built-in parses against the registries a run really has.
func TestBuiltinsParseAgainstTheRealVocabulary(t *testing.T) {
	opt := runner.ScenarioOptions()
	for _, b := range scenarios.Builtins(opt) {
		_, err := scenarios.Load(b.Name, opt)
		require.NoError(t, err, b.Name)
	}
}

func outcomes(vs []summary.Verdict) map[string]summary.Outcome {
	m := map[string]summary.Outcome{}
	for _, v := range vs {
		m[v.Name] = v.Outcome
	}
	return m
}

// run runs s. A generator that could not keep its schedule says the machine
// was too busy, not that the code is wrong: the run is tried again at twice
// the scale (gentler: the same model, half the wall rate), up to twice,
// saying so in the log, and if the last saturates too it is skipped, saying
// why, or on CI failed (testdeps.Saturated). Two tries were once too few: a
// 6-worker run beside two CPU hogs was 1.15% late at 0.03 and 1.45% at 0.06.
func run(t *testing.T, s *scenarios.Spec) *runner.Result {
	t.Helper()
	testdeps.NeedsServices(t)
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		res, err := runner.Run(ctx, s, runner.Options{Log: slog.New(slog.DiscardHandler), Seed: 1})
		cancel()
		if !errors.Is(err, runner.ErrSaturated) {
			require.NoError(t, err)
			return res
		}
		if attempt == 2 || s.TimeScale >= 0.5 {
			testdeps.Saturated(t, err)
		}
		t.Logf("the load generator saturated at time scale %v; rerunning once, gentler, at %v: %v", s.TimeScale, 2*s.TimeScale, err)
		s.TimeScale *= 2
	}
}

func TestEndToEndViewGatePasses(t *testing.T) {
	res := run(t, spec(t, "0.055", "view-gate"))
	for _, v := range res.Verdicts {
		assert.Truef(t, v.Passed, "%s: %s (%s)", v.Name, v.Outcome, v.Detail)
	}
	require.True(t, res.Passed())
	st := verify.Summarize(*res.History)
	// An active worker whose /tasks came back empty polls the jobs list, as
	// the ADC does, and that has a gate key of its own: seen once on a
	// quiet CI run (one dispatch on heartbeat:list:pipelines:default).
	var pairs []verify.KeyStats
	for _, k := range st.Keys {
		if strings.HasPrefix(k.Key, "heartbeat:list:") {
			continue
		}
		pairs = append(pairs, k)
	}
	require.Len(t, pairs, 2, "two (pipeline, project) keys, and no other kind: %v", st.Keys)
	for _, k := range pairs {
		assert.GreaterOrEqual(t, k.Dispatches, 5, "3m / 30s windows on %s", k.Key)
		assert.LessOrEqual(t, k.Dispatches, 7, "3m / 30s windows on %s", k.Key)
	}
	// One write per dispatch, but the last dispatch of a key may still be
	// queued when the run ends on a busy runner (12 dispatches, 11 writes
	// once beside two CPU hogs); observers_agree, asserted above, accounts
	// for every one of them.
	assert.LessOrEqual(t, st.DBWritesTotal, st.DispatchesTotal)
	assert.LessOrEqual(t, st.DispatchesTotal-st.DBWritesTotal, len(st.Keys), "at most each key's last dispatch unwritten at the end")
	assert.Positive(t, res.History.Requests.Total)
	assert.Less(t, st.MaxStaleness, 60*time.Second)
}

func TestEndToEndNoGateIsCaught(t *testing.T) {
	res := run(t, spec(t, "0.055", "none"))
	o := outcomes(res.Verdicts)
	require.Equal(t, summary.Fail, o[verify.AtMostOnePerWindow])
	require.Equal(t, summary.Fail, o[verify.RateNearExpected])
	require.False(t, res.Passed())
}

// The time model: the same scenario at two scales gives the same verdicts
// on what the model fixes. requests_succeed is left out: it judges the
// machine's capacity, and compressing time multiplies the wall rate (3.6
// times here) while the client's timeout shrinks with the scale, so a busy
// runner can time out requests at 0.055 that it answers at 0.2. Without a
// gate every poll writes, which is where that showed (docs/limits.md).
func TestVerdictsDoNotDependOnTimeScale(t *testing.T) {
	modelled := func(vs []summary.Verdict) map[string]summary.Outcome {
		o := outcomes(vs)
		require.Contains(t, o, verify.RequestsSucceed)
		delete(o, verify.RequestsSucceed)
		return o
	}
	for _, strat := range []string{"view-gate", "none"} {
		t.Run(strat, func(t *testing.T) {
			a := run(t, spec(t, "0.055", strat))
			b := run(t, spec(t, "0.2", strat))
			require.Equal(t, modelled(a.Verdicts), modelled(b.Verdicts))
		})
	}
}

func TestInterruptedRunKeepsAPartialSummary(t *testing.T) {
	testdeps.NeedsServices(t)
	s := spec(t, "0.055", "view-gate")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cut a second of wall into the load, not at a fixed time from the
	// call: on a busy machine the set-up alone can take that long.
	var once sync.Once
	interrupt := func(runner.Progress) { once.Do(func() { time.AfterFunc(time.Second, cancel) }) }
	res, err := runner.Run(ctx, s, runner.Options{Log: slog.New(slog.DiscardHandler), Progress: interrupt, ProgressEvery: 100 * time.Millisecond})
	require.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, res)
	require.True(t, res.Interrupted)
	require.False(t, res.Passed())
	require.Less(t, res.History.Duration, 3*time.Minute)
}

// Antenna's production broker is RabbitMQ: with BROKER_URL=amqp://… the
// heartbeat tasks and results go through a RabbitMQ queue (deleted after
// the run) and the same verdicts hold.
func TestEndToEndOnRabbitMQ(t *testing.T) {
	testdeps.NeedsServices(t)
	const url = "amqp://guest:guest@127.0.0.1:5672/"
	testdeps.Require(t, "RabbitMQ at 127.0.0.1:5672", provision.ProbeBroker(context.Background(), url, 2*time.Second),
		"start it with `rabbitmq-server -detached`")
	t.Setenv("BROKER_URL", url)
	res := run(t, spec(t, "0.055", "view-gate"))
	for _, v := range res.Verdicts {
		assert.Truef(t, v.Passed, "%s: %s (%s)", v.Name, v.Outcome, v.Detail)
	}
	st := verify.Summarize(*res.History)
	// One write per dispatch, but the last dispatch of a key may still be
	// queued when the run ends on a busy runner (12 dispatches, 11 writes
	// once beside two CPU hogs); observers_agree, asserted above, accounts
	// for every one of them.
	assert.LessOrEqual(t, st.DBWritesTotal, st.DispatchesTotal)
	assert.LessOrEqual(t, st.DispatchesTotal-st.DBWritesTotal, len(st.Keys), "at most each key's last dispatch unwritten at the end")
}
