package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hbharness/hbharness/harness/latency"
	"github.com/hbharness/hbharness/reference/antenna"
)

// The real client's numbers (RolnickLab/ami-data-companion: trapdata/antenna
// and the session of trapdata/api/utils.py). Durations are model time.
const (
	// adcLoaders is the DataLoader's num_workers: subprocesses that each
	// POST tasks until the job answers with none.
	adcLoaders = 4
	// adcSenders and adcMaxPending are ResultPoster's thread pool and its
	// backpressure: post_async blocks while max_pending posts are unfinished.
	adcSenders    = 2
	adcMaxPending = 5

	// The client's timeouts (ami-data-companion a33746a2): the list
	// (trapdata/antenna/client.py:60), tasks (datasets.py:177, RESTDataset.
	// _fetch_tasks) and results (client.py:98). Every behaviour's requests
	// wait this long at most (see clientTimeout).
	adcListTimeout   = 30 * time.Second
	adcTasksTimeout  = 30 * time.Second
	adcResultTimeout = 60 * time.Second

	// adcListRetries and adcBackoff are urllib3's Retry(total=3,
	// backoff_factor=0.5, status_forcelist=(500, 502, 503, 504),
	// allowed_methods=["GET"]): only the list, a GET, is ever retried.
	adcListRetries = 3
	adcBackoff     = 500 * time.Millisecond
)

// JobRound is one round of an adc worker's work on a job: from the send of
// its first request on the job that was answered (2xx) to the last such
// answer, tasks and results alike. The real client works whichever job the
// list hands it, and Antenna hands it one at random (ami/jobs/views.py:
// 352-353, 370-378 at 731cc2a2), so the rounds, not the worker's planned
// key, say which jobs' keys it polled and when.
type JobRound struct {
	Job      int64
	From, To time.Duration
}

// round collects a JobRound while the worker's goroutines work the job;
// guarded by the worker's mu.
type round struct {
	JobRound
	answered bool
}

func (r *round) saw(sent, answered time.Duration) {
	if !r.answered {
		r.From, r.To, r.answered = sent, answered, true
		return
	}
	r.From, r.To = min(r.From, sent), max(r.To, answered)
}

// adcLoop runs an adc worker from StartAt to StopAt: list; work every listed
// job in turn; list again at once when one had work, else after PollEvery
// (± jitter), as _worker_loop does (ami-data-companion a33746a2, trapdata/
// antenna/worker.py:74-129). Against Antenna the list holds one random job,
// so the loop is list, drain that job, list again; a job that answers no
// task costs a sleep even when another listed job has work, as it does the
// real client.
//
// Only the list cadence has a schedule, so only sends that end a sleep (the
// first list, and each list after a round without work) are accounted as
// scheduled, and their lag is how late they left after the sleep was due.
// Everything else is paced by answers, not by a clock: while a job has
// tasks the loaders post back to back, the senders as results come, retries
// after urllib3's backoff. Those sends have no slot to be late for, and
// counting them as on time would dilute the cadence's lateness in
// Report.Lag; their waits on the target show in latency instead.
func (w *worker) adcLoop(ctx, reqCtx context.Context) {
	defer w.timer.Stop()
	next, paced := w.spec.StartAt, true
	for {
		at, ok := w.run.Since(time.Now()), !ended(ctx, time.Now())
		if paced {
			at, ok = w.awaitUntil(ctx, next, 0, w.spec.StopAt)
		}
		if !ok || at >= w.spec.StopAt {
			return
		}
		worked := false
		for _, job := range w.adcList(ctx, reqCtx, at) {
			did, stopped := w.adcJob(ctx, reqCtx, job)
			if stopped {
				// Stopped mid-job: WorkedTo stays -1, it never went idle.
				return
			}
			worked = worked || did
		}
		now := time.Now()
		if ended(ctx, now) {
			return
		}
		done := w.run.Since(now)
		if worked {
			w.stats.WorkedTo = done
			if w.stats.WentIdleAt < 0 {
				w.stats.WentIdleAt = done
			}
			paced = false
			continue
		}
		next, paced = w.after(done, w.spec.PollEvery), true
	}
}

// adcList lists jobs as the client's session does: a 5xx of the forcelist,
// or no answer at all (urllib3 retries connect and read errors of a GET
// too), is sent again up to adcListRetries times, after urllib3's backoff:
// none before the first retry, then adcBackoff·2^(n-1) before the nth. The
// answer after the last retry stands. It returns the listed jobs in order;
// none when the list failed, as get_jobs then returns [].
func (w *worker) adcList(ctx, reqCtx context.Context, at time.Duration) []int64 {
	for retry := 1; ; retry++ {
		var resp antenna.ListAnswer
		status, good, answered := w.adcDo(ctx, reqCtx, &w.resp, &w.rec.list, nil, antenna.EndpointList, http.MethodGet,
			w.listURL, nil, at, adcListTimeout, func(b []byte) bool { return json.Unmarshal(b, &resp) == nil && resp.Results != nil })
		w.answeredAt = answered
		if retry > adcListRetries || !adcRetried(status) || ended(ctx, answered) {
			if !good {
				return nil
			}
			w.mu.Lock()
			if w.stats.WorkedFrom >= 0 {
				w.stats.ListedWhileWorking = append(w.stats.ListedWhileWorking, w.run.Since(answered))
			}
			w.mu.Unlock()
			jobs := make([]int64, len(resp.Results))
			for i, r := range resp.Results {
				jobs[i] = r.ID
			}
			return jobs
		}
		if !w.sleep(ctx, adcBackoffBefore(retry)) {
			return nil
		}
		at = w.run.Since(time.Now())
	}
}

// adcRetried says whether urllib3's Retry sends a GET that ended with
// status again (0: no answer).
func adcRetried(status int) bool {
	switch status {
	case 0, http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// adcBackoffBefore is urllib3's get_backoff_time before the nth retry.
func adcBackoffBefore(n int) time.Duration {
	if n <= 1 {
		return 0
	}
	return adcBackoff << (n - 1)
}

// adcJob works one listed job as _process_job does: adcLoaders loaders each
// POST tasks until an answer carries none, or fails (the loader's iterator
// then ends; POSTs are never retried). Each batch goes to a pool of
// adcSenders that post its results; a loader holding a batch blocks while
// adcMaxPending posts are unfinished. It returns when every loader has ended
// and every result is posted, saying whether any batch carried tasks and
// whether the worker's stop (or crash) cut the job short. A round with any
// answer is kept in the worker's Jobs.
func (w *worker) adcJob(ctx, reqCtx context.Context, job int64) (worked, stopped bool) {
	tasksURL, resultURL := antenna.TasksURL(w.base, job), antenna.ResultURL(w.base, job)
	r := &round{JobRound: JobRound{Job: job}}
	defer func() {
		w.mu.Lock()
		if r.answered {
			w.stats.Jobs = append(w.stats.Jobs, r.JobRound)
		}
		w.mu.Unlock()
	}()
	// A slot is taken before a batch is queued and given back once its post
	// is over, so queued plus in-flight posts never pass adcMaxPending.
	pending := make(chan struct{}, adcMaxPending)
	batches := make(chan []string, adcMaxPending)
	var did, cut atomic.Bool
	var loaders, senders sync.WaitGroup
	for range adcSenders {
		senders.Go(func() {
			var buf bytes.Buffer
			var body []byte
			for subjects := range batches {
				body = w.adcResult(ctx, reqCtx, r, &buf, body, resultURL, subjects)
				<-pending
			}
		})
	}
	for range adcLoaders {
		loaders.Go(func() {
			var buf bytes.Buffer
			for {
				subjects, more, halted := w.adcTasks(ctx, reqCtx, r, &buf, tasksURL)
				if halted {
					cut.Store(true)
				}
				if !more {
					return
				}
				did.Store(true)
				select {
				case pending <- struct{}{}:
				case <-ctx.Done():
					cut.Store(true)
					return
				}
				batches <- subjects
			}
		})
	}
	loaders.Wait()
	close(batches)
	senders.Wait()
	return did.Load(), cut.Load() || ended(ctx, time.Now())
}

// adcTasks is one loader's fetch. more says a batch with tasks came back;
// halted that the worker's stop, the run's end or a crash came first and
// nothing was sent.
func (w *worker) adcTasks(ctx, reqCtx context.Context, r *round, buf *bytes.Buffer, target string) (subjects []string, more, halted bool) {
	now := time.Now()
	at := w.run.Since(now)
	if ended(ctx, now) || at >= w.spec.StopAt || (w.end > 0 && at >= w.end) {
		return nil, false, true
	}
	var resp antenna.TasksAnswer
	status, good, answered := w.adcDo(ctx, reqCtx, buf, &w.rec.tasks, r, antenna.EndpointTasks, http.MethodPost, target, w.tasksBody, at, adcTasksTimeout,
		func(b []byte) bool { return json.Unmarshal(b, &resp) == nil && resp.Tasks != nil })
	if !good {
		// A malformed answer ends the loader as a failed request does, but
		// only a failed one can have been cut short by the worker's stop.
		return nil, false, !ok2xx(status) && ended(ctx, answered)
	}
	if len(resp.Tasks) == 0 {
		return nil, false, false
	}
	subjects = make([]string, len(resp.Tasks))
	for i, t := range resp.Tasks {
		subjects[i] = t.ReplySubject
	}
	w.mu.Lock()
	if w.stats.WorkedFrom < 0 {
		w.stats.WorkedFrom = w.run.Since(answered)
	}
	w.stats.WorkedTo = -1
	w.mu.Unlock()
	return subjects, true, false
}

// adcResult posts one batch's results, once, and returns the body buffer
// for reuse. A result queued when the run ends, or the worker crashes, is
// never sent.
func (w *worker) adcResult(ctx, reqCtx context.Context, r *round, buf *bytes.Buffer, body []byte, target string, subjects []string) []byte {
	// The send, not the hand-over to the pool, is the intended instant: time
	// spent queued behind the two senders is the client's, not the target's.
	now := time.Now()
	at := w.run.Since(now)
	if ended(ctx, now) || (w.end > 0 && at >= w.end) {
		return body
	}
	body = antenna.AppendResultBody(body[:0], subjects)
	w.adcDo(ctx, reqCtx, buf, &w.rec.result, r, antenna.EndpointResult, http.MethodPost, target, body, at, adcResultTimeout, validResult)
	return body
}

// adcDo is one exchange under the client's timeout for it (model time, at
// least modeltime.ClientTimeout's floor of wall time); any of the worker's goroutines
// may call it. A 2xx answer on a job counts towards its round r (nil: the list).
func (w *worker) adcDo(ctx, reqCtx context.Context, buf *bytes.Buffer, rec *latency.RequestRecorder, r *round, endpoint, method, target string,
	body []byte, intended, timeout time.Duration, valid func([]byte) bool) (int, bool, time.Time) {
	tctx, cancel := context.WithTimeout(reqCtx, w.run.Scale.ClientTimeout(timeout))
	defer cancel()
	status, good, answered := w.exchange(ctx, tctx, buf, rec, endpoint, method, target, body, intended, valid)
	if ok2xx(status) {
		w.mu.Lock()
		at := w.run.Since(answered)
		w.stats.polled(at)
		if r != nil {
			r.saw(intended, at)
		}
		w.mu.Unlock()
	}
	return status, good, answered
}

// clientTimeout is the real client's timeout for a request to endpoint.
func clientTimeout(endpoint string) time.Duration {
	switch endpoint {
	case antenna.EndpointResult:
		return adcResultTimeout
	case antenna.EndpointTasks:
		return adcTasksTimeout
	}
	return adcListTimeout
}

// sleep waits d of model time on the worker's own timer; false when ctx ended first.
func (w *worker) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	w.timer.Reset(w.run.Scale.Wall(d))
	select {
	case <-w.timer.C:
		return true
	case <-ctx.Done():
		w.timer.Stop()
		return false
	}
}
