// Package sim runs a scenario on a virtual clock: the reference's own
// strategy, task worker and offline check (reference.Simulate) on in-memory
// stand-ins, driven by a discrete-event queue, judged by the same verifier
// as a real run (docs/sim.md). A production day takes seconds; a seed
// replays a run event for event.
package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/runner"
	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/reference/settings"
	"github.com/hbharness/hbharness/scenarios"
	"github.com/hbharness/hbharness/summary"
)

// ErrNotModelled wraps a scenario feature the simulation does not model:
// the run is refused rather than judged on a model that leaves it out.
var ErrNotModelled = errors.New("not modelled by the simulation")

// epoch is model time 0 on the virtual clock: fixed, so that a seed gives
// the same timestamps (and event log) on every machine and every day.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Options configure a simulated run.
type Options struct {
	Seed int64
	// Latencies are the stand-ins' service times; zero takes DefaultLatencies.
	Latencies *reference.SimLatencies
	// EventLog, when set, receives the event log as text.
	EventLog io.Writer
	Log      *slog.Logger
}

// DefaultLatencies are stated service times for a loopback deployment of
// the reference, of the order `make bench` and real runs here show; they
// are parameters of the model, not measurements of this run.
func DefaultLatencies() reference.SimLatencies {
	return reference.SimLatencies{
		Redis:  reference.SimLatency{Base: 200 * time.Microsecond, Tail: 100 * time.Microsecond},
		Broker: reference.SimLatency{Base: 300 * time.Microsecond, Tail: 200 * time.Microsecond},
		Update: reference.SimLatency{Base: time.Millisecond, Tail: time.Millisecond},
	}
}

// notModelled is what every simulated run leaves out, and what it costs.
func notModelled() []string {
	return []string{
		"task supply (NATS) and results: /tasks always returns a batch, and results go to their own queue (heartbeat_queue: separate), which is not simulated",
		"the web tier: views' own Redis round trips (token, job, cachalot), web_concurrency slots and database connections",
		"request latency beyond the stand-ins' service times (the percentiles reported are theirs, summed)",
		"task time limits: no simulated statement outlasts them without a fault",
	}
}

// sim is one simulated run in progress.
type sim struct {
	seed     int64
	e        *engine
	ref      *reference.Simulated
	log      *eventLog
	events   []heartbeat.Event
	requests requestCounts
	free     int // idle task workers
	samples  []history.Sample
	reads    int64
}

// Record implements heartbeat.Sink: the reference's own reports.
func (s *sim) Record(ev heartbeat.Event) {
	s.events = append(s.events, ev)
	at := ev.At.Sub(epoch)
	s.log.line(at, "ref", string(ev.Kind), ev.Key, ev.DispatchID, string(ev.Result), strconv.FormatInt(ev.Rows, 10))
}

// Check refuses what the simulation cannot model, naming it.
func Check(spec *scenarios.Spec) error {
	var why []string
	if len(spec.Faults) > 0 || spec.RandomFaults != nil {
		why = append(why, "faults (none of the nemesis's kinds is simulated yet)")
	}
	if len(spec.Load) > 0 {
		why = append(why, "open-model attacks (load:)")
	}
	if spec.Replicas > 1 {
		why = append(why, fmt.Sprintf("%d replicas (one is simulated)", spec.Replicas))
	}
	if q := spec.Settings.HeartbeatQueue; q != settings.QueueSeparate {
		why = append(why, fmt.Sprintf("heartbeat_queue: %s (results are not simulated, so they cannot share the heartbeat's workers)", q))
	}
	if q := spec.Settings.CheckerQueue; q != settings.CheckerOnHeartbeatQueue {
		why = append(why, fmt.Sprintf("checker_queue: %s (the check runs on the heartbeat queue)", q))
	}
	if spec.Fixtures.TasksPerJob > 0 {
		why = append(why, "a finite task supply (tasks_per_job)")
	}
	if spec.Fixtures.JobsPerKey < 1 {
		why = append(why, "keys without jobs (jobs_per_key: 0)")
	}
	for _, g := range spec.Fleet {
		if g.Behaviour != scenarios.BehaviourActive {
			why = append(why, fmt.Sprintf("fleet %s: behaviour %s (only active is simulated)", g.Name, g.Behaviour))
		}
		if g.Register {
			why = append(why, fmt.Sprintf("fleet %s: registration", g.Name))
		}
		if g.CrashAt > 0 {
			why = append(why, fmt.Sprintf("fleet %s: a crash", g.Name))
		}
		if len(g.Services) > 0 {
			why = append(why, fmt.Sprintf("fleet %s: named keys (keys:)", g.Name))
		}
	}
	if spec.Expect[verify.RequestsSucceed] == "fail" {
		why = append(why, "an expected request failure (the web tier that refuses requests is not simulated)")
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("scenario %s uses what is %w: %v", spec.Name, ErrNotModelled, why)
}

// Keys lays the fixtures out as the reference's seed does (store.Seed):
// every (pipeline, project) pair is a key with its own services and jobs,
// numbered from 1 in the seed's order.
func Keys(f scenarios.Fixtures) []contract.Key {
	var keys []contract.Key
	var service, job int64
	for p := 1; p <= f.Projects; p++ {
		for q := 1; q <= f.Pipelines; q++ {
			k := contract.Key{Index: len(keys), PipelineID: int64(q), ProjectID: int64(p), Slug: contract.Slug(q)}
			for range f.ServicesPerKey {
				service++
				k.Services = append(k.Services, service)
			}
			for range f.JobsPerKey {
				job++
				k.Jobs = append(k.Jobs, job)
			}
			keys = append(keys, k)
		}
	}
	return keys
}

// Run simulates spec and judges it.
func Run(ctx context.Context, spec *scenarios.Spec, opt Options) (*runner.Result, error) {
	if err := Check(spec); err != nil {
		return nil, err
	}
	lat := DefaultLatencies()
	if opt.Latencies != nil {
		lat = *opt.Latencies
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	began := time.Now()
	keys := Keys(spec.Fixtures)
	s := &sim{seed: opt.Seed, e: &engine{start: epoch}, log: newEventLog(opt.EventLog)}
	ref, err := reference.Simulate(reference.SimConfig{Strategy: spec.Strategy, Policy: contract.Policy(spec.FailurePolicy),
		Settings: spec.Settings, Keys: keys, Clock: s.e, Rand: rand.New(rand.NewPCG(uint64(opt.Seed), 0x5eed)),
		Latencies: lat, Events: s, Queued: s.wake, Log: log})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", runner.ErrEnvironment, err)
	}
	s.ref, s.free = ref, ref.Workers()
	plan := spec.Plan(opt.Seed)
	pollers := make([]*poller, len(plan))
	for i, p := range plan {
		w := newPoller(s, p, keys[p.KeyIndex%len(keys)])
		pollers[i] = w
		s.e.schedule(p.StartAt, w.start)
	}
	s.every(spec.Settings.CheckerEvery, spec.Settings.CheckerEvery, spec.Duration, func() {
		if err := s.ref.Beat(context.Background()); err != nil {
			log.Warn("simulated beat failed", "err", err)
		}
	})
	s.every(0, spec.SampleEvery, spec.Duration, s.sample)
	runErr := s.e.runUntil(ctx, spec.Duration)
	h := s.history(spec, keys, pollers)
	res := &runner.Result{Scenario: spec.Name, Strategy: spec.Strategy, Label: spec.Label, FailurePolicy: spec.FailurePolicy,
		TimeScale: modeltime.Real, Replicas: 1, Target: "sim", StartedAt: began, Wall: time.Since(began),
		Seed: opt.Seed, Source: spec.Source, History: h,
		Verdicts: verify.Check(*h, verify.Options{Expect: spec.Expect}), Unusable: verify.Unusable(*h),
		Interrupted: runErr != nil,
		Sim: &summary.Sim{Events: s.e.ran, EventLogSHA256: s.log.sum(), NotModelled: notModelled(),
			Latencies: map[string]string{"redis_round_trip": lat.Redis.String(), "broker_publish": lat.Broker.String(),
				"db_statement": lat.Update.String()}},
		Notes: []string{"simulated: the reference's code on in-memory stand-ins and a virtual clock; service times are stated parameters (sim.latencies), not measurements"},
	}
	if s.log.err != nil {
		return res, fmt.Errorf("writing the event log: %w", s.log.err)
	}
	return res, runErr
}

// every runs fn at from, then every period, up to end.
func (s *sim) every(from, period, end time.Duration, fn func()) {
	if period <= 0 {
		return
	}
	var tick func()
	at := from
	tick = func() {
		fn()
		if at += period; at <= end {
			s.e.schedule(at, tick)
		}
	}
	if from <= end {
		s.e.schedule(from, tick)
	}
}

// wake puts an idle task worker on the queue: the broker calls it for
// every message it takes.
func (s *sim) wake() {
	if s.free == 0 {
		return
	}
	s.free--
	s.e.schedule(s.e.elapsed(), s.work)
}

// work is one task worker taking the next message, if any; it comes back
// for another once the message's calls are done.
func (s *sim) work() {
	if !s.ref.Work(context.Background()) {
		s.free++
		return
	}
	s.e.schedule(s.e.elapsed(), s.work)
}

// sample reads every service as the sampler does.
func (s *sim) sample() {
	at := s.e.at
	now := s.e.Now()
	s.reads++
	s.ref.Read(now, func(r reference.SimRow) {
		smp := history.Sample{At: at, ServiceID: r.ID, Null: !r.Seen, Live: r.Live}
		if r.Seen {
			smp.Staleness = now.Sub(r.LastSeen)
		}
		s.samples = append(s.samples, smp)
	})
}
