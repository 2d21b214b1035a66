package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hbharness/hbharness/faults"
	"github.com/hbharness/hbharness/harness/attack"
	"github.com/hbharness/hbharness/harness/fault"
	"github.com/hbharness/hbharness/harness/fleet"
	"github.com/hbharness/hbharness/harness/latency"
	"github.com/hbharness/hbharness/harness/results"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/antenna"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/scenarios"
)

// drive is the load phase: fleet, attacks, faults and the sampler on one
// shared model clock.
type drive struct {
	spec   *scenarios.Spec
	setup  Setup
	faults []faults.Fault // the plan: the file's, and any drawn from the seed
	seed   int64
	log    *slog.Logger
	// results, when set, gets every request of the fleet and the attacks.
	results results.Sink
	// report, when set, gets the run's progress every reportEvery.
	report      func(Progress)
	reportEvery time.Duration
}

// observed is what a drive produced, before it becomes a history.
type observed struct {
	start       time.Time
	end         time.Time
	plan        []scenarios.WorkerPlan
	fleet       *fleet.Report
	attack      *attack.Report
	faults      []fault.Applied
	interrupted bool
	// stopSampling ends the sampler after one final sample; call it once
	// the target has settled, so the last writes are seen.
	stopSampling func()
}

// lockWatchEvery is how often the database's lock waits are read: row-lock
// waits last milliseconds to seconds, and one cheap query per period costs
// the database nothing that matters.
const lockWatchEvery = 20 * time.Millisecond

// defaultAttackMaxWorkers caps an attack's concurrent senders when the
// scenario does not: the target runs in this process, and an attack far above
// its capacity would otherwise open a connection per late hit until the
// process runs out of file descriptors and takes the target down with it.
// Capped, it falls behind and the run says so.
const defaultAttackMaxWorkers = 1024

// lead is how long before model time 0 the schedule is laid, so every
// goroutine is waiting when the run starts rather than being created late.
const lead = 300 * time.Millisecond

func (d *drive) run(ctx context.Context) (*observed, error) {
	run := modeltime.Run{Start: time.Now().Add(lead), Scale: d.spec.TimeScale}
	plan := d.spec.Plan(d.seed)
	workers, err := d.workers(plan)
	if err != nil {
		return nil, err
	}
	attacks := d.attacks()
	sampler := d.setup.Sampler
	sampler.Anchor = run
	sampCtx, stopSampling := context.WithCancel(context.WithoutCancel(ctx))
	sampled := make(chan struct{})
	obs := &observed{start: run.Start, plan: plan, stopSampling: func() { stopSampling(); <-sampled }}
	go func() {
		defer close(sampled)
		time.Sleep(time.Until(run.Start))
		var watched sync.WaitGroup
		if l := d.setup.Locks; l != nil {
			watched.Go(func() { l.Run(sampCtx) })
		}
		sampler.Run(sampCtx)
		watched.Wait()
	}()

	// A generator that cannot start ends the drive at once rather than
	// after the whole model duration.
	dctx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	live := new(latency.Live)
	watchCtx, stopWatching := context.WithCancel(context.WithoutCancel(ctx))
	watched := d.watch(watchCtx, run, live, d.report, d.reportEvery)
	defer func() { stopWatching(); watched() }()
	var wg sync.WaitGroup
	fail := func(err error) {
		if err != nil {
			abort(err)
		}
	}
	if len(workers) > 0 {
		wg.Go(func() {
			var err error
			obs.fleet, err = fleet.Run(dctx, fleet.Config{Target: d.setup.URLs[0], Run: run, Workers: workers,
				End: d.spec.Duration, Seed: d.seed, Logger: d.log, LagTolerance: lagTolerance(plan, run.Scale),
				TimelineEvery: timelineEvery(d.spec.Duration), Results: d.results, Live: live})
			fail(err)
		})
	}
	if len(attacks) > 0 {
		wg.Go(func() {
			var err error
			obs.attack, err = attack.Run(dctx, attack.Config{Target: d.setup.URLs[0], Run: run, Attacks: attacks, Logger: d.log,
				TimelineEvery: timelineEvery(d.spec.Duration), Results: d.results, Live: live})
			fail(err)
		})
	}
	if len(d.faults) > 0 {
		wg.Go(func() {
			var err error
			obs.faults, err = fault.Schedule(dctx, d.faults, *d.setup.Faults, run, d.log)
			if ctx.Err() == nil {
				fail(err)
			}
		})
	}
	// Wait for the whole model duration even if the load ends earlier, so the
	// observers cover the run the scenario describes.
	select {
	case <-dctx.Done():
	case <-time.After(time.Until(run.At(d.spec.Duration))):
	}
	wg.Wait()
	obs.interrupted = ctx.Err() != nil
	obs.end = time.Now()
	if err := context.Cause(dctx); err != nil && !errors.Is(err, context.Canceled) {
		obs.stopSampling()
		return obs, fmt.Errorf("%w: %w", ErrEnvironment, err)
	}
	return obs, nil
}

// lagTolerance is how late a send may leave before it counts as late: 10%
// of the shortest period, at least 25 ms wall. A lockstep herd cannot put a
// thousand requests on the wire in the same millisecond; what matters is
// that each lands well inside its own period, so the offered load holds.
func lagTolerance(plan []scenarios.WorkerPlan, scale modeltime.Scale) time.Duration {
	shortest := time.Duration(0)
	for _, p := range plan {
		if shortest == 0 || p.PollEvery < shortest {
			shortest = p.PollEvery
		}
	}
	return max(25*time.Millisecond, scale.Wall(shortest/10))
}

// workers turns the scenario's plan into fleet workers with tokens, jobs
// and, for a group that registers, its service's registration.
func (d *drive) workers(plan []scenarios.WorkerPlan) ([]fleet.Worker, error) {
	keys, urls := d.setup.Keys, d.setup.URLs
	out := make([]fleet.Worker, 0, len(plan))
	for _, p := range plan {
		// An external target has its own keys: the scenario's key indexes
		// wrap around them.
		p.KeyIndex %= len(keys)
		k := keys[p.KeyIndex]
		tok := d.setup.Token
		if d.setup.ServiceTokens && len(k.Services) > 0 {
			tok = antenna.ServiceToken(k.Services[p.ServiceIndex%len(k.Services)])
		}
		var job int64
		if p.Behaviour == scenarios.BehaviourActive && len(k.Jobs) > 0 {
			job = k.Jobs[p.JobIndex%len(k.Jobs)]
		}
		reg, err := registration(p, k, d.setup.Name)
		if err != nil {
			return nil, err
		}
		// The real client lists by slug alone (ami-data-companion a33746a2,
		// trapdata/antenna/client.py:53-58): its list spans every project's
		// jobs of the slug, each on its own key.
		project := k.ProjectID
		if p.Behaviour == scenarios.BehaviourADC {
			project = 0
		}
		out = append(out, fleet.Worker{
			ID: p.ID, Group: p.Group, Token: tok, KeyIndex: p.KeyIndex, JobID: job,
			Target: urls[p.ID%len(urls)], Slugs: []string{k.Slug}, ProjectID: project,
			Behaviour: p.Behaviour, PollEvery: p.PollEvery, IdleEvery: p.IdleEvery, Jitter: p.Jitter,
			StartAt: p.StartAt, StopAt: p.StopAt, CrashAt: p.CrashAt, BatchSize: p.BatchSize,
			Register: reg,
		})
	}
	return out, nil
}

// registration is what a worker of a group with register: true registers:
// its own service, by the name the target knows it by, with its key's
// pipeline, for its key's project. Antenna registers a service by name
// (get_or_create, ami/ml/views.py:286-289 at 731cc2a2), so a target that
// did not say its services' names is refused: a made-up name would create
// a service there.
func registration(p scenarios.WorkerPlan, k contract.Key, target string) (*fleet.Registration, error) {
	if !p.Register {
		return nil, nil
	}
	if len(k.ServiceNames) != len(k.Services) || len(k.Services) == 0 {
		return nil, envErr("fleet group %s registers (register: true), but target %s did not say the names of key %d's services: "+
			"Antenna registers a service by its name, and a made-up one would create a service there; run it in-process",
			p.Group, target, p.KeyIndex)
	}
	i := p.ServiceIndex % len(k.Services)
	return &fleet.Registration{ProjectID: k.ProjectID, ServiceName: k.ServiceNames[i], Slugs: []string{k.Slug}}, nil
}

// attacks turns the scenario's load into vegeta attacks on the keys they name.
func (d *drive) attacks() []attack.Attack {
	keys := d.setup.Keys
	var out []attack.Attack
	for _, a := range d.spec.Load {
		var targets []attack.Target
		for _, i := range keyIndexes(a.Keys, len(keys)) {
			k := keys[i%len(keys)]
			var job int64
			if len(k.Jobs) > 0 {
				job = k.Jobs[0]
			}
			targets = append(targets, attack.Target{Token: d.setup.Token, JobID: job, Slugs: []string{k.Slug}, ProjectID: k.ProjectID, BatchSize: 1})
		}
		maxWorkers := uint64(a.MaxWorkers)
		if maxWorkers == 0 {
			maxWorkers = defaultAttackMaxWorkers
		}
		out = append(out, attack.Attack{Name: a.Name, Endpoint: a.Endpoint, RatePerModelSecond: a.Rate.Per,
			RateToPerModelSecond: a.RateTo.Per, StartAt: a.StartAt, Duration: a.Duration, Targets: targets,
			MaxWorkers: maxWorkers})
	}
	return out
}

// keyIndexes is the keys an attack names, or every key when it names none.
func keyIndexes(named []int, keys int) []int {
	if len(named) > 0 {
		return named
	}
	all := make([]int, keys)
	for i := range all {
		all[i] = i
	}
	return all
}

// timelineEvery is the width of the request timeline's windows: about 300
// over the run, whole model seconds, so that a fault of a few seconds is
// still resolved and a window of a long run still holds enough requests for
// its percentiles to mean something.
func timelineEvery(duration time.Duration) time.Duration {
	return max(time.Second, (duration / 300).Round(time.Second))
}
