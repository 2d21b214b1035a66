package reference_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/reference/strategy"
)

// Which strategies hand the heartbeat to the broker, and which collapse
// repeated polls of one key into one dispatch per window.
var (
	// per-service-sync answers these tests' shared token with main's gate
	// and task (PR #1194's fallback); its own form is perservicesync_test.go's.
	brokered = map[string]bool{"none": true, "task-throttle": true, "view-gate": true,
		"view-gate-task-check": true, "per-service": true, "per-service-sync": true, "two-tier": true}
	gated = map[string]bool{"view-gate": true, "view-gate-task-check": true, "per-service": true,
		"per-service-sync": true, "two-tier": true, "db-skip-locked": true}
)

func TestRegistryCoversDesign(t *testing.T) {
	want := []string{"db-skip-locked", "inline", "none", "per-service", "per-service-sync", "task-throttle", "two-tier", "view-gate", "view-gate-task-check"}
	require.Equal(t, want, contract.Strategies())
	_, err := strategy.New("nope", strategy.Deps{})
	require.ErrorContains(t, err, "unknown strategy \"nope\"")
}

// Port of test_tasks_endpoint_dispatches_heartbeat and
// test_result_endpoint_dispatches_heartbeat, for every strategy.
func TestEndpointsDispatchHeartbeat(t *testing.T) {
	for _, name := range contract.Strategies() {
		for _, endpoint := range []string{"tasks", "result"} {
			t.Run(name+"/"+endpoint, func(t *testing.T) {
				f := start(t, name)
				var code int
				if endpoint == "tasks" {
					code = f.tasks(t, token)
				} else {
					code, _ = f.do(t, "POST", "/api/v2/jobs/1/result/", token,
						map[string]any{"results": []map[string]any{{"reply_subject": "r1", "result": map[string]any{"ok": true}}}})
				}
				require.Equal(t, http.StatusOK, code)
				require.Equal(t, 1, f.events.count(heartbeat.EventDispatch, f.jobKey()), "one dispatch on %s", f.jobKey())
				// The task reports its write once it has committed: wait for
				// both, or a busy machine shows the rows before the report.
				eventually(t, func() bool {
					for _, ts := range f.lastSeen(t) {
						if time.Since(ts) > time.Minute {
							return false
						}
					}
					return f.events.rows() == 3
				}, "all 3 async services of the key get last_seen")
				assert.Equal(t, int64(3), f.events.rows(), "3 rows written")
				assert.Equal(t, 1.0, testutil.ToFloat64(f.ref.Metrics.Dispatch.WithLabelValues("enqueued")))
				assert.Equal(t, 3.0, testutil.ToFloat64(f.ref.Metrics.RowsUpdated))
			})
		}
	}
}

// Port of test_tasks_endpoint_tolerates_heartbeat_dispatch_failure.
func TestTasksToleratesBrokerDown(t *testing.T) {
	for _, name := range contract.Strategies() {
		if !brokered[name] {
			continue
		}
		t.Run(name, func(t *testing.T) {
			f := start(t, name, withBroker(deadBroker(t)))
			code, body := f.do(t, "POST", "/api/v2/jobs/1/tasks/", token, map[string]int{"batch_size": 3})
			require.Equal(t, http.StatusOK, code, "the heartbeat must never fail the request")
			require.Len(t, body["tasks"], 3)
			assert.Equal(t, 1.0, testutil.ToFloat64(f.ref.Metrics.Dispatch.WithLabelValues("error")))
			assert.Equal(t, 0, f.events.count(heartbeat.EventDispatch, ""))
		})
	}
}

// Port of test_view_gate_suppresses_redundant_dispatches: five rapid calls.
func TestRapidCallsCollapse(t *testing.T) {
	for _, name := range contract.Strategies() {
		t.Run(name, func(t *testing.T) {
			f := start(t, name)
			for range 5 {
				require.Equal(t, http.StatusOK, f.tasks(t, token))
			}
			want := 5
			if gated[name] {
				want = 1
			}
			require.Equal(t, want, f.events.count(heartbeat.EventDispatch, ""))
		})
	}
}

// concurrently fires n requests at once (released together) with tok(i).
func concurrently(t *testing.T, f *fixture, n int, tok func(int) string) {
	var ready, done sync.WaitGroup
	gun := make(chan struct{})
	codes := make([]int, n)
	for i := range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-gun
			codes[i] = f.tasks(t, tok(i))
		}()
	}
	ready.Wait()
	close(gun)
	done.Wait()
	for i, c := range codes {
		require.Equal(t, http.StatusOK, c, "request %d", i)
	}
}

func TestConcurrentRequestsOneDispatch(t *testing.T) {
	for _, name := range []string{"view-gate", "two-tier", "view-gate-task-check"} {
		t.Run(name, func(t *testing.T) {
			f := start(t, name)
			concurrently(t, f, 200, func(int) string { return token })
			require.Equal(t, 1, f.events.count(heartbeat.EventDispatch, ""))
		})
	}
	t.Run("per-service", func(t *testing.T) {
		f := start(t, "per-service")
		svcs := f.keys[0].Services
		concurrently(t, f, 200, func(i int) string { return fmt.Sprintf("svc-%d", svcs[i%len(svcs)]) })
		for _, id := range svcs {
			assert.Equal(t, 1, f.events.count(heartbeat.EventDispatch, heartbeat.ServiceTarget(id).GateKey()), "service %d", id)
		}
		require.Equal(t, len(svcs), f.events.count(heartbeat.EventDispatch, ""))
		eventually(t, func() bool { return f.events.rows() == int64(len(svcs)) }, "each task writes its own row only")
	})
}

func TestPerServiceMarksOnlyTheCaller(t *testing.T) {
	f := start(t, "per-service")
	svc := f.keys[0].Services[1]
	require.Equal(t, http.StatusOK, f.tasks(t, fmt.Sprintf("svc-%d", svc)))
	eventually(t, func() bool { return f.events.rows() == 1 }, "one row written")
	seen := f.lastSeen(t)
	assert.True(t, time.Since(seen[1]) < time.Minute, "caller marked")
	assert.True(t, time.Since(seen[0]) > time.Hour && time.Since(seen[2]) > time.Hour, "siblings untouched")
}

func TestDBSkipLockedWritesEachRowOncePerWindow(t *testing.T) {
	f := start(t, "db-skip-locked")
	_, err := f.env.Pool.Exec(context.Background(), `
		CREATE TABLE writes(service_id bigint);
		CREATE FUNCTION audit() RETURNS trigger AS $$ BEGIN INSERT INTO writes VALUES (NEW.id); RETURN NEW; END $$ LANGUAGE plpgsql;
		CREATE TRIGGER audit AFTER UPDATE OF last_seen ON ml_processingservice FOR EACH ROW EXECUTE FUNCTION audit();`)
	require.NoError(t, err)
	concurrently(t, f, 200, func(int) string { return token })
	var rows, distinct int
	require.NoError(t, f.env.Pool.QueryRow(context.Background(),
		`SELECT count(*), count(DISTINCT service_id) FROM writes`).Scan(&rows, &distinct))
	assert.Equal(t, 3, distinct, "every row written")
	assert.Equal(t, 3, rows, "no row written twice in one window")
}
