package contract

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/reference/heartbeat"
)

func TestUnthrottled(t *testing.T) {
	var got []string
	for _, name := range Strategies() {
		if Unthrottled(name) {
			got = append(got, name)
		}
	}
	require.Equal(t, []string{"inline", "none"}, got, "the strategies that write on every request")
	require.False(t, Unthrottled("no-such"))
}

func TestScopes(t *testing.T) {
	job := heartbeat.JobTarget(1, 2)
	list := heartbeat.PipelinesTarget([]string{"b", "a"})
	cases := []struct {
		strategy string
		call     Call
		want     heartbeat.Target
	}{
		{"view-gate", Call{Target: job, ServiceID: 7}, job},
		{"per-service", Call{Target: job, ServiceID: 7}, heartbeat.ServiceTarget(7)},
		{"per-service", Call{Target: list}, list},
		{"per-service-sync", Call{Target: job, ServiceID: 7}, heartbeat.ServiceTarget(7)},
		{"per-service-sync", Call{Target: list, ServiceID: 7}, list},
	}
	for _, c := range cases {
		scope, err := Scope(c.strategy)
		require.NoError(t, err)
		require.Equal(t, c.want, scope(c.call), "%s %+v", c.strategy, c.call)
	}
	_, err := Scope("no-such")
	require.ErrorContains(t, err, `unknown strategy "no-such": use one of db-skip-locked, inline,`)
	require.Contains(t, Strategies(), DefaultStrategy)
}

func TestPolicies(t *testing.T) {
	for _, name := range PolicyNames() {
		p, err := ParsePolicy(name)
		require.NoError(t, err)
		require.Equal(t, name, string(p))
	}
	_, err := ParsePolicy("fail-sideways")
	require.ErrorContains(t, err, "unknown gate failure policy")
	require.Contains(t, Policies(), DefaultPolicy)
}

func TestCheckBugs(t *testing.T) {
	require.NoError(t, CheckBugs(nil))
	require.NoError(t, CheckBugs([]Bug{BugNonAtomicGate, BugDeliveredTwice}))
	require.ErrorContains(t, CheckBugs([]Bug{"off-by-one"}), `unknown planted bug "off-by-one"`)
	require.ErrorContains(t, CheckBugs([]Bug{BugNeverEnqueued, BugPerProcessGate}), "replace the gate more than once")
}
