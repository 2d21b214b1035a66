package sim

import (
	"context"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/hbharness/hbharness/reference/antenna"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/scenarios"
)

// poller is one worker of an `active` fleet, on the schedule the real
// fleet keeps (harness/fleet, worker.loop): it lists its pipeline's jobs,
// starts on its job at once, then every poll_every (± jitter, from its
// previous slot, never from when an answer came) asks /tasks for a batch
// and posts the batch's results 80% of a period later. The simulated task
// supply never runs dry, so the worker never goes back to the list.
type poller struct {
	s    *sim
	plan scenarios.WorkerPlan
	rng  *rand.Rand
	// list and job are the calls its requests heartbeat with.
	list, job   contract.Call
	service     int64
	keyServices []int64
	first       time.Duration // -1: never polled
	last        time.Duration
	polls       int64
}

func newPoller(s *sim, p scenarios.WorkerPlan, k contract.Key) *poller {
	svc := k.Services[p.ServiceIndex%len(k.Services)]
	// In-process workers authenticate as their own service (the runner's
	// ServiceTokens), so per-service strategies see who called.
	return &poller{s: s, plan: p, service: svc, keyServices: k.Services, first: -1,
		rng:  rand.New(rand.NewPCG(uint64(s.seed), uint64(p.ID)+1)),
		list: contract.Call{Target: heartbeat.PipelinesTarget([]string{k.Slug}), ServiceID: svc},
		job:  contract.Call{Target: heartbeat.JobTarget(k.PipelineID, k.ProjectID), ServiceID: svc}}
}

// services are what a heartbeat on t marks of this worker's key: its own
// service for a service-scoped strategy, else the key's.
func (w *poller) services(t heartbeat.Target) []int64 {
	if t.Kind == heartbeat.KindService {
		return []int64{t.ServiceID}
	}
	return w.keyServices
}

// start lists, then works its job from the list's answer on.
func (w *poller) start() {
	if w.plan.StartAt >= w.plan.StopAt {
		return
	}
	at := w.s.e.elapsed()
	w.request(antenna.EndpointList, w.list)
	w.s.e.schedule(max(w.s.e.elapsed(), at), w.cycle)
}

// cycle is one /tasks poll, its result post scheduled, and the next cycle.
func (w *poller) cycle() {
	slot := w.s.e.at
	if slot >= w.plan.StopAt {
		return
	}
	w.request(antenna.EndpointTasks, w.job)
	resultAt := max(slot+w.plan.PollEvery*8/10, w.s.e.elapsed())
	w.s.e.schedule(resultAt, func() { w.request(antenna.EndpointResult, w.job) })
	w.s.e.schedule(w.after(slot), w.cycle)
}

// after is the slot one period (± jitter) after prev, as fleet's worker.after.
func (w *poller) after(prev time.Duration) time.Duration {
	next := prev + w.plan.PollEvery
	if j := w.plan.Jitter; j > 0 {
		next += time.Duration(w.rng.Int64N(int64(2*j)+1)) - j
	}
	return next
}

// request is one request's heartbeat, counted like the fleet counts it:
// answered when the view's calls are done.
func (w *poller) request(endpoint string, c contract.Call) {
	sent := w.s.e.elapsed()
	err := w.s.ref.Poll(context.Background(), c)
	took := w.s.e.elapsed() - sent
	w.s.requests.add(endpoint, err == nil, took)
	if err == nil {
		if w.first < 0 {
			w.first = w.s.e.elapsed()
		}
		w.last = w.s.e.elapsed()
		w.polls++
	}
	if w.s.log != nil {
		w.s.log.line(sent, "request", endpoint, strconv.Itoa(w.plan.ID), c.Target.GateKey(), strconv.FormatBool(err == nil))
	}
}
