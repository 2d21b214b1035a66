package scenarios

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRunsGiveEachStrategyItsExpectations(t *testing.T) {
	spec, err := Parse(src(`
name: silent
duration: 10m
fleet: [{name: a, workers: 2, services: [0]}]
runs:
  - {strategy: view-gate, expect: {no_false_liveness: fail}}
  - {strategy: per-service}
`), "f.yaml", vocab())
	require.NoError(t, err)
	vs := spec.Variants()
	require.Len(t, vs, 2)
	require.Equal(t, "view-gate", vs[0].Strategy)
	require.Equal(t, map[string]string{"no_false_liveness": "fail"}, vs[0].Expect)
	require.Equal(t, "per-service", vs[1].Strategy)
	require.Empty(t, vs[1].Expect)
	require.Nil(t, vs[0].Runs, "a variant is one run")
	require.Equal(t, "per-service", spec.ForStrategy("per-service").Strategy)
	require.Equal(t, "view-gate", spec.ForStrategy("").Strategy, "the first run by default")
	other := spec.ForStrategy("two-tier")
	require.Equal(t, "two-tier", other.Strategy)
	require.Empty(t, other.Expect, "another strategy's expectations do not carry over")

	plain, err := Parse(src(`
name: plain
duration: 10m
fleet: [{name: a, workers: 2}]
`), "f.yaml", vocab())
	require.NoError(t, err)
	require.Equal(t, []*Spec{plain}, plain.Variants())
	require.Equal(t, "none", plain.ForStrategy("none").Strategy)
	require.Equal(t, "view-gate", plain.Strategy, "ForStrategy does not change the spec it was asked of")
}

// A strategy may run twice under labels, each run with its own settings
// (the file's, with the run's written over them) and failure policy.
func TestRunsMayDifferInSettingsAndPolicy(t *testing.T) {
	spec, err := Parse(src(`
name: flap
duration: 10m
failure_policy: fail-closed
settings: {throttle: 20s, offline_after: 50s}
fleet: [{name: a, workers: 2}]
runs:
  - {strategy: view-gate, expect: {last_seen_never_stale: fail}}
  - {strategy: view-gate, label: release, settings: {release_on_enqueue_failure: true}}
  - {strategy: view-gate, label: open, failure_policy: fail-open}
`), "f.yaml", vocab())
	require.NoError(t, err)
	vs := spec.Variants()
	require.Len(t, vs, 3)
	require.Equal(t, "view-gate", vs[0].RunName())
	require.False(t, vs[0].Settings.ReleaseOnEnqueueFailure)
	require.Equal(t, "release", vs[1].RunName())
	require.True(t, vs[1].Settings.ReleaseOnEnqueueFailure)
	require.Equal(t, 20*time.Second, vs[1].Settings.Throttle, "the file's settings stay where the run says nothing")
	require.Equal(t, 50*time.Second, vs[1].Settings.OfflineAfter)
	require.Empty(t, vs[1].Expect)
	require.Equal(t, "fail-closed", vs[1].FailurePolicy)
	require.Equal(t, "fail-open", vs[2].FailurePolicy)
	require.False(t, vs[2].Settings.ReleaseOnEnqueueFailure, "one run's settings are not another's")
}

func TestServicesConfineAGroupsWorkers(t *testing.T) {
	spec, err := Parse(src(`
name: x
duration: 10m
fixtures: {services_per_key: 3}
fleet:
  - {name: one, workers: 4, services: [1]}
  - {name: rest, workers: 4, services: [0, 2], crash_at: 3m}
`), "f.yaml", vocab())
	require.NoError(t, err)
	var one, rest []int
	for _, p := range spec.Plan(1) {
		switch p.Group {
		case "one":
			one = append(one, p.ServiceIndex)
			require.Zero(t, p.CrashAt)
		case "rest":
			rest = append(rest, p.ServiceIndex)
			require.Equal(t, 3*60*1e9, float64(p.CrashAt))
		}
	}
	require.Equal(t, []int{1, 1, 1, 1}, one)
	require.Equal(t, []int{0, 2, 0, 2}, rest)
}

func TestLifecycleAndRunsRejects(t *testing.T) {
	for _, tc := range []struct{ name, src, field, msg string }{
		{"crash before start", `
name: x
duration: 10m
fleet: [{name: a, workers: 1, start_at: 2m, crash_at: 1m}]
`, "fleet[0].crash_at", "must be after start_at 2m"},
		{"crash after stop", `
name: x
duration: 10m
fleet: [{name: a, workers: 1, stop_at: 2m, crash_at: 3m}]
`, "fleet[0].crash_at", "must be before the group stops"},
		{"service out of range", `
name: x
duration: 10m
fixtures: {services_per_key: 2}
fleet: [{name: a, workers: 1, services: [2]}]
`, "fleet[0].services[0]", "service index 2 is out of range: each key has 2 services"},
		{"runs beside a strategy", `
name: x
duration: 10m
strategy: none
fleet: [{name: a, workers: 1}]
runs: [{strategy: view-gate}]
`, "strategy", "runs: gives each run its own strategy"},
		{"a strategy run twice", `
name: x
duration: 10m
fleet: [{name: a, workers: 1}]
runs: [{strategy: view-gate}, {strategy: view-gate}]
`, "runs[1].strategy", "view-gate is run twice"},
		{"a run's settings break a rule", `
name: x
duration: 10m
settings: {throttle: 30s}
fleet: [{name: a, workers: 1}]
runs: [{strategy: view-gate, settings: {offline_after: 10s}}]
`, "settings.throttle", "must be shorter than offline_after 10s"},
		{"a bad label", `
name: x
duration: 10m
fleet: [{name: a, workers: 1}]
runs: [{strategy: view-gate, label: "Two Words"}]
`, "runs[0].label", "lowercase"},
		{"a run without a strategy", `
name: x
duration: 10m
fleet: [{name: a, workers: 1}]
runs: [{expect: {requests_succeed: fail}}]
`, "runs[0].strategy", "is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(src(tc.src), "f.yaml", vocab())
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.field+": ")
			require.Contains(t, err.Error(), tc.msg)
		})
	}
}
