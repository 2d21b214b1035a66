package scenarios

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/reference/contract"
)

// The pre-deploy subset runs against a staging deployment at real time
// (suite --target): it must take about 10 minutes, stay gentle on the
// deployment, judge every scenario over several windows, and fit the one job
// `serve --seed default` seeds, so that one fresh serve can take it.
func TestPredeploySubsetFitsARealTimeRun(t *testing.T) {
	var names []string
	var total time.Duration
	tasks := 0.0
	for _, b := range Builtins(vocab()) {
		if !b.Predeploy {
			continue
		}
		names = append(names, b.Name)
		s, err := Load(b.Name, vocab())
		require.NoError(t, err)
		require.Len(t, s.Variants(), 1, "%s: a deployment runs one strategy, so one run", b.Name)
		require.Empty(t, s.Faults, "%s: the fault proxies cannot reach a deployment", b.Name)
		require.Nil(t, s.RandomFaults, b.Name)
		require.Empty(t, s.Load, "%s: no open-model attacks on staging", b.Name)
		require.Equal(t, vocab().DefaultStrategy, s.Strategy, "%s: judged as the deployment's strategy (--strategy), not a fixed one", b.Name)
		require.Empty(t, s.Expect, "%s: a build fit to deploy passes everything", b.Name)
		require.False(t, s.Quick, "%s: the pull-request subset is shaped for in-process runs", b.Name)
		require.GreaterOrEqual(t, s.Duration, 6*s.Settings.Throttle, "%s: a handful of windows per key", b.Name)
		require.Less(t, s.MaxPollGap(), s.Settings.Throttle, "%s: every window is polled", b.Name)
		require.LessOrEqual(t, s.RequestRate(), 40.0, "%s: requests per second at real time, on staging", b.Name)
		require.LessOrEqual(t, s.WorkerCount(), 200, "%s: moderate worker counts", b.Name)
		total += s.Duration
		for _, g := range s.Fleet {
			require.NotEqual(t, BehaviourADC, g.Behaviour, "%s: adc workers post as fast as the target answers", b.Name)
			if g.Behaviour == BehaviourActive {
				tasks += float64(g.Workers*g.BatchSize) / g.PollEvery.Seconds() * s.Duration.Seconds()
			}
		}
	}
	require.Equal(t, []string{"predeploy-herd", "predeploy-idle", "predeploy-steady"}, names)
	require.InDelta(t, (10 * time.Minute).Seconds(), total.Seconds(), 60, "about 10 minutes at real time")
	require.Less(t, tasks, float64(contract.DefaultFixtures().TasksPerJob), "one `serve --seed default` job serves the whole subset")
}
