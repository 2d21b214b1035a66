package reference_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/reference/antenna"
	"github.com/hbharness/hbharness/reference/heartbeat"
)

// writesByService installs a trigger that counts last_seen writes per
// service row and per transaction, as the harness's audit does.
func writesByService(t *testing.T, f *fixture) func() (perService map[int64]int, txs int) {
	t.Helper()
	_, err := f.env.Pool.Exec(context.Background(), `
		CREATE TABLE writes(service_id bigint, tx bigint);
		CREATE FUNCTION audit() RETURNS trigger AS $$ BEGIN INSERT INTO writes VALUES (NEW.id, txid_current()); RETURN NEW; END $$ LANGUAGE plpgsql;
		CREATE TRIGGER audit AFTER UPDATE OF last_seen ON ml_processingservice FOR EACH ROW EXECUTE FUNCTION audit();`)
	require.NoError(t, err)
	return func() (map[int64]int, int) {
		rows, err := f.env.Pool.Query(context.Background(), `SELECT service_id, count(*) FROM writes GROUP BY 1`)
		require.NoError(t, err)
		out := map[int64]int{}
		for rows.Next() {
			var id int64
			var n int
			require.NoError(t, rows.Scan(&id, &n))
			out[id] = n
		}
		require.NoError(t, rows.Err())
		var txs int
		require.NoError(t, f.env.Pool.QueryRow(context.Background(), `SELECT count(DISTINCT tx) FROM writes`).Scan(&txs))
		return out, txs
	}
}

// per-service-sync is PR #1194: a /tasks or /result made with a service's
// own token writes that service's row once per request, in the view; the
// shared token and the jobs list keep main's gate and task.
func TestPerServiceSyncWritesOncePerIdentifiedRequest(t *testing.T) {
	const n = 4
	tests := []struct {
		name     string
		caller   int // index of the calling service; -1: the shared token
		endpoint string
		// dispatches on key(f) and the rows each service index gets.
		key        func(f *fixture, svc int64) string
		dispatches int
		rows       []int
	}{
		{name: "identified tasks", caller: 1, endpoint: "tasks",
			key:        func(_ *fixture, svc int64) string { return heartbeat.ServiceTarget(svc).GateKey() },
			dispatches: n, rows: []int{0, n, 0}},
		{name: "identified result", caller: 2, endpoint: "result",
			key:        func(_ *fixture, svc int64) string { return heartbeat.ServiceTarget(svc).GateKey() },
			dispatches: n, rows: []int{0, 0, n}},
		// main's _mark_pipeline_pull_services_seen: one gated dispatch, its
		// task marking the key's every service once.
		{name: "shared tasks", caller: -1, endpoint: "tasks",
			key:        func(f *fixture, _ int64) string { return f.jobKey() },
			dispatches: 1, rows: []int{1, 1, 1}},
		// #1194 leaves the list alone: main's gated list heartbeat, for an
		// identified caller too, marking every service of the pipeline.
		{name: "identified list", caller: 0, endpoint: "list",
			key:        func(f *fixture, _ int64) string { return heartbeat.PipelinesTarget([]string{f.keys[0].Slug}).GateKey() },
			dispatches: 1, rows: []int{1, 1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := start(t, "per-service-sync")
			writes := writesByService(t, f)
			svcs := f.keys[0].Services
			tok, svc := token, int64(0)
			if tc.caller >= 0 {
				svc = svcs[tc.caller]
				tok = antenna.ServiceToken(svc)
			}
			for range n {
				var code int
				switch tc.endpoint {
				case "tasks":
					code = f.tasks(t, tok)
				case "result":
					code, _ = f.do(t, "POST", "/api/v2/jobs/1/result/", tok,
						map[string]any{"results": []map[string]any{{"reply_subject": "r1", "result": map[string]any{"ok": true}}}})
				case "list":
					code, _ = f.do(t, "GET", antenna.ListURL("", []string{f.keys[0].Slug}, 0), tok, nil)
				}
				require.Equal(t, http.StatusOK, code)
			}
			key := tc.key(f, svc)
			assert.Equal(t, tc.dispatches, f.events.count(heartbeat.EventDispatch, key), "dispatches on %s", key)
			assert.Equal(t, tc.dispatches, f.events.count(heartbeat.EventDispatch, ""), "no dispatch on any other key")
			want := map[int64]int{}
			total := 0
			for i, r := range tc.rows {
				if r > 0 {
					want[svcs[i]] = r
				}
				total += r
			}
			eventually(t, func() bool { return f.events.rows() == int64(total) }, "%d rows reported written", total)
			got, txs := writes()
			assert.Equal(t, want, got, "rows written per service")
			assert.Equal(t, tc.dispatches, txs, "one transaction per dispatch")
		})
	}
}

// The identified write runs in the view's transaction: its row lock is held
// through the reserve, so the workers of one service take turns for the
// whole view, while workers of different services overlap. Judged on the
// reserves' own spans: whether any two were held at once. (The burst's
// total wall time was the figure once; beside two CPU hogs three
// overlapping 300 ms views took 637 ms, past a 600 ms bound.)
func TestPerServiceSyncHoldsItsRowThroughTheView(t *testing.T) {
	const n, hold = 3, 300 * time.Millisecond
	tests := []struct {
		name    string
		service func(i int) int // index of request i's service
		serial  bool
	}{
		{"one service", func(int) int { return 0 }, true},
		{"one service each", func(i int) int { return i }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			holds := &holdLog{}
			f := start(t, "per-service-sync", withSupply(slowSupply{hold: hold, n: 1, holds: holds}))
			svcs := f.keys[0].Services
			codes := make([]int, n)
			var wg sync.WaitGroup
			began := time.Now()
			for i := range n {
				wg.Go(func() { codes[i] = f.tasks(t, antenna.ServiceToken(svcs[tc.service(i)])) })
			}
			wg.Wait()
			took := time.Since(began)
			for i, c := range codes {
				require.Equal(t, http.StatusOK, c, "request %d", i)
			}
			require.Len(t, holds.spans, n, "every request reserved")
			if tc.serial {
				require.Zero(t, holds.overlapping(), "one service's reserves overlapped: the row lock was not held through the view")
				require.GreaterOrEqual(t, took, n*hold)
			} else {
				require.Positive(t, holds.overlapping(), "different services' requests took turns")
			}
		})
	}
}
