package runner

import (
	"time"

	"github.com/hbharness/hbharness/harness/fleet"
	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/reference/antenna"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/scenarios"
)

// activity says when each key was being polled and when each service's own
// workers polled.
type activity struct {
	keys     map[string][]history.Interval
	services map[int64][]history.Interval
}

// workerPolls is the part of a worker's stats the history needs.
type workerPolls struct {
	id                    int
	first, last, wentIdle time.Duration
	// workedFrom and workedTo are an adc worker's span of work on jobs
	// (fleet.WorkerStats); workedTo < 0 means to its last poll.
	workedFrom, workedTo time.Duration
	// listedWhileWorking are an adc or active worker's lists between rounds
	// of work.
	listedWhileWorking []time.Duration
	// rounds are an adc worker's rounds of work: which job, when.
	rounds []fleet.JobRound
}

// deriveActivity works activity out from the plan and the fleet's per-worker
// stats. Which gate key a poll hit is the strategy's to say (scope): a
// worker calls as its own service when it has its own token.
func deriveActivity(spec *scenarios.Spec, keys []contract.Key, plan []scenarios.WorkerPlan, polls []workerPolls,
	scope func(contract.Call) heartbeat.Target, serviceTokens bool) activity {
	act := activity{keys: map[string][]history.Interval{}, services: map[int64][]history.Interval{}}
	byID := make(map[int]scenarios.WorkerPlan, len(plan))
	for _, p := range plan {
		byID[p.ID] = p
	}
	keyOfJob := map[int64]contract.Key{}
	for _, k := range keys {
		for _, j := range k.Jobs {
			keyOfJob[j] = k
		}
	}
	for _, w := range polls {
		p, ok := byID[w.id]
		if !ok || w.first < 0 || len(keys) == 0 {
			continue
		}
		k := keys[p.KeyIndex%len(keys)]
		svc := k.Services[p.ServiceIndex%len(k.Services)]
		caller := int64(0)
		if serviceTokens {
			caller = svc
		}
		key := func(t heartbeat.Target) string { return scope(contract.Call{Target: t, ServiceID: caller}).GateKey() }
		list := key(heartbeat.PipelinesTarget([]string{k.Slug}))
		job := key(heartbeat.JobTarget(k.PipelineID, k.ProjectID))
		whole := history.Interval{From: w.first, To: w.last}
		act.services[svc] = append(act.services[svc], whole)
		switch {
		case p.Behaviour == scenarios.BehaviourIdle:
			act.keys[list] = append(act.keys[list], whole)
		case p.Behaviour == scenarios.BehaviourADC:
			// The list hands an adc worker any job of its slugs (one at
			// random on Antenna), whatever key the plan gave it: each round
			// polled the key of the job it worked.
			jobKey := func(id int64) string {
				jk, ok := keyOfJob[id]
				if !ok {
					jk = k
				}
				return key(heartbeat.JobTarget(jk.PipelineID, jk.ProjectID))
			}
			act.keys = adcKeys(act.keys, w, jobKey, list, spec.MaxPollGap())
		case w.wentIdle >= 0:
			act.keys[job] = append(act.keys[job], history.Interval{From: w.first, To: max(w.first, w.wentIdle)})
			act.keys[list] = append(act.keys[list], history.Interval{From: w.wentIdle, To: w.last})
			act.keys = listKeys(act.keys, w.listedWhileWorking, list, spec.MaxPollGap())
		default:
			act.keys[job] = append(act.keys[job], whole)
			// A /tasks that answered none (the fetch's 0.5 s ran out, or
			// max_ack_pending was reached) sends the worker to the list,
			// whose heartbeat marks the same services.
			act.keys = listKeys(act.keys, w.listedWhileWorking, list, spec.MaxPollGap())
		}
	}
	// Attacks send the shared token: they poll what they name.
	for _, a := range spec.Load {
		iv := history.Interval{From: a.StartAt, To: a.StartAt + a.Duration}
		for _, i := range keyIndexes(a.Keys, len(keys)) {
			k := keys[i%len(keys)]
			t := heartbeat.JobTarget(k.PipelineID, k.ProjectID)
			if a.Endpoint == antenna.EndpointList {
				t = heartbeat.PipelinesTarget([]string{k.Slug})
			}
			key := scope(contract.Call{Target: t}).GateKey()
			act.keys[key] = append(act.keys[key], iv)
		}
	}
	for k, ivs := range act.keys {
		act.keys[k] = history.Union(ivs)
	}
	for s, ivs := range act.services {
		act.services[s] = history.Union(ivs)
	}
	return act
}

// adcKeys adds an adc worker's keys: the real client lists first, works
// the listed job (tasks and results hit the job's key) and lists again once
// it has no work. Between its rounds of work it lists too: lists closer
// than gap make the list key polled from one to the next, a lone one an
// instant. Each round polled the key jobKey names for its job, from its
// first request to its last answer: rounds, not the span from the first
// work to the last, because the job a round works is whichever the list
// handed out, and the next round's may be on another key.
func adcKeys(keys map[string][]history.Interval, w workerPolls, jobKey func(int64) string, list string,
	gap time.Duration) map[string][]history.Interval {
	keys = listKeys(keys, w.listedWhileWorking, list, gap)
	for _, r := range w.rounds {
		k := jobKey(r.Job)
		keys[k] = append(keys[k], history.Interval{From: r.From, To: r.To})
	}
	if w.workedFrom < 0 {
		keys[list] = append(keys[list], history.Interval{From: w.first, To: w.last})
		return keys
	}
	keys[list] = append(keys[list], history.Interval{From: w.first, To: w.workedFrom})
	if w.workedTo >= 0 {
		keys[list] = append(keys[list], history.Interval{From: w.workedTo, To: w.last})
	}
	return keys
}

// listKeys adds the list key polled by a worker's lists between rounds of
// work: lists closer than gap make it polled from one to the next, a lone
// one an instant.
func listKeys(keys map[string][]history.Interval, ls []time.Duration, list string, gap time.Duration) map[string][]history.Interval {
	for i, at := range ls {
		to := at
		if i+1 < len(ls) && ls[i+1]-at <= gap {
			to = ls[i+1]
		}
		keys[list] = append(keys[list], history.Interval{From: at, To: to})
	}
	return keys
}
