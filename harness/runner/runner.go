// Package runner runs one scenario end to end (docs/design.md#architecture and #cli-contract) over a
// Target — the in-process reference or an external deployment — along one
// straight path: start the target, drive the load on the model clock,
// settle, collect what the observers saw, assemble the history and judge it.
// It returns a plain record of the run; the reports package renders it.
package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/hbharness/hbharness/faults"
	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/results"
	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/scenarios"
	"github.com/hbharness/hbharness/summary"
)

// Options are the run's knobs beyond the scenario itself.
type Options struct {
	Log *slog.Logger
	// External, when set, drives a deployment instead of in-process replicas.
	External *External
	// Seed makes start offsets and jitter reproducible.
	Seed int64
	// SaturationTolerance is the fraction of late or dropped sends beyond
	// which the load generator is declared saturated (default 1%).
	SaturationTolerance float64
	// Sweep, shared by the runs of one process, removes what killed runs
	// left behind before the first of them; nil sweeps before every run.
	Sweep *sync.Once
	// Results, when set, is handed every request the fleet and the attacks
	// make, the same ones the summary counts, as vegeta results.
	Results results.Sink
	// Progress, when set, is called every ProgressEvery (wall; default
	// DefaultProgressEvery) while the load runs, and once more when it has
	// ended, from one goroutine: it must return quickly.
	Progress      func(Progress)
	ProgressEvery time.Duration
	// plant are bugs planted in the in-process reference: this package's
	// tests plant them to prove the verdicts catch them.
	plant []contract.Bug
}

func (o Options) sweeper() *sync.Once {
	if o.Sweep != nil {
		return o.Sweep
	}
	return &sync.Once{}
}

// Result is one finished (or interrupted) run as plain data: what ran, what
// the observers saw, what was judged. Nothing in it is formatted for a reader.
type Result struct {
	Scenario      string
	Strategy      string
	Label         string // the scenario's run label, when it has one
	FailurePolicy string
	TimeScale     modeltime.Scale
	Replicas      int
	// Target is "in-process" for the reference, else the external URL.
	Target    string
	StartedAt time.Time
	Wall      time.Duration
	// Seed drew the start offsets, the jitter and any random faults;
	// Source names the scenario (a file, or builtin:NAME); PlannedFaults is
	// the schedule the run applied. Together they replay the run.
	Seed          int64
	Source        string
	PlannedFaults []faults.Fault

	History  *history.History
	Verdicts []summary.Verdict
	Load     LoadGenerator
	// Notes are what a reader needs to trust the verdicts: observation
	// methods, failed samples.
	Notes []string
	// Interrupted marks a run stopped before its model duration elapsed; its
	// verdicts judge only the part that ran.
	Interrupted bool
	// Unusable says why the run tested nothing about its target (every
	// request refused, a sampler that read nothing); "" when it did.
	Unusable string
	// Sim, for a run of `hbharness sim`, says what it modelled and how.
	Sim *summary.Sim
}

// LoadGenerator says whether the load generator kept its schedule. A
// saturated generator offered less load than the scenario asked for, so the
// run measured the harness, not the target.
type LoadGenerator struct {
	ScheduleLagP99  time.Duration // wall
	Late, Dropped   int64
	Saturated       bool
	SaturatedReason string
}

// ErrSaturated means the load generator could not keep its own schedule: the
// run measured the harness, not the target, and must not count as a result.
var ErrSaturated = errors.New("load generator saturated")

// ErrEnvironment wraps failures to set a run up (exit 2).
var ErrEnvironment = errors.New("environment")

// Run executes spec. A returned Result may accompany an error: an
// interrupted or saturated run still has a (partial) record to write.
func Run(ctx context.Context, spec *scenarios.Spec, opt Options) (*Result, error) {
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.SaturationTolerance == 0 {
		opt.SaturationTolerance = 0.01
	}
	began := time.Now()
	if err := checkScale(spec); err != nil {
		return nil, err
	}
	scope, err := contract.Scope(spec.Strategy)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEnvironment, err)
	}
	target, err := newTarget(spec, opt)
	if err != nil {
		return nil, err
	}
	defer target.Close()
	setup, err := target.Start(ctx)
	if err != nil {
		return nil, err
	}
	plan := spec.FaultPlan(opt.Seed)
	if len(plan) > 0 && setup.Faults == nil {
		return nil, envErr("scenario %s injects faults, which need the harness's own proxies in front of the services: run it in-process, not against --target", spec.Name)
	}
	d := &drive{spec: spec, setup: setup, faults: plan, seed: opt.Seed, log: setup.Log, results: opt.Results,
		report: opt.Progress, reportEvery: opt.ProgressEvery}
	obs, err := d.run(ctx)
	if err != nil {
		return nil, err
	}
	target.Settle(ctx)
	obs.stopSampling()
	seen, err := target.Collect(context.WithoutCancel(ctx), obs.start)
	if err != nil {
		return nil, err
	}
	h, err := assemble(spec, setup, obs, seen, scope)
	if err != nil {
		return nil, err
	}
	res := &Result{
		Scenario: spec.Name, Strategy: spec.Strategy, Label: spec.Label, FailurePolicy: spec.FailurePolicy, TimeScale: spec.TimeScale,
		Replicas: spec.Replicas, Target: setup.Name, StartedAt: obs.start, Wall: time.Since(began),
		Seed: opt.Seed, Source: spec.Source, PlannedFaults: plan,
		History: h, Verdicts: verify.Check(*h, verify.Options{Expect: spec.Expect}),
		Load: loadGenerator(obs, opt.SaturationTolerance), Notes: seen.Notes, Interrupted: obs.interrupted,
		Unusable: verify.Unusable(*h),
	}
	if w := scaleNote(spec.Strategy, h); w != "" {
		setup.Log.Warn(w)
		res.Notes = append(res.Notes, w)
	}
	switch {
	case res.Unusable != "" && !res.Interrupted:
		// A run that tested nothing (every request refused, say) says why
		// first: whether its generator also fell behind is beside the point,
		// and the user's fix is the token or the target, not the load.
		return res, nil
	case res.Load.Saturated:
		return res, fmt.Errorf("%w: %s", ErrSaturated, res.Load.SaturatedReason)
	case res.Interrupted:
		return res, context.Canceled
	}
	return res, nil
}

// Passed reports whether every verdict matched its expectation in a run that
// completed and whose load generator kept up: anything less proves nothing.
func (r *Result) Passed() bool {
	return verify.Passed(r.Verdicts) && !r.Interrupted && !r.Load.Saturated && r.Unusable == ""
}

func envErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrEnvironment, fmt.Sprintf(format, a...))
}

// scaleNote is scaleWarning for a run of strategy: nothing for a strategy
// with no throttle, whose writes come every few polls by design (the
// warning was a false alarm on every inline run).
func scaleNote(strategy string, h *history.History) string {
	if contract.Unthrottled(strategy) {
		return ""
	}
	return scaleWarning(h)
}

// scaleWarning speaks up when the writes a target made are far from one
// window apart: a target running in real time judged at a compressed scale
// (or the reverse) gets meaningless verdicts.
func scaleWarning(h *history.History) string {
	perKey := map[string][]time.Duration{}
	for _, w := range h.Writes {
		perKey[w.Key] = append(perKey[w.Key], w.At)
	}
	var gaps []time.Duration
	for _, ats := range perKey {
		slices.Sort(ats)
		for i := 1; i < len(ats); i++ {
			gaps = append(gaps, ats[i]-ats[i-1])
		}
	}
	if len(gaps) < 3 || h.Throttle <= 0 {
		return ""
	}
	slices.Sort(gaps)
	median := gaps[len(gaps)/2]
	if median < 3*h.Throttle && median > h.Throttle/3 {
		return ""
	}
	scale := h.TimeScale
	return fmt.Sprintf("writes ~%s apart, but the window at time scale %s is %s: is --time-scale right?",
		scale.Wall(median).Round(time.Millisecond), scale, scale.Wall(h.Throttle))
}
