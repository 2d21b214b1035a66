package reference

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/metrics"
	"github.com/hbharness/hbharness/reference/progress"
	"github.com/hbharness/hbharness/reference/store"
	"github.com/hbharness/hbharness/reference/taskqueue"
)

// resultFinisher is what Antenna's process_nats_pipeline_result does once
// a result is saved (ami/jobs/tasks.py:347–404): the task is counted done
// (the SREM of its image id), the job completes when it was the last one
// (_update_job_progress: status SUCCESS, then cleanup_async_job_resources
// deletes the consumer and the stream), and only then is the task
// acknowledged by its reply subject. A failure before the ack leaves the
// task unacknowledged, for NATS to hand out again after the ack wait.
type resultFinisher struct {
	queue    *taskqueue.Queue
	acker    *taskqueue.Acker
	progress progress.Tracker
	store    *store.Store
	// forget drops a completed job from this replica's job cache; other
	// replicas' entries run out within job_cache_ttl.
	forget  func(job int64)
	metrics *metrics.Metrics
	log     *slog.Logger
	// untracked holds the jobs known to have no progress to count
	// (unlimited, or complete), to spare Redis a round trip per result.
	untracked sync.Map
}

func (f *resultFinisher) Finish(ctx context.Context, r broker.Result) error {
	if err := f.count(ctx, r); err != nil {
		return err
	}
	if err := f.acker.Ack(ctx, r.ReplySubject); err != nil {
		f.metrics.Acks.WithLabelValues("error").Inc()
		return err
	}
	f.metrics.Acks.WithLabelValues("ok").Inc()
	return nil
}

// count records the result's task processed, by the stream sequence in its
// reply subject: one that names no task of the job's stream (a made-up
// subject) counts for nothing.
func (f *resultFinisher) count(ctx context.Context, r broker.Result) error {
	ack, ok := taskqueue.ParseAck(r.ReplySubject)
	if !ok || ack.Stream != f.queue.Names().Stream(r.JobID) {
		return nil
	}
	if _, known := f.untracked.Load(r.JobID); known {
		return nil
	}
	outcome, err := f.progress.Processed(ctx, r.JobID, ack.Seq)
	if err != nil {
		return err
	}
	switch outcome {
	case progress.Untracked:
		f.untracked.Store(r.JobID, true)
	case progress.Complete:
		if err := f.complete(ctx, r.JobID, ack.Seq); err != nil {
			return err
		}
	}
	return nil
}

// complete marks the job SUCCESS and removes its queue. Should the status
// not be written, the task is given back to the job's progress, so that
// its redelivery completes the job, as upstream's replay does.
func (f *resultFinisher) complete(ctx context.Context, job int64, seq uint64) error {
	if err := f.store.FinishJob(ctx, job); err != nil {
		if uerr := f.progress.Undo(ctx, job, seq); uerr != nil {
			err = errors.Join(err, uerr)
		}
		return fmt.Errorf("completing job %d: %w", job, err)
	}
	f.untracked.Store(job, true)
	f.forget(job)
	f.metrics.JobsDone.Inc()
	f.log.Info("job completed: its last task was processed", "job", job)
	// Cleanup failures are logged, never fail the job (cleanup_async_job_
	// resources, ami/ml/orchestration/jobs.py:23–31).
	if err := f.acker.Finish(ctx, job); err != nil {
		f.log.Warn("could not remove a completed job's task queue", "job", job, "err", err)
	}
	return nil
}
