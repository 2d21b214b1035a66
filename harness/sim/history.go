package sim

import (
	"slices"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/runner"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/scenarios"
)

// history builds the record the verifier judges, as the runner's assemble
// does for a real run: the reference's reports, the database's writes
// timed by their commits, the sampler's reads, and when each key and
// service was polled.
func (s *sim) history(spec *scenarios.Spec, keys []contract.Key, pollers []*poller) *history.History {
	run := modeltime.Run{Start: epoch, Scale: modeltime.Real}
	h := &history.History{
		Duration: spec.Duration, TimeScale: modeltime.Real, Throttle: spec.Settings.Throttle,
		OfflineAfter: spec.Settings.OfflineAfter, CheckerEvery: spec.Settings.CheckerEvery,
		CheckerExpires: spec.Settings.CheckerExpires, MaxPollGap: spec.MaxPollGap(), SampleEvery: spec.SampleEvery,
		Tolerance:   runner.Tolerances(modeltime.Real, spec.Settings.Throttle),
		Observation: history.ObservedByAudit, HaveDispatches: true, PendingKnown: true,
		Pending: s.ref.Pending(), Samples: s.samples, SamplerReads: s.reads,
		AllowedErrors: runner.Allowance(spec.AllowedErrors),
		Requests:      s.requests.history(),
	}
	h.Dispatches, h.Tasks, h.Checks = runner.EventRecords(run, s.events)
	h.ChecksKnown = true
	for _, w := range s.ref.Writes() {
		h.Writes = append(h.Writes, history.Write{At: run.Since(w.At), Key: w.Key, Services: w.Services,
			DispatchID: w.DispatchID, Stamp: run.Since(w.Stamp), Stamped: true})
	}
	// When a key and a service were polled: each worker's first answer to
	// its last, on the key its /tasks heartbeats (as the strategy scopes
	// it) and on its own service, as the runner derives it for an active
	// worker that never went idle (deriveActivity).
	scope, _ := contract.Scope(spec.Strategy) // Check has vetted the name
	keyIvs := map[string][]history.Interval{}
	keyServices := map[string][]int64{}
	var order []string
	svcIvs := map[int64][]history.Interval{}
	for _, w := range pollers {
		t := scope(w.job)
		key := t.GateKey()
		if _, ok := keyServices[key]; !ok {
			keyServices[key] = w.services(t)
			order = append(order, key)
		}
		if w.first < 0 {
			continue
		}
		iv := history.Interval{From: w.first, To: w.last}
		keyIvs[key] = append(keyIvs[key], iv)
		svcIvs[w.service] = append(svcIvs[w.service], iv)
	}
	slices.Sort(order)
	for _, key := range order {
		if ivs := keyIvs[key]; len(ivs) > 0 {
			h.Keys = append(h.Keys, history.Key{Key: key, Services: keyServices[key], Active: history.Union(ivs)})
		}
	}
	for _, k := range keys {
		for _, id := range k.Services {
			h.Services = append(h.Services, history.Service{ID: id, Key: heartbeat.JobTarget(k.PipelineID, k.ProjectID).GateKey(),
				Polled: history.Union(svcIvs[id])})
		}
	}
	return h
}
