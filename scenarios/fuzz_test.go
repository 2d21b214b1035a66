package scenarios

import (
	"errors"
	"os"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/faults"
)

func FuzzParse(f *testing.F) {
	for _, b := range Builtins(vocab()) {
		data, err := builtinFS.ReadFile("builtin/" + b.Name + ".yaml")
		require.NoError(f, err)
		f.Add(data)
	}
	if data, err := os.ReadFile("testdata/design-example.yaml"); err == nil {
		f.Add(data)
	}
	for _, tc := range rejectCases() {
		f.Add(src(tc.src))
	}
	f.Add([]byte("name: x\nduration: 1m\nfleet: [{name: a, workers: 1, keys: [0]}]\nfaults: [{kind: db-slow, at: 0s, for: 1s, latency: 1ms}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := Parse(data, "fuzz.yaml", vocab())
		if err != nil {
			require.Nil(t, spec)
			var verr *ValidationError
			require.True(t, errors.As(err, &verr), "error is %T, want *ValidationError", err)
			require.NotEmpty(t, verr.Problems)
			for _, p := range verr.Problems {
				require.Equal(t, "fuzz.yaml", p.File)
				require.NotEmpty(t, p.Msg)
			}
			return
		}
		require.Equal(t, "fuzz.yaml", spec.Source)
		checkSpec(t, spec)
	})
}

// checkSpec restates the rules of docs/design.md#scenario-files directly on a parsed Spec, independently of
// the decoder, so that "Parse succeeded" can be checked to mean "valid".
func checkSpec(t *testing.T, s *Spec) {
	t.Helper()
	require.Regexp(t, regexp.MustCompile(`^[a-z0-9-]+$`), s.Name)
	require.Positive(t, s.Duration)
	require.True(t, s.TimeScale > 0 && s.TimeScale <= 1, "time_scale %v", s.TimeScale)
	require.Contains(t, vocab().Strategies, s.Strategy)
	require.Contains(t, []string{"fail-closed", "fail-open", "fail-open-local"}, s.FailurePolicy)
	require.GreaterOrEqual(t, s.Replicas, 1)
	require.GreaterOrEqual(t, s.AllowedErrors.Total, 0)
	for ep, n := range s.AllowedErrors.PerEndpoint {
		require.Contains(t, []string{"tasks", "result", "list"}, ep)
		require.GreaterOrEqual(t, n, 0)
	}

	st := s.Settings
	require.Positive(t, st.Throttle)
	require.Less(t, st.Throttle, st.OfflineAfter)
	require.Positive(t, st.CheckerEvery)
	require.Positive(t, s.SampleEvery)
	require.LessOrEqual(t, s.SampleEvery, st.Throttle/4)
	require.GreaterOrEqual(t, st.JobCacheTTL, time.Duration(0))
	require.GreaterOrEqual(t, st.TaskWorkers, 1)

	fx := s.Fixtures
	for _, n := range []int{fx.Projects, fx.Pipelines, fx.ServicesPerKey, fx.JobsPerKey} {
		require.GreaterOrEqual(t, n, 1)
	}
	require.GreaterOrEqual(t, fx.TasksPerJob, 0)
	keys := fx.Keys()
	checkKeys := func(ks []int) {
		if ks == nil {
			return
		}
		require.NotEmpty(t, ks)
		seen := map[int]bool{}
		for _, k := range ks {
			require.True(t, k >= 0 && k < keys, "key %d of %d", k, keys)
			require.False(t, seen[k], "key %d twice", k)
			seen[k] = true
		}
	}

	require.True(t, len(s.Fleet) > 0 || len(s.Load) > 0, "a scenario must send something")
	groups := map[string]bool{}
	for _, g := range s.Fleet {
		require.NotEmpty(t, g.Name)
		require.False(t, groups[g.Name], "group %q twice", g.Name)
		groups[g.Name] = true
		require.GreaterOrEqual(t, g.Workers, 1)
		require.Contains(t, []string{"active", "idle", "adc"}, g.Behaviour)
		require.Contains(t, []string{"together", "spread", "ramp"}, g.Start)
		require.Positive(t, g.PollEvery)
		require.Positive(t, g.IdleEvery)
		require.GreaterOrEqual(t, g.Jitter, time.Duration(0))
		require.Less(t, g.Jitter, g.PollEvery)
		if g.Start == "ramp" {
			require.True(t, g.RampOver > 0 && g.RampOver <= s.Duration, "ramp_over %v", g.RampOver)
		} else {
			require.Zero(t, g.RampOver)
		}
		require.GreaterOrEqual(t, g.StartAt, time.Duration(0))
		require.Less(t, g.StartAt, g.StopAt)
		require.LessOrEqual(t, g.StopAt, s.Duration)
		require.GreaterOrEqual(t, g.BatchSize, 1)
		checkKeys(g.Keys)
	}
	attacks := map[string]bool{}
	for _, a := range s.Load {
		require.NotEmpty(t, a.Name)
		require.False(t, attacks[a.Name], "attack %q twice", a.Name)
		attacks[a.Name] = true
		require.Contains(t, []string{"tasks", "result", "list"}, a.Endpoint)
		require.Positive(t, a.Rate.Per)
		require.GreaterOrEqual(t, a.RateTo.Per, 0.0)
		require.GreaterOrEqual(t, a.StartAt, time.Duration(0))
		require.Positive(t, a.Duration)
		require.LessOrEqual(t, a.StartAt, s.Duration)
		require.LessOrEqual(t, a.Duration, s.Duration-a.StartAt)
		checkKeys(a.Keys)
	}
	for _, x := range s.Faults {
		require.Contains(t, faults.Names(), x.Kind)
		require.GreaterOrEqual(t, x.At, time.Duration(0))
		require.Positive(t, x.For)
		require.LessOrEqual(t, x.At, s.Duration)
		require.LessOrEqual(t, x.For, s.Duration-x.At)
		require.NoError(t, x.Check(), "a parsed fault is sound: %v", x)
	}
	require.NotNil(t, s.Expect)
	for name, outcome := range s.Expect {
		require.True(t, slices.Contains(vocab().Invariants, name), "invariant %q", name)
		require.Contains(t, []string{"pass", "fail", "either"}, outcome)
	}
}
