// Package checker is Antenna's offline check (check_processing_services_
// online, ami/ml/tasks.py:108-134) as Antenna runs it: a celery beat entry
// (Beat) enqueues a copy every few minutes on a task queue, and whichever
// task worker takes it runs it (Task, from reference/worker): async services
// still marked live whose last_seen is older than the window are flipped to
// last_seen_live = false. A copy waits behind whatever is ahead of it in its
// queue, and one that waited past its expiry is dropped unrun.
package checker

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/heartbeat"
)

// Metrics counts the check's copies: what the beat sent and what became of
// each, and how long the ones that were taken waited in their queue.
type Metrics struct {
	// Sent counts the beat's enqueues by result: enqueued, error.
	Sent *prometheus.CounterVec
	// Copies counts the copies workers took, by outcome: ran, dropped
	// (past its expiry), failed, killed (at the hard time limit).
	Copies *prometheus.CounterVec
	// Waited is how long a copy sat in its queue before a worker took it
	// (model seconds), run or dropped.
	Waited prometheus.Histogram
	// Flipped counts the services the check marked offline; the
	// reference's heartbeat_offline_marked_total.
	Flipped prometheus.Counter
}

// NewMetrics registers the check's instruments on reg; flipped is the
// counter the reference already keeps of services marked offline.
func NewMetrics(reg prometheus.Registerer, flipped prometheus.Counter) *Metrics {
	m := &Metrics{
		Sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "offline_check_sent_total", Help: "Copies of the offline check the beat enqueued, by result (enqueued, error).",
		}, []string{"result"}),
		Copies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "offline_check_total", Help: "Copies of the offline check task workers took, by outcome (ran, dropped past its expiry, failed, killed at its hard time limit).",
		}, []string{"result"}),
		Waited: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "offline_check_queue_seconds", Help: "How long a copy of the offline check waited in its queue before a worker took it (model seconds).",
			Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 14),
		}),
		Flipped: flipped,
	}
	reg.MustRegister(m.Sent, m.Copies, m.Waited)
	return m
}

// Beat is celery beat's entry for the check (ami/ml/migrations/0018:
// crontab minute="*/5"): every Every it publishes one copy on Queue, with
// an expiry Expires after it (expires=_BEAT_TASK_EXPIRES). Beat does not
// wait for a copy to run: a queue that backs up collects them. One beat
// runs per deployment.
type Beat struct {
	Queue   broker.Broker
	Clock   modeltime.Clock
	Every   time.Duration // model
	Expires time.Duration // model
	Events  heartbeat.Sink
	Metrics *Metrics
	Replica int
	Log     *slog.Logger

	sent atomic.Int64
}

// Run fires every Every until ctx ends; the first copy goes one period
// after the start, as a crontab's first firing comes after the process
// starts, never at once.
func (b *Beat) Run(ctx context.Context) {
	t := time.NewTicker(max(time.Millisecond, b.Clock.Wall(b.Every)))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := b.Fire(ctx); err != nil && ctx.Err() == nil {
				b.Log.Warn("offline check not enqueued", "err", err)
			}
		}
	}
}

// Fire publishes one copy now.
func (b *Beat) Fire(ctx context.Context) error {
	now := b.Clock.Now()
	id := fmt.Sprintf("check-r%d-%d", b.Replica, b.sent.Add(1))
	c := broker.Check{ID: id, EnqueuedAt: now, Expires: now.Add(b.Clock.Wall(b.Expires))}
	err := b.Queue.Enqueue(ctx, broker.Message{Type: broker.TypeCheck, Check: &c})
	result, sent := heartbeat.CheckEnqueued, "enqueued"
	if err != nil {
		result, sent = heartbeat.CheckUnsent, "error"
		err = fmt.Errorf("enqueueing offline check %s: %w", id, err)
	}
	if b.Metrics != nil {
		b.Metrics.Sent.WithLabelValues(sent).Inc()
	}
	if b.Events != nil {
		b.Events.Record(heartbeat.Event{Kind: heartbeat.EventCheck, At: now, Enqueued: now, DispatchID: id,
			Result: result, Replica: b.Replica})
	}
	return err
}

// Marker flips stale services offline: the Store on Postgres, or a
// simulation's rows in memory.
type Marker interface {
	MarkStaleOffline(ctx context.Context, cutoff time.Time) ([]int64, error)
}

// Task is the check's body as a task worker runs it; the worker owns the
// queue's side (expiry, time limits, outcome).
type Task struct {
	Store Marker
	// OfflineAfter is PROCESSING_SERVICE_LAST_SEEN_MAX (model time).
	OfflineAfter time.Duration
	Scale        modeltime.Scale
	Metrics      *Metrics
}

// Expired says the worker must drop c unrun: its expiry has passed on the
// worker's own clock (now), as Celery's worker decides (Request.revoked ->
// maybe_expire, against the worker's datetime.now()).
func Expired(c broker.Check, now time.Time) bool { return !c.Expires.IsZero() && now.After(c.Expires) }

// Run runs the check with its cutoff from the worker's clock: stale_cutoff
// = datetime.datetime.now() - PROCESSING_SERVICE_LAST_SEEN_MAX
// (ami/ml/tasks.py:127), on the Celery worker that runs it. It returns the
// services it flipped.
func (t *Task) Run(ctx context.Context, now time.Time) ([]int64, error) {
	ids, err := t.Store.MarkStaleOffline(ctx, now.Add(-t.Scale.Wall(t.OfflineAfter)))
	if err == nil && t.Metrics != nil && t.Metrics.Flipped != nil {
		t.Metrics.Flipped.Add(float64(len(ids)))
	}
	return ids, err
}
