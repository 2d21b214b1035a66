package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/hbharness/hbharness/reference/antenna"
	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/reference/store"
	"github.com/hbharness/hbharness/reference/strategy"
	"github.com/hbharness/hbharness/reference/taskqueue"
)

// fail maps an error to its answer: the client's fault is a 4xx, an
// unavailable dependency a 503, never a bare 500 for bad input.
func (s *Server) fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, errBadRequest):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "Not found.")
	default:
		s.log.Warn("request failed on a dependency", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "error", "detail": err.Error()})
	}
}

// job resolves the {id} of a job route.
func (s *Server) job(r *http.Request) (store.Job, error) {
	id, err := parseJobID(r.PathValue("id"))
	if err != nil {
		return store.Job{}, err
	}
	return s.jobs.get(r.Context(), id)
}

// heartbeat marks services seen through the strategy.
func (s *Server) heartbeat(ctx context.Context, t heartbeat.Target) error {
	return s.strategy.Heartbeat(ctx, strategy.Call{Target: t, ServiceID: serviceFrom(ctx)})
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
// "error", not DRF's "detail".
func (s *Server) tasks(w http.ResponseWriter, r *http.Request) {
	var req antenna.TasksRequest
	err := decodeBody(r, func(b []byte) (err error) { req, err = DecodeTasks(b); return err })
	var job store.Job
	if err == nil {
		job, err = s.job(r)
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	if !job.Active() {
		writeJSON(w, http.StatusOK, antenna.TasksResponse{Tasks: []antenna.Task{}})
		return
	}
	if t, ok := jobTarget(job); ok && job.DispatchMode == dispatchAsync {
		if err := s.heartbeat(r.Context(), t); err != nil {
			s.fail(w, err)
			return
		}
	}
	items, err := s.reserve(r.Context(), job.ID, req.BatchSize)
	if errors.Is(err, taskqueue.ErrUnavailable) {
		s.log.Warn("task queue unavailable while fetching tasks", "job", job.ID, "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "Task queue temporarily unavailable"})
		return
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, antenna.TasksResponse{Tasks: items})
}

// result is Antenna's /result view: resolve the job (404 without a
// heartbeat, as its key is unknown), heartbeat, and only then validate the
// body, as upstream does: a malformed post still marks its services seen.
func (s *Server) result(w http.ResponseWriter, r *http.Request) {
	job, err := s.job(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	if t, ok := jobTarget(job); ok {
		if err := s.heartbeat(r.Context(), t); err != nil {
			s.fail(w, err)
			return
		}
	}
	var req antenna.ResultRequest
	if err := decodeBody(r, func(b []byte) (err error) { req, err = DecodeResult(b); return err }); err != nil {
		s.fail(w, err)
		return
	}
	acks := make([]antenna.ResultAck, 0, len(req.Results))
	for _, item := range req.Results {
		err := s.results.Enqueue(r.Context(), broker.Message{Type: broker.TypeResult,
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
	}
	writeJSON(w, http.StatusOK, antenna.ResultResponse{
		Status: "accepted", JobID: job.ID, ResultsQueued: len(acks), Tasks: acks,
	})
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) {
	q, err := DecodeList(r.URL.Query())
	if err != nil {
		s.fail(w, err)
		return
	}
	// Idle workers only ever call this endpoint, so it carries its own
	// heartbeat: by pipeline slugs when given, else by project.
	switch {
	case len(q.Slugs) > 0:
		err = s.heartbeat(r.Context(), heartbeat.PipelinesTarget(q.Slugs))
	case q.ProjectID != 0:
		err = s.heartbeat(r.Context(), heartbeat.ProjectTarget(q.ProjectID))
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	refs, err := s.store.ListActiveJobs(r.Context(), store.ListFilter{Slugs: q.Slugs, ProjectID: q.ProjectID, DispatchMode: q.DispatchMode})
	if err != nil {
		s.fail(w, err)
		return
	}
	out := make([]antenna.ListedJob, len(refs))
	for i, j := range refs {
		out[i] = antenna.ListedJob(j)
	}
	writeJSON(w, http.StatusOK, antenna.ListResponse{Count: len(out), Results: out})
}
