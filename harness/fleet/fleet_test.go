package fleet

import (
	"context"
	"fmt"
	"github.com/hbharness/hbharness/reference/antenna"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/modeltime"
)

// testScale makes one model second last 10 ms (30 ms under the race detector).
var testScale = func() modeltime.Scale {
	if raceDetector {
		return 0.03
	}
	return 0.01
}()

// wall converts a wall duration written for the normal test scale to the
// scale in force, for assertions about wall-clock latencies and spans.
func wall(d time.Duration) time.Duration {
	return time.Duration(float64(d) * float64(testScale) / 0.01)
}

// spread returns n workers of one behaviour whose starts are spread evenly over
// one period, as the runner's `start: spread` does.
func spread(n int, behaviour string, job int64, every, stop time.Duration) []Worker {
	ws := make([]Worker, n)
	for i := range ws {
		ws[i] = Worker{
			ID: i + 1, Group: "g", Token: fmt.Sprintf("tok-%d", i+1), KeyIndex: i % 3,
			JobID: job, Slugs: []string{"a"}, ProjectID: 7, Behaviour: behaviour,
			PollEvery: every, IdleEvery: every,
			StartAt: every * time.Duration(i) / time.Duration(n), StopAt: stop, BatchSize: 4,
		}
	}
	return ws
}

func tokensOf(ws []Worker) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Token
	}
	return out
}

// slots counts the sends at start + k·every + offset that fall before stop.
func slots(start, every, offset, stop time.Duration) int {
	n := 0
	for t := start + offset; t < stop; t += every {
		n++
	}
	return n
}

func runFleet(t *testing.T, cfg Config) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	if cfg.Run.Scale == 0 {
		cfg.Run = modeltime.Run{Start: time.Now().Add(20 * time.Millisecond), Scale: testScale}
	}
	rep, err := Run(ctx, cfg)
	require.NoError(t, err)
	require.False(t, rep.Interrupted)
	return rep
}

// slack is how far the measured schedule lag and latency can stretch a gap
// between two polls beyond the schedule (model time). On a loaded machine the
// fleet is allowed to be late; it is not allowed to be late without saying so.
func slack(rep *Report) time.Duration {
	return testScale.Model(rep.Lag.Max + rep.Requests.Max)
}

func TestFleetRequestCountsFollowTheSchedule(t *testing.T) {
	const every, stop = 20 * time.Second, 120 * time.Second
	workers := spread(200, Active, 1, every, stop)
	a, srv := newAntenna(t, tokensOf(workers)...)
	a.addJob(1, "a", -1)

	rep := runFleet(t, Config{Target: srv.URL, Workers: workers})

	wantTasks, wantResults := 0, 0
	for _, w := range workers {
		wantTasks += slots(w.StartAt, every, 0, stop)
		wantResults += slots(w.StartAt, every, 0, stop) // a stop lets the last cycle post its result
	}
	calls, byToken := a.snapshot()
	// Only tasks cycles can be dropped (a result follows its cycle's answer).
	// A slow answer (a loaded machine) makes a closed-model worker skip
	// slots as blocked: backpressure, counted apart from drops.
	require.Equal(t, wantTasks, calls[antenna.EndpointTasks]+int(rep.Lag.Dropped+rep.Lag.Blocked), "every scheduled cycle is sent, dropped or blocked")
	// Dropping a 200 ms cycle takes a 200 ms stall: it never happens on an idle
	// machine, and only a starved one drops more than a few percent. Blocked
	// slots are the in-process target's slowness (under -race on a busy CI
	// machine a quarter of them were), not the fleet falling behind: they do
	// not count against keeping up, but most cycles must still be sent.
	require.LessOrEqual(t, int(rep.Lag.Dropped), wantTasks*15/100, "the fleet kept up; lag %+v", rep.Lag)
	require.GreaterOrEqual(t, calls[antenna.EndpointTasks], wantTasks/2, "most cycles sent; lag %+v", rep.Lag)
	require.LessOrEqual(t, calls[antenna.EndpointResult], wantResults)
	require.GreaterOrEqual(t, calls[antenna.EndpointResult], wantResults*98/100-int(rep.Lag.Dropped+rep.Lag.Blocked),
		"only a cycle's own drop or block loses its result")
	require.Zero(t, calls[antenna.EndpointList], "no job ran out, so nobody lists")
	require.Zero(t, a.unauth)
	require.Empty(t, a.badResults, "every result must echo a reply_subject the server issued, with result {\"ok\":true}")
	require.Equal(t, 4*calls[antenna.EndpointResult], a.results, "one result per task of the batch")

	require.Equal(t, uint64(calls[antenna.EndpointTasks]), rep.PerEndpoint[antenna.EndpointTasks].OK)
	require.Equal(t, uint64(calls[antenna.EndpointResult]), rep.PerEndpoint[antenna.EndpointResult].OK)
	require.Equal(t, rep.Requests.OK, rep.Requests.Total)
	require.Equal(t, rep.Requests.Total, rep.Lag.Sends, "every request is one accounted send")
	require.Zero(t, rep.Requests.Malformed)

	require.Len(t, rep.Workers, len(workers))
	for i, ws := range rep.Workers {
		w := workers[i]
		require.Equal(t, w.ID, ws.ID)
		require.Equal(t, w.KeyIndex, ws.KeyIndex)
		require.Equal(t, slots(w.StartAt, every, 0, stop), byToken[w.Token][antenna.EndpointTasks]+ws.Dropped+ws.Blocked,
			"worker %d: its token on every cycle it sent", w.ID)
		require.Equal(t, byToken[w.Token][antenna.EndpointTasks]+byToken[w.Token][antenna.EndpointResult], ws.Polls)
		require.GreaterOrEqual(t, ws.FirstPoll, w.StartAt)
		require.Less(t, ws.FirstPoll, w.StartAt+every+slack(rep))
		require.Greater(t, ws.LastPoll, stop-2*every)
		// Within a cycle the longest silence is tasks → result (80% of the
		// period); a whole period means the worker missed a beat.
		require.Less(t, ws.MaxGap, time.Duration(1+ws.Dropped)*every+slack(rep)-every/5, "worker %d", w.ID)
		require.Equal(t, time.Duration(-1), ws.WentIdleAt)
	}
}

func TestFleetJitterKeepsTheAverageRate(t *testing.T) {
	const every, stop = 10 * time.Second, 100 * time.Second
	workers := spread(100, Idle, 0, every, stop)
	for i := range workers {
		workers[i].Jitter = 4 * time.Second
	}
	a, srv := newAntenna(t, tokensOf(workers)...)
	rep := runFleet(t, Config{Target: srv.URL, Workers: workers, Seed: 42})

	want := 0
	for _, w := range workers {
		want += slots(w.StartAt, every, 0, stop)
	}
	calls, _ := a.snapshot()
	require.InDelta(t, want, calls[antenna.EndpointList]+int(rep.Lag.Dropped), 0.03*float64(want))
	require.GreaterOrEqual(t, calls[antenna.EndpointList], want*9/10, "lag %+v", rep.Lag)
	maxGap := time.Duration(0)
	for _, ws := range rep.Workers {
		maxGap = max(maxGap, ws.MaxGap)
	}
	require.Greater(t, maxGap, every+2*time.Second, "with ±4s jitter some gap must exceed the period")

	short := []Worker{workers[0]}
	short[0].StopAt = 30 * time.Second
	one := runFleet(t, Config{Target: srv.URL, Workers: short, Seed: 43})
	two := runFleet(t, Config{Target: srv.URL, Workers: short, Seed: 42})
	require.NotEqual(t, one.Workers[0].LastPoll, two.Workers[0].LastPoll, "the seed drives the jitter")
}

// A target that takes 20 ms to answer must neither slow the schedule (the next
// cycle is due a period after the previous was due, not after its answer) nor
// have its slowness hidden: latency counts from the intended send instant.
func TestFleetSlowTargetDoesNotDriftTheSchedule(t *testing.T) {
	const every, stop = 10 * time.Second, 100 * time.Second // 100 ms cycles, 1 s of wall time
	workers := spread(40, Active, 1, every, stop)
	a, srv := newAntenna(t, tokensOf(workers)...)
	a.addJob(1, "a", -1)
	a.tasksDelay = 20 * time.Millisecond
	run := modeltime.Run{Start: time.Now().Add(20 * time.Millisecond), Scale: testScale}

	rep := runFleet(t, Config{Target: srv.URL, Workers: workers, Run: run})

	tasks := rep.PerEndpoint[antenna.EndpointTasks]
	require.GreaterOrEqual(t, tasks.Min, 20*time.Millisecond)
	require.GreaterOrEqual(t, tasks.P50, 20*time.Millisecond)
	require.Less(t, rep.PerEndpoint[antenna.EndpointResult].P50, 20*time.Millisecond, "result is not slowed down")
	require.Equal(t, 10*len(workers), int(tasks.Total)+int(rep.Lag.Dropped))

	a.mu.Lock()
	defer a.mu.Unlock()
	for i, w := range workers {
		at := a.tasksAt[w.Token]
		require.Len(t, at, 10-rep.Workers[i].Dropped,
			"worker %d: ten 100 ms cycles fit in one second; sleeping after each 20 ms answer would fit nine", w.ID)
		// Each cycle reaches the target no later after its absolute slot than
		// the lag the fleet admits to, plus the request's way to the
		// in-process server (up to 23 ms seen under -race on a busy CI
		// machine; 40 ms allowed). Sleeping after the answer would push
		// cycle k 20·k ms past its slot while the fleet's own lag, measured
		// against a schedule that moved with it, stayed near zero: cycles 3
		// to 9 would arrive 60 to 180 ms late.
		for _, arrived := range at {
			since := run.Since(arrived) - w.StartAt
			offset := testScale.Wall(since % every)
			require.Less(t, offset, rep.Lag.Max+40*time.Millisecond, "worker %d cycle %d", w.ID, since/every)
		}
	}
}

// A target slower than the period holds closed-model workers back, as it
// holds real ones: the slots they miss are blocked, not dropped, and the
// fleet is not saturated, though every latency shows the wait.
func TestFleetBlockedByASlowTargetIsNotSaturation(t *testing.T) {
	const every, stop = 10 * time.Second, 60 * time.Second // 100 ms cycles
	workers := spread(10, Active, 1, every, stop)
	a, srv := newAntenna(t, tokensOf(workers)...)
	a.addJob(1, "a", -1)
	// Two and a half periods at the scale in force: a fixed 250 ms is under
	// one 300 ms period under the race detector, and nothing would block.
	a.tasksDelay = wall(250 * time.Millisecond)
	run := modeltime.Run{Start: time.Now().Add(20 * time.Millisecond), Scale: testScale}

	rep := runFleet(t, Config{Target: srv.URL, Workers: workers, Run: run})

	require.Positive(t, rep.Lag.Blocked, "slots passed while waiting on the target")
	require.Zero(t, rep.Lag.Dropped, "nothing dropped by the generator itself")
	sat, why := rep.Saturated(0.01)
	require.False(t, sat, why)
	require.GreaterOrEqual(t, rep.PerEndpoint[antenna.EndpointTasks].P50, wall(250*time.Millisecond))
}

func TestFleetWorkersGoIdleWhenTheirJobRunsOut(t *testing.T) {
	const every, idleEvery, stop = 5 * time.Second, 10 * time.Second, 80 * time.Second
	dry := spread(20, Active, 1, every, stop) // job 1 runs out
	fresh := spread(10, Active, 0, every, stop)
	for i := range fresh {
		fresh[i].ID = 100 + i
		fresh[i].Token = fmt.Sprintf("fresh-%d", i)
		fresh[i].Slugs = []string{"b"} // job 2 waits on the list
	}
	workers := append(append([]Worker{}, dry...), fresh...)
	for i := range workers {
		workers[i].IdleEvery = idleEvery
	}
	a, srv := newAntenna(t, tokensOf(workers)...)
	a.addJob(1, "a", 150) // 20 workers × 4 tasks a cycle: runs out during the 2nd cycle
	a.addJob(2, "b", -1)

	rep := runFleet(t, Config{Target: srv.URL, Workers: workers})

	_, byToken := a.snapshot()
	a.mu.Lock()
	require.Equal(t, 150, a.served[1], "every task of job 1 is handed out")
	require.Equal(t, len(dry), a.emptyTasks[1], "each worker of job 1 sees it empty once, then stops asking")
	require.Empty(t, a.badResults)
	a.mu.Unlock()

	for i, ws := range rep.Workers[:len(dry)] {
		w := dry[i]
		require.GreaterOrEqual(t, ws.WentIdleAt, time.Duration(0), "worker %d never went idle", w.ID)
		require.Less(t, ws.WentIdleAt, 3*every+slack(rep), "the 3rd cycle at the latest finds job 1 empty")
		// After going idle: one list poll at once, then one every idleEvery.
		want := slots(ws.WentIdleAt, idleEvery, 0, stop)
		require.InDelta(t, want, byToken[w.Token][antenna.EndpointList]+ws.Dropped, 1, "worker %d list polls", w.ID)
		require.Less(t, ws.MaxGap, time.Duration(1+ws.Dropped)*idleEvery+slack(rep),
			"worker %d: the list path keeps an idle worker polling", w.ID)
	}
	for i, ws := range rep.Workers[len(dry):] {
		w := fresh[i]
		require.Equal(t, 1, byToken[w.Token][antenna.EndpointList], "worker %d takes job 2 from its first list", w.ID)
		require.InDelta(t, slots(w.StartAt, every, 0, stop), byToken[w.Token][antenna.EndpointTasks]+ws.Dropped, 1,
			"worker %d cycles on job 2", w.ID)
		require.Equal(t, time.Duration(-1), ws.WentIdleAt)
	}
	require.Zero(t, rep.Requests.Status4xx)
}

// A list that keeps offering a finished job must not make workers spin
// list → tasks → list: after a job that never had work they pause idle_every.
func TestFleetStaleListDoesNotSpin(t *testing.T) {
	const every, idleEvery, stop = 5 * time.Second, 10 * time.Second, 60 * time.Second
	workers := spread(10, Active, 0, every, stop)
	for i := range workers {
		workers[i].IdleEvery = idleEvery
	}
	a, srv := newAntenna(t, tokensOf(workers)...)
	a.addJob(3, "a", 0)
	a.mu.Lock()
	a.jobs[3].stale = true
	a.mu.Unlock()

	rep := runFleet(t, Config{Target: srv.URL, Workers: workers})

	_, byToken := a.snapshot()
	for i, w := range workers {
		want := slots(w.StartAt, idleEvery, 0, stop)
		require.InDelta(t, want, byToken[w.Token][antenna.EndpointList]+rep.Workers[i].Dropped, 1, "worker %d list polls", w.ID)
		require.InDelta(t, want, byToken[w.Token][antenna.EndpointTasks], 1, "worker %d tasks polls", w.ID)
	}
}

func TestFleetIdleWorkersOnlyListTheRealClientsWay(t *testing.T) {
	const every, stop = 5 * time.Second, 40 * time.Second
	workers := spread(30, Idle, 1, every, stop) // a JobID must not make an idle worker work
	for i := range workers {
		workers[i].Slugs = []string{"a", "b c"}
	}
	a, srv := newAntenna(t, tokensOf(workers)...)
	a.addJob(1, "a", -1) // listed, and still never taken

	rep := runFleet(t, Config{Target: srv.URL, Workers: workers})

	calls, byToken := a.snapshot()
	require.Zero(t, calls[antenna.EndpointTasks])
	require.Zero(t, calls[antenna.EndpointResult])
	for i, w := range workers {
		require.Equal(t, slots(w.StartAt, every, 0, stop), byToken[w.Token][antenna.EndpointList]+rep.Workers[i].Dropped, "worker %d", w.ID)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	require.Equal(t, calls[antenna.EndpointList], a.redirects, "every poll uses the no-slash form and follows the redirect")
	for _, raw := range a.listQuery {
		q, err := url.ParseQuery(raw)
		require.NoError(t, err)
		require.Equal(t, url.Values{
			"pipeline__slug__in": {"a,b c"}, "ids_only": {"1"}, "incomplete_only": {"1"},
			"dispatch_mode": {"async_api"}, "project_id": {"7"},
		}, q)
	}
	require.Equal(t, uint64(calls[antenna.EndpointList]), rep.PerEndpoint[antenna.EndpointList].OK)
	require.Equal(t, time.Duration(-1), rep.Workers[0].WentIdleAt)
}

// Starting the run in the past makes every worker wake up late, the only way to
// put a real scheduler behind on purpose: 220 ms late on a 100 ms period means
// two slots skipped and the third sent 20 ms (or more) late, with that lag
// counted in its latency though the target answers at once.
func TestFleetLateWorkersSkipAndCountTheirLag(t *testing.T) {
	const every, stop = 10 * time.Second, 40 * time.Second
	workers := spread(20, Idle, 0, every, stop)
	for i := range workers {
		workers[i].StartAt = 0
	}
	a, srv := newAntenna(t, tokensOf(workers)...)
	run := modeltime.Run{Start: time.Now().Add(-wall(220 * time.Millisecond)), Scale: testScale}

	rep := runFleet(t, Config{Target: srv.URL, Workers: workers, Run: run, LagTolerance: 10 * time.Millisecond})

	n := uint64(len(workers))
	require.Equal(t, 4*n, rep.Lag.Scheduled(), "slots at 0, 100, 200, 300 ms")
	require.GreaterOrEqual(t, rep.Lag.Dropped, 2*n)
	require.GreaterOrEqual(t, rep.Lag.Late, n)
	require.GreaterOrEqual(t, rep.Lag.Max, wall(20*time.Millisecond))
	require.GreaterOrEqual(t, rep.PerEndpoint[antenna.EndpointList].Max, wall(20*time.Millisecond),
		"latency runs from the intended instant, not from when the late send went out")
	for _, ws := range rep.Workers {
		require.GreaterOrEqual(t, ws.Dropped, 2)
		require.GreaterOrEqual(t, ws.Late, 1)
	}
	calls, _ := a.snapshot()
	require.Equal(t, 4*len(workers), calls[antenna.EndpointList]+int(rep.Lag.Dropped))

	sat, why := rep.Saturated(0.01)
	require.True(t, sat)
	require.Contains(t, why, "or dropped")
}

func TestFleetCountsFailuresByKind(t *testing.T) {
	const every, stop = 10 * time.Second, 30 * time.Second
	workers := spread(6, Active, 1, every, stop)
	workers[5].Token = "not-a-valid-token"
	a, srv := newAntenna(t, tokensOf(workers[:5])...)
	a.addJob(1, "a", -1)
	a.resultCode = 503

	rep := runFleet(t, Config{Target: srv.URL, Workers: workers})

	results := 0
	for _, w := range workers[:5] {
		results += slots(w.StartAt, every, 0, stop)
	}
	require.Equal(t, uint64(5*3), rep.PerEndpoint[antenna.EndpointTasks].OK)
	require.Equal(t, uint64(3), rep.PerEndpoint[antenna.EndpointTasks].Status4xx, "the bad token gets 401 and no tasks")
	require.Equal(t, uint64(results), rep.PerEndpoint[antenna.EndpointResult].Status5xx)
	require.Zero(t, rep.PerEndpoint[antenna.EndpointResult].OK)
	requireTimelineMatches(t, rep)
	require.Zero(t, rep.Workers[5].Polls, "401s are not polls")
	require.Equal(t, 3, rep.Workers[0].Polls, "503 results are not successful polls either")

	srv.Close() // nothing listens any more: every send is a transport failure
	rep = runFleet(t, Config{Target: srv.URL, Workers: workers[:2], DrainTimeout: time.Second})
	require.Equal(t, uint64(2*3), rep.Requests.Transport)
	require.Equal(t, rep.Requests.Transport, rep.Requests.Total)
	requireTimelineMatches(t, rep)
	require.Equal(t, -1*time.Nanosecond, rep.Workers[0].FirstPoll)
}

func TestFleetCancellationReturnsAPartialReportQuickly(t *testing.T) {
	workers := spread(50, Active, 1, 5*time.Second, time.Hour)
	a, srv := newAntenna(t, tokensOf(workers)...)
	a.addJob(1, "a", -1)
	a.tasksDelay = 30 * time.Millisecond // some requests are in flight when we cancel

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	began := time.Now()
	rep, err := Run(ctx, Config{Target: srv.URL, Workers: workers,
		Run: modeltime.Run{Start: time.Now(), Scale: testScale}})
	require.NoError(t, err)
	require.Less(t, time.Since(began), time.Second)
	require.True(t, rep.Interrupted)
	require.Positive(t, rep.Requests.OK)
	require.Zero(t, rep.Requests.Transport, "requests we aborted ourselves are not the target's failures")
	requireTimelineMatches(t, rep)
	require.Len(t, rep.Workers, len(workers))
}

func TestCatchUp(t *testing.T) {
	const p = 10 * time.Second
	tests := []struct {
		name                  string
		intended, now, period time.Duration
		wantSlot              time.Duration
		wantSkipped           uint64
	}{
		{"on time", 20 * time.Second, 20 * time.Second, p, 20 * time.Second, 0},
		{"late but within a period", 20 * time.Second, 29 * time.Second, p, 20 * time.Second, 0},
		{"exactly a period late", 20 * time.Second, 30 * time.Second, p, 30 * time.Second, 1},
		{"three and a half periods late", 20 * time.Second, 55 * time.Second, p, 50 * time.Second, 3},
		{"response-driven sends are never skipped", 20 * time.Second, 55 * time.Second, 0, 20 * time.Second, 0},
		{"woke past the stop", 80 * time.Second, 130 * time.Second, p, 100 * time.Second, 2},
		{"woke past the stop, ragged", 85 * time.Second, 130 * time.Second, p, 100 * time.Second, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			slot, skipped := catchUp(tc.intended, tc.now, tc.period, 100*time.Second)
			require.Equal(t, tc.wantSlot, slot)
			require.Equal(t, tc.wantSkipped, skipped)
		})
	}
}

func TestConfigValidation(t *testing.T) {
	good := func() Config {
		return Config{Target: "http://127.0.0.1:1", Run: modeltime.Run{Scale: 0.05},
			Workers: spread(1, Active, 1, 5*time.Second, time.Minute)}
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"bad target", func(c *Config) { c.Target = "127.0.0.1:8080" }, "not a usable base URL"},
		{"zero scale", func(c *Config) { c.Run.Scale = 0 }, "time scale"},
		{"no workers", func(c *Config) { c.Workers = nil }, "no workers"},
		{"unknown behaviour", func(c *Config) { c.Workers[0].Behaviour = "lazy" }, `behaviour "lazy"`},
		{"no token", func(c *Config) { c.Workers[0].Token = "" }, "no token"},
		{"nothing to list", func(c *Config) { c.Workers[0].Slugs, c.Workers[0].ProjectID = nil, 0 }, "slugs nor project"},
		{"zero period", func(c *Config) { c.Workers[0].PollEvery = 0 }, "poll_every"},
		{"jitter too wide", func(c *Config) { c.Workers[0].Jitter = 5 * time.Second }, "jitter"},
		{"empty window", func(c *Config) { c.Workers[0].StopAt = c.Workers[0].StartAt }, "window"},
		{"no batch", func(c *Config) { c.Workers[0].BatchSize = 0 }, "batch_size"},
		{"no idle period", func(c *Config) { c.Workers[0].IdleEvery = 0 }, "idle_every"},
		{"adc without a batch", func(c *Config) { c.Workers[0].Behaviour, c.Workers[0].BatchSize = ADC, 0 }, "adc workers need"},
		{"adc needs no idle period", func(c *Config) { c.Workers[0].Behaviour, c.Workers[0].IdleEvery, c.Workers[0].BatchSize = ADC, 0, 0 }, "batch_size"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good()
			tc.mutate(&cfg)
			_, err := Run(context.Background(), cfg)
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err := good().validate()
	require.NoError(t, err)
}

func TestSaturated(t *testing.T) {
	r := &Report{Lag: LagStats{Sends: 990, Late: 5, Stalls: 4, Dropped: 10, Tolerance: 25 * time.Millisecond}}
	sat, why := r.Saturated(0.01)
	require.True(t, sat, "15 of 1000 missed is over 1%")
	require.Contains(t, why, "15 of 1000")
	sat, _ = r.Saturated(0.02)
	require.False(t, sat)
	sat, _ = (&Report{}).Saturated(0.01)
	require.False(t, sat)
	// One stall in a short run is over 1% but not a saturated generator,
	// however many senders it held up; three stalls are.
	sat, _ = (&Report{Lag: LagStats{Sends: 96, Late: 2, Stalls: 2, Tolerance: 25 * time.Millisecond}}).Saturated(0.01)
	require.False(t, sat, "2 of 96")
	sat, _ = (&Report{Lag: LagStats{Sends: 179, Late: 3, Stalls: 1, Tolerance: 25 * time.Millisecond}}).Saturated(0.01)
	require.False(t, sat, "3 of 179 in one stall")
	sat, _ = (&Report{Lag: LagStats{Sends: 179, Late: 2, Stalls: 1, Dropped: 1, Tolerance: 25 * time.Millisecond}}).Saturated(0.01)
	require.False(t, sat, "one stall and one drop")
	sat, _ = (&Report{Lag: LagStats{Sends: 96, Late: 3, Stalls: 3, Tolerance: 25 * time.Millisecond}}).Saturated(0.01)
	require.True(t, sat, "3 of 96 in three stalls")
}

func TestWorkerStatsGaps(t *testing.T) {
	s := WorkerStats{FirstPoll: -1, LastPoll: -1}
	for _, at := range []time.Duration{3, 5, 12, 13} {
		s.polled(at * time.Second)
	}
	require.Equal(t, WorkerStats{FirstPoll: 3 * time.Second, LastPoll: 13 * time.Second, Polls: 4, MaxGap: 7 * time.Second}, s)
}

// Workers may each name their own target (replicas without a load
// balancer); the others use Config.Target.
func TestFleetPerWorkerTarget(t *testing.T) {
	const every, stop = 10 * time.Second, 30 * time.Second
	workers := spread(6, Idle, 0, every, stop)
	a1, srv1 := newAntenna(t, tokensOf(workers)...)
	a2, srv2 := newAntenna(t, tokensOf(workers)...)
	for i := range workers {
		if i%2 == 1 {
			workers[i].Target = srv2.URL
		}
	}
	runFleet(t, Config{Target: srv1.URL, Workers: workers})
	_, by1 := a1.snapshot()
	_, by2 := a2.snapshot()
	for i, w := range workers {
		if i%2 == 1 {
			require.Zero(t, by1[w.Token][antenna.EndpointList], "worker %d goes to its own target", w.ID)
			require.Positive(t, by2[w.Token][antenna.EndpointList])
		} else {
			require.Positive(t, by1[w.Token][antenna.EndpointList])
			require.Zero(t, by2[w.Token][antenna.EndpointList])
		}
	}
	_, err := Run(context.Background(), Config{Target: srv1.URL, Run: modeltime.Run{Scale: testScale}, Workers: []Worker{{ID: 1, Token: "t", Slugs: []string{"a"},
		Behaviour: Idle, PollEvery: every, StopAt: stop, Target: "ftp://nope"}}})
	require.ErrorContains(t, err, "not a usable base URL")
}

// A crashed worker vanishes mid-cycle: its last cycle's result is never
// posted and it sends nothing more; a stopped one finishes its cycle.
func TestCrashedWorkersVanishWithoutALastResult(t *testing.T) {
	every, stop := 5*time.Second, 60*time.Second
	workers := spread(2, Active, 1, every, stop)
	workers[0].StartAt, workers[1].StartAt = 0, 0
	// 31 s: one second into the cycle that began at 30 s, its result due at 34 s.
	workers[0].CrashAt = 31 * time.Second
	workers[1].StopAt = 31 * time.Second
	a, srv := newAntenna(t, tokensOf(workers)...)
	a.addJob(1, "a", -1)
	rep := runFleet(t, Config{Target: srv.URL, Workers: workers})
	crashed, stopped := a.byToken[workers[0].Token], a.byToken[workers[1].Token]
	require.Equal(t, 7, crashed[antenna.EndpointTasks], "tasks at 0, 5, …, 30 s")
	require.Equal(t, 6, crashed[antenna.EndpointResult], "the 30 s cycle's result was never posted")
	require.Equal(t, 7, stopped[antenna.EndpointTasks])
	require.Equal(t, 7, stopped[antenna.EndpointResult], "a stop lets the cycle finish")
	require.Zero(t, rep.Requests.Transport, "a crash's abandoned request is not the target's failure")
	requireTimelineMatches(t, rep)
	require.Less(t, rep.Workers[0].LastPoll, 31*time.Second)
}

// The run's end is a hard limit: a worker stopping with it sends nothing
// after it, not even its last cycle's result.
func TestNothingIsSentAfterTheRunsEnd(t *testing.T) {
	every := 5 * time.Second
	workers := spread(1, Active, 1, every, 31*time.Second)
	workers[0].StartAt = 0
	a, srv := newAntenna(t, tokensOf(workers)...)
	a.addJob(1, "a", -1)
	runFleet(t, Config{Target: srv.URL, Workers: workers, End: 31 * time.Second})
	got := a.byToken[workers[0].Token]
	require.Equal(t, 7, got[antenna.EndpointTasks])
	require.Equal(t, 6, got[antenna.EndpointResult], "the 30 s cycle's result would fall after the end")
}
