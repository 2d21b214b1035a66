package runner

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hbharness/hbharness/harness/fault"
	"github.com/hbharness/hbharness/harness/observe"
	"github.com/hbharness/hbharness/harness/provision"
	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/scenarios"
)

// sharedToken is what attacks and shared-token callers send in-process.
const sharedToken = "hbharness-run"

func runInProcess(ctx context.Context, spec *scenarios.Spec, opt Options) (*Result, error) {
	log := opt.Log.With("scenario", spec.Name, "strategy", spec.Strategy)
	began := time.Now()
	sb, err := provisionSandbox(ctx, log)
	if err != nil {
		return nil, err
	}
	defer sb.close()
	keys, err := seed(ctx, sb.pool, spec)
	if err != nil {
		return nil, fmt.Errorf("%w: seeding: %w", ErrEnvironment, err)
	}
	if err := observe.InstallAudit(ctx, sb.pool); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEnvironment, err)
	}

	// The reference gets its own connections, through fault proxies when the
	// scenario injects faults; the observers keep direct ones.
	deps, targets, closeDeps, err := referenceDeps(ctx, sb, spec)
	if err != nil {
		return nil, err
	}
	defer closeDeps()
	events := &observe.Events{}
	deps.events = events
	reps, stopReplicas, err := startReplicas(ctx, spec, deps, log)
	if err != nil {
		return nil, err
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopReplicas()
			stopped = true
		}
	}
	defer stop()
	urls := make([]string, len(reps))
	for i, r := range reps {
		urls[i] = r.url
	}
	sampler := &observe.Sampler{Pool: sb.pool, Every: max(time.Millisecond, time.Duration(float64(spec.Settings.SampleEvery)*spec.TimeScale)),
		Scale: spec.TimeScale, Log: log}
	d := &drive{spec: spec, keys: keys, urls: urls, token: sharedToken, serviceTokens: true,
		sampler: sampler, faults: targets, seed: opt.Seed, log: log}
	log.Info("driving", "workers", spec.WorkerCount(), "keys", len(keys), "replicas", len(reps),
		"model", spec.Duration, "wall", time.Duration(float64(spec.Duration)*spec.TimeScale).Round(time.Millisecond))
	obs, err := d.run(ctx)
	if err != nil {
		return nil, err
	}
	// Drain: the last dispatches must reach the database before it is judged.
	drainCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Two windows is plenty for work in flight; a queue that still holds
	// work after that is a backlog the scenario built on purpose.
	drainFor := min(10*time.Second, max(time.Second, time.Duration(float64(2*spec.Settings.Throttle)*spec.TimeScale)))
	for _, r := range reps {
		if err := r.ref.Drain(drainCtx, drainFor); err != nil {
			log.Info("queue not drained at the end of the run; its tasks are not observed", "err", err)
		}
	}
	stop()
	obs.stopSampling()
	audited, err := observe.ReadAudit(drainCtx, sb.pool)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEnvironment, err)
	}
	writes := make([]writeSeen, len(audited))
	for i, w := range audited {
		writes[i] = writeSeen{at: w.At, services: w.Services}
	}
	h := assemble(spec, keys, obs, fleetPolls(obs), events.All(), writes, sampler, true)
	verdicts := verify.Check(*h, verify.Options{Expect: spec.Expect})
	sum := summarize(spec, h, verdicts, obs, "in-process", time.Since(began))
	res := &Result{Summary: sum, History: h, Verdicts: verdicts}
	if n := sampler.Errors(); n > 0 {
		res.Summary.Notes = append(res.Summary.Notes, fmt.Sprintf("%d database samples failed", n))
	}
	return res, finish(res, obs, opt)
}

// finish decides what error, if any, accompanies a complete result.
func finish(res *Result, obs *observed, opt Options) error {
	if sat, why := saturation(obs, opt.SaturationTolerance); sat {
		res.Summary.LoadGenerator.Saturated = true
		res.Summary.Passed = false
		res.Summary.Notes = append(res.Summary.Notes, "LOAD GENERATOR SATURATED: "+why)
		return fmt.Errorf("%w: %s", ErrSaturated, why)
	}
	if obs.interrupted {
		return context.Canceled
	}
	return nil
}

func fleetPolls(obs *observed) []workerPolls {
	if obs.fleet == nil {
		return nil
	}
	out := make([]workerPolls, len(obs.fleet.Workers))
	for i, w := range obs.fleet.Workers {
		first := w.FirstPoll
		if w.Polls == 0 {
			first = -1
		}
		out[i] = workerPolls{id: w.ID, first: first, last: w.LastPoll, wentIdle: w.WentIdleAt}
	}
	return out
}

// referenceDeps opens the reference's own connections: direct, or through
// fault proxies (one per dependency) when the scenario has faults.
func referenceDeps(ctx context.Context, sb *sandbox, spec *scenarios.Spec) (replicaDeps, *fault.Targets, func(), error) {
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	fail := func(err error) (replicaDeps, *fault.Targets, func(), error) {
		closeAll()
		return replicaDeps{}, nil, nil, fmt.Errorf("%w: %w", ErrEnvironment, err)
	}
	dbURL, redisURL, brokerURL := sb.dsn, sb.urls.Redis, sb.urls.Broker
	var targets *fault.Targets
	if len(spec.Faults) > 0 {
		targets = &fault.Targets{}
		for _, p := range []struct {
			name string
			url  *string
			slot **fault.Proxy
		}{{"postgres", &dbURL, &targets.DB}, {"redis", &redisURL, &targets.Redis}, {"broker", &brokerURL, &targets.Broker}} {
			proxied, proxy, err := proxyURL(ctx, p.name, *p.url, spec.Name)
			if err != nil {
				return fail(err)
			}
			closers = append(closers, func() { _ = proxy.Close() })
			*p.url, *p.slot = proxied, proxy
		}
	}
	size := int32(spec.Replicas*(spec.Settings.TaskWorkers+24) + 4)
	pool, err := openPool(ctx, dbURL, size)
	if err != nil {
		return fail(err)
	}
	closers = append(closers, pool.Close)
	// Antenna's cache timeouts, on the scaled clock like everything else: a
	// blackholed Redis costs a request 5 model seconds, not 5 wall seconds.
	timeout := max(100*time.Millisecond, time.Duration(float64(5*time.Second)*spec.TimeScale))
	rc, err := provision.RedisClient(redisURL, provision.RedisTimeouts{Timeout: timeout, Retries: -1})
	if err != nil {
		return fail(err)
	}
	closers = append(closers, func() { _ = rc.Close() })
	bq, closeBroker, err := broker.Open(ctx, brokerURL, sb.prefix, timeout, slog.Default())
	if err != nil {
		return fail(err)
	}
	closers = append(closers, func() {
		// A RabbitMQ queue lives outside the key prefix: remove it by name.
		if d, ok := bq.(interface{ Delete(context.Context) error }); ok {
			dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := d.Delete(dctx); err != nil {
				slog.Default().Error("could not delete the run's broker queue", "err", err)
			}
		}
		_ = closeBroker()
	})
	return replicaDeps{db: pool, redis: rc, broker: bq, prefix: sb.prefix, token: sharedToken}, targets, closeAll, nil
}
