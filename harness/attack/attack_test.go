package attack

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hbharness/hbharness/reference/antenna"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/internal/testdeps"
)

// antenna is a minimal target of docs/design.md#wire-protocol that checks what the attacks send.
type fakeAntenna struct {
	mu    sync.Mutex
	delay time.Duration
	// code, when set, picks the status of a request by its endpoint and when
	// it arrived (0 = 200): a fault that comes and goes.
	code      func(endpoint string, arrived time.Time) int
	calls     map[string]int
	byToken   map[string]int
	jobs      map[string]int // path job id → requests
	subjects  map[string]int
	bad       []string
	arrivals  map[string][]time.Time // endpoint → when each request arrived
	queries   []string
	redirects int
}

func newAntenna(t *testing.T) (*fakeAntenna, *httptest.Server) {
	a := &fakeAntenna{calls: map[string]int{}, byToken: map[string]int{}, jobs: map[string]int{}, subjects: map[string]int{}, arrivals: map[string][]time.Time{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/jobs", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.redirects++
		a.mu.Unlock()
		http.Redirect(w, r, "/api/v2/jobs/?"+r.URL.RawQuery, http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /api/v2/jobs/{$}", a.handle(antenna.EndpointList, func(r *http.Request, body []byte) string {
		a.queries = append(a.queries, r.URL.RawQuery)
		return `{"results":[]}`
	}))
	mux.HandleFunc("POST /api/v2/jobs/{id}/tasks/", a.handle(antenna.EndpointTasks, func(r *http.Request, body []byte) string {
		var req struct {
			BatchSize int `json:"batch_size"`
		}
		if json.Unmarshal(body, &req) != nil || req.BatchSize != 3 {
			a.bad = append(a.bad, string(body))
		}
		return `{"tasks":[]}`
	}))
	mux.HandleFunc("POST /api/v2/jobs/{id}/result/", a.handle(antenna.EndpointResult, func(r *http.Request, body []byte) string {
		var req struct {
			Results []struct {
				ReplySubject string          `json:"reply_subject"`
				Result       json.RawMessage `json:"result"`
			} `json:"results"`
		}
		if json.Unmarshal(body, &req) != nil || len(req.Results) != 1 || !strings.HasPrefix(req.Results[0].ReplySubject, "attack-") {
			a.bad = append(a.bad, string(body))
		} else {
			a.subjects[req.Results[0].ReplySubject]++
		}
		return `{"status":"accepted","job_id":1,"results_queued":1,"tasks":[]}`
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return a, srv
}

func (a *fakeAntenna) handle(endpoint string, check func(*http.Request, []byte) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		arrived := time.Now()
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Token ")
		if !ok || !strings.HasPrefix(tok, "tok-") {
			http.Error(w, `{"detail":"Invalid token."}`, http.StatusUnauthorized)
			return
		}
		body := make([]byte, 0, 256)
		buf := make([]byte, 256)
		for {
			n, err := r.Body.Read(buf)
			body = append(body, buf[:n]...)
			if err != nil {
				break
			}
		}
		if a.delay > 0 {
			time.Sleep(a.delay)
		}
		a.mu.Lock()
		a.calls[endpoint]++
		a.byToken[tok]++
		a.jobs[r.PathValue("id")]++
		a.arrivals[endpoint] = append(a.arrivals[endpoint], arrived)
		out := check(r, body)
		a.mu.Unlock()
		if a.code != nil {
			if c := a.code(endpoint, arrived); c != 0 {
				w.WriteHeader(c)
			}
		}
		w.Write([]byte(out))
	}
}

func targets(n int) []Target {
	ts := make([]Target, n)
	for i := range ts {
		ts[i] = Target{Token: "tok-" + string(rune('a'+i)), JobID: int64(10 + i), Slugs: []string{"moths", "bees"}, ProjectID: 4, BatchSize: 3}
	}
	return ts
}

func run(t *testing.T, cfg Config) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	if cfg.Run.Scale == 0 {
		cfg.Run = modeltime.Run{Start: time.Now().Add(20 * time.Millisecond), Scale: 0.5}
	}
	rep, err := Run(ctx, cfg)
	require.NoError(t, err)
	require.False(t, rep.Interrupted)
	return rep
}

// gentler runs an attack the machine should carry and, if the generator
// still says it could not keep its schedule (a busy machine, -race), once
// more at half the wall rate, the same model at twice the time scale,
// saying so in the log. Twice saturated, nothing was judged: it skips, or on
// CI fails (testenv.SkipSaturated). These tests are about what is sent and
// counted, not the generator's ceiling (TestSaturatedWhenTheGeneratorCannotKeepUp).
func gentler(t *testing.T, attempt func(t *testing.T, scale modeltime.Scale) (*Report, func()), scale modeltime.Scale) {
	t.Helper()
	for try := 0; ; try++ {
		rep, judge := attempt(t, scale)
		behind, why := rep.Saturated()
		if !behind {
			judge()
			return
		}
		if try == 1 || 2*scale > 1 {
			testdeps.Saturated(t, why)
		}
		t.Logf("the attack saturated at time scale %v; rerunning once, gentler, at %v: %s", scale, 2*scale, why)
		scale *= 2
	}
}

// 50 requests per model second at scale 0.5 is 100 per wall second, within
// what a 2-core runner carries under -race beside other work; ten model
// seconds last five wall seconds: 500 hits.
func TestConstantRateSendsWhatWasAskedWithTheToken(t *testing.T) {
	testdeps.Slow(t)
	tests := []struct {
		endpoint string
		check    func(t *testing.T, a *fakeAntenna)
	}{
		{antenna.EndpointTasks, func(t *testing.T, a *fakeAntenna) {
			require.Len(t, a.jobs, 3, "requests go to each target's job: %v", a.jobs)
		}},
		{antenna.EndpointResult, func(t *testing.T, a *fakeAntenna) {
			require.Len(t, a.subjects, a.calls[antenna.EndpointResult], "every result carries its own reply subject")
		}},
		{antenna.EndpointList, func(t *testing.T, a *fakeAntenna) {
			require.Equal(t, a.calls[antenna.EndpointList], a.redirects, "the no-slash list form is used and its redirect followed")
			q, err := url.ParseQuery(a.queries[0])
			require.NoError(t, err)
			require.Equal(t, url.Values{"pipeline__slug__in": {"moths,bees"}, "ids_only": {"1"}, "incomplete_only": {"1"},
				"dispatch_mode": {"async_api"}, "project_id": {"4"}}, q)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.endpoint, func(t *testing.T) {
			gentler(t, func(t *testing.T, scale modeltime.Scale) (*Report, func()) {
				a, srv := newAntenna(t)
				// A generous lag tolerance: this test is about what is sent, and a
				// machine shared with other test runs may stall the pacer briefly.
				rep := run(t, Config{Target: srv.URL, LagTolerance: 250 * time.Millisecond,
					Run: modeltime.Run{Start: time.Now().Add(20 * time.Millisecond), Scale: scale}, Attacks: []Attack{{
						Name: "burst", Endpoint: tc.endpoint, RatePerModelSecond: 50, Duration: 10 * time.Second, Targets: targets(3),
					}}})
				return rep, func() {
					a.mu.Lock()
					defer a.mu.Unlock()
					// Never more than asked; vegeta's pacer may end its
					// last stretch short on a stalled machine.
					require.LessOrEqual(t, a.calls[tc.endpoint], 500)
					require.GreaterOrEqual(t, a.calls[tc.endpoint], 450)
					require.Empty(t, a.bad, "malformed bodies")
					for tok, n := range a.byToken {
						require.InDelta(t, a.calls[tc.endpoint]/3, n, 1, "round robin over targets: %s", tok)
					}
					tc.check(t, a)

					wall := scale.PerWall(50)
					st := rep.Attacks[0]
					require.Equal(t, "burst", st.Name)
					require.Equal(t, uint64(a.calls[tc.endpoint]), st.Hits)
					require.Equal(t, st.Hits, rep.Requests.OK)
					require.Equal(t, rep.Requests, st.Requests)
					require.InDelta(t, wall, st.RequestedPerWallSecond, wall/500)
					require.InDelta(t, 50, st.RequestedPerModelSecond, 0.1)
					require.InDelta(t, wall, st.AchievedPerWallSecond, wall/10)
					require.InDelta(t, 50, st.AchievedPerModelSecond, 5)
					require.False(t, st.Saturated, st.Reason)
				}
			}, 0.5)
		})
	}
}

// 20/s rising to 100/s over five wall seconds (scale 1): 300 hits, a third
// of them in the first half. The rates are a fifth of what a quiet machine
// manages, so a busy one's pacer keeps the ramp's shape.
func TestLinearRampRisesAcrossTheAttack(t *testing.T) {
	testdeps.Slow(t)
	a, srv := newAntenna(t)
	start := time.Now().Add(20 * time.Millisecond)
	rep := run(t, Config{Target: srv.URL, Run: modeltime.Run{Start: start, Scale: 1}, LagTolerance: 250 * time.Millisecond, Attacks: []Attack{{
		Name: "ramp", Endpoint: antenna.EndpointTasks, RatePerModelSecond: 20, RateToPerModelSecond: 100,
		Duration: 5 * time.Second, Targets: targets(1),
	}}})

	st := rep.Attacks[0]
	if st.Saturated {
		// Real time is the slowest scale there is: no gentler rerun.
		testdeps.Saturated(t, st.Reason)
	}
	require.InDelta(t, 300, st.Hits, 15)
	require.InDelta(t, 60, st.RequestedPerWallSecond, 0.2)
	a.mu.Lock()
	defer a.mu.Unlock()
	arrivals := a.arrivals[antenna.EndpointTasks]
	firstHalf := 0
	for _, at := range arrivals {
		if at.Before(start.Add(2500 * time.Millisecond)) {
			firstHalf++
		}
	}
	require.InDelta(t, 100, firstHalf, 12, "hits in the first half")
	require.InDelta(t, 200, len(arrivals)-firstHalf, 15, "hits in the second half")
}

// One vegeta worker and a 50 ms target can manage 20 requests a second; asked
// for 200 the attack must say it fell behind.
func TestSaturatedWhenTheGeneratorCannotKeepUp(t *testing.T) {
	a, srv := newAntenna(t)
	a.delay = 50 * time.Millisecond
	rep := run(t, Config{Target: srv.URL, Workers: 1, MaxWorkers: 1, Run: modeltime.Run{Start: time.Now(), Scale: 1},
		Attacks: []Attack{{Name: "slow", Endpoint: antenna.EndpointTasks, RatePerModelSecond: 200, Duration: time.Second, Targets: targets(1)}}})

	st := rep.Attacks[0]
	require.True(t, st.Saturated)
	require.Less(t, st.AchievedPerWallSecond, 30.0)
	require.Contains(t, st.Reason, "of the 200.0/s requested")
	require.Contains(t, st.Reason, "p99 send lag")
	require.Positive(t, st.Lag.Dropped, "hits the schedule asked for were never sent")
	require.GreaterOrEqual(t, st.Requests.P50, 50*time.Millisecond)
	require.Greater(t, st.Requests.Max, 500*time.Millisecond, "latency runs from when the hit was due, so the backlog shows")
	behind, why := rep.Saturated()
	require.True(t, behind)
	require.Contains(t, why, `"slow"`)
}

func TestAttacksStartAtTheirModelOffset(t *testing.T) {
	a, srv := newAntenna(t)
	start := time.Now()
	rep := run(t, Config{Target: srv.URL, Run: modeltime.Run{Start: start, Scale: 0.01}, Attacks: []Attack{
		{Name: "later", Endpoint: antenna.EndpointList, RatePerModelSecond: 1, StartAt: 30 * time.Second, Duration: 20 * time.Second, Targets: targets(1)},
		{Name: "sooner", Endpoint: antenna.EndpointTasks, RatePerModelSecond: 1, StartAt: 0, Duration: 20 * time.Second, Targets: targets(1)},
	}})
	// 1/s model at scale 0.01 is 100/s wall for 200 ms.
	require.InDelta(t, 20, rep.Attacks[0].Hits, 2)
	require.InDelta(t, 20, rep.Attacks[1].Hits, 2)
	a.mu.Lock()
	defer a.mu.Unlock()
	require.Len(t, a.arrivals[antenna.EndpointList], int(rep.Attacks[0].Hits))
	require.Len(t, a.arrivals[antenna.EndpointTasks], int(rep.Attacks[1].Hits))
	require.GreaterOrEqual(t, a.arrivals[antenna.EndpointList][0].Sub(start), 300*time.Millisecond, "the list attack waits for model 30 s")
	require.Less(t, a.arrivals[antenna.EndpointTasks][0].Sub(start), 100*time.Millisecond, "the tasks attack starts at once")
}

func TestCancellationStopsAttacksQuickly(t *testing.T) {
	a, srv := newAntenna(t)
	a.delay = time.Second // requests are in flight when we cancel
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	began := time.Now()
	rep, err := Run(ctx, Config{Target: srv.URL, Run: modeltime.Run{Start: time.Now(), Scale: 1}, Attacks: []Attack{
		{Name: "long", Endpoint: antenna.EndpointTasks, RatePerModelSecond: 50, Duration: time.Minute, Targets: targets(1)},
		{Name: "never", Endpoint: antenna.EndpointTasks, RatePerModelSecond: 50, StartAt: time.Minute, Duration: time.Minute, Targets: targets(1)},
	}})
	require.NoError(t, err)
	require.Less(t, time.Since(began), time.Second)
	require.True(t, rep.Interrupted)
	require.Zero(t, rep.Requests.Transport, "requests we aborted are not the target's failures")
	requireTimelineMatches(t, rep)
	require.Zero(t, rep.Attacks[1].Hits)
	require.Less(t, rep.Attacks[0].WallDuration, 500*time.Millisecond)
}

func TestConfigValidation(t *testing.T) {
	good := func() Config {
		return Config{Target: "http://127.0.0.1:1", Run: modeltime.Run{Scale: 0.05}, Attacks: []Attack{{
			Name: "a", Endpoint: antenna.EndpointTasks, RatePerModelSecond: 10, Duration: time.Second, Targets: targets(1),
		}}}
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"bad target", func(c *Config) { c.Target = "localhost" }, "not a usable base URL"},
		{"bad scale", func(c *Config) { c.Run.Scale = -1 }, "time scale"},
		{"workers over max", func(c *Config) { c.Workers, c.MaxWorkers = 5, 2 }, "exceed max workers"},
		{"unknown endpoint", func(c *Config) { c.Attacks[0].Endpoint = "ping" }, `endpoint "ping"`},
		{"zero rate", func(c *Config) { c.Attacks[0].RatePerModelSecond = 0 }, "must be > 0"},
		{"absurd rate", func(c *Config) { c.Attacks[0].RatePerModelSecond = 1e6 }, "at most"},
		{"negative ramp", func(c *Config) { c.Attacks[0].RateToPerModelSecond = -1 }, "ramp target"},
		{"no duration", func(c *Config) { c.Attacks[0].Duration = 0 }, "duration"},
		{"negative start", func(c *Config) { c.Attacks[0].StartAt = -time.Second }, "start_at"},
		{"no targets", func(c *Config) { c.Attacks[0].Targets = nil }, "no targets"},
		{"no token", func(c *Config) { c.Attacks[0].Targets[0].Token = "" }, "no token"},
		{"no job", func(c *Config) { c.Attacks[0].Targets[0].JobID = 0 }, "job id"},
		{"no batch", func(c *Config) { c.Attacks[0].Targets[0].BatchSize = 0 }, "batch_size"},
		{"list without filter", func(c *Config) {
			c.Attacks[0].Endpoint = antenna.EndpointList
			c.Attacks[0].Targets[0].Slugs, c.Attacks[0].Targets[0].ProjectID = nil, 0
		}, "slugs or a project"},
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

// due must agree with vegeta's own pacers, or lag would be measured against a
// schedule vegeta never followed. Replay each pacer on a simulated clock that
// wakes exactly when told. The linear pacer steps with the rate at the moment
// it computes the wait, so it lands a little off the exact curve; a fifth of
// the local interval is far below any lag worth reporting.
func TestScheduleMatchesVegetasPacers(t *testing.T) {
	tests := []struct {
		name        string
		a           Attack
		avgPerModel float64
	}{
		{"constant", Attack{RatePerModelSecond: 250, Duration: 2 * time.Second}, 250},
		{"odd constant", Attack{RatePerModelSecond: 333.3, Duration: 2 * time.Second}, 333.3},
		{"rising ramp", Attack{RatePerModelSecond: 50, RateToPerModelSecond: 250, Duration: 2 * time.Second}, 150},
		{"falling ramp", Attack{RatePerModelSecond: 300, RateToPerModelSecond: 20, Duration: 2 * time.Second}, 160},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSchedule(0.5, tc.a)
			p := s.pacer()
			var now time.Duration
			for k := uint64(0); now < time.Second; k++ {
				wait, stop := p.Pace(now, k)
				require.False(t, stop)
				now += max(wait, 0)
				due := s.due(k)
				tolerance := 0.2 / p.Rate(due) * 1e9
				if !s.linear {
					tolerance = float64(time.Microsecond)
				}
				require.InDelta(t, float64(now), float64(due), tolerance, "hit %d", k)
			}
			// One wall second is two model seconds at scale 0.5.
			require.InDelta(t, 2*tc.avgPerModel, s.hits(time.Second), 1)
		})
	}
}

func TestScheduleFallingRampNeverReachesTheUnreachable(t *testing.T) {
	s := schedule{r0: 10, slope: -10, linear: true} // stops at 1 s after 5 hits
	require.Equal(t, time.Duration(math.MaxInt64), s.due(10))
	require.InDelta(t, float64(time.Second), float64(s.due(4)), float64(time.Millisecond))
}
