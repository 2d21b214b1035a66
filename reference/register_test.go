package reference_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/reference/antenna"
	"github.com/hbharness/hbharness/reference/heartbeat"
)

// registerPath is the default seed's project's registration.
func registerPath(f *fixture) string {
	return antenna.RegisterURL("", f.keys[0].ProjectID)
}

func serviceName(t *testing.T, f *fixture, id int64) string {
	t.Helper()
	var name string
	require.NoError(t, f.env.Pool.QueryRow(context.Background(), `SELECT name FROM ml_processingservice WHERE id = $1`, id).Scan(&name))
	return name
}

// Registration (ami/ml/views.py:280-300 at 731cc2a2) marks the service it
// names seen at once, in its own view, under every strategy; bad input is
// a 4xx, never a 500.
func TestRegisterEndpoint(t *testing.T) {
	type want struct {
		code int
		// marked is the index of the seeded service marked seen; -1: none;
		// -2: a service the registration created.
		marked  int
		created []string // pipelines_created
		detail  string   // in a 4xx's detail
	}
	tests := []struct {
		name     string
		strategy string
		path     func(f *fixture) string
		tok      string
		body     func(t *testing.T, f *fixture) string
		want     want
	}{
		{name: "seeded service, its pipeline", strategy: "per-service",
			body: func(t *testing.T, f *fixture) string {
				return string(antenna.RegisterBody(serviceName(t, f, f.keys[0].Services[1]), []string{f.keys[0].Slug}))
			},
			want: want{code: http.StatusCreated, marked: 1, created: []string{}}},
		{name: "same under the view gate", strategy: "view-gate",
			body: func(t *testing.T, f *fixture) string {
				return string(antenna.RegisterBody(serviceName(t, f, f.keys[0].Services[2]), []string{f.keys[0].Slug}))
			},
			want: want{code: http.StatusCreated, marked: 2, created: []string{}}},
		{name: "new service, new pipeline", strategy: "view-gate",
			body: func(*testing.T, *fixture) string {
				return string(antenna.RegisterBody("new (host)", []string{"fresh"}))
			},
			want: want{code: http.StatusCreated, marked: -2, created: []string{"fresh"}}},
		{name: "no token", strategy: "view-gate", tok: "-",
			body: func(*testing.T, *fixture) string { return string(antenna.RegisterBody("s", nil)) },
			want: want{code: http.StatusUnauthorized, marked: -1, detail: "Invalid token"}},
		{name: "unknown project", strategy: "view-gate", path: func(*fixture) string { return antenna.RegisterURL("", 999) },
			body: func(*testing.T, *fixture) string { return string(antenna.RegisterBody("s", nil)) },
			want: want{code: http.StatusNotFound, marked: -1, detail: "Not found"}},
		{name: "project zero", strategy: "view-gate", path: func(*fixture) string { return antenna.RegisterURL("", 0) },
			body: func(*testing.T, *fixture) string { return string(antenna.RegisterBody("s", nil)) },
			want: want{code: http.StatusNotFound, marked: -1, detail: "Not found"}},
		{name: "project not a number", strategy: "view-gate", path: func(*fixture) string { return "/api/v2/projects/abc/pipelines/" },
			body: func(*testing.T, *fixture) string { return string(antenna.RegisterBody("s", nil)) },
			want: want{code: http.StatusBadRequest, marked: -1, detail: "project id must be an integer"}},
		{name: "unknown project before a bad body", strategy: "view-gate", path: func(*fixture) string { return antenna.RegisterURL("", 999) },
			body: func(*testing.T, *fixture) string { return `{` },
			want: want{code: http.StatusNotFound, marked: -1, detail: "Not found"}},
		{name: "bad body", strategy: "view-gate",
			body: func(*testing.T, *fixture) string { return `{"processing_service_name":""}` },
			want: want{code: http.StatusBadRequest, marked: -1, detail: "may not be blank"}},
		{name: "bad pipeline", strategy: "view-gate",
			body: func(*testing.T, *fixture) string {
				return `{"processing_service_name":"s","pipelines":[{"name":"p","slug":"p","version":"x"}]}`
			},
			want: want{code: http.StatusBadRequest, marked: -1, detail: "version must be an integer"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := start(t, tc.strategy)
			path := registerPath(f)
			if tc.path != nil {
				path = tc.path(f)
			}
			tok := token
			if tc.tok == "-" {
				tok = ""
			}
			var services int
			require.NoError(t, f.env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM ml_processingservice`).Scan(&services))
			code, body := f.do(t, "POST", path, tok, tc.body(t, f))
			require.Equal(t, tc.want.code, code, "answer %v", body)
			if tc.want.detail != "" {
				assert.Contains(t, body["detail"], tc.want.detail)
			}
			seen := f.lastSeen(t)
			for i, ts := range seen {
				fresh := time.Since(ts) < time.Minute
				switch {
				case tc.want.marked == -2 && i == len(seen)-1:
					assert.True(t, fresh, "the created service is marked seen")
				case i == tc.want.marked:
					assert.True(t, fresh, "the named service is marked seen")
				default:
					assert.False(t, fresh, "service %d untouched", i)
				}
			}
			if tc.want.code != http.StatusCreated {
				assert.Equal(t, services, len(seen), "no service created by a refused registration")
				assert.Zero(t, f.events.count(heartbeat.EventDispatch, ""), "no write reported")
				return
			}
			assert.Equal(t, true, body["success"])
			assert.ElementsMatch(t, tc.want.created, body["pipelines_created"])
			// One write, reported as a dispatch of a key of its own with its
			// outcome, as the audit needs to reconcile it.
			events := f.events.All()
			require.Len(t, events, 2, "a dispatch and its outcome")
			assert.Equal(t, heartbeat.EventDispatch, events[0].Kind)
			assert.True(t, strings.HasPrefix(events[0].Key, "register:service:"), "key %s", events[0].Key)
			assert.Equal(t, heartbeat.TaskWrote, events[1].Result)
			assert.Equal(t, int64(1), events[1].Rows)
			if tc.want.marked == -2 {
				var projects, pipelines int
				require.NoError(t, f.env.Pool.QueryRow(context.Background(), `SELECT
					(SELECT count(*) FROM ml_processingservice_projects pp JOIN ml_processingservice s ON s.id = pp.processingservice_id
						WHERE s.name = 'new (host)' AND pp.project_id = $1),
					(SELECT count(*) FROM ml_processingservice_pipelines sp JOIN ml_processingservice s ON s.id = sp.processingservice_id
						JOIN ml_pipeline p ON p.id = sp.pipeline_id WHERE s.name = 'new (host)' AND p.slug = 'fresh')`,
					f.keys[0].ProjectID).Scan(&projects, &pipelines))
				assert.Equal(t, 1, projects, "the created service is added to the project")
				assert.Equal(t, 1, pipelines, "the created pipeline is linked to it")
				var async bool
				require.NoError(t, f.env.Pool.QueryRow(context.Background(),
					`SELECT endpoint_url IS NULL FROM ml_processingservice WHERE name = 'new (host)'`).Scan(&async))
				assert.True(t, async, "created as an async service (endpoint_url None)")
			}
		})
	}
}

// Two registrations of one service are two writes under two keys: nothing
// throttles registration, and neither may be held to a gate's window.
func TestRegisterTwiceTwoKeys(t *testing.T) {
	f := start(t, "per-service")
	body := string(antenna.RegisterBody(serviceName(t, f, f.keys[0].Services[0]), []string{f.keys[0].Slug}))
	for range 2 {
		code, _ := f.do(t, "POST", registerPath(f), token, body)
		require.Equal(t, http.StatusCreated, code)
	}
	keys := map[string]bool{}
	for _, e := range f.events.All() {
		if e.Kind == heartbeat.EventDispatch {
			keys[e.Key] = true
		}
	}
	assert.Len(t, keys, 2)
	assert.Equal(t, int64(2), f.events.rows())
}
