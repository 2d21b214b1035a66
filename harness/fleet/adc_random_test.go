package fleet

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/reference/antenna"
)

// newRandomAntenna is the fake target with Antenna main's worker list: one
// random listed job per answer, with the count of all and a next link
// (ami/jobs/views.py:352-353, 370-378 at 731cc2a2).
func newRandomAntenna(t *testing.T, tokens ...string) (*fakeAntenna, *httptest.Server) {
	a, _ := newAntenna(t, tokens...)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/jobs", a.auth(a.track(antenna.EndpointList, a.listRandom)))
	mux.HandleFunc("GET /api/v2/jobs/{$}", a.auth(a.track(antenna.EndpointList, a.listRandom)))
	mux.HandleFunc("POST /api/v2/jobs/{id}/tasks/", a.auth(a.track(antenna.EndpointTasks, a.tasks)))
	mux.HandleFunc("POST /api/v2/jobs/{id}/result/", a.auth(a.track(antenna.EndpointResult, a.result)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return a, srv
}

func (a *fakeAntenna) listRandom(w http.ResponseWriter, r *http.Request, tok string) {
	slugs := strings.Split(r.URL.Query().Get("pipeline__slug__in"), ",")
	a.mu.Lock()
	a.count(antenna.EndpointList, tok)
	a.listQuery = append(a.listQuery, r.URL.RawQuery)
	a.listAt[tok] = append(a.listAt[tok], time.Now())
	var ids []int64
	for id, j := range a.jobs {
		if (j.remaining != 0 || j.stale) && slices.Contains(slugs, j.slug) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	pick := int64(0)
	if len(ids) > 0 {
		pick = ids[a.handed%len(ids)]
		a.handed++
	}
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if len(ids) == 0 {
		fmt.Fprint(w, `{"count":0,"next":null,"previous":null,"results":[]}`)
		return
	}
	next := "null"
	if len(ids) > 1 {
		next = `"http://x/api/v2/jobs/?ids_only=1&limit=1&offset=1"`
	}
	fmt.Fprintf(w, `{"count":%d,"next":%s,"previous":null,"results":[{"id":%d,"pipeline_slug":"a"}]}`,
		len(ids), next, pick)
}

// Against a list that answers one job of several (Antenna picks at random;
// this fake hands them in turn, so that no run draws only the dry one), an adc worker
// lists, drains the job it got, and lists again, as _worker_loop does: every
// job is drained, each worker's rounds say which job it worked when, and a
// job that answers no task (listed though dry) costs the 5 s sleep even
// while another job has work.
func TestFleetADCWorksOneRandomJobAtATime(t *testing.T) {
	const stop = 60 * time.Second
	tests := []struct {
		name    string
		workers int
		jobs    []int // tasks per job (job i+1); 0 with dry: listed, never any task
		dry     bool
	}{
		{name: "four jobs, two workers", workers: 2, jobs: []int{24 * 6, 24*3 + 5, 24 * 9, 7}},
		{name: "one job listed though dry", workers: 1, jobs: []int{0, 24 * 4}, dry: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			workers := adcWorkers(tc.workers, stop)
			a, srv := newRandomAntenna(t, tokensOf(workers)...)
			for i, n := range tc.jobs {
				a.addJob(int64(i+1), "a", n)
			}
			if tc.dry {
				a.mu.Lock()
				a.jobs[1].stale = true
				a.mu.Unlock()
			}
			run := newRun()

			rep := runFleet(t, Config{Target: srv.URL, Workers: workers, Run: run})

			a.mu.Lock()
			defer a.mu.Unlock()
			for i, n := range tc.jobs {
				require.Equal(t, n, a.served[int64(i+1)], "job %d drained", i+1)
			}
			require.Empty(t, a.badResults)
			for _, q := range a.listQuery {
				require.NotContains(t, q, "limit", "the real client asks with no limit: %s", q)
			}

			workedJobs := map[int64]bool{}
			for i, w := range workers {
				ws := rep.Workers[i]
				lists := len(a.listAt[w.Token])
				require.GreaterOrEqual(t, lists, len(ws.Jobs), "worker %d: a list before each round", w.ID)
				for j, r := range ws.Jobs {
					require.LessOrEqual(t, r.From, r.To, "worker %d round %d", w.ID, j)
					if j > 0 {
						require.GreaterOrEqual(t, r.From, ws.Jobs[j-1].To, "worker %d: rounds one after another", w.ID)
					}
					require.GreaterOrEqual(t, r.From, ws.FirstPoll, "worker %d: after its first list", w.ID)
					workedJobs[r.Job] = true
				}
			}
			for i, n := range tc.jobs {
				if n > 0 {
					require.True(t, workedJobs[int64(i+1)], "job %d worked in some round", i+1)
				}
			}
			if !tc.dry {
				require.Len(t, workedJobs, len(tc.jobs), "every job was handed out")
				return
			}
			// Each draw of the dry job is a round of four empty answers,
			// then a sleep before the next list.
			require.True(t, workedJobs[1], "the dry job was drawn")
			tok := workers[0].Token
			listed := a.listAt[tok]
			sleeps := 0
			for _, r := range rep.Workers[0].Jobs {
				if r.Job != 1 {
					continue
				}
				for _, at := range listed {
					if d := run.Since(at) - r.To; d > 0 {
						require.GreaterOrEqual(t, d, 5*time.Second, "the list after a dry round waits out the sleep")
						sleeps++
						break
					}
				}
			}
			require.Positive(t, sleeps)
			// The stop may cut the last draw short of its four.
			draws := len(slices.DeleteFunc(slices.Clone(rep.Workers[0].Jobs), func(r JobRound) bool { return r.Job != 1 }))
			require.LessOrEqual(t, a.emptyBy[tok][1], adcLoaders*draws, "each draw of the dry job: one empty answer per loader")
			require.Greater(t, a.emptyBy[tok][1], adcLoaders*(draws-1))
		})
	}
}
