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

// invalid answers a view that raised DRF's ValidationError(msg): 400 with
// the body DRF renders for a bare message, a JSON list of it
// (rest_framework/exceptions.py:156-159, DRF 3.14.0, wraps a string in a
// list), and the transaction rolled back.
func (s *Server) invalid(w http.ResponseWriter, v *view, msg string) {
	v.rollback = true
	writeJSON(w, http.StatusBadRequest, []string{msg})
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
	c := strategy.Call{Target: t, ServiceID: serviceFrom(ctx)}
	if v.st != nil { // a nil *Store in the interface would not read as nil
		c.DB = v.st
	}
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

// tasks is Antenna's /tasks view (ami/jobs/views.py:421-488 at 731cc2a2):
// validate the body, resolve the job, refuse a job that is not async_api
// (400), answer an inactive job with no tasks, refuse an active job without
// a pipeline (400), and heartbeat only then, in upstream's order. Only then are
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
	// views.py:436-438: only async_api jobs have tasks, asked before whether
	// the job is active.
	if job.DispatchMode != dispatchAsync {
		s.invalid(w, v, "Only async_api jobs have fetchable tasks")
		return
	}
	if !job.Active() {
		// Logged so that workers polling finished jobs show in the job's log.
		s.jobLine(ctx, v, job.ID, store.LogInfo, fmt.Sprintf("Tasks requested for non-active job (status=%s); returning empty. user=%s",
			job.Status, caller(ctx)))
		writeJSON(w, http.StatusOK, antenna.TasksResponse{Tasks: []antenna.Task{}})
		return
	}
	// views.py:453-455: an active job without a pipeline is the client's
	// fault too, and nothing is marked.
	t, ok := jobTarget(job)
	if !ok {
		s.invalid(w, v, "This job does not have a pipeline configured")
		return
	}
	if err := s.heartbeat(ctx, v, t, job.ID); err != nil {
		s.fail(w, v, err)
		return
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

// listJobs is JobViewSet.list (ami/jobs/views.py:391-410 at 731cc2a2). Only
// the worker's form, ids_only, heartbeats: by the slugs when
// pipeline__slug__in has a value (none at all when it holds only commas),
// else by project_id (views.py:396-409); the heartbeat comes before the
// queryset's parameters are validated. The answer is one page of DRF's
// LimitOffsetPagination (see pageOf): with ids_only and no limit or
// page_size, one random active job; with limit (and offset), that page, in
// random order for ids_only; without ids_only, PAGE_SIZE newest first.
// Every row is {id, pipeline_slug}, MinimalJobSerializer's shape
// (serializers.py:185-192); the full list's JobListSerializer fields and
// the pagination class's user_permissions (ami/base/pagination.py) are not
// modelled: no client reads them.
func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	q, err := DecodeList(r.URL.Query())
	if q.IDsOnly {
		var herr error
		switch {
		case q.SlugsGiven:
			if len(q.Slugs) > 0 {
				herr = s.heartbeat(ctx, v, heartbeat.PipelinesTarget(q.Slugs), 0)
			}
		case q.ProjectID != 0:
			herr = s.heartbeat(ctx, v, heartbeat.ProjectTarget(q.ProjectID), 0)
		}
		if herr != nil {
			s.fail(w, v, herr)
			return
		}
	}
	if err != nil {
		s.fail(w, v, err)
		return
	}
	filter := store.ListFilter{Slugs: q.Slugs, ProjectID: q.ProjectID, DispatchMode: q.DispatchMode}
	// The count is a cachable read; the page is one too unless its order is
	// random, which cachalot never caches (CACHALOT_CACHE_RANDOM is False by
	// default: cachalot utils.py _get_tables raises UncachableQuery).
	query := fmt.Sprintf("jobs:%q:%d:%s", q.Slugs, q.ProjectID, q.DispatchMode)
	v.read(ctx, "count:"+query, store.TableJob, store.TablePipeline)
	if q.Page.Order != store.ListRandom {
		v.read(ctx, fmt.Sprintf("page:%s:%d:%d", query, q.Page.Offset, q.Page.Limit), store.TableJob, store.TablePipeline)
	}
	page, err := s.store.ListJobPage(ctx, filter, q.Page.Order, q.Page.Offset, q.Page.Limit)
	if err != nil {
		s.fail(w, v, err)
		return
	}
	out := make([]antenna.ListedJob, len(page.Jobs))
	for i, j := range page.Jobs {
		out[i] = antenna.ListedJob(j)
	}
	next, previous := q.Page.links(r, page.Count)
	writeJSON(w, http.StatusOK, antenna.ListResponse{Count: page.Count, Next: next, Previous: previous, Results: out})
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
