package scenarios

import (
	"testing"
	"time"
	_ "time/tzdata" // zone: names must resolve whatever the host carries

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/faults"
)

func TestFaultFields(t *testing.T) {
	spec, err := Parse(src(`
name: x
duration: 10m
replicas: 2
fleet: [{name: a, workers: 2}]
faults:
  - {kind: clock-skew, at: 1m, for: 2m, offset: -45s, replica: 1}
  - {kind: replica-kill, at: 3m, for: 0, replica: 0}
  - {kind: db-lock, at: 4m, for: 30s}
`), "f.yaml", vocab())
	require.NoError(t, err)
	require.Equal(t, []faults.Fault{
		{Kind: "clock-skew", At: time.Minute, For: 2 * time.Minute, Replica: 1, Params: &faults.ClockSkew{Offset: faults.Duration(-45 * time.Second)}},
		{Kind: "replica-kill", At: 3 * time.Minute, Replica: 0, Params: &faults.None{}},
		{Kind: "db-lock", At: 4 * time.Minute, For: 30 * time.Second, Replica: faults.AllReplicas, Params: &faults.None{}},
	}, spec.Faults)
}

// A worker writing UTC into a naive-local column is a clock off by the
// zone's UTC offset, the other way.
func TestFaultZoneIsAnOffset(t *testing.T) {
	for _, zone := range []string{"Europe/Paris", "America/Toronto", "Asia/Kolkata"} {
		t.Run(zone, func(t *testing.T) {
			spec, err := Parse(src(`
name: x
duration: 10m
fleet: [{name: a, workers: 2}]
faults: [{kind: clock-skew, at: 1m, for: 2m, zone: `+zone+`}]
`), "f.yaml", vocab())
			require.NoError(t, err)
			loc, err := time.LoadLocation(zone)
			require.NoError(t, err)
			_, east := time.Now().In(loc).Zone()
			require.Equal(t, &faults.ClockSkew{Offset: faults.Duration(-time.Duration(east) * time.Second), Zone: zone}, spec.Faults[0].Params)
		})
	}
}

func TestRandomFaultsAreDrawnFromTheSeed(t *testing.T) {
	spec, err := Parse(src(`
name: chaos
duration: 10m
fleet: [{name: a, workers: 2}]
faults: {random: {kinds: [broker-down, redis-slow, db-lock], every: 2m, for: 20s..60s, latency: 200ms}}
`), "f.yaml", vocab())
	require.NoError(t, err)
	require.Equal(t, &RandomFaults{Kinds: []string{"broker-down", "redis-slow", "db-lock"}, Every: 2 * time.Minute,
		ForMin: 20 * time.Second, ForMax: 60 * time.Second, Params: map[string]string{"latency": "200ms"}}, spec.RandomFaults)
	a, b, c := spec.FaultPlan(1), spec.FaultPlan(1), spec.FaultPlan(2)
	require.Equal(t, a, b, "the same seed draws the same schedule")
	require.NotEqual(t, a, c, "another seed another")
	require.Len(t, a, 4, "one per 2m period that fits in 10m")
	for i, f := range a {
		period := time.Duration(i+1) * 2 * time.Minute
		require.GreaterOrEqual(t, f.At, period)
		require.LessOrEqual(t, f.At, period+time.Minute, "in the period's first half")
		require.GreaterOrEqual(t, f.For, 20*time.Second)
		require.LessOrEqual(t, f.For, 60*time.Second)
		require.LessOrEqual(t, f.At+f.For, spec.Duration)
		require.NoError(t, f.Check(), "%v", f)
		if f.Kind == "redis-slow" {
			require.Equal(t, &faults.Slow{Latency: faults.Duration(200 * time.Millisecond)}, f.Params, "latency where the kind takes one")
		}
	}
}

func TestFaultRejects(t *testing.T) {
	for _, tc := range []struct{ name, faults, field, msg string }{
		{"offset missing", `[{kind: clock-skew, at: 1m, for: 1m}]`, "faults[0].offset", "is required for clock-skew"},
		{"zone and offset", `[{kind: clock-skew, at: 1m, for: 1m, offset: 5s, zone: Europe/Paris}]`, "faults[0].zone", "give one"},
		{"unknown zone", `[{kind: clock-skew, at: 1m, for: 1m, zone: Mars/Olympus}]`, "faults[0].zone", "not a time zone"},
		{"zone at UTC", `[{kind: clock-skew, at: 1m, for: 1m, zone: UTC}]`, "faults[0].zone", "no mismatch"},
		{"zone on an outage", `[{kind: redis-down, at: 1m, for: 1m, zone: Europe/Paris}]`, "faults[0].zone", "only applies to clock-skew"},
		{"offset zero", `[{kind: clock-skew, at: 1m, for: 1m, offset: 0s}]`, "faults[0].offset", "is zero"},
		{"offset on an outage", `[{kind: broker-down, at: 1m, for: 1m, offset: 5s}]`, "faults[0].offset", "only applies to clock-skew"},
		{"for 0 on an outage", `[{kind: broker-down, at: 1m, for: 0s}]`, "faults[0].for", "must be more than zero"},
		{"replica out of range", `[{kind: redis-down, at: 1m, for: 1m, replica: 1}]`, "faults[0].replica", "replica 1 does not exist: the scenario runs 1"},
		{"replica on a shared thing", `[{kind: db-lock, at: 1m, for: 1m, replica: 0}]`, "faults[0].replica", "db-lock cannot be aimed at one replica"},
		{"a mapping that is not random", `{kinds: [broker-down]}`, "faults", "unknown field"},
		{"random without kinds", `{random: {every: 2m, for: 30s}}`, "faults.random.kinds", "is required"},
		{"random unknown kind", `{random: {kinds: [broker-up], every: 2m, for: 30s}}`, "faults.random.kinds[0]", "not one of"},
		{"random backwards range", `{random: {kinds: [broker-down], every: 2m, for: 60s..20s}}`, "faults.random.for", "must run from more than zero up"},
		{"random needs latency", `{random: {kinds: [redis-slow], every: 2m, for: 30s}}`, "faults.random.latency", "redis-slow is among the kinds"},
		{"random too long", `{random: {kinds: [broker-down], every: 9m, for: 2m}}`, "faults.random.every", "would not fit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(src("name: x\nduration: 10m\nfleet: [{name: a, workers: 1}]\nfaults: "+tc.faults+"\n"), "f.yaml", vocab())
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.field+": ")
			require.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestReplay(t *testing.T) {
	schedule := []faults.Fault{{Kind: "redis-slow", At: time.Minute, For: 30 * time.Second, Replica: faults.AllReplicas,
		Params: &faults.Slow{Latency: faults.Duration(time.Second)}}}
	spec, err := Replay(Recorded{Source: "builtin:broker-outage", Strategy: "view-gate", TimeScale: 0.05,
		FailurePolicy: "fail-open", Faults: schedule}, vocab())
	require.NoError(t, err)
	require.Equal(t, schedule, spec.Faults, "the schedule as recorded, not the file's")
	require.Nil(t, spec.RandomFaults)
	require.Equal(t, "fail-open", spec.FailurePolicy)

	for _, tc := range []struct {
		name string
		r    Recorded
		msg  string
	}{
		{"no source", Recorded{TimeScale: 0.05}, "does not say which scenario"},
		{"an unsound fault", Recorded{Source: "builtin:broker-outage", TimeScale: 0.05,
			Faults: []faults.Fault{{Kind: "redis-slow", At: time.Minute, For: time.Second, Replica: faults.AllReplicas}}}, "fault_schedule[0]"},
		{"a bad time scale", Recorded{Source: "builtin:broker-outage", TimeScale: -1}, "time scale"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Replay(tc.r, vocab())
			require.ErrorContains(t, err, tc.msg)
		})
	}
}

// A wrong parameter is one problem, not also a missing one.
func TestFaultParameterProblemIsNamedOnce(t *testing.T) {
	_, err := Parse(src("name: x\nduration: 10m\nfleet: [{name: a, workers: 1}]\nfaults: [{kind: clock-skew, at: 1m, for: 1m, offset: 0s}]\n"), "f.yaml", vocab())
	var verr *ValidationError
	require.ErrorAs(t, err, &verr)
	require.Len(t, verr.Problems, 1, "%v", err)
	require.Equal(t, "faults[0].offset", verr.Problems[0].Field)
}
