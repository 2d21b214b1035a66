package reference_test

import (
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/reference"
	"github.com/hbharness/hbharness/reference/heartbeat"
)

// NATS that cannot be reached answers /tasks with upstream's 503 and body
// (ami/jobs/views.py:469–474), after the heartbeat, which it never stops.
func TestTasksAnswers503WhenTheTaskQueueIsDown(t *testing.T) {
	f := start(t, "view-gate", func(c *reference.Config) { c.NATS = "nats://127.0.0.1:1" })
	code, body := f.do(t, "POST", "/api/v2/jobs/1/tasks/", token, map[string]int{"batch_size": 2})
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, map[string]any{"error": "Task queue temporarily unavailable"}, body)
	require.Equal(t, 1, f.events.count(heartbeat.EventDispatch, f.jobKey()), "the heartbeat went first")
	require.Equal(t, 1.0, testutil.ToFloat64(f.ref.Metrics.Reserve.WithLabelValues("unavailable")))
	// The list and /result do not touch the task queue.
	code, _ = f.do(t, "GET", "/api/v2/jobs/?ids_only=1&pipeline__slug__in=default", token, nil)
	require.Equal(t, http.StatusOK, code)
}

// Tasks that are there come back counted; a drained job answers none.
func TestTasksCountsReservations(t *testing.T) {
	f := start(t, "view-gate")
	code, body := f.do(t, "POST", "/api/v2/jobs/1/tasks/", token, map[string]int{"batch_size": 3})
	require.Equal(t, http.StatusOK, code)
	require.Len(t, body["tasks"], 3)
	require.Equal(t, 1.0, testutil.ToFloat64(f.ref.Metrics.Reserve.WithLabelValues("tasks")))
	code, body = f.do(t, "POST", "/api/v2/jobs/2/tasks/", token, map[string]int{"batch_size": 3})
	require.Equal(t, http.StatusNotFound, code, "no such job: %v", body)
}
