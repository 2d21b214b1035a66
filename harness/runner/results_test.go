package runner_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/results"
	"github.com/hbharness/hbharness/harness/runner"
	"github.com/hbharness/hbharness/internal/testdeps"
	"github.com/hbharness/hbharness/scenarios"
)

// mixed has both generators: a lockstep fleet, whose sends are due on a
// whole multiple of the period, and a constant-rate attack, whose hits are
// due one interval apart, so the stamps in the results can be checked to
// be the intended sends rather than when the sends really left.
const mixed = `
name: mixed
duration: 90s
time_scale: 0.1
fixtures: {projects: 1, pipelines: 1, services_per_key: 3, jobs_per_key: 1}
fleet:
  - {name: lockstep, workers: 10, behaviour: active, poll_every: 5s, jitter: 0s, start: together, batch_size: 2}
load:
  - {name: burst, endpoint: list, rate: 10/s, start_at: 30s, duration: 30s}
`

func mixedSpec(t *testing.T) *scenarios.Spec {
	t.Helper()
	s, err := scenarios.Parse([]byte(mixed), "mixed.yaml", runner.ScenarioOptions())
	require.NoError(t, err)
	return s
}

func decodeAll(t *testing.T, r io.Reader) []vegeta.Result {
	t.Helper()
	dec := vegeta.NewDecoder(r)
	var out []vegeta.Result
	for {
		var res vegeta.Result
		err := dec.Decode(&res)
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err, "result %d does not decode", len(out)+1)
		out = append(out, res)
	}
}

// tally counts decoded results the way the summary counts requests.
func tally(rs []vegeta.Result) history.RequestCounts {
	var c history.RequestCounts
	for _, r := range rs {
		c.Total++
		switch {
		case r.Code == 0:
			c.Transport++
		case r.Code < 200:
			c.Other++
		case r.Code < 300 && r.Error != "":
			c.Malformed++
		case r.Code < 300:
			c.OK++
		case r.Code < 400:
			c.Status3xx++
		case r.Code < 500:
			c.Status4xx++
		case r.Code < 600:
			c.Status5xx++
		default:
			c.Other++
		}
	}
	return c
}

// One run checks both live feeds: the results file counts what the summary
// counts, stamped as the summary times requests, and the progress reports
// end on the summary's figures.
func TestResultsFileAndProgressAgreeWithTheSummary(t *testing.T) {
	testdeps.NeedsServices(t)
	var buf bytes.Buffer
	stream := results.NewStream(&buf, 0)
	var res *runner.Result
	var reports []runner.Progress
	spec := mixedSpec(t)
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		var err error
		reports = nil
		res, err = runner.Run(ctx, spec, runner.Options{Log: slog.New(slog.DiscardHandler), Seed: 1, Results: stream,
			Progress: func(p runner.Progress) { reports = append(reports, p) }, ProgressEvery: 100 * time.Millisecond})
		cancel()
		if !errors.Is(err, runner.ErrSaturated) {
			require.NoError(t, err)
			break
		}
		if attempt == 1 {
			testdeps.Saturated(t, err)
		}
		// The same model at half the wall rate: gentler on a busy machine.
		t.Logf("the load generator saturated at time scale %v; rerunning once, gentler, at %v: %v", spec.TimeScale, 2*spec.TimeScale, err)
		spec.TimeScale *= 2
		buf.Reset()
		stream = results.NewStream(&buf, 0)
	}
	require.NoError(t, stream.Close())
	all := decodeAll(t, &buf)

	want := res.History.Requests.RequestCounts
	require.Positive(t, want.Total)
	require.Equal(t, want, tally(all), "the results file must count what the summary counts, outcome by outcome")

	scale := res.TimeScale
	byAttack := map[string][]vegeta.Result{}
	for _, r := range all {
		require.GreaterOrEqual(t, r.Latency, time.Duration(0))
		require.False(t, r.Timestamp.Before(res.StartedAt), "stamped %v before the run started", res.StartedAt.Sub(r.Timestamp))
		require.NotEmpty(t, r.Method)
		require.True(t, strings.HasPrefix(r.URL, "http://"), r.URL)
		byAttack[r.Attack] = append(byAttack[r.Attack], r)
	}
	require.Len(t, byAttack["attack:burst/list"], int(res.History.Requests.ByEndpoint["list"].Total))

	// The lockstep fleet's tasks are due on whole periods of model time:
	// stamps that are the real send instants would be off by the send lag.
	tasks := byAttack["fleet:lockstep/tasks"]
	require.NotEmpty(t, tasks)
	for _, r := range tasks {
		model := scale.Model(r.Timestamp.Sub(res.StartedAt))
		off := model % (5 * time.Second)
		off = min(off, 5*time.Second-off)
		require.LessOrEqual(t, off, scale.Model(time.Microsecond), "a task poll stamped %v into the run, not on a 5 s period", model)
	}
	// The attack's hits are due one pacer interval apart (10/s model).
	// Hits end out of order; by sequence, each is due one interval after
	// the one before.
	hits := byAttack["attack:burst/list"]
	require.Greater(t, len(hits), 100)
	slices.SortFunc(hits, func(a, b vegeta.Result) int { return cmp.Compare(a.Seq, b.Seq) })
	interval := scale.Wall(100 * time.Millisecond)
	for i := 1; i < len(hits); i++ {
		require.Equal(t, hits[i-1].Seq+1, hits[i].Seq, "a hit is missing from the file")
		gap := hits[i].Timestamp.Sub(hits[i-1].Timestamp)
		assert.InDelta(t, interval, gap, float64(time.Microsecond), "hits %d and %d", hits[i-1].Seq, hits[i].Seq)
	}

	// 4.5 s of wall time at 100 ms: dozens of reports, the model clock
	// never running backwards, the last one marked and on the final figures.
	require.Greater(t, len(reports), 20)
	for i, p := range reports {
		require.Equal(t, 90*time.Second, p.Duration)
		require.Equal(t, i == len(reports)-1, p.Done, "only the last report is marked done")
		if i > 0 {
			require.GreaterOrEqual(t, p.Elapsed, reports[i-1].Elapsed)
			require.GreaterOrEqual(t, p.Requests, reports[i-1].Requests)
		}
	}
	last := reports[len(reports)-1]
	require.Equal(t, 90*time.Second, last.Elapsed)
	require.EqualValues(t, want.Total, last.Requests)
	require.EqualValues(t, len(res.History.Dispatches), last.Dispatches, "every dispatch happens inside a request")
	require.Positive(t, last.Writes)
	require.LessOrEqual(t, last.Writes, int64(len(res.History.Writes)), "writes may still land while the target settles")
	require.Positive(t, last.WorstStaleness)
	require.Less(t, last.WorstStaleness, 60*time.Second)
	require.Empty(t, last.Faults)
}

// An interrupted run still leaves a file that decodes to its end, and it
// counts what the partial summary counts.
func TestInterruptedRunLeavesReadableResults(t *testing.T) {
	testdeps.NeedsServices(t)
	var buf bytes.Buffer
	stream := results.NewStream(&buf, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Interrupted a second of wall after its first result, not at a fixed
	// time from the call: beside two CPU hogs the set-up alone once took
	// longer than 2.5 s, and the run was cut before it sent anything.
	sink := &cancelAfterFirst{Sink: stream, after: time.Second, cancel: cancel}
	res, err := runner.Run(ctx, mixedSpec(t), runner.Options{Log: slog.New(slog.DiscardHandler), Seed: 1, Results: sink})
	// A busy machine may also make the part that ran late: the run then
	// says so first, and the file must still be whole.
	require.True(t, errors.Is(err, context.Canceled) || errors.Is(err, runner.ErrSaturated), "%v", err)
	require.NotNil(t, res)
	require.True(t, res.Interrupted)
	require.NoError(t, stream.Close())

	all := decodeAll(t, &buf)
	require.NotEmpty(t, all)
	assert.Equal(t, res.History.Requests.RequestCounts, tally(all))
}

// cancelAfterFirst passes results on to Sink, and cancels a run a while
// after the first one.
type cancelAfterFirst struct {
	results.Sink
	after  time.Duration
	cancel context.CancelFunc
	once   sync.Once
}

func (c *cancelAfterFirst) Add(r *vegeta.Result) {
	c.once.Do(func() { time.AfterFunc(c.after, c.cancel) })
	c.Sink.Add(r)
}
