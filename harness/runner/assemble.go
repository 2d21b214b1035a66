package runner

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/hbharness/hbharness/faults"
	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/observe"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/scenarios"
)

// assemble builds the history every verdict and report is computed from,
// in model time.
func assemble(spec *scenarios.Spec, setup Setup, obs *observed, seen Observations,
	scope func(contract.Call) heartbeat.Target) (*history.History, error) {
	run := modeltime.Run{Start: obs.start, Scale: spec.TimeScale}
	h := &history.History{
		Duration:       spec.Duration,
		TimeScale:      spec.TimeScale,
		Throttle:       spec.Settings.Throttle,
		OfflineAfter:   spec.Settings.OfflineAfter,
		CheckerEvery:   spec.Settings.CheckerEvery,
		CheckerExpires: spec.Settings.CheckerExpires,
		MaxPollGap:     spec.MaxPollGap(),
		SampleEvery:    spec.SampleEvery,
		Tolerance:      Tolerances(spec.TimeScale, spec.Settings.Throttle),
		Observation:    seen.Observation,
		DetectionLimit: seen.DetectionLimit,
		QueueAllowance: seen.QueueAllowance,
		HaveDispatches: seen.HaveDispatches,
		Pending:        seen.Pending,
		PendingKnown:   seen.PendingKnown,
		Samples:        setup.Sampler.Samples(),
		SamplerReads:   setup.Sampler.Reads(),
		SamplerErrors:  int64(setup.Sampler.Errors()),
		AllowedErrors:  Allowance(spec.AllowedErrors),
	}
	if obs.interrupted {
		h.Duration = min(spec.Duration, run.Since(obs.end))
	}
	h.Views = seen.Views
	if setup.Locks != nil {
		l := setup.Locks.Seen()
		h.Locks = &l
	}
	h.Unobserved = append(gaps(run, history.ObserverSampler, setup.Sampler.Gaps()),
		gaps(run, history.ObserverWrites, seen.WriteGaps)...)
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
	h.Dispatches, h.Tasks, h.Checks = EventRecords(run, seen.Events)
	dispatchKey := map[string]string{}
	for _, d := range h.Dispatches {
		dispatchKey[d.ID] = d.Key
	}
	// A target that reports its dispatches reports its offline checks too.
	h.ChecksKnown = seen.HaveDispatches
	for _, w := range seen.Writes {
		at := run.Since(w.at)
		// A tagged write belongs to its dispatch's key; an untagged one (an
		// external target's) to the key its services and the time point to.
		key, ok := dispatchKey[w.dispatchID]
		if !ok || w.dispatchID == "" {
			key = book.keyOf(w.services, at, act.keys)
		}
		hw := history.Write{At: at, Key: key, Services: w.services, TxID: w.txid, DispatchID: w.dispatchID}
		if !w.stamp.IsZero() {
			hw.Stamp, hw.Stamped = run.Since(w.stamp), true
		}
		h.Writes = append(h.Writes, hw)
	}
	for _, f := range obs.faults {
		k, _ := faults.Lookup(f.Kind)
		end := f.Ended
		if end < 0 {
			end = max(h.Duration, f.Started)
		}
		h.Faults = append(h.Faults, history.Fault{Kind: f.Kind, At: f.Started, For: end - f.Started, Planned: f.Fault,
			StopsDispatch: k.StopsDispatch, SpendsWindow: k.SpendsWindow && !spec.Settings.ReleaseOnEnqueueFailure})
	}
	h.Events = fleetEvents(spec.Fleet, h.Duration)
	reqs, tl, err := requestTotals(obs)
	if err != nil {
		return nil, err
	}
	h.Requests = reqs
	if tl != nil {
		for i, f := range h.Faults {
			w := tl.Span(f.At, f.At+max(f.For, 1))
			h.Faults[i].Requests = &w
		}
	}
	return h, nil
}

// EventRecords turns the reference's own reports into the history's
// dispatches (in time order), task outcomes and offline checks.
func EventRecords(run modeltime.Run, events []heartbeat.Event) ([]history.Dispatch, []history.Task, []history.Check) {
	var ds []history.Dispatch
	var ts []history.Task
	for _, e := range events {
		switch e.Kind {
		case heartbeat.EventDispatch:
			ds = append(ds, history.Dispatch{At: run.Since(e.At), Key: e.Key, Replica: e.Replica,
				ID: e.DispatchID, Clock: history.Clock(e.Clock)})
		case heartbeat.EventTask:
			ts = append(ts, history.Task{DispatchID: e.DispatchID, Result: history.TaskResult(e.Result), Rows: e.Rows})
		}
	}
	slices.SortFunc(ds, func(a, b history.Dispatch) int { return int(a.At - b.At) })
	return ds, ts, checks(run, events)
}

// Tolerances says, per clock, how much closer than the window two of its
// timestamps may be without a violation, in model time. Redis keeps TTLs in
// whole milliseconds: the window is rounded down to one when set, and a key
// expires on a millisecond boundary. The database and this process keep
// last_seen to the microsecond.
func Tolerances(scale modeltime.Scale, throttle time.Duration) map[history.Clock]time.Duration {
	window := scale.Wall(throttle)
	truncated := window - max(window.Truncate(time.Millisecond), time.Millisecond)
	micro := scale.Model(time.Microsecond)
	return map[history.Clock]time.Duration{
		history.ClockRedis:    scale.Model(contract.RedisResolution + max(truncated, 0)),
		history.ClockPostgres: micro,
		history.ClockProcess:  micro,
	}
}

func Allowance(a scenarios.Allowance) history.Allowance {
	if a.PerEndpoint == nil {
		return history.Allowance{Total: int64(a.Total)}
	}
	out := history.Allowance{PerEndpoint: map[string]int64{}}
	for ep, n := range a.PerEndpoint {
		out.PerEndpoint[ep] = int64(n)
	}
	return out
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
		out[i] = workerPolls{id: w.ID, first: first, last: w.LastPoll, wentIdle: w.WentIdleAt,
			workedFrom: w.WorkedFrom, workedTo: w.WorkedTo, listedWhileWorking: w.ListedWhileWorking, rounds: w.Jobs}
	}
	return out
}

func gaps(run modeltime.Run, observer string, gs []observe.Gap) []history.Gap {
	var out []history.Gap
	for _, g := range gs {
		out = append(out, history.Gap{Observer: observer, From: run.Since(g.From), To: run.Since(g.To), Reason: g.Reason})
	}
	return out
}

// fleetEvents lists what the scenario does to its fleets within the run:
// a fleet starting after the run did, stopping or crashing before its end.
func fleetEvents(fleet []scenarios.Group, d time.Duration) []history.Event {
	var out []history.Event
	for _, g := range fleet {
		if g.StartAt > 0 && g.StartAt < d {
			out = append(out, history.Event{At: g.StartAt, What: fmt.Sprintf("fleet %s starts: %d workers", g.Name, g.Workers)})
		}
		if g.CrashAt > 0 && g.CrashAt < d {
			out = append(out, history.Event{At: g.CrashAt, What: fmt.Sprintf("fleet %s crashes: %d workers vanish mid-cycle", g.Name, g.Workers)})
		} else if g.StopAt > 0 && g.StopAt < d {
			out = append(out, history.Event{At: g.StopAt, What: fmt.Sprintf("fleet %s stops: %d workers", g.Name, g.Workers)})
		}
	}
	slices.SortStableFunc(out, func(a, b history.Event) int { return cmp.Compare(a.At, b.At) })
	return out
}
