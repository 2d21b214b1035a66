package faults

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestKindsAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Kinds() {
		require.NotEmpty(t, k.Name)
		require.False(t, seen[k.Name], "%s listed twice", k.Name)
		seen[k.Name] = true
		require.NotEmpty(t, k.Doc, k.Name)
		require.NotNil(t, k.New, k.Name)
		p := k.New()
		require.NotNil(t, p, k.Name)
		for _, field := range p.Fields() {
			require.NotContains(t, []string{"kind", "at", "for", "replica"}, field, "%s: a parameter may not shadow a field every fault has", k.Name)
		}
	}
	_, err := Lookup("broker-flaky")
	require.ErrorContains(t, err, "use one of broker-down, broker-blackhole")
	require.Equal(t, []string{"clock-skew"}, Takes("zone"))
	require.Equal(t, []string{"broker-slow", "redis-slow", "db-slow", "nats-slow"}, Takes("latency"))
}

func TestFaultCheck(t *testing.T) {
	slow := func(d time.Duration) Params { return &Slow{Latency: Duration(d)} }
	for _, tc := range []struct {
		name string
		f    Fault
		msg  string // "" when it is sound
	}{
		{"sound", Fault{Kind: "redis-slow", At: time.Second, For: time.Second, Replica: 0, Params: slow(time.Millisecond)}, ""},
		{"forever kill", Fault{Kind: "replica-kill", Replica: AllReplicas, Params: &None{}}, ""},
		{"unknown kind", Fault{Kind: "broker-up", For: time.Second, Params: &None{}}, "unknown fault kind"},
		{"before the run", Fault{Kind: "db-lock", At: -1, For: time.Second, Replica: AllReplicas, Params: &None{}}, "at must be ≥ 0"},
		{"no time", Fault{Kind: "db-lock", Replica: AllReplicas, Params: &None{}}, "for must be > 0"},
		{"aimed at a shared thing", Fault{Kind: "db-lock", For: time.Second, Replica: 0, Params: &None{}}, "cannot be aimed at one replica"},
		{"none given where none are taken", Fault{Kind: "db-lock", For: time.Second, Replica: AllReplicas}, ""},
		{"none given where some are needed", Fault{Kind: "clock-skew", For: time.Second, Replica: AllReplicas}, "offset: is required for clock-skew"},
		{"another kind's parameters", Fault{Kind: "db-lock", For: time.Second, Replica: AllReplicas, Params: slow(time.Second)}, "not *faults.Slow"},
		{"slow without latency", Fault{Kind: "db-slow", For: time.Second, Replica: AllReplicas, Params: slow(0)}, "latency: is required for db-slow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.f.Check()
			if tc.msg == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.msg)
		})
	}
	require.Equal(t, "redis-slow at 1m0s for 30s (latency 200ms) on replica 1",
		Fault{Kind: "redis-slow", At: time.Minute, For: 30 * time.Second, Replica: 1, Params: slow(200 * time.Millisecond)}.String())
}
