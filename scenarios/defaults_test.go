package scenarios

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/faults"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/settings"
)

func TestParseAppliesDefaults(t *testing.T) {
	spec, err := Parse(src(`
name: minimal
duration: 10m
fleet:
  - {name: a, workers: 3}
  - {name: r, workers: 9, start: ramp, start_at: 1m}
load:
  - {name: b, endpoint: list, rate: 120/m, rate_to: 6/s, duration: 1m, keys: [0]}
faults:
  - {kind: redis-slow, at: 0s, for: 1m, latency: 250ms}
`), "min.yaml", vocab())
	require.NoError(t, err)
	want := &Spec{
		Name:          "minimal",
		Duration:      10 * time.Minute,
		TimeScale:     0.05,
		Strategy:      "view-gate",
		FailurePolicy: "fail-closed",
		Replicas:      1,
		Settings:      settings.Default(),
		SampleEvery:   time.Second,
		Fixtures:      Fixtures{Projects: 1, Pipelines: 1, ServicesPerKey: 3, JobsPerKey: 1},
		Fleet: []Group{
			{Name: "a", Behaviour: "active", Start: "spread", Workers: 3, BatchSize: 8,
				PollEvery: 5 * time.Second, IdleEvery: 5 * time.Second, StopAt: 10 * time.Minute},
			{Name: "r", Behaviour: "active", Start: "ramp", Workers: 9, BatchSize: 8,
				PollEvery: 5 * time.Second, IdleEvery: 5 * time.Second, RampOver: 10 * time.Minute,
				StartAt: time.Minute, StopAt: 10 * time.Minute},
		},
		Load: []Attack{{Name: "b", Endpoint: "list", Rate: Rate{Per: 2}, RateTo: Rate{Per: 6},
			Duration: time.Minute, Keys: []int{0}}},
		Faults: []faults.Fault{{Kind: "redis-slow", For: time.Minute, Replica: faults.AllReplicas,
			Params: &faults.Slow{Latency: faults.Duration(250 * time.Millisecond)}}},
		Expect: map[string]string{},
		Source: "min.yaml",
	}
	require.Equal(t, want, spec)
}

func TestParseKeepsExplicitValues(t *testing.T) {
	spec, err := Parse(src(`
name: full
description: every field set
duration: 1h
time_scale: 1
strategy: per-service
failure_policy: fail-open-local
replicas: 3
allowed_errors: 7
settings: {throttle: 20s, offline_after: 45s, checker_every: 10s, checker_expires: 8s, checker_queue: own, sample_every: 5s, task_workers: 2, job_cache_ttl: 0s, heartbeat_queue: shared,
  web_concurrency: 3, web_threads: 4, db_max_connections: 50, redis_read_timeout: 2s, job_log: row, cachalot: false,
  nats_task_ttr: 1m, nats_max_deliver: 5, nats_max_ack_pending: 64}
fixtures: {projects: 4, pipelines: 5, services_per_key: 2, jobs_per_key: 3, tasks_per_job: 100}
fleet:
  - {name: g, workers: 10, behaviour: idle, poll_every: 40s, idle_every: 7s, jitter: 3s, start: ramp, ramp_over: 20m, start_at: 5m, stop_at: 50m, batch_size: 16, keys: [19, 0]}
expect: {observers_agree: fail, requests_succeed: pass}
`), "full.yaml", vocab())
	require.NoError(t, err)
	require.Equal(t, "every field set", spec.Description)
	require.Equal(t, time.Hour, spec.Duration)
	require.Equal(t, modeltime.Real, spec.TimeScale)
	require.Equal(t, "per-service", spec.Strategy)
	require.Equal(t, "fail-open-local", spec.FailurePolicy)
	require.Equal(t, 3, spec.Replicas)
	require.Equal(t, Allowance{Total: 7}, spec.AllowedErrors)
	require.Equal(t, settings.Settings{Throttle: 20 * time.Second, OfflineAfter: 45 * time.Second, CheckerEvery: 10 * time.Second,
		CheckerExpires: 8 * time.Second, CheckerQueue: settings.CheckerOnOwnQueue, TaskWorkers: 2, HeartbeatQueue: settings.QueueShared,
		WebConcurrency: 3, WebThreads: 4, DBMaxConnections: 50, RedisReadTimeout: 2 * time.Second, JobLog: settings.JobLogRow,
		BrokerConnectTimeout: 4 * time.Second, ViewCPU: 5 * time.Millisecond,
		// Antenna's task time limits are not scenario fields: always the defaults.
		TaskSoftTimeLimit: 10 * time.Second, TaskTimeLimit: 15 * time.Second,
		NatsTaskTTR: time.Minute, NatsMaxDeliver: 5, NatsMaxAckPending: 64}, spec.Settings)
	require.Equal(t, 5*time.Second, spec.SampleEvery)
	require.Equal(t, Fixtures{Projects: 4, Pipelines: 5, ServicesPerKey: 2, JobsPerKey: 3, TasksPerJob: 100}, spec.Fixtures)
	require.Equal(t, []Group{{Name: "g", Behaviour: "idle", Start: "ramp", Workers: 10, BatchSize: 16,
		PollEvery: 40 * time.Second, IdleEvery: 7 * time.Second, Jitter: 3 * time.Second, RampOver: 20 * time.Minute,
		StartAt: 5 * time.Minute, StopAt: 50 * time.Minute, Keys: []int{19, 0}}}, spec.Fleet)
	require.Equal(t, map[string]string{"observers_agree": "fail", "requests_succeed": "pass"}, spec.Expect)
}

// An adc group takes the real client's settings unless the file overrides
// them: batches of 24, a 5 s sleep when no listed job has work.
func TestParseADCDefaults(t *testing.T) {
	tests := []struct {
		name, group          string
		batch                int
		poll, jitter, maxGap time.Duration
	}{
		{name: "defaults", group: `{name: gpu, workers: 8, behaviour: adc}`,
			batch: 24, poll: 5 * time.Second, maxGap: 5*time.Second + ADCListLatency},
		{name: "explicit", group: `{name: gpu, workers: 8, behaviour: adc, batch_size: 16, poll_every: 10s, jitter: 2s}`,
			batch: 16, poll: 10 * time.Second, jitter: 2 * time.Second, maxGap: 12*time.Second + ADCListLatency},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := Parse(src("name: x\nduration: 10m\nfleet:\n  - "+tc.group+"\n"), "x.yaml", vocab())
			require.NoError(t, err)
			require.Equal(t, []Group{{Name: "gpu", Behaviour: BehaviourADC, Start: "spread", Workers: 8, BatchSize: tc.batch,
				PollEvery: tc.poll, IdleEvery: DefaultIdleEvery, Jitter: tc.jitter, StopAt: 10 * time.Minute}}, spec.Fleet)
			require.Equal(t, tc.maxGap, spec.MaxPollGap())
		})
	}
}
