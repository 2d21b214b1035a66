package sim_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/runner"
	"github.com/hbharness/hbharness/harness/sim"
	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/scenarios"
	"github.com/hbharness/hbharness/summary"
)

func builtin(t testing.TB, name string) *scenarios.Spec {
	t.Helper()
	spec, err := scenarios.Load(name, runner.ScenarioOptions())
	require.NoError(t, err)
	return spec
}

func parse(t *testing.T, src string) *scenarios.Spec {
	t.Helper()
	spec, err := scenarios.Parse([]byte(src), "sim.yaml", runner.ScenarioOptions())
	require.NoError(t, err)
	return spec
}

func outcome(r *runner.Result, name string) summary.Outcome {
	for _, v := range r.Verdicts {
		if v.Name == name {
			return v.Outcome
		}
	}
	return ""
}

// many-keys, simulated: every verdict the scenario expects holds, every
// key dispatches, and the record says what was modelled and how.
func TestSimulatedManyKeysHolds(t *testing.T) {
	spec := builtin(t, "many-keys")
	res, err := sim.Run(t.Context(), spec, sim.Options{Seed: 1})
	require.NoError(t, err)
	for _, v := range res.Verdicts {
		t.Logf("%s: %s: %s", v.Name, v.Outcome, v.Detail)
	}
	require.True(t, verify.Passed(res.Verdicts))
	require.Empty(t, res.Unusable)
	s := res.Summary()
	assert.Equal(t, "sim", s.Mode)
	require.NotNil(t, s.Sim)
	assert.Len(t, s.Sim.EventLogSHA256, 64)
	assert.Contains(t, s.Sim.Latencies, "db_statement")
	assert.NotEmpty(t, s.Sim.NotModelled)
	jobKeys := 0
	for _, k := range s.Keys {
		if strings.HasPrefix(k.Key, "heartbeat:pipeline:") {
			jobKeys++
			assert.Positive(t, k.Dispatches, k.Key)
		}
	}
	assert.Equal(t, spec.Fixtures.Keys(), jobKeys, "every key was polled")
}

// One seed and one binary give one event log, byte for byte; another seed
// gives another.
func TestSameSeedSameEventLog(t *testing.T) {
	spec := builtin(t, "many-keys")
	logs := map[int64][]string{}
	for _, seed := range []int64{7, 7, 8} {
		var log bytes.Buffer
		res, err := sim.Run(t.Context(), spec, sim.Options{Seed: seed, EventLog: &log})
		require.NoError(t, err)
		require.Positive(t, log.Len())
		logs[seed] = append(logs[seed], res.Sim.EventLogSHA256+"\n"+log.String())
	}
	require.Equal(t, logs[7][0], logs[7][1], "seed 7 twice")
	require.NotEqual(t, logs[7][0], logs[8][0], "seeds 7 and 8")
}

// What the model leaves out is refused, named, never judged as if it held.
func TestRefusesWhatItDoesNotModel(t *testing.T) {
	const base = `
name: x
duration: 2m
settings: {checker_every: 5s}
fixtures: {projects: 1, pipelines: 1, services_per_key: 2, jobs_per_key: 1}
`
	cases := []struct{ name, extra, want string }{
		{"faults", "fleet: [{name: a, workers: 2, behaviour: active, poll_every: 5s}]\nfaults: [{kind: redis-down, at: 1m, for: 10s}]", "faults"},
		{"adc workers", "fleet: [{name: a, workers: 2, behaviour: adc, poll_every: 5s}]", "behaviour adc"},
		{"an attack", "fleet: [{name: a, workers: 2, behaviour: active, poll_every: 5s}]\nload: [{name: hit, endpoint: tasks, rate: 5/s, duration: 1m}]", "attacks"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := parse(t, base+tc.extra)
			_, err := sim.Run(context.Background(), spec, sim.Options{Seed: 1})
			require.ErrorIs(t, err, sim.ErrNotModelled)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// Strategies known to break an invariant break it in the simulation too:
// the verifier sees what the model does, not what the scenario hopes.
func TestBrokenStrategiesAreCaught(t *testing.T) {
	const src = `
name: small
duration: 4m
settings: {checker_every: 5s}
fixtures: {projects: 1, pipelines: 2, services_per_key: 2, jobs_per_key: 1}
fleet:
  - {name: adc, workers: 6, behaviour: active, poll_every: 5s, jitter: 1s, start: spread, batch_size: 4}
`
	cases := []struct {
		strategy, fails string
	}{
		{"view-gate", ""},
		{"inline", verify.AtMostOnePerWindow}, // every poll writes
		{"none", verify.AtMostOnePerWindow},   // every poll dispatches
		{"two-tier", ""},
		{"per-service", ""},
		{"db-skip-locked", ""},
	}
	for _, tc := range cases {
		t.Run(tc.strategy, func(t *testing.T) {
			spec := parse(t, src).ForStrategy(tc.strategy)
			res, err := sim.Run(t.Context(), spec, sim.Options{Seed: 3})
			require.NoError(t, err)
			for _, v := range res.Verdicts {
				t.Logf("%s: %s: %s", v.Name, v.Outcome, v.Detail)
			}
			if tc.fails == "" {
				require.True(t, verify.Passed(res.Verdicts))
				return
			}
			require.Equal(t, summary.Fail, outcome(res, tc.fails))
		})
	}
}
