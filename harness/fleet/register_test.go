package fleet

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/antenna"
)

// registrar is a target that answers registrations with a set status and
// body and serves endless tasks and an empty list, recording, per token,
// the order of what it was sent and every registration body.
type registrar struct {
	code int
	body string

	mu     sync.Mutex
	order  map[string][]string
	bodies []antenna.RegisterRequest
	paths  []string
}

func newRegistrar(t *testing.T, code int, body string) (*registrar, *httptest.Server) {
	r := &registrar{code: code, body: body, order: map[string][]string{}}
	note := func(req *http.Request, endpoint string) {
		tok, _ := strings.CutPrefix(req.Header.Get("Authorization"), "Token ")
		r.mu.Lock()
		r.order[tok] = append(r.order[tok], endpoint)
		r.mu.Unlock()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/projects/{id}/pipelines/", func(w http.ResponseWriter, req *http.Request) {
		note(req, antenna.EndpointRegister)
		raw, _ := io.ReadAll(req.Body)
		var body antenna.RegisterRequest
		require.NoError(t, json.Unmarshal(raw, &body))
		r.mu.Lock()
		r.bodies = append(r.bodies, body)
		r.paths = append(r.paths, req.URL.Path)
		r.mu.Unlock()
		w.WriteHeader(r.code)
		_, _ = w.Write([]byte(r.body))
	})
	mux.HandleFunc("GET /api/v2/jobs", func(w http.ResponseWriter, req *http.Request) {
		note(req, antenna.EndpointList)
		_, _ = w.Write([]byte(`{"count":0,"results":[]}`))
	})
	mux.HandleFunc("POST /api/v2/jobs/{id}/tasks/", func(w http.ResponseWriter, req *http.Request) {
		note(req, antenna.EndpointTasks)
		_, _ = w.Write([]byte(`{"tasks":[{"id":"t","image_id":1,"image_url":"u","reply_subject":"s"}]}`))
	})
	mux.HandleFunc("POST /api/v2/jobs/{id}/result/", func(w http.ResponseWriter, req *http.Request) {
		note(req, antenna.EndpointResult)
		_, _ = w.Write([]byte(`{"status":"accepted","job_id":1,"results_queued":1}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return r, srv
}

// A worker that registers sends its registration once, first, and then
// polls as it would have; a registration that fails is counted as a failed
// request of its own endpoint and the worker carries on.
func TestWorkerRegistersThenPolls(t *testing.T) {
	const every, stop = 20 * time.Second, 60 * time.Second
	tests := []struct {
		name      string
		behaviour string
		register  bool
		code      int
		body      string
		// what the first poll after the registration is
		first string
		// the registrations' outcome: ok, 5xx or malformed
		ok, failed5xx, malformed uint64
	}{
		{name: "active", behaviour: Active, register: true, code: http.StatusCreated, body: `{"success":true}`,
			first: antenna.EndpointTasks, ok: 3},
		{name: "idle", behaviour: Idle, register: true, code: http.StatusCreated, body: `{}`,
			first: antenna.EndpointList, ok: 3},
		{name: "adc", behaviour: ADC, register: true, code: http.StatusCreated, body: `{"pipelines_created":[]}`,
			first: antenna.EndpointList, ok: 3},
		{name: "refused, the worker carries on", behaviour: Active, register: true, code: http.StatusInternalServerError,
			body: `<h1>Server Error (500)</h1>`, first: antenna.EndpointTasks, failed5xx: 3},
		{name: "not a JSON object, the worker carries on", behaviour: Active, register: true, code: http.StatusCreated,
			body: `null`, first: antenna.EndpointTasks, malformed: 3},
		{name: "no registration", behaviour: Active, first: antenna.EndpointTasks},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg, srv := newRegistrar(t, tc.code, tc.body)
			workers := spread(3, tc.behaviour, 1, every, stop)
			for i := range workers {
				if tc.register {
					workers[i].Register = &Registration{ProjectID: 7, ServiceName: fmt.Sprintf("svc %d (host)", i), Slugs: []string{"a", "b"}}
				}
			}
			rep := runFleet(t, Config{Target: srv.URL, Workers: workers})

			reg.mu.Lock()
			defer reg.mu.Unlock()
			for i, w := range workers {
				order := reg.order[w.Token]
				if !tc.register {
					require.NotContains(t, order, antenna.EndpointRegister, "worker %d", w.ID)
					require.Equal(t, tc.first, order[0])
					continue
				}
				require.GreaterOrEqual(t, len(order), 2, "worker %d registered and polled: %v", w.ID, order)
				require.Equal(t, antenna.EndpointRegister, order[0], "worker %d registers first", w.ID)
				require.Equal(t, tc.first, order[1], "worker %d then polls as before", w.ID)
				require.NotContains(t, order[1:], antenna.EndpointRegister, "worker %d registers once", w.ID)
				require.Equal(t, len(order)-1, rep.Workers[i].Polls, "worker %d: every answered poll, and the registration is not one", w.ID)
			}
			stats, shown := rep.PerEndpoint[antenna.EndpointRegister]
			if !tc.register {
				require.False(t, shown, "a fleet that does not register shows no registrations")
				return
			}
			require.True(t, shown)
			require.Equal(t, uint64(len(workers)), stats.Total)
			require.Equal(t, tc.ok, stats.OK)
			require.Equal(t, tc.failed5xx, stats.Status5xx)
			require.Equal(t, tc.malformed, stats.Malformed)
			require.Len(t, reg.bodies, len(workers))
			for _, b := range reg.bodies {
				require.True(t, strings.HasPrefix(b.ProcessingServiceName, "svc "), "named %q", b.ProcessingServiceName)
				require.Len(t, b.Pipelines, 2)
				require.Equal(t, "a", b.Pipelines[0].Slug)
				require.Equal(t, 1, b.Pipelines[0].Version)
			}
			for _, p := range reg.paths {
				require.Equal(t, "/api/v2/projects/7/pipelines/", p)
			}
		})
	}
}

func TestRegistrationValidation(t *testing.T) {
	base := spread(1, Active, 1, 20*time.Second, 60*time.Second)[0]
	tests := []struct {
		name string
		reg  Registration
		err  string
	}{
		{"no project", Registration{ServiceName: "s"}, "project id 0"},
		{"no name", Registration{ProjectID: 1}, "no service name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := base
			w.Register = &tc.reg
			_, err := Run(t.Context(), Config{Target: "http://127.0.0.1:1", Workers: []Worker{w}, Run: modeltime.Run{Scale: testScale}})
			require.ErrorContains(t, err, tc.err)
		})
	}
}
