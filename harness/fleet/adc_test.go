package fleet

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/antenna"
)

// adcWorkers returns n adc workers (one GPU each) that start together and
// list slug "a".
func adcWorkers(n int, stop time.Duration) []Worker {
	ws := make([]Worker, n)
	for i := range ws {
		ws[i] = Worker{ID: i + 1, Group: "gpu", Token: fmt.Sprintf("adc-%d", i+1), Slugs: []string{"a"}, ProjectID: 7,
			Behaviour: ADC, PollEvery: 5 * time.Second, BatchSize: 24, StopAt: stop}
	}
	return ws
}

func newRun() modeltime.Run {
	return modeltime.Run{Start: time.Now().Add(20 * time.Millisecond), Scale: testScale}
}

// gaps is the model time between consecutive instants.
func gaps(run modeltime.Run, at []time.Time) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(at); i++ {
		out = append(out, run.Since(at[i])-run.Since(at[i-1]))
	}
	return out
}

// Per job, each of the four loaders asks for 24 tasks until an answer has
// none, and every batch's results go out once, from at most two senders with
// at most five posts pending; then the worker lists every 5 s.
func TestFleetADCWorksAJob(t *testing.T) {
	const stop = 40 * time.Second
	tests := []struct {
		name                    string
		workers, tasks          int
		tasksDelay, resultDelay time.Duration
		saturated               bool // results slow enough that the pending limit holds the loaders back
	}{
		{name: "fast target", workers: 3, tasks: 24*40 + 7},
		{name: "slow results hold the loaders back", workers: 1, tasks: 24 * 12,
			tasksDelay: wall(5 * time.Millisecond), resultDelay: wall(20 * time.Millisecond), saturated: true}, // tasks slow enough that the four loaders overlap on a stalled machine, results slower still
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			workers := adcWorkers(tc.workers, stop)
			a, srv := newAntenna(t, tokensOf(workers)...)
			a.addJob(1, "a", tc.tasks)
			a.tasksDelay, a.resultDelay = tc.tasksDelay, tc.resultDelay
			// Three times the test scale: draining 41 batches is wall
			// work, and beside -race and a busy machine it took 21-35 s of
			// model time at the test scale; at this scale the job still
			// drains in well under half the run, and the list path after it
			// is timed on the same model clock.
			run := modeltime.Run{Start: time.Now().Add(20 * time.Millisecond), Scale: 3 * testScale}

			rep := runFleet(t, Config{Target: srv.URL, Workers: workers, Run: run})

			calls, byToken := a.snapshot()
			a.mu.Lock()
			defer a.mu.Unlock()
			batches := (tc.tasks + 23) / 24
			require.Equal(t, tc.tasks, a.served[1], "the job is drained")
			require.Equal(t, map[int]int{24: calls[antenna.EndpointTasks]}, a.batchSizes, `every tasks post is {"batch_size": 24}`)
			require.Equal(t, batches, calls[antenna.EndpointResult], "one result post per batch, never retried")
			require.Equal(t, tc.tasks, a.results)
			require.Empty(t, a.badResults)
			require.Zero(t, a.unauth)

			worked, lists := 0, 0
			for i, w := range workers {
				tok, ws := w.Token, rep.Workers[i]
				lists += byToken[tok][antenna.EndpointList]
				require.LessOrEqual(t, a.maxInflight[tok][antenna.EndpointTasks], adcLoaders, "worker %d: four loaders", w.ID)
				require.LessOrEqual(t, a.maxInflight[tok][antenna.EndpointResult], adcSenders, "worker %d: two senders", w.ID)
				require.LessOrEqual(t, a.maxOutstanding[tok], adcMaxPending+adcLoaders,
					"worker %d: five posts pending, and each loader holding one batch it cannot hand over", w.ID)
				if byToken[tok][antenna.EndpointTasks] == 0 {
					require.Equal(t, time.Duration(-1), ws.WorkedFrom)
					continue
				}
				require.Equal(t, adcLoaders, a.emptyBy[tok][1], "worker %d: each loader stops at its first empty answer", w.ID)
				if ws.WorkedFrom < 0 {
					continue // its loaders came too late for any task
				}
				worked++
				require.GreaterOrEqual(t, ws.WorkedTo, ws.WorkedFrom, "worker %d went idle after working", w.ID)
				require.Equal(t, ws.WorkedTo, ws.WentIdleAt)
				require.Less(t, ws.WorkedTo, stop/2, "worker %d: the job is drained early", w.ID)

				// Back on the list path: at once after the job, then every 5 s.
				listed := a.listAt[tok]
				require.GreaterOrEqual(t, len(listed), 4, "worker %d", w.ID)
				for j, gap := range gaps(run, listed)[1:] {
					require.GreaterOrEqual(t, gap, 5*time.Second, "worker %d: sleep %d", w.ID, j)
					require.Less(t, gap, 5*time.Second+run.Scale.Model(rep.Lag.Max+rep.Requests.Max), "worker %d: sleep %d", w.ID, j)
				}
			}
			require.Positive(t, worked)
			if tc.saturated {
				tok := workers[0].Token
				require.Equal(t, adcLoaders, a.maxInflight[tok][antenna.EndpointTasks], "all four loaders fetch at once")
				require.Equal(t, adcSenders, a.maxInflight[tok][antenna.EndpointResult], "both senders post at once")
				require.Equal(t, adcMaxPending+adcLoaders, a.maxOutstanding[tok], "the pending limit, not the senders, holds the loaders")
			}

			// Only the list cadence is scheduled: every list but the one right
			// after the job, which goes out at once.
			require.Equal(t, uint64(lists-worked), rep.Lag.Sends)
			require.Zero(t, rep.Lag.Dropped)
			require.Zero(t, rep.Lag.Blocked)
			require.Equal(t, rep.Requests.Total, rep.Requests.OK)
			require.Equal(t, uint64(calls[antenna.EndpointTasks]), rep.PerEndpoint[antenna.EndpointTasks].OK)
			require.Equal(t, uint64(calls[antenna.EndpointResult]), rep.PerEndpoint[antenna.EndpointResult].OK)
			require.Equal(t, uint64(lists), rep.PerEndpoint[antenna.EndpointList].OK)
			requireTimelineMatches(t, rep)
		})
	}
}

// The list, a GET, is retried on 500, 502, 503 and 504 up to three times,
// with urllib3's backoff (0 s, then 1 s, then 2 s); any other status, and the
// fourth failure, ends the attempt and the worker sleeps 5 s.
func TestFleetADCRetriesTheListOn5xx(t *testing.T) {
	tests := []struct {
		name      string
		code      int
		failures  int
		wantRound int // list requests before the first sleep
	}{
		{name: "503 once", code: http.StatusServiceUnavailable, failures: 1, wantRound: 2},
		{name: "502 three times", code: http.StatusBadGateway, failures: 3, wantRound: 4},
		{name: "500 four times: three retries, then a sleep", code: http.StatusInternalServerError, failures: 4, wantRound: 4},
		{name: "504 twice", code: http.StatusGatewayTimeout, failures: 2, wantRound: 3},
		{name: "429 is not retried", code: http.StatusTooManyRequests, failures: 1, wantRound: 1},
		{name: "501 is not retried", code: http.StatusNotImplemented, failures: 1, wantRound: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			workers := adcWorkers(1, 12*time.Second)
			a, srv := newAntenna(t, tokensOf(workers)...)
			a.listCode = func(n int) int {
				if n <= tc.failures {
					return tc.code
				}
				return 0
			}
			// Backoffs are unscheduled sleeps no lag figure covers, so they
			// get a slower clock: timer noise stays well inside the 1 s steps
			// between them. At 0.05, under -race beside two CPU hogs, a 1 s
			// backoff overslept 17 ms of wall, past the 0.25 s slack; at 0.2
			// that slack is 50 ms.
			run := modeltime.Run{Start: time.Now().Add(20 * time.Millisecond), Scale: max(testScale, 0.2)}

			rep := runFleet(t, Config{Target: srv.URL, Workers: workers, Run: run})

			a.mu.Lock()
			defer a.mu.Unlock()
			listed := a.listAt[workers[0].Token]
			require.Greater(t, len(listed), tc.wantRound, "a second round follows the sleep")
			gs := gaps(run, listed)
			for i, gap := range gs[:tc.wantRound-1] {
				backoff := adcBackoffBefore(i + 1)
				require.GreaterOrEqual(t, gap, backoff, "retry %d", i+1)
				require.Less(t, gap, backoff+run.Scale.Model(rep.Lag.Max+rep.Requests.Max)+adcBackoff/2, "retry %d", i+1)
			}
			require.GreaterOrEqual(t, gs[tc.wantRound-1], 5*time.Second, "the round ends, the worker sleeps")
			require.Less(t, gs[tc.wantRound-1], 5*time.Second+run.Scale.Model(rep.Lag.Max+rep.Requests.Max)+adcBackoff/2)

			list := rep.PerEndpoint[antenna.EndpointList]
			if tc.code >= 500 {
				require.Equal(t, uint64(tc.failures), list.Status5xx)
			} else {
				require.Equal(t, uint64(tc.failures), list.Status4xx)
			}
			require.Equal(t, uint64(len(listed)), list.Total)
			require.Equal(t, uint64(len(listed)-tc.failures), list.OK)
			require.Equal(t, uint64(len(listed)-(tc.wantRound-1)), rep.Lag.Sends, "each round's first list is a scheduled send; retries are not")
			require.Zero(t, rep.Workers[0].Dropped)
			requireTimelineMatches(t, rep)
		})
	}
}

// POSTs are never retried: a failed tasks post ends its loader, and a failed
// result post loses that batch's results.
func TestFleetADCNeverRetriesPosts(t *testing.T) {
	tests := []struct {
		name                 string
		tasks                int // tasks in job 1 (< 0: endless)
		tasksCode            int
		resultCode           int
		wantTasks, wantPosts func(lists int) int
	}{
		{name: "tasks answer 503", tasks: -1, tasksCode: http.StatusServiceUnavailable,
			// No loader got work, so each list is followed by one post per loader and a sleep.
			wantTasks: func(lists int) int { return adcLoaders * lists },
			wantPosts: func(int) int { return 0 }},
		{name: "result answers 503", tasks: 3 * 24, resultCode: http.StatusServiceUnavailable,
			wantTasks: func(int) int { return 3 + adcLoaders },
			wantPosts: func(int) int { return 3 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			workers := adcWorkers(1, 12*time.Second)
			a, srv := newAntenna(t, tokensOf(workers)...)
			a.addJob(1, "a", tc.tasks)
			a.tasksCode, a.resultCode = tc.tasksCode, tc.resultCode

			rep := runFleet(t, Config{Target: srv.URL, Workers: workers})

			calls, _ := a.snapshot()
			lists := calls[antenna.EndpointList]
			require.GreaterOrEqual(t, lists, 2)
			require.Equal(t, tc.wantTasks(lists), calls[antenna.EndpointTasks])
			require.Equal(t, tc.wantPosts(lists), calls[antenna.EndpointResult])
			ep := rep.PerEndpoint[antenna.EndpointTasks]
			if tc.tasksCode != 0 {
				require.Equal(t, ep.Total, ep.Status5xx)
			}
			if tc.resultCode != 0 {
				ep = rep.PerEndpoint[antenna.EndpointResult]
				require.Equal(t, uint64(3), ep.Status5xx)
			}
			requireTimelineMatches(t, rep)
		})
	}
}

// With no job to work, the worker lists every 5 s (model) after the answer;
// a listed job with no tasks left costs its four loaders one post each, then
// the same sleep, never a spin.
func TestFleetADCSleepsBetweenEmptyLists(t *testing.T) {
	const stop = 30 * time.Second
	tests := []struct {
		name  string
		stale bool // job 1 is listed though it has no tasks left
	}{
		{name: "no job"},
		{name: "a listed job with no tasks", stale: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			workers := adcWorkers(3, stop)
			for i := range workers {
				workers[i].StartAt = time.Duration(i) * time.Second
			}
			a, srv := newAntenna(t, tokensOf(workers)...)
			if tc.stale {
				a.addJob(1, "a", 0)
				a.mu.Lock()
				a.jobs[1].stale = true
				a.mu.Unlock()
			}
			run := newRun()

			rep := runFleet(t, Config{Target: srv.URL, Workers: workers, Run: run})

			calls, byToken := a.snapshot()
			a.mu.Lock()
			defer a.mu.Unlock()
			for i, w := range workers {
				listed := a.listAt[w.Token]
				// Each sleep starts after an answer, so the lists drift by their latency.
				require.InDelta(t, slots(w.StartAt, 5*time.Second, 0, stop), len(listed), 1, "worker %d", w.ID)
				// A stale job's tasks round trip comes between the list and the sleep.
				most := 5*time.Second + slack(rep)
				if tc.stale {
					most += testScale.Model(rep.Requests.Max)
				}
				for j, gap := range gaps(run, listed) {
					require.GreaterOrEqual(t, gap, 5*time.Second, "worker %d: sleep %d", w.ID, j)
					require.Less(t, gap, most, "worker %d: sleep %d", w.ID, j)
				}
				want := 0
				if tc.stale {
					want = adcLoaders * len(listed)
				}
				require.Equal(t, want, byToken[w.Token][antenna.EndpointTasks], "worker %d", w.ID)
				ws := rep.Workers[i]
				require.Equal(t, []time.Duration{-1, -1, -1}, []time.Duration{ws.WorkedFrom, ws.WorkedTo, ws.WentIdleAt})
				require.Equal(t, len(listed)+want, ws.Polls)
			}
			require.Zero(t, calls[antenna.EndpointResult])
			require.Equal(t, uint64(calls[antenna.EndpointList]), rep.Lag.Sends, "every list ends a sleep: all are scheduled")
			sat, why := rep.Saturated(0.01)
			require.False(t, sat, why)
		})
	}
}

// A worker told to stop takes no new batch once its stop has come and
// finishes posting what it holds; a crashed one vanishes. Either way it was
// still working: WorkedTo stays -1 and it never went idle.
func TestFleetADCStopsMidJob(t *testing.T) {
	const at = 3 * time.Second
	tests := []struct {
		name  string
		crash bool
	}{
		{name: "stop"},
		{name: "crash", crash: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			workers := adcWorkers(1, 10*time.Second)
			if tc.crash {
				workers[0].CrashAt = at
			} else {
				workers[0].StopAt = at
			}
			a, srv := newAntenna(t, tokensOf(workers)...)
			a.addJob(1, "a", -1)
			// Slow results keep posts pending at the stop.
			a.resultDelay = wall(5 * time.Millisecond)
			run := newRun()

			rep := runFleet(t, Config{Target: srv.URL, Workers: workers, Run: run})

			a.mu.Lock()
			defer a.mu.Unlock()
			tok := workers[0].Token
			tasks := a.tasksAt[tok]
			require.NotEmpty(t, tasks)
			require.Less(t, run.Since(tasks[len(tasks)-1]), at+slack(rep), "no new batch after the stop")
			handed := a.byToken[tok][antenna.EndpointTasks]
			posted := a.byToken[tok][antenna.EndpointResult]
			if tc.crash {
				require.Less(t, posted, handed, "a crash loses what was pending")
				require.Zero(t, rep.Requests.Transport, "requests the crash abandoned are not the target's failures")
			} else {
				require.Equal(t, handed, posted, "a stop posts every batch it holds")
			}
			ws := rep.Workers[0]
			require.GreaterOrEqual(t, ws.WorkedFrom, time.Duration(0))
			require.Equal(t, time.Duration(-1), ws.WorkedTo)
			require.Equal(t, time.Duration(-1), ws.WentIdleAt)
			require.Equal(t, 1, a.byToken[tok][antenna.EndpointList], "it never listed again")
		})
	}
}

func TestADCBackoffIsURLLib3s(t *testing.T) {
	require.Equal(t, []time.Duration{0, time.Second, 2 * time.Second},
		[]time.Duration{adcBackoffBefore(1), adcBackoffBefore(2), adcBackoffBefore(3)})
}
