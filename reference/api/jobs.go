package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/hbharness/hbharness/reference/antenna"
	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/reference/settings"
	"github.com/hbharness/hbharness/reference/store"
	"github.com/hbharness/hbharness/reference/strategy"
	"github.com/hbharness/hbharness/reference/taskqueue"
)

// fail answers a view that raised, and rolls its transaction back: the
// client's fault is DRF's 4xx, never a 500 for bad input; anything else (a
// database error, a deadlock the view lost) is an exception out of the view,
// which Django answers with its bare 500 page.
func (s *Server) fail(w http.ResponseWriter, v *view, err error) {
	v.rollback = true
	switch {
	case errors.Is(err, errBadRequest):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "Not found.")
	default:
		s.log.Warn("view raised on a dependency", "err", err)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("<h1>Server Error (500)</h1>"))
	}
}

// job resolves the {id} of a job route: get_object, a cachable read of the
// job with its pipeline (JobViewSet.queryset select_related, views.py:205).
func (s *Server) job(r *http.Request, v *view) (store.Job, error) {
	id, err := parseJobID(r.PathValue("id"))
	if err != nil {
		return store.Job{}, err
	}
	v.read(r.Context(), "job:"+strconv.FormatInt(id, 10), store.TableJob, store.TablePipeline)
	return s.jobs.get(r.Context(), id)
}

// heartbeat marks services seen through the strategy, in the view's
// transaction; job is the job whose logger a failed dispatch writes to (0:
// none, the list's heartbeats).
func (s *Server) heartbeat(ctx context.Context, v *view, t heartbeat.Target, job int64) error {
	c := strategy.Call{Target: t, ServiceID: serviceFrom(ctx), DB: v.st}
	if job != 0 {
		c.JobLog = func(ctx context.Context, level, msg string) { s.jobLine(ctx, v, job, level, msg) }
	}
	return s.strategy.Heartbeat(ctx, c)
}

// jobLine is job.logger at INFO and above: a line persisted where
// settings.JobLog says, in the view's transaction. JobLogHandler swallows
// its own failure, but the failed statement has marked the transaction for
// rollback (Model.save's mark_for_rollback_on_error), so the view's other
// writes are lost with it.
func (s *Server) jobLine(ctx context.Context, v *view, job int64, level, msg string) {
	var err error
	switch s.jobLog {
	case settings.JobLogTable:
		err = v.st.LogToTable(ctx, job, level, msg)
	case settings.JobLogRow:
		err = v.st.LogToRow(ctx, job, level, msg)
	}
	if err != nil {
		v.rollback = true
		s.log.Warn("failed to save a job log line", "job", job, "err", err)
	}
}

// dispatchAsync is the dispatch mode of jobs whose tasks pull-mode services fetch.
const dispatchAsync = "async_api"

// jobTarget is the heartbeat target of a job's (pipeline, project); false
// when the job has no pipeline (Antenna's _mark_pipeline_pull_services_seen
// then marks nothing).
func jobTarget(job store.Job) (heartbeat.Target, bool) {
	if job.PipelineID == 0 {
		return heartbeat.Target{}, false
	}
	return heartbeat.JobTarget(job.PipelineID, job.ProjectID), true
}

// decodeBody reads and decodes a job view's body.
func decodeBody(r *http.Request, decode func([]byte) error) error {
	body, err := readBody(r.Body)
	if err != nil {
		return err
	}
	return decode(body)
}

// tasks is Antenna's /tasks view: validate the body, resolve the job, answer
// an inactive job with no tasks, and heartbeat only once the job is known
// to be active, async and with a pipeline, as upstream does. Only then are
// tasks reserved from the task queue (ami/jobs/views.py:457–474); a queue
// that cannot be reached answers 503 with upstream's own body, whose key is
// "error", not DRF's "detail". All of it runs in the view's transaction, so
// a row lock taken by the heartbeat is held through the reserve and the log
// lines.
func (s *Server) tasks(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	var req antenna.TasksRequest
	err := decodeBody(r, func(b []byte) (err error) { req, err = DecodeTasks(b); return err })
	var job store.Job
	if err == nil {
		job, err = s.job(r, v)
	}
	if err != nil {
		s.fail(w, v, err)
		return
	}
	if !job.Active() {
		// Logged so that workers polling finished jobs show in the job's log.
		s.jobLine(ctx, v, job.ID, store.LogInfo, fmt.Sprintf("Tasks requested for non-active job (status=%s); returning empty. user=%s",
			job.Status, caller(ctx)))
		writeJSON(w, http.StatusOK, antenna.TasksResponse{Tasks: []antenna.Task{}})
		return
	}
	if t, ok := jobTarget(job); ok && job.DispatchMode == dispatchAsync {
		if err := s.heartbeat(ctx, v, t, job.ID); err != nil {
			s.fail(w, v, err)
			return
		}
	}
	items, err := s.reserve(ctx, job.ID, req.BatchSize)
	if errors.Is(err, taskqueue.ErrUnavailable) {
		s.log.Warn("task queue unavailable while fetching tasks", "job", job.ID, "err", err)
		// views.py:470-474: logged to the job too, and answered (a Response,
		// so the transaction commits).
		s.jobLine(ctx, v, job.ID, store.LogWarning, "NATS unavailable while fetching tasks for job "+strconv.FormatInt(job.ID, 10)+": "+err.Error())
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "Task queue temporarily unavailable"})
		return
	}
	if err != nil {
		s.fail(w, v, err)
		return
	}
	if len(items) > 0 {
		// views.py:477-481: INFO when tasks went out (kept), DEBUG otherwise (not).
		s.jobLine(ctx, v, job.ID, store.LogInfo, fmt.Sprintf("Tasks fetched: requested=%d, delivered=%d, user=%s",
			req.BatchSize, len(items), caller(ctx)))
	}
	writeJSON(w, http.StatusOK, antenna.TasksResponse{Tasks: items})
}

// result is Antenna's /result view: resolve the job (404 without a
// heartbeat, as its key is unknown), heartbeat, and only then validate the
// body, as upstream does: a malformed post still marks its services seen.
func (s *Server) result(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	job, err := s.job(r, v)
	if err != nil {
		s.fail(w, v, err)
		return
	}
	if t, ok := jobTarget(job); ok {
		if err := s.heartbeat(ctx, v, t, job.ID); err != nil {
			s.fail(w, v, err)
			return
		}
	}
	var req antenna.ResultRequest
	if err := decodeBody(r, func(b []byte) (err error) { req, err = DecodeResult(b); return err }); err != nil {
		s.fail(w, v, err)
		return
	}
	acks := make([]antenna.ResultAck, 0, len(req.Results))
	for _, item := range req.Results {
		err := s.results.Enqueue(ctx, broker.Message{Type: broker.TypeResult,
			Result: &broker.Result{JobID: job.ID, ReplySubject: item.ReplySubject, Payload: item.Result}})
		if err != nil {
			// Antenna answers 503 when a result cannot be queued: unlike the
			// heartbeat, losing a result is not acceptable.
			s.metrics.Results.WithLabelValues("error").Inc()
			s.log.Warn("result enqueue failed", "job", job.ID, "err", err)
			writeJSON(w, http.StatusServiceUnavailable, antenna.ResultResponse{
				Status: "error", JobID: job.ID, ResultsQueued: len(acks),
				Detail: "could not queue results for processing; retry later",
			})
			return
		}
		s.metrics.Results.WithLabelValues("enqueued").Inc()
		acks = append(acks, antenna.ResultAck{ReplySubject: item.ReplySubject, Status: "queued"})
		// Mirrored to the job's log per result (views.py:541-544).
		s.jobLine(ctx, v, job.ID, store.LogInfo, fmt.Sprintf("Queued pipeline result: reply_subject=%s, user=%s",
			item.ReplySubject, caller(ctx)))
	}
	writeJSON(w, http.StatusOK, antenna.ResultResponse{
		Status: "accepted", JobID: job.ID, ResultsQueued: len(acks), Tasks: acks,
	})
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, v *view) {
	q, err := DecodeList(r.URL.Query())
	if err != nil {
		s.fail(w, v, err)
		return
	}
	// Idle workers only ever call this endpoint, so it carries its own
	// heartbeat: by pipeline slugs when given, else by project.
	switch {
	case len(q.Slugs) > 0:
		err = s.heartbeat(r.Context(), v, heartbeat.PipelinesTarget(q.Slugs), 0)
	case q.ProjectID != 0:
		err = s.heartbeat(r.Context(), v, heartbeat.ProjectTarget(q.ProjectID), 0)
	}
	if err != nil {
		s.fail(w, v, err)
		return
	}
	refs, err := s.store.ListActiveJobs(r.Context(), store.ListFilter{Slugs: q.Slugs, ProjectID: q.ProjectID, DispatchMode: q.DispatchMode})
	if err != nil {
		s.fail(w, v, err)
		return
	}
	out := make([]antenna.ListedJob, len(refs))
	for i, j := range refs {
		out[i] = antenna.ListedJob(j)
	}
	writeJSON(w, http.StatusOK, antenna.ListResponse{Count: len(out), Results: out})
}

// caller names the requester in job log lines, as _actor_log_context does
// (the token's owner; here the calling service when it has a token of its
// own).
func caller(ctx context.Context) string {
	if id := serviceFrom(ctx); id != 0 {
		return "service " + strconv.FormatInt(id, 10)
	}
	return "shared token"
}
