package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/provision/testenv"
	"github.com/hbharness/hbharness/reference"
	"github.com/hbharness/hbharness/reference/antenna"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/scenarios"
)

// mainList is Antenna main's worker list (ami/jobs/views.py:352-378 at
// 731cc2a2) over fixed jobs per slug: random order; one job when neither
// limit nor page_size is asked for, else a page of limit (PAGE_SIZE, 10,
// when it is not a positive integer), cut to maxLimit when set, as a target
// with a max_limit would; DRF's count and next.
type mainList struct {
	jobs     map[string][]int64
	maxLimit int
	noCount  bool // answer the whole list with no pagination fields

	mu       sync.Mutex
	requests []url.Values
}

func (m *mainList) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != antenna.Authorization("tok") {
		http.Error(w, `{"detail":"Invalid token."}`, http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	m.mu.Lock()
	m.requests = append(m.requests, maps.Clone(q))
	m.mu.Unlock()
	var all []int64
	for _, s := range strings.Split(q.Get("pipeline__slug__in"), ",") {
		all = append(all, m.jobs[s]...)
	}
	rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	type row struct {
		ID   int64  `json:"id"`
		Slug string `json:"pipeline_slug"`
	}
	if m.noCount {
		rows := []row{}
		for _, id := range all {
			rows = append(rows, row{ID: id})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"results": rows})
		return
	}
	limit, offset := 1, 0
	if q.Has("limit") || q.Has("page_size") {
		limit = 10
		if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
			limit = n
		}
	}
	if m.maxLimit > 0 {
		limit = min(limit, m.maxLimit)
	}
	if n, err := strconv.Atoi(q.Get("offset")); err == nil && n > 0 {
		offset = n
	}
	rows := []row{}
	for _, id := range all[min(offset, len(all)):min(offset+limit, len(all))] {
		rows = append(rows, row{ID: id})
	}
	var next *string
	if offset+limit < len(all) {
		q.Set("limit", strconv.Itoa(limit))
		q.Set("offset", strconv.Itoa(offset+limit))
		u := "http://testserver" + r.URL.Path + "?" + q.Encode()
		next = &u
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"count": len(all), "next": next, "previous": nil, "results": rows})
}

func (m *mainList) sent() []url.Values {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.requests)
}

func ids(from, n int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = from + int64(i)
	}
	return out
}

// Discovery finds every active job of every slug against a target that
// answers the worker's list with one random job, pages with a limit, or
// caps its pages; a slug that matches nothing is an error that names it.
func TestDiscoverJobs(t *testing.T) {
	jobs := map[string][]int64{"a": ids(1, 7), "b": ids(20, 3), "empty": nil, "also-empty": nil}
	tests := []struct {
		name     string
		list     *mainList
		slugs    []string
		want     []int64
		wantErr  string
		requests func(n int) bool
	}{
		{name: "one page holds them: one request a slug", list: &mainList{}, slugs: []string{"a", "b"},
			want: append(ids(1, 7), ids(20, 3)...), requests: func(n int) bool { return n == 2 }},
		{name: "more jobs than one page: walked, again while some are missing", list: &mainList{maxLimit: 2}, slugs: []string{"a"},
			want: ids(1, 7), requests: func(n int) bool { return n >= 4 }},
		{name: "a target that ignores limit: one random job a page", list: &mainList{maxLimit: 1}, slugs: []string{"b"},
			want: ids(20, 3), requests: func(n int) bool { return n >= 3 }},
		{name: "a target without pagination", list: &mainList{noCount: true}, slugs: []string{"a"},
			want: ids(1, 7), requests: func(n int) bool { return n == 1 }},
		{name: "a slug with no job is named", list: &mainList{}, slugs: []string{"a", "empty", "b", "also-empty"},
			wantErr: `pipeline slug "empty", "also-empty" matches no active async_api job`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.list.jobs = jobs
			srv := httptest.NewServer(tc.list)
			t.Cleanup(srv.Close)
			var logs bytes.Buffer
			got, err := discoverJobs(context.Background(), &External{Target: srv.URL, Token: "tok", Slugs: tc.slugs},
				slog.New(slog.NewTextHandler(&logs, nil)))
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			sent := tc.list.sent()
			require.True(t, tc.requests(len(sent)), "%d requests", len(sent))
			for _, q := range sent {
				require.Len(t, strings.Split(q.Get("pipeline__slug__in"), ","), 1, "one slug a request")
				require.Equal(t, "1", q.Get("ids_only"))
				require.Equal(t, "async_api", q.Get("dispatch_mode"))
				require.True(t, q.Has("limit"), "a page, never the one-job answer")
			}
			require.Equal(t, strconv.Itoa(discoverLimit), sent[0].Get("limit"), "one page larger than any count")
			for _, s := range tc.slugs {
				require.Contains(t, logs.String(), "slug="+s)
			}
		})
	}
	t.Run("count never reached", func(t *testing.T) {
		// A target whose count is more than it ever lists.
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"count":5,"next":null,"previous":null,"results":[{"id":1}]}`)
		}))
		t.Cleanup(srv.Close)
		_, err := discoverJobs(context.Background(), &External{Target: srv.URL, Token: "tok", Slugs: []string{"a"}},
			slog.New(slog.DiscardHandler))
		require.ErrorContains(t, err, `found 1 of the 5 it counts`)
	})
}

// Started against a target whose list answers one random job, an external
// run finds every job of its slugs, across projects, and its first log
// lines name them and their keys; a slug with no job fails the start as an
// environment error (exit 2), naming it.
func TestExternalStartFindsEveryJob(t *testing.T) {
	env := testenv.New(t)
	ctx := context.Background()
	keys, err := reference.Seed(ctx, env.Pool, contract.Fixtures{Projects: 2, Pipelines: 2, ServicesPerKey: 2, JobsPerKey: 3}, false)
	require.NoError(t, err)
	list := &mainList{jobs: map[string][]int64{}}
	for _, k := range keys {
		list.jobs[k.Slug] = append(list.jobs[k.Slug], k.Jobs...)
	}
	srv := httptest.NewServer(list)
	t.Cleanup(srv.Close)
	spec := &scenarios.Spec{Name: "discover", TimeScale: 1, SampleEvery: time.Second}
	start := func(slugs ...string) (Setup, string, error) {
		var logs bytes.Buffer
		tg := &external{spec: spec, ext: &External{Target: srv.URL, Token: "tok", ObserveDB: env.DSN, Observe: ObserveSampling,
			Slugs: slugs}, log: slog.New(slog.NewTextHandler(&logs, nil))}
		t.Cleanup(tg.Close)
		setup, err := tg.Start(ctx)
		return setup, logs.String(), err
	}

	setup, logs, err := start(contract.Slug(1), contract.Slug(2))
	require.NoError(t, err)
	// What the database says of each key, as discoverKeys reads it.
	shape := func(ks []contract.Key) []contract.Key {
		out := make([]contract.Key, len(ks))
		for i, k := range ks {
			out[i] = contract.Key{Index: k.Index, PipelineID: k.PipelineID, ProjectID: k.ProjectID, Slug: k.Slug, Services: k.Services, Jobs: k.Jobs}
		}
		return out
	}
	require.Equal(t, shape(keys), shape(setup.Keys), "every job of both slugs, in both projects, on its own key")
	for _, k := range keys {
		require.Contains(t, logs, "job_key="+heartbeat.JobTarget(k.PipelineID, k.ProjectID).GateKey())
		require.Contains(t, logs, fmt.Sprintf(`jobs="%v"`, k.Jobs))
	}
	require.Contains(t, logs, "jobs=12 keys=4")

	_, _, err = start(contract.Slug(2), "no-such-pipeline")
	require.True(t, errors.Is(err, ErrEnvironment), "exit 2: %v", err)
	require.ErrorContains(t, err, `"no-such-pipeline"`)
}
