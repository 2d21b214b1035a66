package summary_test

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/faults"
	"github.com/hbharness/hbharness/harness/runner"
	"github.com/hbharness/hbharness/scenarios"
	"github.com/hbharness/hbharness/summary"
)

// A summary.json written before faults were one type (its faults carry
// planned_at_s, latency_s and offset_s of their own) still reads, and its
// fault_schedule still replays: the schedule's form did not change.
func TestSummaryBeforePlannedFaultsReplays(t *testing.T) {
	f, err := os.Open("testdata/summary-faults-before-planned.json")
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	s, err := summary.ReadJSON(f)
	require.NoError(t, err)

	want := []faults.Fault{
		{Kind: "redis-slow", At: time.Minute, For: 30 * time.Second, Replica: 1, Params: &faults.Slow{Latency: faults.Duration(250 * time.Millisecond)}},
		{Kind: "clock-skew", At: 2 * time.Minute, For: time.Minute, Replica: faults.AllReplicas,
			Params: &faults.ClockSkew{Offset: faults.Duration(-time.Hour), Zone: "Europe/Paris"}},
		{Kind: "replica-kill", At: 5 * time.Minute, Replica: faults.AllReplicas, Params: &faults.None{}},
	}
	require.Equal(t, want, s.FaultSchedule)
	require.Len(t, s.Faults, 2)
	require.Equal(t, "redis-slow", s.Faults[0].Kind)
	require.InDelta(t, 60.2, s.Faults[0].AtS, 1e-9)
	require.Equal(t, faults.Fault{}, s.Faults[0].Planned, "not recorded then")

	spec, err := scenarios.Replay(scenarios.Recorded{Source: s.Source, Strategy: s.Strategy, Label: s.Label,
		TimeScale: s.TimeScale, FailurePolicy: s.FailurePolicy, Faults: s.FaultSchedule}, runner.ScenarioOptions())
	require.NoError(t, err)
	require.Equal(t, want, spec.Faults)
	require.Nil(t, spec.RandomFaults)
	require.Equal(t, "fail-closed", spec.FailurePolicy)
}

// A fault's plan is written in the schedule's form, and reads back whole.
func TestPlannedFaultRoundTrips(t *testing.T) {
	plan := faults.Fault{Kind: "clock-skew", At: time.Minute, For: 30 * time.Second, Replica: 0,
		Params: &faults.ClockSkew{Offset: faults.Duration(-90 * time.Second)}}
	in := summary.Summary{Faults: []summary.Fault{{Kind: plan.Kind, AtS: 60.1, ForS: 30, Planned: plan}}, FaultSchedule: []faults.Fault{plan}}
	var buf bytes.Buffer
	require.NoError(t, summary.WriteJSON(&buf, in))
	require.Contains(t, buf.String(), `"offset_s": -90`)
	out, err := summary.ReadJSON(&buf)
	require.NoError(t, err)
	require.Equal(t, plan, out.Faults[0].Planned)
	require.Equal(t, []faults.Fault{plan}, out.FaultSchedule)
}
