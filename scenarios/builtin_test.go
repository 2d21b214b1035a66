package scenarios

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/faults"
)

// The quick built-ins run back to back in `make loadtest` on a 2-core machine
// within 5 minutes, every one in `make loadtest-full` within about 15, so
// each one is held to this budget.
const (
	maxBuiltinWall     = 45 * time.Second
	maxBuiltinWallRate = 150.0 // requests per wall second (harness/runner/scale.go)
	minTimeScale       = 0.02  // below this, ms scheduler noise distorts model time
)

func wallRequestRate(s *Spec) float64 { return s.RequestRate() / float64(s.TimeScale) }

func wallDuration(s *Spec) time.Duration {
	return s.TimeScale.Wall(s.Duration)
}

func TestBuiltinsListing(t *testing.T) {
	got := Builtins(vocab())
	var names []string
	for _, b := range got {
		names = append(names, b.Name)
		require.NotEmpty(t, b.Description, b.Name)
		require.NotContains(t, b.Description, "\n", b.Name)
		require.NotContains(t, b.Description, "does not parse", b.Name)
	}
	require.Equal(t, []string{"adc-random-jobs", "broker-flap", "broker-outage", "chaos", "clock-skew-ahead", "clock-skew-behind", "db-lock",
		"dead-worker", "idle-workers", "jobs-finish", "many-keys", "multi-replica", "nats-down", "no-gate",
		"predeploy-herd", "predeploy-idle", "predeploy-steady", "queue-backlog", "ramp", "redis-blackhole", "redis-evict", "replica-kill", "silent-service", "sparse-polls",
		"staggered-stop", "steady", "steady-adc", "thundering-herd", "too-sparse", "worker-crash"}, names)
	require.True(t, slices.IsSortedFunc(got, func(a, b Builtin) int { return strings.Compare(a.Name, b.Name) }))
}

func TestBuiltinsParseAndFitTheBudget(t *testing.T) {
	var total, quick time.Duration
	for _, b := range Builtins(vocab()) {
		t.Run(b.Name, func(t *testing.T) {
			raw, err := builtinFS.ReadFile("builtin/" + b.Name + ".yaml")
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(string(raw), "# "), "start with a comment saying what the scenario proves")

			spec, err := Load(b.Name, vocab())
			require.NoError(t, err)
			require.Equal(t, b.Name, spec.Name, "name must match the file name")
			require.Equal(t, "builtin:"+b.Name, spec.Source)
			checkSpec(t, spec)

			require.GreaterOrEqual(t, spec.TimeScale, minTimeScale)
			require.LessOrEqual(t, wallDuration(spec), maxBuiltinWall, "duration × time_scale")
			require.LessOrEqual(t, wallRequestRate(spec), maxBuiltinWallRate, "requests per wall second")
			runs := wallDuration(spec) * time.Duration(len(spec.Variants()))
			total += runs
			if spec.Quick {
				quick += runs
			}
			if len(spec.Faults) > 0 || spec.RandomFaults != nil {
				require.True(t, spec.Quick, "make loadtest runs every fault built-in: mark it quick: true")
			}

			for _, g := range spec.Fleet {
				if g.Behaviour == BehaviourADC {
					require.Positive(t, spec.Fixtures.TasksPerJob,
						"adc workers on an endless job post as fast as the target answers: no budget holds")
				}
			}

			// Only the known-bad scenarios may let a poll gap reach the offline window.
			if _, knownBad := spec.Expect["last_seen_never_stale"]; !knownBad {
				require.Less(t, spec.MaxPollGap(), spec.Settings.OfflineAfter)
			}
		})
	}
	// Measured: a suite adds about 1.5 s of set-up and drain per run.
	require.LessOrEqual(t, quick, 255*time.Second, "the quick runs back to back, plus set-up (about 30 s), must fit make loadtest's 5 min")
	// dead-worker's backlog run and adc-random-jobs (issue 15) took it past 10 min.
	require.LessOrEqual(t, total, 10*time.Minute+30*time.Second, "every run of every built-in, plus set-up, about 12.5 min (make loadtest-full)")
}

// TestBuiltinsProveWhatTheySay pins each built-in to the setup its
// description promises, so a budget tweak cannot quietly hollow one out.
func TestBuiltinsProveWhatTheySay(t *testing.T) {
	tests := map[string]func(t *testing.T, s *Spec){
		"steady": func(t *testing.T, s *Spec) {
			require.Equal(t, 20, s.WorkerCount())
			require.Equal(t, 1, s.Fixtures.Keys())
			g := s.Fleet[0]
			require.Equal(t, []any{"active", "spread", 5 * time.Second, time.Second}, []any{g.Behaviour, g.Start, g.PollEvery, g.Jitter})
			require.GreaterOrEqual(t, s.Duration, 12*s.Settings.Throttle, "a dozen windows")
			require.Empty(t, s.Expect)
		},
		"steady-adc": func(t *testing.T, s *Spec) {
			require.Len(t, s.Fleet, 1)
			g := s.Fleet[0]
			require.Equal(t, []any{BehaviourADC, 24, 5 * time.Second, time.Duration(0)}, []any{g.Behaviour, g.BatchSize, g.PollEvery, g.Jitter},
				"the real client's batch and sleep, unjittered")
			require.GreaterOrEqual(t, g.Workers, 4, "a handful of GPUs")
			require.Equal(t, 1, s.Fixtures.Keys())
			require.Equal(t, 1, s.Fixtures.JobsPerKey)
			// The job bounds the burst: enough batches to keep every loader
			// busy for many round trips, few enough for the budget.
			batches := s.Fixtures.TasksPerJob / g.BatchSize
			require.GreaterOrEqual(t, batches, 50*g.Workers*4, "fifty batches per loader at least")
			require.Less(t, 2*float64(batches)/wallDuration(s).Seconds(), maxBuiltinWallRate)
			require.Less(t, s.MaxPollGap(), s.Settings.Throttle/2, "idle, the list path polls well inside a window")
			require.GreaterOrEqual(t, s.Duration, 12*s.Settings.Throttle, "a dozen windows")
			require.False(t, s.Quick)
			require.Empty(t, s.Expect)
		},
		"adc-random-jobs": func(t *testing.T, s *Spec) {
			// One slug over several projects: the list's random job may be on
			// any of its keys, and each key has several jobs.
			require.Equal(t, 1, s.Fixtures.Pipelines)
			require.GreaterOrEqual(t, s.Fixtures.Projects, 2)
			require.GreaterOrEqual(t, s.Fixtures.JobsPerKey, 2)
			require.Positive(t, s.Fixtures.TasksPerJob)
			perKey := map[int]int{}
			for _, g := range s.Fleet {
				require.Equal(t, []any{BehaviourADC, 24, 5 * time.Second, time.Duration(0)}, []any{g.Behaviour, g.BatchSize, g.PollEvery, g.Jitter},
					"the real client's batch and sleep, unjittered")
				require.Len(t, g.Keys, 1)
				perKey[g.Keys[0]] += g.Workers
			}
			for k := range s.Fixtures.Keys() {
				require.Equal(t, s.Fixtures.ServicesPerKey, perKey[k], "key %d: one worker per service, none silent", k)
			}
			require.Less(t, s.MaxPollGap(), s.Settings.Throttle/2, "idle, the list path polls well inside a window")
			require.GreaterOrEqual(t, s.Duration, 6*s.Settings.Throttle, "several windows per key")
			require.Empty(t, s.Expect)
		},
		"many-keys": func(t *testing.T, s *Spec) {
			require.GreaterOrEqual(t, s.Fixtures.Keys(), 200)
			require.GreaterOrEqual(t, s.WorkerCount(), 1000)
			require.Equal(t, 3, s.Fixtures.ServicesPerKey)
			require.GreaterOrEqual(t, s.Duration, 4*s.Settings.Throttle, "several windows per key")
		},
		"thundering-herd": func(t *testing.T, s *Spec) {
			require.Equal(t, 1000, s.WorkerCount())
			require.Equal(t, 1, s.Fixtures.Keys())
			require.Equal(t, StartTogether, s.Fleet[0].Start)
			require.Zero(t, s.Fleet[0].Jitter)
		},
		"idle-workers": func(t *testing.T, s *Spec) {
			for _, g := range s.Fleet {
				require.Equal(t, BehaviourIdle, g.Behaviour)
			}
			require.Empty(t, s.Load)
		},
		"jobs-finish": func(t *testing.T, s *Spec) {
			require.Equal(t, 1, s.Fixtures.JobsPerKey)
			g := s.Fleet[0]
			perSecond := float64(g.Workers*g.BatchSize) / g.PollEvery.Seconds()
			drained := time.Duration(float64(s.Fixtures.TasksPerJob) / perSecond * float64(time.Second))
			require.InDelta(t, s.Duration.Seconds()/3, drained.Seconds(), s.Duration.Seconds()/10,
				"the job must run out of tasks about a third of the way in")
		},
		"sparse-polls": func(t *testing.T, s *Spec) {
			require.Equal(t, 45*time.Second, s.MaxPollGap())
			require.Greater(t, s.MaxPollGap(), s.Settings.Throttle)
			require.Equal(t, StartTogether, s.Fleet[0].Start, "lockstep, so the key really waits the whole gap")
			require.Empty(t, s.Expect)
		},
		"too-sparse": func(t *testing.T, s *Spec) {
			require.Equal(t, 75*time.Second, s.MaxPollGap())
			require.Greater(t, s.MaxPollGap(), s.Settings.OfflineAfter)
			require.Equal(t, StartTogether, s.Fleet[0].Start)
			require.Equal(t, map[string]string{"last_seen_never_stale": "fail", "never_marked_offline_while_polled": "fail"}, s.Expect)
		},
		"multi-replica": func(t *testing.T, s *Spec) {
			require.Equal(t, 4, s.Replicas)
			require.Equal(t, 36, s.WorkerCount())
		},
		"ramp": func(t *testing.T, s *Spec) {
			require.Equal(t, 800, s.WorkerCount())
			require.Equal(t, StartRamp, s.Fleet[0].Start)
			require.Equal(t, s.Duration, s.Fleet[0].RampOver)
			require.Less(t, s.Fleet[0].PollEvery+s.Fleet[0].Jitter, s.Settings.OfflineAfter)
		},
		"broker-outage": func(t *testing.T, s *Spec) {
			require.Len(t, s.Faults, 1)
			f := s.Faults[0]
			require.Equal(t, "broker-down", f.Kind)
			require.Greater(t, f.For, s.Settings.OfflineAfter, "longer than the offline window, so staleness is certain")
			require.Greater(t, f.At, s.Settings.OfflineAfter, "services are fresh and judged before it starts")
			require.Less(t, f.At+f.For+s.Settings.OfflineAfter, s.Duration, "and recover before the end")
			require.Positive(t, s.AllowedErrors.PerEndpoint["result"], "results answer 503 while the broker is down")
			require.Zero(t, s.AllowedErrors.PerEndpoint["tasks"], "but /tasks keeps answering")
			require.Contains(t, s.AllowedErrors.PerEndpoint, "tasks", "and says so")
			// The offline flip races the first heartbeat after the outage:
			// the check rides the same broker.
			require.Equal(t, map[string]string{"last_seen_never_stale": "fail", "never_marked_offline_while_polled": "either"}, s.Expect)
		},
		"nats-down": func(t *testing.T, s *Spec) {
			require.Len(t, s.Faults, 1)
			f := s.Faults[0]
			require.Equal(t, "nats-down", f.Kind)
			require.Greater(t, f.At, s.Settings.OfflineAfter, "services are fresh and judged before it starts")
			require.Less(t, f.At+f.For+s.Settings.Throttle, s.Duration, "and judged after it")
			g := s.Fleet[0]
			polls := int(f.For/(g.PollEvery-g.Jitter)+1) * g.Workers
			require.GreaterOrEqual(t, s.AllowedErrors.PerEndpoint["tasks"], polls, "every /tasks in the outage answers 503")
			require.Zero(t, s.AllowedErrors.PerEndpoint["result"], "results do not touch NATS")
			require.Contains(t, s.AllowedErrors.PerEndpoint, "result", "and says so")
			require.Empty(t, s.Expect, "no heartbeat is lost: every invariant passes")
		},
		"queue-backlog": func(t *testing.T, s *Spec) {
			require.Equal(t, "shared", s.Settings.HeartbeatQueue, "results back up the heartbeat queue only when they share it")
			g := s.Fleet[0]
			offered := float64(g.Workers*g.BatchSize) / g.PollEvery.Seconds()
			capacity := float64(s.Settings.TaskWorkers) / s.Settings.ResultCost.Seconds()
			growth := offered - capacity
			// Each window the gap between two writes grows to throttle x (1 + growth/capacity).
			gap := s.Settings.Throttle.Seconds() * (1 + growth/capacity)
			require.Greater(t, gap, s.Settings.OfflineAfter.Seconds()*1.15, "write gaps clearly past the offline window")
			require.Equal(t, map[string]string{"last_seen_never_stale": "fail", "never_marked_offline_while_polled": "fail"}, s.Expect)
		},
		"redis-blackhole": func(t *testing.T, s *Spec) {
			require.Len(t, s.Faults, 1)
			require.Equal(t, "redis-blackhole", s.Faults[0].Kind)
			require.Equal(t, "fail-closed", s.FailurePolicy, "Antenna's cache")
			require.Greater(t, s.Faults[0].For, s.Settings.OfflineAfter, "staleness is certain wherever the last write fell")
			require.Greater(t, s.Faults[0].At, s.Settings.OfflineAfter)
			require.Less(t, s.Faults[0].At+s.Faults[0].For+s.Settings.OfflineAfter+s.Settings.Throttle, s.Duration, "and recover before the end")
			require.Zero(t, s.Settings.RedisReadTimeout, "Antenna's cache has no read timeout")
			require.Greater(t, s.Faults[0].For, 30*time.Second, "longer than the client's /tasks timeout: views outlast their clients")
			require.Equal(t, map[string]string{"last_seen_never_stale": "fail", "never_marked_offline_while_polled": "fail",
				"requests_succeed": "fail"}, s.Expect)
		},
		"silent-service": func(t *testing.T, s *Spec) {
			require.Len(t, s.Fleet, 1)
			require.Equal(t, []int{0}, s.Fleet[0].Services, "one service of the key polls")
			require.Greater(t, s.Fixtures.ServicesPerKey, 1, "and it has silent siblings")
			require.Greater(t, s.Duration, s.Settings.OfflineAfter+s.Settings.CheckerEvery, "long enough to judge the silent ones")
			vs := s.Variants()
			require.Equal(t, "view-gate", vs[0].Strategy)
			require.Equal(t, map[string]string{"no_false_liveness": "fail"}, vs[0].Expect)
			require.Equal(t, "per-service", vs[1].Strategy)
			require.Empty(t, vs[1].Expect)
		},
		"dead-worker": func(t *testing.T, s *Spec) {
			require.Equal(t, 5*time.Minute, s.Settings.CheckerEvery, "production's checker period")
			crash := s.Fleet[0].CrashAt
			require.Positive(t, crash)
			require.GreaterOrEqual(t, s.Duration, crash+s.Settings.OfflineAfter+s.Settings.CheckerEvery,
				"room for the slowest detection the bounds allow")
			require.Equal(t, "per-service", s.Variants()[0].Strategy)
			backlog := s.Variants()[1]
			require.Equal(t, "backlog", backlog.Label)
			require.Equal(t, "shared", backlog.Settings.HeartbeatQueue, "the check waits behind the results")
		},
		"staggered-stop": func(t *testing.T, s *Spec) {
			require.Equal(t, "per-service", s.Strategy)
			var stops []time.Duration
			for _, g := range s.Fleet {
				require.Len(t, g.Services, 1, "one service per group")
				stops = append(stops, g.StopAt)
			}
			require.True(t, slices.IsSorted(stops))
			require.Less(t, stops[0], stops[1], "stopping at different times")
			require.GreaterOrEqual(t, s.Duration, stops[len(stops)-1]+s.Settings.OfflineAfter+s.Settings.CheckerEvery+s.Settings.Throttle)
		},
		"broker-flap": func(t *testing.T, s *Spec) {
			require.Len(t, s.Faults, 2)
			w := s.Settings.Throttle
			for i, f := range s.Faults {
				require.Equal(t, "broker-down", f.Kind)
				due := time.Duration(i+2) * w // the windows due at 1m and 1m30s
				require.True(t, f.At < due && f.At+f.For > due, "outage %d straddles the window due at %s", i, due)
				require.Less(t, f.For, w, "short: each costs only the window it straddles")
			}
			vs := s.Variants()
			require.Len(t, vs, 2)
			require.False(t, vs[0].Settings.ReleaseOnEnqueueFailure)
			require.Equal(t, "fail", vs[0].Expect["last_seen_never_stale"])
			require.True(t, vs[1].Settings.ReleaseOnEnqueueFailure)
			require.Empty(t, vs[1].Expect)
		},
		"redis-evict": func(t *testing.T, s *Spec) {
			require.Equal(t, "redis-evict", s.Faults[0].Kind)
			require.Greater(t, s.Faults[0].For, s.Settings.Throttle, "longer than a window: extra dispatches are certain")
			require.Equal(t, map[string]string{"dispatch_at_most_one_per_window": "fail", "dispatch_rate_near_expected": "fail"}, s.Expect)
		},
		"worker-crash": func(t *testing.T, s *Spec) {
			require.Equal(t, "worker-crash", s.Faults[0].Kind)
			require.Equal(t, map[string]string{"observers_agree": "fail"}, s.Expect)
		},
		"clock-skew-behind": func(t *testing.T, s *Spec) {
			f := s.Faults[0]
			require.Equal(t, "clock-skew", f.Kind)
			skew := f.Params.(*faults.ClockSkew)
			require.NotEmpty(t, skew.Zone, "the time-zone mismatch case")
			require.Less(t, time.Duration(skew.Offset), -s.Settings.OfflineAfter, "behind by more than the window")
			require.Equal(t, map[string]string{"last_seen_never_stale": "fail", "never_marked_offline_while_polled": "fail"}, s.Expect)
		},
		"clock-skew-ahead": func(t *testing.T, s *Spec) {
			f := s.Faults[0]
			require.Equal(t, "clock-skew", f.Kind)
			offset := time.Duration(f.Params.(*faults.ClockSkew).Offset)
			require.Positive(t, offset)
			require.Equal(t, "per-service", s.Strategy)
			crash := s.Fleet[0].CrashAt
			require.True(t, crash > f.At && crash < f.At+f.For, "a worker dies while the clock is ahead")
			require.Less(t, s.Duration, crash+offset+s.Settings.OfflineAfter, "and still reads live at the end")
			require.Equal(t, map[string]string{"no_false_liveness": "fail", "last_seen_not_in_future": "fail"}, s.Expect,
				"the false liveness, and the clock named for what it is")
		},
		"db-lock": func(t *testing.T, s *Spec) {
			require.Equal(t, "db-lock", s.Faults[0].Kind)
			require.Less(t, s.Faults[0].For, s.Settings.TaskTimeLimit, "tasks wait out the lock, none is killed")
			vs := s.Variants()
			require.Equal(t, []string{"inline", "view-gate"}, []string{vs[0].Strategy, vs[1].Strategy})
			require.Empty(t, vs[1].Expect)
		},
		"replica-kill": func(t *testing.T, s *Spec) {
			require.GreaterOrEqual(t, s.Replicas, 2)
			require.Equal(t, "replica-kill", s.Faults[0].Kind)
			require.Equal(t, 1, s.Faults[0].Replica)
			require.Empty(t, s.Expect)
		},
		"chaos": func(t *testing.T, s *Spec) {
			require.NotNil(t, s.RandomFaults)
			require.LessOrEqual(t, s.RandomFaults.ForMax, 20*time.Second, "short blips: none can let last_seen pass 60 s")
			require.True(t, s.Settings.ReleaseOnEnqueueFailure, "no blip spends a window")
			for _, k := range s.RandomFaults.Kinds {
				require.NotContains(t, k, "blackhole", "a held SET NX spends a window")
			}
			require.Empty(t, s.Expect)
		},
		"predeploy-steady": func(t *testing.T, s *Spec) {
			require.Equal(t, 1, s.Fixtures.Keys())
			g := s.Fleet[0]
			require.Equal(t, []any{BehaviourActive, StartSpread, 5 * time.Second}, []any{g.Behaviour, g.Start, g.PollEvery})
		},
		"predeploy-herd": func(t *testing.T, s *Spec) {
			require.Equal(t, 1, s.Fixtures.Keys())
			require.Equal(t, StartTogether, s.Fleet[0].Start, "every worker arrives in the same instant")
			require.Zero(t, s.Fleet[0].Jitter, "and stays in lockstep")
			require.GreaterOrEqual(t, s.WorkerCount(), 100)
		},
		"predeploy-idle": func(t *testing.T, s *Spec) {
			for _, g := range s.Fleet {
				require.Equal(t, BehaviourIdle, g.Behaviour, "the list path alone")
			}
		},
		"no-gate": func(t *testing.T, s *Spec) {
			require.Equal(t, "none", s.Strategy)
			require.Equal(t, "fail", s.Expect["dispatch_at_most_one_per_window"])
		},
	}
	require.Len(t, tests, len(Builtins(vocab())), "every built-in has a check here")
	for name, check := range tests {
		t.Run(name, func(t *testing.T) {
			spec, err := Load(name, vocab())
			require.NoError(t, err)
			check(t, spec)
		})
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.yaml")
	require.NoError(t, os.WriteFile(path, src(`
name: mine
duration: 1m
fleet: [{name: a, workers: 1}]
`), 0o600))
	spec, err := Load(path, vocab())
	require.NoError(t, err)
	require.Equal(t, "mine", spec.Name)
	require.Equal(t, path, spec.Source)

	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("name: bad\nduration: 1m\nfleet: [{name: a, workers: 0}]\n"), 0o600))
	_, err = Load(bad, vocab())
	require.ErrorContains(t, err, bad+":3: fleet[0].workers:")
}

func TestLoadMissingNamesTheBuiltins(t *testing.T) {
	_, err := Load("stedy", vocab())
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, `scenario "stedy" is neither a built-in (adc-random-jobs, broker-flap, broker-outage, chaos,`)
	require.ErrorContains(t, err, "steady")
}

func TestLoadBuiltinChecksStrategy(t *testing.T) {
	_, err := Load("no-gate", func() Options { o := vocab(); o.Strategies = []string{"view-gate"}; return o }())
	require.ErrorContains(t, err, `builtin:no-gate:`)
	require.ErrorContains(t, err, `strategy: "none" is not one of view-gate`)
}
