package runner

import (
	"slices"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/reference/strategy"
	"github.com/hbharness/hbharness/scenarios"
)

// assemble builds the history every verdict and report is computed from,
// in model time.
func assemble(spec *scenarios.Spec, setup Setup, obs *observed, seen Observations,
	scope func(strategy.Call) heartbeat.Target) *history.History {
	run := modeltime.Run{Start: obs.start, Scale: spec.TimeScale}
	h := &history.History{
		Duration:         spec.Duration,
		TimeScale:        spec.TimeScale,
		Throttle:         spec.Settings.Throttle,
		OfflineAfter:     spec.Settings.OfflineAfter,
		MaxPollGap:       spec.MaxPollGap(),
		ClockTolerance:   clockTolerance(spec.TimeScale),
		SampleEvery:      spec.SampleEvery,
		HaveDispatches:   seen.HaveDispatches,
		Samples:          setup.Sampler.Samples(),
		AllowedErrors:    int64(spec.AllowedErrors),
		UnseenRowUpdates: seen.UnseenRowUpdates,
	}
	if obs.interrupted {
		h.Duration = min(spec.Duration, run.Since(obs.end))
	}
	act := deriveActivity(spec, setup.Keys, obs.plan, fleetPolls(obs), scope, setup.ServiceTokens)
	book := newKeyBook(setup.Keys)
	for _, key := range book.order {
		if ivs := act.keys[key]; len(ivs) > 0 {
			h.Keys = append(h.Keys, history.Key{Key: key, Services: book.services[key], Active: ivs})
		}
	}
	for _, k := range setup.Keys {
		for _, s := range k.Services {
			h.Services = append(h.Services, history.Service{ID: s,
				Key: heartbeat.JobTarget(k.PipelineID, k.ProjectID).GateKey(), Polled: act.services[s]})
		}
	}
	for _, e := range seen.Events {
		switch e.Kind {
		case heartbeat.EventDispatch:
			h.Dispatches = append(h.Dispatches, history.Dispatch{At: run.Since(e.At), Key: e.Key, Replica: e.Replica})
		case heartbeat.EventWrite:
			h.ReferenceWrites++
		}
	}
	slices.SortFunc(h.Dispatches, func(a, b history.Dispatch) int { return int(a.At - b.At) })
	for _, w := range seen.Writes {
		at := run.Since(w.at)
		h.Writes = append(h.Writes, history.Write{At: at, Key: book.keyOf(w.services, at, act.keys), Services: w.services})
	}
	for _, f := range obs.faults {
		h.Faults = append(h.Faults, history.Fault{Kind: f.Kind, At: f.At, For: f.For})
	}
	h.Requests = requestTotals(obs)
	return h
}

// clockTolerance is how much closer than the window two dispatches may be
// recorded without counting as a violation: events are stamped after the
// gate answers, so scheduler noise of a few wall milliseconds shows up as
// model time divided by the scale.
func clockTolerance(scale modeltime.Scale) time.Duration {
	return scale.Model(15 * time.Millisecond)
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
