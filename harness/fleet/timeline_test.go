package fleet

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/antenna"
)

// requireTimelineMatches checks that the timeline counted exactly the
// requests the per-endpoint recorders did, class by class.
func requireTimelineMatches(t *testing.T, rep *Report) {
	t.Helper()
	sum := map[string]history.RequestCounts{}
	for _, w := range rep.Timeline {
		for ep, c := range w.ByEndpoint {
			sum[ep] = sum[ep].Add(c)
		}
	}
	for ep, s := range rep.PerEndpoint {
		want := history.RequestCounts{Total: int64(s.Total), OK: int64(s.OK), Transport: int64(s.Transport),
			Status3xx: int64(s.Status3xx), Status4xx: int64(s.Status4xx), Status5xx: int64(s.Status5xx),
			Malformed: int64(s.Malformed), Other: int64(s.Other)}
		require.Equal(t, want, sum[ep], "timeline and recorder disagree on %s", ep)
	}
}

// A result endpoint that answers 503 from model 30 s to 60 s shows its 5xx in
// exactly the windows of that span, because requests are placed by the model
// instant they were meant to go out. Every send sits mid-window (tasks at
// 7 s + 10k, results 8 s later at 15 s + 10k) and the fault's edges fall on
// window edges, so an answer may be 5 model seconds late (50 ms of wall
// time, 150 ms under the race detector) before it could cross one.
func TestFleetTimelinePlacesA503FaultInItsWindows(t *testing.T) {
	const every, stop = 10 * time.Second, 90 * time.Second
	const faultFrom, faultTo = 30 * time.Second, 60 * time.Second
	workers := spread(5, Active, 1, every, stop)
	for i := range workers {
		workers[i].StartAt = 7 * time.Second
	}
	a, srv := newAntenna(t, tokensOf(workers)...)
	a.addJob(1, "a", -1)
	run := modeltime.Run{Start: time.Now().Add(20 * time.Millisecond), Scale: testScale}
	a.resultCodeAt = func(arrived time.Time) int {
		if at := run.Since(arrived); at >= faultFrom && at < faultTo {
			return 503
		}
		return 0
	}

	rep := runFleet(t, Config{Target: srv.URL, Workers: workers, Run: run, TimelineEvery: every})
	requireTimelineMatches(t, rep)
	require.Equal(t, every, rep.TimelineRecorder.Every())

	// The last cycle (87 s) posts its result at 95 s, after the stop: the
	// timeline reaches a period past it rather than clamping that result.
	require.Len(t, rep.Timeline, 10)
	n := int64(len(workers))
	exact := rep.Lag.Dropped == 0 // a dropped cycle (a 100 ms stall) loses its tasks and its result
	for k, w := range rep.Timeline {
		require.Equal(t, time.Duration(k)*every, w.From)
		require.Equal(t, every, w.Every)
		tasks, result := w.ByEndpoint[antenna.EndpointTasks], w.ByEndpoint[antenna.EndpointResult]
		inFault := w.From >= faultFrom && w.From < faultTo
		switch {
		case k == 0:
			require.Zero(t, result.Total, "no result is due before 15 s")
		case inFault:
			require.Zero(t, result.OK, "window %v: the fault answers every result", w.From)
			require.Equal(t, result.Total, result.Status5xx, "window %v", w.From)
			require.Positive(t, result.Status5xx, "window %v", w.From)
		default:
			require.Zero(t, result.Status5xx, "window %v lies outside the fault", w.From)
			require.Equal(t, result.Total, result.OK, "window %v", w.From)
		}
		require.Equal(t, tasks.Total, tasks.OK, "tasks never fail")
		require.Zero(t, w.ByEndpoint[antenna.EndpointList].Total)
		if exact {
			wantTasks, wantResults := n, n
			if k == 9 {
				wantTasks = 0 // 97 s is past the stop
			}
			if k == 0 {
				wantResults = 0
			}
			require.Equal(t, wantTasks, tasks.Total, "window %v", w.From)
			require.Equal(t, wantResults, result.Total, "window %v", w.From)
		}
		if tasks.Total+result.Total > 0 {
			require.Positive(t, w.Max, "window %v has answered requests", w.From)
			require.LessOrEqual(t, w.P50, w.P99)
			require.LessOrEqual(t, w.P99, w.Max)
		}
	}

	fault := rep.TimelineRecorder.Span(faultFrom, faultTo)
	require.Equal(t, faultFrom, fault.From)
	require.Equal(t, faultTo-faultFrom, fault.Every)
	require.Equal(t, int64(rep.PerEndpoint[antenna.EndpointResult].Status5xx), fault.ByEndpoint[antenna.EndpointResult].Status5xx,
		"every 5xx of the run falls inside the fault")
	if exact {
		require.Equal(t, 3*n, fault.ByEndpoint[antenna.EndpointResult].Status5xx)
	}
}

func TestFleetTimelineWindowsDefaultToOneModelSecond(t *testing.T) {
	const every, stop = 5 * time.Second, 20 * time.Second
	workers := spread(4, Idle, 0, every, stop)
	_, srv := newAntenna(t, tokensOf(workers)...)
	rep := runFleet(t, Config{Target: srv.URL, Workers: workers})
	requireTimelineMatches(t, rep)
	require.Equal(t, time.Second, rep.TimelineRecorder.Every())
	require.LessOrEqual(t, len(rep.Timeline), 20, "idle workers send nothing at or after their stop")
	for _, w := range rep.Timeline {
		require.Equal(t, time.Second, w.Every)
	}
}
