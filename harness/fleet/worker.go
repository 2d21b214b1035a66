package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/hbharness/hbharness/harness/latency"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/antenna"
)

// worker is one goroutine's state. Only its own goroutine touches it, so the
// buffers are reused from request to request without locking; an adc
// worker's loaders and senders have buffers of their own and take mu for
// stats.
type worker struct {
	spec   Worker
	run    modeltime.Run
	client *http.Client
	rec    *recorders
	stats  *WorkerStats
	rng    *rand.Rand
	timer  *time.Timer

	base      string
	auth      string
	listURL   string
	tasksBody []byte
	// registerURL and registerBody are the registration sent before the
	// first poll; unset when the worker does not register.
	registerURL  string
	registerBody []byte

	job       int64
	worked    bool // the current job has handed out at least one task
	hadJob    bool // the worker has worked a job at some point
	tasksURL  string
	resultURL string

	end      time.Duration // the run's end: no send at or after it (0: none)
	resp     bytes.Buffer
	out      []byte
	subjects []string
	// answeredAt is when the last request finished (wall); a slot that
	// passed before it was missed because of the target, not the generator.
	answeredAt time.Time
	mu         sync.Mutex // guards stats while an adc worker works a job
	names      resultNames
}

func newWorker(spec Worker, base *url.URL, run modeltime.Run, client *http.Client, rec *recorders, stats *WorkerStats, seed int64) *worker {
	*stats = WorkerStats{ID: spec.ID, Group: spec.Group, KeyIndex: spec.KeyIndex, FirstPoll: -1, LastPoll: -1, WentIdleAt: -1,
		WorkedFrom: -1, WorkedTo: -1}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	w := &worker{
		spec:    spec,
		run:     run,
		client:  client,
		rec:     rec,
		stats:   stats,
		rng:     rand.New(rand.NewPCG(uint64(seed), uint64(spec.ID))),
		timer:   timer,
		base:    base.String(),
		auth:    antenna.Authorization(spec.Token),
		listURL: antenna.ListURL(base.String(), spec.Slugs, spec.ProjectID),
	}
	if rec.results != nil {
		w.names = newResultNames(spec.Group)
	}
	if r := spec.Register; r != nil {
		w.registerURL = antenna.RegisterURL(base.String(), r.ProjectID)
		w.registerBody = antenna.RegisterBody(r.ServiceName, r.Slugs)
	}
	switch spec.Behaviour {
	case Active:
		w.tasksBody = antenna.TasksBody(spec.BatchSize)
		w.setJob(spec.JobID)
	case ADC:
		// The real client always lists first: a JobID means nothing to it.
		w.tasksBody = antenna.TasksBody(spec.BatchSize)
	}
	return w
}

func (w *worker) setJob(id int64) {
	w.job = id
	w.worked = false
	if id != 0 {
		w.hadJob = true
		w.tasksURL = antenna.TasksURL(w.base, id)
		w.resultURL = antenna.ResultURL(w.base, id)
	}
}

// loop runs the worker from StartAt to StopAt. Every send has an intended model
// instant fixed by the schedule (next = previous scheduled + period ± jitter),
// never by when the previous answer came back, so a slow target does not thin
// out the offered load; ctx ends the worker early, reqCtx bounds its requests.
func (w *worker) loop(ctx, reqCtx context.Context) {
	if w.spec.Register != nil && !w.register(ctx, reqCtx) {
		w.timer.Stop()
		return
	}
	if w.spec.Behaviour == ADC {
		w.adcLoop(ctx, reqCtx)
		return
	}
	defer w.timer.Stop()
	stop := w.spec.StopAt
	next := w.spec.StartAt
	for next < stop {
		switch {
		case w.spec.Behaviour == Idle:
			at, ok := w.await(ctx, next, w.spec.PollEvery)
			if !ok {
				return
			}
			w.list(ctx, reqCtx, at)
			next = w.after(at, w.spec.PollEvery)

		case w.job == 0:
			at, ok := w.await(ctx, next, w.spec.IdleEvery)
			if !ok {
				return
			}
			job, arrived := w.list(ctx, reqCtx, at)
			if w.hadJob {
				// A list between rounds of work polls the list key too.
				w.stats.ListedWhileWorking = append(w.stats.ListedWhileWorking, arrived)
			}
			if job == 0 && w.hadJob && w.stats.WentIdleAt < 0 {
				// Idle from here: its job answered no task, and the list
				// offers no other (nor the same again).
				w.stats.WentIdleAt = arrived
			}
			if job != 0 {
				// The real client starts on a listed job straight away.
				w.setJob(job)
				next = max(arrived, at)
				continue
			}
			next = w.after(at, w.spec.IdleEvery)

		default:
			cycle, ok := w.await(ctx, next, w.spec.PollEvery)
			if !ok {
				return
			}
			n, done, arrived := w.tasks(ctx, reqCtx, cycle)
			if done {
				// No tasks: the worker goes back to listing, at once like the
				// real client. The list may offer the same job again (its
				// queue was only dry for now: max_ack_pending reached, or its
				// last results still in processing), and it is worked again.
				// A job that was dry from its first request earns an idle
				// pause first, or list → tasks → list would spin unpaced.
				worked := w.worked
				w.setJob(0)
				next = max(arrived, cycle)
				if !worked {
					next = w.after(next, w.spec.IdleEvery)
				}
				continue
			}
			w.worked = w.worked || n > 0
			if n > 0 {
				// Processing takes 80% of the cycle; a late answer pushes the
				// result back. A worker told to stop finishes the cycle it is
				// in, result included; only a crash (ctx) loses it.
				resultAt := max(cycle+w.spec.PollEvery*8/10, arrived)
				limit := max(stop, resultAt+1)
				if w.end > 0 {
					limit = min(limit, w.end)
				}
				at, ok := w.awaitUntil(ctx, resultAt, 0, limit)
				if !ok {
					return
				}
				w.result(ctx, reqCtx, at)
			}
			next = w.after(cycle, w.spec.PollEvery)
		}
	}
}

// after returns the slot one period (± jitter) after prev.
func (w *worker) after(prev, period time.Duration) time.Duration {
	next := prev + period
	if j := w.spec.Jitter; j > 0 {
		next += time.Duration(w.rng.Int64N(int64(2*j)+1)) - j
	}
	return next
}

// await sleeps until the intended model instant, then accounts for how late the
// wake-up was (see catchUp). A worker that reaches a slot already past because
// its previous request was still out is not late: that is the target's
// backpressure on a closed-model worker, which latency (measured from the
// intended instant) shows, so its skipped slots count as blocked, and lag
// runs only from when the worker was free. It returns the slot to send for,
// or false when the run is over for this worker.
func (w *worker) await(ctx context.Context, intended, period time.Duration) (time.Duration, bool) {
	return w.awaitUntil(ctx, intended, period, w.spec.StopAt)
}

// awaitUntil is await for a send allowed up to limit rather than StopAt.
func (w *worker) awaitUntil(ctx context.Context, intended, period, limit time.Duration) (time.Duration, bool) {
	due := w.run.At(intended)
	if d := time.Until(due); d > 0 {
		w.timer.Reset(d)
		select {
		case <-w.timer.C:
		case <-ctx.Done():
			w.timer.Stop()
			return 0, false
		}
	} else if ctx.Err() != nil {
		return 0, false
	}
	now := time.Now()
	slot, skipped := catchUp(intended, w.run.Since(now), period, limit)
	blocked := w.answeredAt.After(due.Add(w.rec.lag.Tolerance()))
	if blocked {
		w.rec.lag.Blocked(skipped)
		w.stats.Blocked += int(skipped)
	} else {
		w.rec.lag.Dropped(skipped)
		w.stats.Dropped += int(skipped)
	}
	if slot >= limit {
		return 0, false
	}
	from := w.run.At(slot)
	if blocked && w.answeredAt.After(from) {
		from = w.answeredAt
	}
	if w.rec.lag.Sent(from, now.Sub(from)) {
		w.stats.Late++
		w.rec.live.Late()
	}
	return slot, true
}

// list polls the jobs list and returns the first listed job (0 for none) and
// when the answer arrived (model).
func (w *worker) list(ctx, reqCtx context.Context, at time.Duration) (job int64, arrived time.Duration) {
	var resp antenna.ListAnswer
	_, good, arrived := w.do(ctx, reqCtx, &w.rec.list, antenna.EndpointList, http.MethodGet, w.listURL, nil, at,
		func(b []byte) bool { return json.Unmarshal(b, &resp) == nil && resp.Results != nil })
	if !good || len(resp.Results) == 0 {
		return 0, arrived
	}
	return resp.Results[0].ID, arrived
}

// tasks asks for a batch. It returns how many tasks came back, whether the job
// reported none left, and when the answer arrived (model). A failed request is
// neither: the worker retries on its next cycle, as the real client does.
func (w *worker) tasks(ctx, reqCtx context.Context, at time.Duration) (n int, done bool, arrived time.Duration) {
	var resp antenna.TasksAnswer
	_, good, arrived := w.do(ctx, reqCtx, &w.rec.tasks, antenna.EndpointTasks, http.MethodPost, w.tasksURL, w.tasksBody, at,
		func(b []byte) bool { return json.Unmarshal(b, &resp) == nil && resp.Tasks != nil })
	if !good {
		return 0, false, arrived
	}
	w.subjects = w.subjects[:0]
	for _, t := range resp.Tasks {
		w.subjects = append(w.subjects, t.ReplySubject)
	}
	return len(w.subjects), len(w.subjects) == 0, arrived
}

// result posts one {"ok":true} result per task of the current cycle.
func (w *worker) result(ctx, reqCtx context.Context, at time.Duration) {
	w.out = antenna.AppendResultBody(w.out[:0], w.subjects)
	w.do(ctx, reqCtx, &w.rec.result, antenna.EndpointResult, http.MethodPost, w.resultURL, w.out, at, validResult)
}

// validResult says whether a 2xx answer to a result post has the protocol's shape.
func validResult(b []byte) bool {
	var resp antenna.ResultAnswer
	return json.Unmarshal(b, &resp) == nil && resp.Status != nil
}

// do sends one request meant to go out at the model instant intended, under
// the real client's timeout for its endpoint (model time, at least
// modeltime.ClientTimeout's floor of wall), records its outcome with the latency
// measured from that instant (in rec and, at that instant, in the timeline
// under endpoint), and leaves the body in w.resp. It returns the status (0
// when there was no answer), whether it was a 2xx whose body valid accepted,
// and when the answer arrived (model).
func (w *worker) do(ctx, reqCtx context.Context, rec *latency.RequestRecorder, endpoint, method, target string, body []byte,
	intended time.Duration, valid func([]byte) bool) (int, bool, time.Duration) {
	tctx, cancel := context.WithTimeout(reqCtx, w.run.Scale.ClientTimeout(clientTimeout(endpoint)))
	defer cancel()
	status, good, answered := w.exchange(ctx, tctx, &w.resp, rec, endpoint, method, target, body, intended, valid)
	w.answeredAt = answered
	arrived := w.run.Since(answered)
	if ok2xx(status) {
		w.stats.polled(arrived)
	}
	return status, good, arrived
}

// exchange is do without the worker's own state: the body goes to buf and
// the stats are the caller's, so concurrent goroutines of one worker may use
// it. A 2xx answer whose body valid rejects counts as malformed: it did not
// succeed. Every request that says something about the target is recorded,
// and handed to the results sink when there is one, once its outcome is
// known. It returns the status (0 when there was no answer), whether the
// answer was a 2xx valid accepted, and when the exchange ended (wall).
func (w *worker) exchange(ctx, reqCtx context.Context, buf *bytes.Buffer, rec *latency.RequestRecorder, endpoint, method, target string,
	body []byte, intended time.Duration, valid func([]byte) bool) (int, bool, time.Time) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(reqCtx, method, target, rd)
	if err != nil {
		// The URL was built from a validated base; this is a programming error,
		// but it still must show up as a failed request, not vanish.
		rec.Failed()
		w.rec.timeline.Failed(intended, endpoint)
		now := time.Now()
		w.emit(endpoint, method, target, intended, now, 0, len(body), 0, err)
		return 0, false, now
	}
	req.Header.Set("Authorization", w.auth)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	buf.Reset()
	resp, err := w.client.Do(req)
	if err == nil {
		_, err = buf.ReadFrom(resp.Body)
		resp.Body.Close()
	}
	now := time.Now()
	if err != nil {
		// Requests we abort because the caller cancelled the run (or the
		// worker crashed) say nothing about the target.
		if !ended(ctx, now) {
			rec.Failed()
			w.rec.timeline.Failed(intended, endpoint)
			w.emit(endpoint, method, target, intended, now, 0, len(body), buf.Len(), err)
		}
		return 0, false, now
	}
	took := now.Sub(w.run.At(intended))
	rec.Observe(resp.StatusCode, took)
	w.rec.timeline.Observe(intended, endpoint, resp.StatusCode, took)
	good := ok2xx(resp.StatusCode)
	var bad error
	if good && valid != nil && !valid(buf.Bytes()) {
		good, bad = false, errMalformed
		rec.Malformed()
		w.rec.timeline.Malformed(intended, endpoint)
	}
	w.emit(endpoint, method, target, intended, now, resp.StatusCode, len(body), buf.Len(), bad)
	return resp.StatusCode, good, now
}

// ended says whether ctx is over at now: done, or past its deadline though
// its timer has not fired yet. A crash ends the worker's context and its
// requests' at the same instant, on two timers; the requests' may fire first.
func ended(ctx context.Context, now time.Time) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !now.Before(dl)
}

func ok2xx(status int) bool { return status >= 200 && status < 300 }
