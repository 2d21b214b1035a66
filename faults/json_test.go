package faults

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A fault_schedule entry as summary.json wrote it before the kinds had
// types of their own: it must still decode, to be replayed.
const oldSchedule = `[
  {"kind": "redis-slow", "at_s": 60, "for_s": 30.5, "latency_s": 0.2, "replica": 1},
  {"kind": "clock-skew", "at_s": 120, "for_s": 60, "offset_s": -3600, "zone": "Europe/Paris"},
  {"kind": "replica-kill", "at_s": 180, "for_s": 0, "replica": 0},
  {"kind": "db-lock", "at_s": 240, "for_s": 20}
]`

func TestOldScheduleDecodes(t *testing.T) {
	var got []Fault
	require.NoError(t, json.Unmarshal([]byte(oldSchedule), &got))
	require.Equal(t, []Fault{
		{Kind: "redis-slow", At: time.Minute, For: 30500 * time.Millisecond, Replica: 1, Params: &Slow{Latency: Duration(200 * time.Millisecond)}},
		{Kind: "clock-skew", At: 2 * time.Minute, For: time.Minute, Replica: AllReplicas, Params: &ClockSkew{Offset: Duration(-time.Hour), Zone: "Europe/Paris"}},
		{Kind: "replica-kill", At: 3 * time.Minute, Replica: 0, Params: &None{}},
		{Kind: "db-lock", At: 4 * time.Minute, For: 20 * time.Second, Replica: AllReplicas, Params: &None{}},
	}, got)
	for _, f := range got {
		require.NoError(t, f.Check(), "%v", f)
	}
	again, err := json.Marshal(got)
	require.NoError(t, err)
	require.JSONEq(t, oldSchedule, string(again), "written back in the same form")
}

func TestDecodeRejects(t *testing.T) {
	for _, tc := range []struct{ name, in, msg string }{
		{"unknown kind", `{"kind": "broker-flaky", "at_s": 1, "for_s": 1}`, `unknown fault kind "broker-flaky"`},
		{"a parameter of the wrong type", `{"kind": "redis-slow", "at_s": 1, "for_s": 1, "latency_s": "fast"}`, "redis-slow's parameters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f Fault
			require.ErrorContains(t, json.Unmarshal([]byte(tc.in), &f), tc.msg)
		})
	}
}

// A record that planned nothing (a history saved before faults were
// recorded whole) reads and writes as null, not as a fault of no kind.
func TestZeroFaultIsNull(t *testing.T) {
	b, err := json.Marshal(struct{ F Fault }{})
	require.NoError(t, err)
	require.JSONEq(t, `{"F": null}`, string(b))
	var back struct{ F Fault }
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, Fault{}, back.F)
}
