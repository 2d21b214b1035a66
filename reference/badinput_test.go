package reference_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/reference/contract"
)

func TestBadInput(t *testing.T) {
	f := start(t, "view-gate")
	big := `{"batch_size": 1, "pad": "` + strings.Repeat("x", 2<<20) + `"}`
	cases := []struct {
		name, method, path, token string
		body                      any
		code                      int
	}{
		{"no token", "POST", "/api/v2/jobs/1/tasks/", "", map[string]int{"batch_size": 1}, 401},
		{"wrong token", "POST", "/api/v2/jobs/1/tasks/", "nope", map[string]int{"batch_size": 1}, 401},
		{"unknown service token", "POST", "/api/v2/jobs/1/tasks/", "svc-999999", map[string]int{"batch_size": 1}, 401},
		{"malformed service token", "POST", "/api/v2/jobs/1/tasks/", "svc-x", map[string]int{"batch_size": 1}, 401},
		{"list without token", "GET", "/api/v2/jobs/?ids_only=1", "", nil, 401},
		{"unknown job", "POST", "/api/v2/jobs/999/tasks/", token, map[string]int{"batch_size": 1}, 404},
		{"job id not a number", "POST", "/api/v2/jobs/abc/tasks/", token, map[string]int{"batch_size": 1}, 400},
		{"job id zero", "POST", "/api/v2/jobs/0/tasks/", token, map[string]int{"batch_size": 1}, 400},
		{"job id overflow", "POST", "/api/v2/jobs/99999999999999999999/tasks/", token, map[string]int{"batch_size": 1}, 400},
		{"empty body", "POST", "/api/v2/jobs/1/tasks/", token, "", 400},
		{"not json", "POST", "/api/v2/jobs/1/tasks/", token, "batch_size=3", 400},
		{"json array", "POST", "/api/v2/jobs/1/tasks/", token, "[1]", 400},
		{"missing batch_size", "POST", "/api/v2/jobs/1/tasks/", token, "{}", 400},
		{"batch_size zero", "POST", "/api/v2/jobs/1/tasks/", token, map[string]int{"batch_size": 0}, 400},
		{"batch_size negative", "POST", "/api/v2/jobs/1/tasks/", token, map[string]int{"batch_size": -4}, 400},
		{"batch_size string", "POST", "/api/v2/jobs/1/tasks/", token, `{"batch_size":"8"}`, 400},
		{"batch_size float", "POST", "/api/v2/jobs/1/tasks/", token, `{"batch_size":1.5}`, 400},
		{"batch_size huge", "POST", "/api/v2/jobs/1/tasks/", token, `{"batch_size":1e12}`, 400},
		{"trailing garbage", "POST", "/api/v2/jobs/1/tasks/", token, `{"batch_size":1} x`, 400},
		{"body too large", "POST", "/api/v2/jobs/1/tasks/", token, big, 400},
		{"result without results", "POST", "/api/v2/jobs/1/result/", token, `{}`, 400},
		{"results not a list", "POST", "/api/v2/jobs/1/result/", token, `{"results":{}}`, 400},
		{"result without reply_subject", "POST", "/api/v2/jobs/1/result/", token, `{"results":[{"result":{}}]}`, 400},
		{"result without result", "POST", "/api/v2/jobs/1/result/", token, `{"results":[{"reply_subject":"a"}]}`, 400},
		{"result unknown job", "POST", "/api/v2/jobs/77/result/", token, `{"results":[]}`, 404},
		{"list bad project", "GET", "/api/v2/jobs/?project_id=x", token, nil, 400},
		{"list negative project", "GET", "/api/v2/jobs/?project_id=-1", token, nil, 400},
		{"list bad dispatch_mode", "GET", "/api/v2/jobs/?dispatch_mode=smoke", token, nil, 400},
		{"unknown path", "GET", "/api/v3/", token, nil, 404},
		{"tasks by GET", "GET", "/api/v2/jobs/1/tasks/", token, nil, 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := f.do(t, c.method, c.path, c.token, c.body)
			require.Equal(t, c.code, code)
			assert.NotEmpty(t, body["detail"], "a JSON error with a detail")
		})
	}
}

func TestWireShapes(t *testing.T) {
	f := start(t, "view-gate")
	code, body := f.do(t, "GET", "/api/v2/jobs?pipeline__slug__in=default&ids_only=1&incomplete_only=1&dispatch_mode=async_api", token, nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, []any{map[string]any{"id": 1.0, "pipeline_slug": "default"}}, body["results"])
	code, body = f.do(t, "GET", "/api/v2/jobs/?ids_only=1&pipeline__slug__in=other", token, nil)
	require.Equal(t, http.StatusOK, code)
	require.Empty(t, body["results"])

	code, body = f.do(t, "POST", "/api/v2/jobs/1/tasks", token, map[string]int{"batch_size": 2})
	require.Equal(t, http.StatusOK, code, "no trailing slash is served too")
	tasks := body["tasks"].([]any)
	require.Len(t, tasks, 2)
	for _, k := range []string{"id", "image_id", "image_url", "reply_subject"} {
		require.Contains(t, tasks[0], k)
	}
	code, body = f.do(t, "POST", "/api/v2/jobs/1/result/", token, map[string]any{"results": []map[string]any{
		{"reply_subject": tasks[0].(map[string]any)["reply_subject"], "result": map[string]any{"detections": []any{}}}}})
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "accepted", body["status"])
	require.Equal(t, 1.0, body["job_id"])
	require.Equal(t, 1.0, body["results_queued"])
	require.Contains(t, body, "tasks")

	code, _ = f.do(t, "GET", "/metrics", "", nil)
	require.Equal(t, http.StatusOK, code)
}

func TestResultAnswers503WhenBrokerDown(t *testing.T) {
	f := start(t, "view-gate", withBroker(deadBroker(t)))
	code, body := f.do(t, "POST", "/api/v2/jobs/1/result/", token, `{"results":[{"reply_subject":"a","result":{}}]}`)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "error", body["status"])
}

// A finite job hands out its tasks, then none; it completes (and leaves the
// list, its task queue removed) only once every task's result is processed,
// counted by the stream sequence in the reply subject: made-up subjects and
// a task processed twice count for nothing.
func TestFiniteJobCompletesWhenEveryResultIsProcessed(t *testing.T) {
	fixtures := contract.DefaultFixtures()
	fixtures.TasksPerJob = 5
	f := startWith(t, fixtures, "view-gate", withScale(0.1))
	subjects := func(body map[string]any) []string {
		var out []string
		for _, task := range body["tasks"].([]any) {
			out = append(out, task.(map[string]any)["reply_subject"].(string))
		}
		return out
	}
	_, body := f.do(t, "POST", "/api/v2/jobs/1/tasks/", token, map[string]int{"batch_size": 4})
	first := subjects(body)
	require.Len(t, first, 4)
	_, body = f.do(t, "POST", "/api/v2/jobs/1/tasks/", token, map[string]int{"batch_size": 4})
	last := subjects(body)
	require.Len(t, last, 1, "only what is left")
	_, body = f.do(t, "POST", "/api/v2/jobs/1/tasks/", token, map[string]int{"batch_size": 4})
	require.Empty(t, body["tasks"])

	listed := func() int {
		_, body := f.do(t, "GET", "/api/v2/jobs/?ids_only=1&pipeline__slug__in=default", token, nil)
		return len(body["results"].([]any))
	}
	post := func(subjects ...string) {
		items := make([]map[string]any, len(subjects))
		for i, s := range subjects {
			items[i] = map[string]any{"reply_subject": s, "result": map[string]any{}}
		}
		code, _ := f.do(t, "POST", "/api/v2/jobs/1/result/", token, map[string]any{"results": items})
		require.Equal(t, http.StatusOK, code)
	}
	// Every task but one, one of them twice, and subjects that name no task.
	post(append(first, first[0], "attack-1", "$JS.ACK.other:job_1.c.1.5.5.1.0")...)
	acked := func() float64 { return testutil.ToFloat64(f.ref.Metrics.Acks.WithLabelValues("ok")) }
	eventually(t, func() bool { return acked() == 7 }, "every result acknowledged, got %v", acked())
	require.Equal(t, 1, listed(), "a task is still unprocessed")
	require.Zero(t, testutil.ToFloat64(f.ref.Metrics.JobsDone))

	post(last...)
	eventually(t, func() bool { return listed() == 0 }, "a completed job leaves the list")
	require.Equal(t, 1.0, testutil.ToFloat64(f.ref.Metrics.JobsDone))
	var status string
	require.NoError(t, f.env.Pool.QueryRow(t.Context(), `SELECT status FROM jobs_job WHERE id = 1`).Scan(&status))
	require.Equal(t, "SUCCESS", status)
	// The stream goes after the job leaves the list (cleanup follows the
	// status): beside two CPU hogs it was still there when first asked.
	eventually(t, func() bool { return !streamExists(t, f.env, f.env.Prefix+"job_1") }, "the completed job's stream is removed")
}
