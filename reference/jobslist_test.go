package reference_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/reference/antenna"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/heartbeat"
)

// listJobs is one page of 12 seeded jobs (one key), more than PAGE_SIZE.
const listJobs = 12

func startList(t *testing.T) *fixture {
	t.Helper()
	return startWith(t, contract.Fixtures{Projects: 1, Pipelines: 1, ServicesPerKey: 3, JobsPerKey: listJobs, TasksPerJob: 2}, "view-gate")
}

// page sends one list request and decodes the page.
func (f *fixture) page(t *testing.T, query string) (int, antenna.ListResponse) {
	t.Helper()
	code, raw := f.raw(t, "GET", "/api/v2/jobs/?"+query, "")
	var out antenna.ListResponse
	if code == http.StatusOK {
		require.NoError(t, json.Unmarshal(raw, &out), "%s", raw)
	}
	return code, out
}

// raw sends one request and returns the status and the body as sent.
func (f *fixture) raw(t *testing.T, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Token "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

func ids(p antenna.ListResponse) []int64 {
	out := make([]int64, len(p.Results))
	for i, r := range p.Results {
		out[i] = r.ID
	}
	return out
}

// The worker's list (ids_only, no limit) answers one random active job,
// with the count of all and a next link; repeated calls reach every job.
func TestListAnswersOneRandomJob(t *testing.T) {
	f := startList(t)
	all := slices.Clone(f.keys[0].Jobs)
	require.Len(t, all, listJobs)
	seen := map[int64]int{}
	// 300 draws of 12 miss a given job with probability (11/12)^300 < 1e-11.
	for range 300 {
		code, p := f.page(t, "pipeline__slug__in=default&ids_only=1&incomplete_only=1&dispatch_mode=async_api")
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, int64(listJobs), p.Count)
		require.Len(t, p.Results, 1, "one job per answer (views.py:370-378)")
		require.Equal(t, "default", p.Results[0].PipelineSlug)
		require.NotNil(t, p.Next, "more jobs than the page")
		require.Contains(t, *p.Next, "limit=1&offset=1")
		require.Nil(t, p.Previous)
		seen[p.Results[0].ID]++
	}
	got := make([]int64, 0, len(seen))
	for id := range seen {
		got = append(got, id)
	}
	slices.Sort(got)
	require.Equal(t, all, got, "random: every job is drawn")

	// A finished job leaves the list and the count.
	_, err := f.env.Pool.Exec(context.Background(), `UPDATE jobs_job SET status = 'SUCCESS' WHERE id = $1`, all[0])
	require.NoError(t, err)
	for range 50 {
		_, p := f.page(t, "pipeline__slug__in=default&ids_only=1")
		require.Equal(t, int64(listJobs-1), p.Count)
		require.NotEqual(t, all[0], p.Results[0].ID)
	}
}

// limit and page_size: a page of that size (random for ids_only), PAGE_SIZE
// for page_size whatever its value; without ids_only, newest first and
// stable, so offsets walk it.
func TestListPages(t *testing.T) {
	f := startList(t)
	newest := slices.Clone(f.keys[0].Jobs)
	slices.Reverse(newest)
	tests := []struct {
		name, query string
		want        int  // jobs on the page
		random      bool // order differs between calls
		next        bool
	}{
		{"ids_only, limit above the count", "ids_only=1&limit=1000", listJobs, true, false},
		{"ids_only, limit below", "ids_only=1&limit=5", 5, true, true},
		{"ids_only, page_size is PAGE_SIZE whatever it says", "ids_only=1&page_size=2", 10, true, true},
		{"ids_only, limit=0 is PAGE_SIZE", "ids_only=1&limit=0", 10, true, true},
		{"no ids_only: PAGE_SIZE, newest first", "pipeline__slug__in=default", 10, false, true},
		{"no ids_only, limit above the count", "limit=100", listJobs, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			orders := map[string]bool{}
			for range 8 {
				code, p := f.page(t, tc.query)
				require.Equal(t, http.StatusOK, code)
				require.Equal(t, int64(listJobs), p.Count)
				require.Len(t, p.Results, tc.want)
				require.Equal(t, tc.next, p.Next != nil)
				got := ids(p)
				if !tc.random {
					require.Equal(t, newest[:tc.want], got, "Job.Meta.ordering: -created_at")
				}
				orders[strconv.Quote(string(mustJSON(t, got)))] = true
			}
			// Eight draws of one order of >= 5 jobs: (1/120)^7 when random.
			require.Equal(t, tc.random, len(orders) > 1, "orders seen: %d", len(orders))
		})
	}
	t.Run("offsets walk the normal list", func(t *testing.T) {
		var got []int64
		path := "limit=5"
		for path != "" {
			_, p := f.page(t, path)
			got = append(got, ids(p)...)
			path = ""
			if p.Next != nil {
				_, path, _ = strings.Cut(*p.Next, "?")
			}
		}
		require.Equal(t, newest, got)
	})
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// Only the ids_only list heartbeats (views.py:396-409); its slug key is the
// slugs sorted, duplicates kept (views.py:78).
func TestListHeartbeat(t *testing.T) {
	tests := []struct {
		name, query string
		code        int
		key         string // "" = no dispatch
	}{
		{"no ids_only: no heartbeat", "pipeline__slug__in=default&incomplete_only=1", 200, ""},
		{"ids_only=0: no heartbeat", "ids_only=0&pipeline__slug__in=default", 200, ""},
		{"ids_only with a limit still heartbeats", "ids_only=1&pipeline__slug__in=default&limit=100", 200,
			"heartbeat:list:pipelines:default"},
		{"bare ids_only is true", "ids_only&pipeline__slug__in=default", 200, "heartbeat:list:pipelines:default"},
		{"ids_only=maybe is true", "ids_only=maybe&pipeline__slug__in=default", 200, "heartbeat:list:pipelines:default"},
		{"duplicate slugs are one more key", "ids_only=1&pipeline__slug__in=default,default", 200,
			"heartbeat:list:pipelines:default,default"},
		{"sorted", "ids_only=1&pipeline__slug__in=zz,default,zz", 200, "heartbeat:list:pipelines:default,zz,zz"},
		{"only commas: nothing, not even the project", "ids_only=1&pipeline__slug__in=,,&project_id={project}", 200, ""},
		{"project without slugs", "ids_only=1&project_id={project}", 200, "heartbeat:list:project:{project}"},
		{"a bad filter after the heartbeat", "ids_only=1&pipeline__slug__in=default&dispatch_mode=smoke", 400,
			"heartbeat:list:pipelines:default"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := start(t, "view-gate")
			project := strconv.FormatInt(f.keys[0].ProjectID, 10)
			code, _ := f.raw(t, "GET", "/api/v2/jobs/?"+strings.ReplaceAll(tc.query, "{project}", project), "")
			require.Equal(t, tc.code, code)
			events := f.events.All()
			var keys []string
			for _, e := range events {
				if e.Kind == heartbeat.EventDispatch {
					keys = append(keys, e.Key)
				}
			}
			if tc.key == "" {
				require.Empty(t, keys)
				time.Sleep(50 * time.Millisecond)
				for i, ts := range f.lastSeen(t) {
					assert.True(t, time.Since(ts) > time.Hour, "service %d untouched", i)
				}
				return
			}
			require.Equal(t, []string{strings.ReplaceAll(tc.key, "{project}", project)}, keys)
		})
	}
	t.Run("the duplicate key is its own window", func(t *testing.T) {
		f := start(t, "view-gate")
		for _, q := range []string{"default,default", "default", "default,default", "default"} {
			code, _ := f.raw(t, "GET", "/api/v2/jobs/?ids_only=1&pipeline__slug__in="+q, "")
			require.Equal(t, http.StatusOK, code)
		}
		require.Equal(t, 1, f.events.count(heartbeat.EventDispatch, "heartbeat:list:pipelines:default,default"))
		require.Equal(t, 1, f.events.count(heartbeat.EventDispatch, "heartbeat:list:pipelines:default"))
	})
}

// /tasks refuses a job that is not async_api before asking whether it is
// active, and an active job without a pipeline after (views.py:436-455),
// with DRF's body for a ValidationError; neither heartbeats.
func TestTasksRefusals(t *testing.T) {
	tests := []struct {
		name, sql string
		code      int
		body      string
	}{
		{"not async", `UPDATE jobs_job SET dispatch_mode = 'sync_api'`, 400, `["Only async_api jobs have fetchable tasks"]`},
		{"not async and finished: the mode first", `UPDATE jobs_job SET dispatch_mode = 'internal', status = 'SUCCESS'`, 400,
			`["Only async_api jobs have fetchable tasks"]`},
		{"active without a pipeline", `UPDATE jobs_job SET pipeline_id = NULL`, 400,
			`["This job does not have a pipeline configured"]`},
		{"finished without a pipeline: empty, as any finished job", `UPDATE jobs_job SET pipeline_id = NULL, status = 'SUCCESS'`, 200,
			`{"tasks":[]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := start(t, "view-gate")
			_, err := f.env.Pool.Exec(context.Background(), tc.sql+` WHERE id = 1`)
			require.NoError(t, err)
			code, body := f.raw(t, "POST", "/api/v2/jobs/1/tasks/", `{"batch_size":2}`)
			require.Equal(t, tc.code, code)
			require.JSONEq(t, tc.body, string(body))
			require.Zero(t, f.events.count(heartbeat.EventDispatch, ""), "no heartbeat")
		})
	}
}
