package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hbharness/hbharness/harness/attack"
	hclock "github.com/hbharness/hbharness/harness/clock"
	"github.com/hbharness/hbharness/harness/fault"
	"github.com/hbharness/hbharness/harness/fleet"
	"github.com/hbharness/hbharness/harness/observe"
	"github.com/hbharness/hbharness/reference/store"
	"github.com/hbharness/hbharness/scenarios"
)

// drive is one load phase: fleet, attacks, faults and the sampler on one
// shared model clock.
type drive struct {
	spec  *scenarios.Spec
	keys  []store.Key
	urls  []string // one per replica; workers are spread over them
	token string   // the shared token (attacks; every worker in external mode)
	// serviceTokens makes each worker authenticate as its own service (svc-<id>).
	serviceTokens bool
	sampler       *observe.Sampler
	faults        *fault.Targets
	seed          int64
	log           *slog.Logger
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
	// the target has drained, so the last writes are seen.
	stopSampling func()
}

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
	scale := hclock.Scale(d.spec.TimeScale)
	start := time.Now().Add(lead)
	run := hclock.Run{Start: start, Scale: scale}
	plan := d.spec.Plan(d.seed)
	workers, err := d.workers(plan)
	if err != nil {
		return nil, err
	}
	attacks, err := d.attacks()
	if err != nil {
		return nil, err
	}
	sampCtx, stopSampling := context.WithCancel(context.WithoutCancel(ctx))
	sampled := make(chan struct{})
	obs := &observed{start: start, plan: plan, stopSampling: func() { stopSampling(); <-sampled }}
	d.sampler.Start = start
	go func() {
		defer close(sampled)
		time.Sleep(time.Until(start))
		d.sampler.Run(sampCtx)
	}()

	// A generator that cannot start ends the drive at once rather than
	// after the whole model duration.
	dctx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	var wg sync.WaitGroup
	var fleetErr, attackErr, faultErr error
	fail := func(err *error) {
		if *err != nil {
			abort(*err)
		}
	}
	if len(workers) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			obs.fleet, fleetErr = fleet.Run(dctx, fleet.Config{Target: d.urls[0], Run: run, Workers: workers,
				Seed: d.seed, Logger: d.log, LagTolerance: lagTolerance(plan, d.spec.TimeScale)})
			fail(&fleetErr)
		}()
	}
	if len(attacks) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			obs.attack, attackErr = attack.Run(dctx, attack.Config{Target: d.urls[0], Run: run, Attacks: attacks, Logger: d.log})
			fail(&attackErr)
		}()
	}
	if len(d.spec.Faults) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			obs.faults, faultErr = fault.Schedule(dctx, d.faultList(), *d.faults, start, d.spec.TimeScale, d.log)
			if ctx.Err() == nil {
				fail(&faultErr)
			}
		}()
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
func lagTolerance(plan []scenarios.WorkerPlan, scale float64) time.Duration {
	shortest := time.Duration(0)
	for _, p := range plan {
		if shortest == 0 || p.PollEvery < shortest {
			shortest = p.PollEvery
		}
	}
	return max(25*time.Millisecond, time.Duration(float64(shortest)*scale/10))
}

func (d *drive) faultList() []fault.Fault {
	out := make([]fault.Fault, len(d.spec.Faults))
	for i, f := range d.spec.Faults {
		out[i] = fault.Fault{Kind: f.Kind, At: f.At, For: f.For, Latency: f.Latency}
	}
	return out
}

// workers turns the scenario's plan into fleet workers with tokens and jobs.
func (d *drive) workers(plan []scenarios.WorkerPlan) ([]fleet.Worker, error) {
	out := make([]fleet.Worker, 0, len(plan))
	for _, p := range plan {
		// An external target has its own keys: the scenario's key indexes
		// wrap around them.
		p.KeyIndex %= len(d.keys)
		k := d.keys[p.KeyIndex]
		tok := d.token
		if d.serviceTokens && len(k.Services) > 0 {
			tok = fmt.Sprintf("svc-%d", k.Services[p.ServiceIndex%len(k.Services)])
		}
		var job int64
		if p.Behaviour == scenarios.BehaviourActive && len(k.Jobs) > 0 {
			job = k.Jobs[p.JobIndex%len(k.Jobs)]
		}
		out = append(out, fleet.Worker{
			ID: p.ID, Group: p.Group, Token: tok, KeyIndex: p.KeyIndex, JobID: job,
			Target: d.urls[p.ID%len(d.urls)], Slugs: []string{k.Slug}, ProjectID: k.ProjectID,
			Behaviour: p.Behaviour, PollEvery: p.PollEvery, IdleEvery: p.IdleEvery, Jitter: p.Jitter,
			StartAt: p.StartAt, StopAt: p.StopAt, BatchSize: p.BatchSize,
		})
	}
	return out, nil
}

// attacks turns the scenario's load into vegeta attacks on the keys they name.
func (d *drive) attacks() ([]attack.Attack, error) {
	var out []attack.Attack
	for _, a := range d.spec.Load {
		idx := a.Keys
		if len(idx) == 0 {
			for i := range d.keys {
				idx = append(idx, i)
			}
		}
		var targets []attack.Target
		for _, i := range idx {
			k := d.keys[i%len(d.keys)]
			var job int64
			if len(k.Jobs) > 0 {
				job = k.Jobs[0]
			}
			targets = append(targets, attack.Target{Token: d.token, JobID: job, Slugs: []string{k.Slug}, ProjectID: k.ProjectID, BatchSize: 1})
		}
		maxWorkers := uint64(a.MaxWorkers)
		if maxWorkers == 0 {
			maxWorkers = defaultAttackMaxWorkers
		}
		out = append(out, attack.Attack{Name: a.Name, Endpoint: a.Endpoint, RatePerModelSecond: a.Rate.Per,
			RateToPerModelSecond: a.RateTo.Per, StartAt: a.StartAt, Duration: a.Duration, Targets: targets,
			MaxWorkers: maxWorkers})
	}
	return out, nil
}
