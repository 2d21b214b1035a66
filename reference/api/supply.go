package api

import (
	"context"
	"errors"
	"time"

	"github.com/hbharness/hbharness/reference/antenna"
	"github.com/hbharness/hbharness/reference/taskqueue"
)

// Supply reserves a job's tasks: Antenna's TaskQueueManager.reserve_tasks
// (taskqueue.Queue). An error wrapping taskqueue.ErrUnavailable means the
// queue could not be reached: /tasks answers 503.
type Supply interface {
	Reserve(ctx context.Context, job int64, n int) ([]antenna.Task, error)
}

// reserve reserves tasks and counts the outcome in /metrics.
func (s *Server) reserve(ctx context.Context, job int64, n int) ([]antenna.Task, error) {
	start := time.Now()
	tasks, err := s.supply.Reserve(ctx, job, n)
	s.metrics.ReserveLatency.Observe(time.Since(start).Seconds())
	result := "tasks"
	switch {
	case errors.Is(err, taskqueue.ErrUnavailable):
		result = "unavailable"
	case err != nil:
		result = "error"
	case len(tasks) == 0:
		result, tasks = "empty", []antenna.Task{}
	}
	s.metrics.Reserve.WithLabelValues(result).Inc()
	return tasks, err
}
