package runner

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/observe"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/reference/store"
	"github.com/hbharness/hbharness/scenarios"
)

// keyBook knows every gate key a run can produce and which services each
// one writes, so writes seen in the database can be put back on their key.
type keyBook struct {
	services map[string][]int64 // gate key -> services it marks
	bySet    map[string][]string
	order    []string
}

func newKeyBook(keys []store.Key) *keyBook {
	b := &keyBook{services: map[string][]int64{}, bySet: map[string][]string{}}
	add := func(key string, svcs []int64) {
		if _, ok := b.services[key]; ok {
			b.services[key] = append(b.services[key], svcs...)
			return
		}
		b.order = append(b.order, key)
		b.services[key] = slices.Clone(svcs)
	}
	for _, k := range keys {
		add(heartbeat.JobTarget(k.PipelineID, k.ProjectID).GateKey(), k.Services)
	}
	for _, k := range keys {
		add(heartbeat.PipelinesTarget([]string{k.Slug}).GateKey(), k.Services)
		add(heartbeat.ProjectTarget(k.ProjectID).GateKey(), k.Services)
	}
	for _, k := range keys {
		for _, s := range k.Services {
			add(heartbeat.ServiceTarget(s).GateKey(), []int64{s})
		}
	}
	for _, key := range b.order {
		slices.Sort(b.services[key])
		sig := setSig(b.services[key])
		b.bySet[sig] = append(b.bySet[sig], key)
	}
	return b
}

func setSig(ids []int64) string {
	var s strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&s, "%d,", id)
	}
	return s.String()
}

// keyOf names the key a write of these services belongs to: among the keys
// that mark exactly this set, the one active at that moment (the tasks path
// and the list path can mark the same set when there is one project).
func (b *keyBook) keyOf(svcs []int64, at time.Duration, active map[string][]history.Interval) string {
	cands := b.bySet[setSig(svcs)]
	for _, c := range cands {
		for _, iv := range active[c] {
			if at >= iv.From && at <= iv.To {
				return c
			}
		}
	}
	if len(cands) > 0 {
		return cands[0]
	}
	return "services:" + strings.TrimSuffix(setSig(svcs), ",")
}

// activity derives, from the plan and the fleet's per-worker stats, when
// each key was being polled and when each service's own workers polled.
type activity struct {
	keys     map[string][]history.Interval
	services map[int64][]history.Interval
}

func deriveActivity(spec *scenarios.Spec, keys []store.Key, plan []scenarios.WorkerPlan, polls []workerPolls) activity {
	act := activity{keys: map[string][]history.Interval{}, services: map[int64][]history.Interval{}}
	perService := spec.Strategy == "per-service"
	byID := make(map[int]scenarios.WorkerPlan, len(plan))
	for _, p := range plan {
		byID[p.ID] = p
	}
	for _, w := range polls {
		p, ok := byID[w.id]
		if !ok || w.first < 0 || p.KeyIndex >= len(keys) {
			continue
		}
		k := keys[p.KeyIndex]
		svc := k.Services[p.ServiceIndex%len(k.Services)]
		whole := history.Interval{From: w.first, To: w.last}
		act.services[svc] = append(act.services[svc], whole)
		listKey := heartbeat.PipelinesTarget([]string{k.Slug}).GateKey()
		jobKey := heartbeat.JobTarget(k.PipelineID, k.ProjectID).GateKey()
		switch {
		case perService:
			key := heartbeat.ServiceTarget(svc).GateKey()
			act.keys[key] = append(act.keys[key], whole)
		case p.Behaviour == scenarios.BehaviourIdle:
			act.keys[listKey] = append(act.keys[listKey], whole)
		case w.wentIdle >= 0:
			act.keys[jobKey] = append(act.keys[jobKey], history.Interval{From: w.first, To: max(w.first, w.wentIdle)})
			act.keys[listKey] = append(act.keys[listKey], history.Interval{From: w.wentIdle, To: w.last})
		default:
			act.keys[jobKey] = append(act.keys[jobKey], whole)
		}
	}
	for _, a := range spec.Load {
		idx := a.Keys
		if len(idx) == 0 {
			for i := range keys {
				idx = append(idx, i)
			}
		}
		iv := history.Interval{From: a.StartAt, To: a.StartAt + a.Duration}
		for _, i := range idx {
			if i >= len(keys) {
				continue
			}
			k := keys[i]
			key := heartbeat.JobTarget(k.PipelineID, k.ProjectID).GateKey()
			if a.Endpoint == scenarios.EndpointList {
				key = heartbeat.PipelinesTarget([]string{k.Slug}).GateKey()
			}
			act.keys[key] = append(act.keys[key], iv)
		}
	}
	for k, ivs := range act.keys {
		act.keys[k] = union(ivs)
	}
	for s, ivs := range act.services {
		act.services[s] = union(ivs)
	}
	return act
}

// workerPolls is the part of a worker's stats the history needs.
type workerPolls struct {
	id                    int
	first, last, wentIdle time.Duration
}

// union merges overlapping or touching intervals.
func union(ivs []history.Interval) []history.Interval {
	if len(ivs) == 0 {
		return nil
	}
	s := slices.Clone(ivs)
	slices.SortFunc(s, func(a, b history.Interval) int { return int(a.From - b.From) })
	out := []history.Interval{s[0]}
	for _, iv := range s[1:] {
		last := &out[len(out)-1]
		if iv.From <= last.To {
			last.To = max(last.To, iv.To)
		} else {
			out = append(out, iv)
		}
	}
	return out
}

// assemble builds the history all verdicts and reports are computed from.
func assemble(spec *scenarios.Spec, keys []store.Key, obs *observed, polls []workerPolls,
	events []heartbeat.Event, writes []writeSeen, sampler *observe.Sampler, haveDispatches bool) *history.History {
	model := func(t time.Time) time.Duration {
		return time.Duration(float64(t.Sub(obs.start)) / spec.TimeScale)
	}
	h := &history.History{
		Duration:       spec.Duration,
		TimeScale:      spec.TimeScale,
		Throttle:       spec.Settings.Throttle,
		OfflineAfter:   spec.Settings.OfflineAfter,
		MaxPollGap:     spec.MaxPollGap(),
		ClockTolerance: clockTolerance(spec.TimeScale),
		SampleEvery:    spec.Settings.SampleEvery,
		HaveDispatches: haveDispatches,
		Samples:        sampler.Samples(),
		AllowedErrors:  int64(spec.AllowedErrors),
	}
	if obs.interrupted {
		h.Duration = min(spec.Duration, model(obs.end))
	}
	act := deriveActivity(spec, keys, obs.plan, polls)
	book := newKeyBook(keys)
	for _, key := range book.order {
		if ivs := act.keys[key]; len(ivs) > 0 {
			h.Keys = append(h.Keys, history.Key{Key: key, Services: book.services[key], Active: ivs})
		}
	}
	for _, k := range keys {
		for _, s := range k.Services {
			h.Services = append(h.Services, history.Service{ID: s,
				Key: heartbeat.JobTarget(k.PipelineID, k.ProjectID).GateKey(), Polled: act.services[s]})
		}
	}
	for _, e := range events {
		switch e.Kind {
		case heartbeat.EventDispatch:
			h.Dispatches = append(h.Dispatches, history.Dispatch{At: model(e.At), Key: e.Key, Replica: e.Replica})
		case heartbeat.EventWrite:
			h.ReferenceWrites++
		}
	}
	slices.SortFunc(h.Dispatches, func(a, b history.Dispatch) int { return int(a.At - b.At) })
	for _, w := range writes {
		at := model(w.at)
		h.Writes = append(h.Writes, history.Write{At: at, Key: book.keyOf(w.services, at, act.keys), Services: w.services})
	}
	for _, f := range obs.faults {
		h.Faults = append(h.Faults, history.Fault{Kind: f.Kind, At: f.At, For: f.For})
	}
	h.Requests = requestTotals(obs)
	return h
}

// writeSeen is one write as an observer saw it (audit or sampler).
type writeSeen struct {
	at       time.Time
	services []int64
}
