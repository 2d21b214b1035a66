package attack

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/antenna"
)

// requireTimelineMatches checks that the timeline counted exactly the hits
// the attacks' recorders did, class by class, endpoint by endpoint.
func requireTimelineMatches(t *testing.T, rep *Report) {
	t.Helper()
	want := map[string]history.RequestCounts{}
	for _, st := range rep.Attacks {
		s := st.Requests
		want[st.Endpoint] = want[st.Endpoint].Add(history.RequestCounts{Total: int64(s.Total), OK: int64(s.OK),
			Transport: int64(s.Transport), Status3xx: int64(s.Status3xx), Status4xx: int64(s.Status4xx),
			Status5xx: int64(s.Status5xx), Malformed: int64(s.Malformed), Other: int64(s.Other)})
	}
	got := map[string]history.RequestCounts{}
	for _, w := range rep.Timeline {
		for ep, c := range w.ByEndpoint {
			got[ep] = got[ep].Add(c)
		}
	}
	for ep, c := range want {
		require.Equal(t, c, got[ep], "timeline and recorders disagree on %s", ep)
	}
}

// Three attacks at one hit per model second, each hit due 0.1 s into a
// window (model 1.1 s, 2.1 s, …); the result endpoint answers 503 to what
// arrives from model 3 s to 6 s. The 5xx land in exactly the windows [3 s,
// 6 s), by the instant each hit was due, and nowhere else; the other
// endpoints stay clean. A hit has 0.9 model seconds (90 ms of wall time) to
// arrive before it could be judged in the next window.
func TestAttackTimelinePlacesA503FaultInItsWindows(t *testing.T) {
	const faultFrom, faultTo = 3 * time.Second, 6 * time.Second
	a, srv := newAntenna(t)
	clock := modeltime.Run{Start: time.Now().Add(20 * time.Millisecond), Scale: 0.1}
	a.code = func(endpoint string, arrived time.Time) int {
		if at := clock.Since(arrived); endpoint == antenna.EndpointResult && at >= faultFrom && at < faultTo {
			return 503
		}
		return 0
	}
	attack := func(endpoint string) Attack {
		return Attack{Name: endpoint, Endpoint: endpoint, RatePerModelSecond: 1,
			StartAt: 100 * time.Millisecond, Duration: 10 * time.Second, Targets: targets(2)}
	}
	rep := run(t, Config{Target: srv.URL, Run: clock, LagTolerance: 250 * time.Millisecond, Attacks: []Attack{
		attack(antenna.EndpointTasks), attack(antenna.EndpointResult), attack(antenna.EndpointList),
	}})
	requireTimelineMatches(t, rep)
	require.Equal(t, time.Second, rep.TimelineRecorder.Every(), "the default window is one model second")

	// Hits at 1.1 s … 9.1 s, and 10.1 s when the pacer fires its last in time.
	require.GreaterOrEqual(t, len(rep.Timeline), 10)
	require.LessOrEqual(t, len(rep.Timeline), 11)
	for k, w := range rep.Timeline {
		require.Equal(t, time.Duration(k)*time.Second, w.From)
		require.Equal(t, time.Second, w.Every)
		if k == 0 {
			require.Empty(t, w.ByEndpoint, "the first hit is due at 1.1 s")
			continue
		}
		for _, ep := range antenna.Endpoints() {
			c := w.ByEndpoint[ep]
			require.Equal(t, int64(1), c.Total, "window %v, %s: one hit a second", w.From, ep)
			if ep == antenna.EndpointResult && w.From >= faultFrom && w.From < faultTo {
				require.Equal(t, int64(1), c.Status5xx, "window %v is inside the fault", w.From)
			} else {
				require.Equal(t, int64(1), c.OK, "window %v, %s is outside the fault", w.From, ep)
			}
		}
		require.Positive(t, w.Max)
		require.LessOrEqual(t, w.P50, w.P99)
		require.LessOrEqual(t, w.P99, w.Max)
	}

	fault := rep.TimelineRecorder.Span(faultFrom, faultTo)
	require.Equal(t, map[string]history.RequestCounts{
		antenna.EndpointTasks:  {Total: 3, OK: 3},
		antenna.EndpointResult: {Total: 3, Status5xx: 3},
		antenna.EndpointList:   {Total: 3, OK: 3},
	}, fault.ByEndpoint)
	require.Equal(t, uint64(3), rep.Attacks[1].Requests.Status5xx, "and the run had no other 5xx")
}

func TestAttackTimelineWidth(t *testing.T) {
	_, srv := newAntenna(t)
	rep := run(t, Config{Target: srv.URL, TimelineEvery: 500 * time.Millisecond, Attacks: []Attack{{
		Name: "list", Endpoint: antenna.EndpointList, RatePerModelSecond: 50, Duration: 2 * time.Second, Targets: targets(1),
	}}})
	requireTimelineMatches(t, rep)
	require.Len(t, rep.Timeline, 4, "two model seconds in half-second windows")
	for _, w := range rep.Timeline {
		require.Equal(t, 500*time.Millisecond, w.Every)
		require.InDelta(t, 25, w.ByEndpoint[antenna.EndpointList].Total, 3)
	}
}
