package reference_test

// Points where the reference follows Antenna upstream since the PR
// (docs/design.md#the-pattern-under-test, Antenna as it runs).

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference"
	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/reference/settings"
)

// syncBuffer is a log sink safe for the workers' goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Antenna's heartbeat task runs with soft_time_limit=10, time_limit=15. A
// task stuck on a row lock another transaction holds is logged once at the
// soft limit and killed at the hard one: its UPDATE is rolled back, it is
// counted as killed and reported failed. At scale 0.01 the hard limit is
// floored at 1 s of wall (modeltime.MinTimeout) and the soft one keeps its
// two thirds of it; floored alike, the two raced, and beside two CPU hogs
// the kill came first and the soft limit was never logged.
func TestHeartbeatTaskKilledAtHardTimeLimit(t *testing.T) {
	logs := &syncBuffer{}
	scale := modeltime.Scale(0.01)
	f := start(t, "view-gate", withScale(scale), withLog(slog.New(slog.NewTextHandler(logs, nil))))
	ctx := context.Background()
	require.Equal(t, 10*time.Second, settings.Default().TaskSoftTimeLimit)
	require.Equal(t, 15*time.Second, settings.Default().TaskTimeLimit)
	hard := scale.Timeout(settings.Default().TaskTimeLimit)

	// Another transaction holds the lock of one of the key's rows.
	holder, err := f.env.Pool.Begin(ctx)
	require.NoError(t, err)
	defer holder.Rollback(ctx) //nolint:errcheck // released below
	_, err = holder.Exec(ctx, `SELECT 1 FROM ml_processingservice WHERE id = $1 FOR UPDATE`, f.keys[0].Services[1])
	require.NoError(t, err)

	began := time.Now()
	require.Equal(t, http.StatusOK, f.tasks(t, token))
	var task heartbeat.Event
	eventually(t, func() bool {
		for _, e := range f.events.All() {
			if e.Kind == heartbeat.EventTask {
				task = e
				return true
			}
		}
		return false
	}, "the task blocked on the row lock ends at the hard limit")
	took := time.Since(began)
	assert.GreaterOrEqual(t, took, hard, "not before the hard limit (%s wall)", hard)

	assert.Equal(t, heartbeat.TaskFailed, task.Result)
	assert.Zero(t, task.Rows, "nothing written")
	assert.Equal(t, f.jobKey(), task.Key)
	require.Equal(t, 1, f.events.count(heartbeat.EventDispatch, ""))
	for _, e := range f.events.All() {
		if e.Kind == heartbeat.EventDispatch {
			assert.Equal(t, e.DispatchID, task.DispatchID, "the outcome names its dispatch")
		}
	}
	assert.Equal(t, 1.0, testutil.ToFloat64(f.ref.Metrics.Task.WithLabelValues("killed")))
	assert.Zero(t, testutil.ToFloat64(f.ref.Metrics.Task.WithLabelValues("ok")))
	assert.Zero(t, testutil.ToFloat64(f.ref.Metrics.RowsUpdated))
	assert.Equal(t, 1, strings.Count(logs.String(), "soft time limit"), "logged once at the soft limit:\n%s", logs)

	// Once the lock is released nothing lands late: the UPDATE was rolled
	// back, the rows it had already touched included.
	require.NoError(t, holder.Rollback(ctx))
	time.Sleep(3 * hard)
	for i, ts := range f.lastSeen(t) {
		assert.True(t, time.Since(ts) > time.Hour, "service %d untouched, last_seen %s", i, ts)
	}
	assert.Equal(t, 1, f.events.count(heartbeat.EventTask, ""), "the killed task is not retried")
}

// A task that finishes within its limits is not affected by them.
func TestHeartbeatTaskWithinLimitsWrites(t *testing.T) {
	logs := &syncBuffer{}
	f := start(t, "view-gate", withScale(0.01), withLog(slog.New(slog.NewTextHandler(logs, nil))))
	require.Equal(t, http.StatusOK, f.tasks(t, token))
	eventually(t, func() bool { return f.events.rows() == 3 }, "3 rows written")
	assert.Zero(t, testutil.ToFloat64(f.ref.Metrics.Task.WithLabelValues("killed")))
	assert.NotContains(t, logs.String(), "time limit")
}

// Upstream's /tasks heartbeats only once the job is confirmed active, async
// and with a pipeline: an inactive job answers {"tasks": []} and marks
// nothing, and a job of another dispatch mode is refused with a 400
// (views.py:436-438; TestTasksRefusals has the bodies).
func TestTasksOfAnInactiveJobDoNotHeartbeat(t *testing.T) {
	for _, name := range contract.Strategies() {
		for _, c := range []struct{ what, sql string }{
			{"finished", `UPDATE jobs_job SET status = 'SUCCESS' WHERE id = 1`},
			{"failed", `UPDATE jobs_job SET status = 'FAILURE' WHERE id = 1`},
			{"not async", `UPDATE jobs_job SET dispatch_mode = 'sync_api' WHERE id = 1`},
		} {
			t.Run(name+"/"+c.what, func(t *testing.T) {
				f := start(t, name)
				_, err := f.env.Pool.Exec(context.Background(), c.sql)
				require.NoError(t, err)
				code, body := f.do(t, "POST", "/api/v2/jobs/1/tasks/", token, map[string]int{"batch_size": 2})
				if c.what == "not async" {
					require.Equal(t, http.StatusBadRequest, code)
				} else {
					require.Equal(t, http.StatusOK, code)
					require.Equal(t, []any{}, body["tasks"], `{"tasks": []}`)
				}
				assert.Zero(t, f.events.count(heartbeat.EventDispatch, ""), "no heartbeat")
				assert.Zero(t, testutil.ToFloat64(f.ref.Metrics.Gate.WithLabelValues("won")), "the gate not even asked")
				time.Sleep(50 * time.Millisecond)
				for i, ts := range f.lastSeen(t) {
					assert.True(t, time.Since(ts) > time.Hour, "service %d untouched", i)
				}
			})
		}
	}
}

// Upstream's /result heartbeats before it validates the body: a malformed
// post still marks the job's services seen, then answers 400. An unknown
// job is a 404 without a heartbeat: its key is unknown.
func TestResultHeartbeatsBeforeValidating(t *testing.T) {
	for _, body := range []string{`{}`, `not json`, `{"results":[{"result":{}}]}`, ``} {
		t.Run(body, func(t *testing.T) {
			f := start(t, "view-gate")
			code, answer := f.do(t, "POST", "/api/v2/jobs/1/result/", token, body)
			require.Equal(t, http.StatusBadRequest, code)
			assert.NotEmpty(t, answer["detail"])
			require.Equal(t, 1, f.events.count(heartbeat.EventDispatch, f.jobKey()), "heartbeat first")
			eventually(t, func() bool { return f.events.rows() == 3 }, "the key's 3 services marked")
		})
	}
	t.Run("unknown job", func(t *testing.T) {
		f := start(t, "view-gate")
		code, _ := f.do(t, "POST", "/api/v2/jobs/77/result/", token, `not json`)
		require.Equal(t, http.StatusNotFound, code)
		assert.Zero(t, f.events.count(heartbeat.EventDispatch, ""))
	})
}

// The slug list path is not scoped to a project upstream: it marks every
// async service of the pipelines, in every project, even with project_id.
func TestSlugListMarksEveryProject(t *testing.T) {
	fx := contract.Fixtures{Projects: 2, Pipelines: 1, ServicesPerKey: 3, JobsPerKey: 1}
	for _, name := range contract.Strategies() {
		t.Run(name, func(t *testing.T) {
			f := startWith(t, fx, name)
			require.Len(t, f.keys, 2)
			require.NotEqual(t, f.keys[0].ProjectID, f.keys[1].ProjectID)
			code, body := f.do(t, "GET", "/api/v2/jobs/?ids_only=1&pipeline__slug__in=default&project_id="+
				itoa(f.keys[0].ProjectID), token, nil)
			require.Equal(t, http.StatusOK, code)
			require.Equal(t, []any{map[string]any{"id": float64(f.keys[0].Jobs[0]), "pipeline_slug": "default"}}, body["results"],
				"the list itself is filtered by project")
			key := heartbeat.PipelinesTarget([]string{"default"}).GateKey()
			require.Equal(t, 1, f.events.count(heartbeat.EventDispatch, key), "one dispatch on %s", key)
			eventually(t, func() bool { return f.events.rows() == 6 }, "both projects' 6 services marked, not 3")
			for i, ts := range f.lastSeen(t) {
				assert.True(t, time.Since(ts) < time.Minute, "service %d marked", i)
			}
		})
	}
	t.Run("project only", func(t *testing.T) {
		f := startWith(t, fx, "view-gate")
		code, _ := f.do(t, "GET", "/api/v2/jobs/?ids_only=1&project_id="+itoa(f.keys[1].ProjectID), token, nil)
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, 1, f.events.count(heartbeat.EventDispatch, heartbeat.ProjectTarget(f.keys[1].ProjectID).GateKey()))
		eventually(t, func() bool { return f.events.rows() == 3 }, "that project's 3 services")
		seen := f.lastSeen(t)
		for i, ts := range seen {
			mine := i >= 3 // services are seeded key by key
			assert.Equal(t, mine, time.Since(ts) < time.Minute, "service %d", i)
		}
	})
}

// backlog posts n results for job 1, then polls /tasks: under the none
// strategy each request dispatches, so one heartbeat task is queued ahead of
// the results (from /result) and one behind them (from /tasks).
func backlog(t *testing.T, f *fixture, n int) {
	t.Helper()
	results := make([]map[string]any, n)
	for i := range results {
		results[i] = map[string]any{"reply_subject": itoa(int64(i)), "result": map[string]any{}}
	}
	code, _ := f.do(t, "POST", "/api/v2/jobs/1/result/", token, map[string]any{"results": results})
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, http.StatusOK, f.tasks(t, token))
	require.Equal(t, 2, f.events.count(heartbeat.EventDispatch, ""))
}

// slowResults: one task worker, 2 s (wall, at scale 1) per result.
func slowResults(queue string) option {
	return withSettings(func(s *settings.Settings) {
		s.TaskWorkers, s.ResultCost, s.HeartbeatQueue = 1, 2*time.Second, queue
	})
}

// Antenna routes result processing to queues of its own: with
// heartbeat_queue: separate (the default) the heartbeat task queued behind
// a results backlog runs at once, the results wait on their own queue, and
// Drain waits for both.
func TestSeparateQueueHeartbeatsDoNotWaitBehindResults(t *testing.T) {
	require.Equal(t, settings.QueueSeparate, settings.Default().HeartbeatQueue)
	f := start(t, "none", slowResults(settings.QueueSeparate))
	require.NotSame(t, f.ref.Broker, f.ref.Results)
	backlog(t, f, 3)
	require.Eventually(t, func() bool { return f.events.count(heartbeat.EventTask, "") == 2 }, time.Second, 10*time.Millisecond,
		"both heartbeat tasks ran while the results (6 s of work) wait")
	ctx := context.Background()
	n, err := f.ref.Broker.Depth(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "the heartbeat queue is empty")
	n, err = f.ref.Results.Depth(ctx)
	require.NoError(t, err)
	assert.Positive(t, n, "the results wait on their own queue")
	// The Redis list beside the heartbeat queue, on the same server.
	n, err = broker.NewRedisQueue(f.env.Redis, f.env.Prefix+"results:", nil).Depth(ctx)
	require.NoError(t, err)
	assert.Positive(t, n, "named %sresults:queue", f.env.Prefix)
	err = f.ref.Drain(ctx, 100*time.Millisecond)
	require.Error(t, err, "Drain waits for the results queue too")
	assert.Contains(t, err.Error(), "messages")
}

// With heartbeat_queue: shared (today's reference, not Antenna's topology)
// the same heartbeat task waits behind the results.
func TestSharedQueueHeartbeatsWaitBehindResults(t *testing.T) {
	f := start(t, "none", slowResults(settings.QueueShared))
	require.Same(t, f.ref.Broker, f.ref.Results)
	backlog(t, f, 3)
	eventually(t, func() bool { return f.events.count(heartbeat.EventTask, "") == 1 }, "the task ahead of the results runs")
	require.Never(t, func() bool { return f.events.count(heartbeat.EventTask, "") > 1 }, time.Second, 10*time.Millisecond,
		"the task behind the results waits for them")
}

// opaque hides a broker's other methods, Derive among them.
type opaque struct{ broker.Broker }

// The results queue comes from Config.ResultsBroker when given, else is
// derived beside the broker, else is a Redis list on the gate's Redis.
func TestResultsQueueSources(t *testing.T) {
	for _, c := range []struct {
		name   string
		opt    option
		prefix string
	}{
		{"derived", func(*reference.Config) {}, "results:"},
		{"fallback", func(cfg *reference.Config) { cfg.Broker = opaque{cfg.Broker} }, "results:"},
		{"given", func(cfg *reference.Config) {
			cfg.ResultsBroker = broker.NewRedisQueue(cfg.Redis, cfg.KeyPrefix+"mine:", nil)
		}, "mine:"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := start(t, "none", slowResults(settings.QueueSeparate), c.opt)
			backlog(t, f, 2)
			q := broker.NewRedisQueue(f.env.Redis, f.env.Prefix+c.prefix, nil)
			eventually(t, func() bool { n, err := q.Depth(context.Background()); return err == nil && n == 2 },
				"the results on %squeue", f.env.Prefix+c.prefix)
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
