package scenarios

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/modeltime"
)

func TestWorkerCountAndMaxPollGap(t *testing.T) {
	tests := []struct {
		name    string
		fleet   []Group
		workers int
		gap     time.Duration
	}{
		{name: "no fleet", fleet: nil, workers: 0, gap: 0},
		{name: "active: poll_every+jitter", workers: 10, gap: 6 * time.Second, fleet: []Group{
			{Behaviour: BehaviourActive, Workers: 10, PollEvery: 5 * time.Second, IdleEvery: 5 * time.Second, Jitter: time.Second}}},
		{name: "active: idle_every+jitter when longer", workers: 1, gap: 22 * time.Second, fleet: []Group{
			{Behaviour: BehaviourActive, Workers: 1, PollEvery: 5 * time.Second, IdleEvery: 20 * time.Second, Jitter: 2 * time.Second}}},
		{name: "idle groups ignore idle_every", workers: 3, gap: 8 * time.Second, fleet: []Group{
			{Behaviour: BehaviourIdle, Workers: 3, PollEvery: 7 * time.Second, IdleEvery: 30 * time.Second, Jitter: time.Second}}},
		{name: "adc: the sleep, its jitter and the list's latency", workers: 8, gap: 6*time.Second + ADCListLatency, fleet: []Group{
			{Behaviour: BehaviourADC, Workers: 8, PollEvery: 5 * time.Second, IdleEvery: 30 * time.Second, Jitter: time.Second}}},
		{name: "largest over groups", workers: 60, gap: 48 * time.Second, fleet: []Group{
			{Behaviour: BehaviourActive, Workers: 50, PollEvery: 5 * time.Second, IdleEvery: 5 * time.Second, Jitter: time.Second},
			{Behaviour: BehaviourIdle, Workers: 10, PollEvery: 45 * time.Second, IdleEvery: 5 * time.Second, Jitter: 3 * time.Second}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &Spec{Fleet: tc.fleet}
			require.Equal(t, tc.workers, s.WorkerCount())
			require.Equal(t, tc.gap, s.MaxPollGap())
		})
	}
}

func TestFixturesKeys(t *testing.T) {
	require.Equal(t, 200, Fixtures{Projects: 20, Pipelines: 10}.Keys())
	require.Equal(t, 1, Fixtures{Projects: 1, Pipelines: 1}.Keys())
}

func TestWithOverrides(t *testing.T) {
	tests := []struct {
		name     string
		strategy string
		scale    modeltime.Scale
		want     Spec
	}{
		{name: "keep both", want: Spec{Strategy: "view-gate", TimeScale: 0.05}},
		{name: "strategy only", strategy: "none", want: Spec{Strategy: "none", TimeScale: 0.05}},
		{name: "scale only", scale: 0.2, want: Spec{Strategy: "view-gate", TimeScale: 0.2}},
		{name: "both", strategy: "inline", scale: 1, want: Spec{Strategy: "inline", TimeScale: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Spec{Strategy: "view-gate", TimeScale: 0.05}
			s.WithOverrides(tc.strategy, tc.scale)
			require.Equal(t, tc.want, s)
		})
	}
}

func TestCheckOverrides(t *testing.T) {
	opt := vocab()
	require.NoError(t, CheckOverrides("", opt))
	require.NoError(t, CheckOverrides("none", opt))
	require.ErrorContains(t, CheckOverrides("nope", opt), `strategy "nope" is not known (known: inline,`)
}
