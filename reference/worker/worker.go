// Package worker is the Celery side of the reference: a pool of consumers
// that run heartbeat tasks (one UPDATE, no retries), process results, and
// run the copies of the offline check that the beat sends to their queue.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/cachalot"
	"github.com/hbharness/hbharness/reference/checker"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/reference/metrics"
	"github.com/hbharness/hbharness/reference/store"
)

// Pool runs Size consumers on one broker.
type Pool struct {
	Broker broker.Broker
	Store  store.Writer
	// Cache is cachalot (nil: off): the task's ORM read and its write's
	// invalidation are Redis round trips before the UPDATE.
	Cache    *cachalot.Cache
	Clock    modeltime.Clock
	Throttle time.Duration // model; the freshness window of checking tasks
	Metrics  *metrics.Metrics
	Events   heartbeat.Sink
	Size     int
	// ResultCost is the model time one result takes to process.
	ResultCost time.Duration
	Replica    int
	Log        *slog.Logger
	// Name distinguishes this pool's consumers from other processes'.
	Name string
	// SoftLimit and HardLimit are the heartbeat task's time limits (model
	// time; Antenna's soft_time_limit=10, time_limit=15). Past the soft
	// limit the task is logged, once; past the hard limit it is killed: its
	// context is cancelled, which aborts the UPDATE (Postgres rolls it back),
	// and it is counted as killed. A task blocked in a database call does
	// not see Celery's soft-limit exception until the call returns, so the
	// hard limit is what ends it there. 0 means no limit.
	SoftLimit time.Duration
	HardLimit time.Duration
	// Finisher, when set, completes each processed result: counts its task
	// done, completes its job after the last one, acknowledges the task.
	Finisher Finisher
	// Check runs the copies of the offline check that reach this pool's
	// queue (see check.go); nil on a queue the beat never sends to.
	Check *checker.Task

	// What a fault can do to the workers (see Stall, Crash, Skew): the zero
	// values are a healthy pool.
	stall   atomic.Pointer[chan struct{}]   // non-nil while stalled; closed to release
	armed   atomic.Bool                     // the next heartbeat task dies after its write
	crashed atomic.Pointer[<-chan struct{}] // set by the crash: what its consumer waits on
	skew    atomic.Int64                    // added to the workers' clock (wall ns)
	restore restoreSignal
}

// Finisher completes a result once it is processed: the end of Antenna's
// process_nats_pipeline_result (ami/jobs/tasks.py:347–404). An error leaves
// the task unacknowledged, for NATS to hand out again after its ack wait.
type Finisher interface {
	Finish(ctx context.Context, r broker.Result) error
}

// restoreSignal wakes the consumers a crash killed.
type restoreSignal struct {
	mu sync.Mutex
	ch chan struct{}
}

func (r *restoreSignal) wait() <-chan struct{} { return r.current() }

func (r *restoreSignal) current() chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ch == nil {
		r.ch = make(chan struct{})
	}
	return r.ch
}

func (r *restoreSignal) fire() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ch != nil {
		close(r.ch)
		r.ch = nil
	}
}

// Stall makes the workers stop taking tasks (each holds the one it has, if
// any, unprocessed) until Stall(false): the queue backs up behind them.
func (p *Pool) Stall(stalled bool) {
	if stalled {
		ch := make(chan struct{})
		if p.stall.CompareAndSwap(nil, &ch) {
			return
		}
		return // already stalled
	}
	if old := p.stall.Swap(nil); old != nil {
		close(*old)
	}
}

// Crash arms a crash: the next heartbeat task a worker runs writes, then
// its worker dies before acknowledging it or reporting it, and stays dead
// until Restore. The broker then redelivers or loses the task by its own
// semantics.
func (p *Pool) Crash() { p.armed.Store(true) }

// Restore disarms a crash not yet happened and brings crashed workers back:
// each reconnects under its own name, so the Redis list hands its unfinished
// message back to it.
func (p *Pool) Restore() {
	p.armed.Store(false)
	p.restore.fire()
}

// Skew sets the workers' clock off by d (wall time; 0 sets it right): they
// write last_seen from it.
func (p *Pool) Skew(d time.Duration) { p.skew.Store(int64(d)) }

func (p *Pool) now() time.Time { return p.Clock.Now().Add(time.Duration(p.skew.Load())) }

// limits converts a task's soft and hard time limits (model) to wall time.
// Each is floored at modeltime.MinTimeout; when the floor lifts the hard
// one, the soft one keeps its share of it, so that it still fires first
// (10 s and 15 s at 0.01 would both be 1 s, and race).
func limits(scale modeltime.Scale, soft, hard time.Duration) (softWall, hardWall time.Duration) {
	softWall, hardWall = scale.Timeout(soft), scale.Timeout(hard)
	if soft > 0 && hard > soft && softWall >= hardWall {
		softWall = time.Duration(float64(hardWall) * float64(soft) / float64(hard))
	}
	return softWall, hardWall
}

// errTimeLimit is the cause of a heartbeat task's context ended by the hard limit.
var errTimeLimit = errors.New("heartbeat task killed at its hard time limit")

// Run blocks until ctx ends and every consumer has stopped.
func (p *Pool) Run(ctx context.Context) {
	name := p.Name
	if name == "" {
		host, _ := os.Hostname()
		name = fmt.Sprintf("%s-%d-r%d", host, os.Getpid(), p.Replica)
	}
	var wg sync.WaitGroup
	for i := 0; i < max(1, p.Size); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_ = p.Broker.Consume(ctx, fmt.Sprintf("%s-%d", name, i), p.Handle)
				// Consume returned: the run is over, or this consumer
				// crashed. A crashed one waits for Restore, then comes back
				// under the same name, so the queue gives it back what it
				// held when it died.
				restored := p.crashed.Swap(nil)
				if restored == nil || ctx.Err() != nil {
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-*restored:
				}
			}
		}()
	}
	wg.Wait()
}

// Handle runs one message. last_seen comes from the worker's clock at the
// time the task runs, as in Antenna, so queue delay shows up as staleness.
func (p *Pool) Handle(ctx context.Context, m broker.Message) error {
	if stalled := p.stall.Load(); stalled != nil {
		select {
		case <-*stalled:
		case <-ctx.Done():
			// Shut down holding it: unacknowledged, still in the queue.
			return broker.ErrCrashed
		}
	}
	switch m.Type {
	case broker.TypeHeartbeat:
		if m.Heartbeat == nil {
			return fmt.Errorf("heartbeat message without a task")
		}
		return p.heartbeat(ctx, *m.Heartbeat)
	case broker.TypeResult:
		// Result processing is outside the heartbeat's concern, but it takes
		// the same workers' time: heartbeat tasks queue behind it.
		if p.ResultCost > 0 {
			if err := p.Clock.Sleep(ctx, p.ResultCost); err != nil {
				return err
			}
		}
		if p.Finisher != nil && m.Result != nil {
			if err := p.Finisher.Finish(ctx, *m.Result); err != nil {
				return err
			}
		}
		p.Metrics.Results.WithLabelValues("processed").Inc()
		return nil
	case broker.TypeCheck:
		if m.Check == nil {
			return fmt.Errorf("check message without its copy")
		}
		return p.check(ctx, *m.Check)
	}
	return fmt.Errorf("message of unknown type %q", m.Type)
}

// heartbeat runs one task and reports its outcome. The write is tagged with
// the task's dispatch, so the audit can tell which dispatch wrote it.
func (p *Pool) heartbeat(ctx context.Context, t heartbeat.Task) error {
	now := p.now()
	key := t.Target.GateKey()
	tag := store.Tag{DispatchID: t.DispatchID, Key: key}
	tctx := ctx
	softWall, hardWall := limits(p.Clock.Scale, p.SoftLimit, p.HardLimit)
	if p.HardLimit > 0 {
		var cancel context.CancelFunc
		tctx, cancel = context.WithTimeoutCause(ctx, hardWall, errTimeLimit)
		defer cancel()
	}
	if p.SoftLimit > 0 {
		soft := time.AfterFunc(softWall, func() {
			p.logger().Warn("heartbeat task exceeded its soft time limit", "key", key, "dispatch", t.DispatchID,
				"soft_time_limit", p.SoftLimit, "time_limit", p.HardLimit)
		})
		defer soft.Stop()
	}
	// What django-cachalot adds ahead of the UPDATE, in Redis: the job
	// task's Job.objects.select_related("pipeline").get() is a cachable read
	// (ami/jobs/tasks.py:67), and QuerySet.update() outside a transaction
	// invalidates its table before the SQL runs. Errors are misses; a Redis
	// that does not answer holds the task until its hard time limit ends it.
	if t.Target.Kind == heartbeat.KindJob {
		p.Cache.Read(tctx, fmt.Sprintf("job:%d", t.Target.PipelineID), store.TableJob, store.TablePipeline)
	}
	p.Cache.Invalidate(tctx, store.TableService)
	// In a transaction of its own, so that a kill rolls the write back even
	// while it waits on a row lock (see store.Atomically).
	var rows int64
	start := time.Now()
	err := p.Store.Atomically(tctx, func(st store.Heartbeats) (err error) {
		if t.Check {
			rows, err = st.MarkSeenIfStale(tctx, t.Target, now, p.Clock.Wall(p.Throttle), tag)
		} else {
			rows, err = st.MarkSeen(tctx, t.Target, now, tag)
		}
		return err
	})
	p.Metrics.HeartbeatUpdate.WithLabelValues("task").Observe(time.Since(start).Seconds())
	if store.IsDeadlock(err) {
		p.Metrics.DeadlockErrors.Inc()
	}
	// Killed: the hard limit ended the statement (not the worker shutting
	// down, and not a statement that had already committed at the deadline).
	killed := err != nil && ctx.Err() == nil && errors.Is(context.Cause(tctx), errTimeLimit)
	result := heartbeat.TaskWrote
	switch {
	case killed:
		// Whatever the statement had written is rolled back with it.
		rows = 0
		err = fmt.Errorf("%w (%s model time) on %s, dispatch %s: %w", errTimeLimit, p.HardLimit, key, t.DispatchID, err)
		p.Metrics.Task.WithLabelValues("killed").Inc()
		result = heartbeat.TaskFailed // the consumer logs the error
	case err != nil:
		rows = 0 // nothing committed
		p.Metrics.Task.WithLabelValues("error").Inc()
		result = heartbeat.TaskFailed
	case rows == 0:
		p.Metrics.Task.WithLabelValues("skipped").Inc()
		result = heartbeat.TaskSkipped
	default:
		p.Metrics.Task.WithLabelValues("ok").Inc()
		p.Metrics.RowsUpdated.Add(float64(rows))
	}
	if result == heartbeat.TaskWrote && p.armed.CompareAndSwap(true, false) {
		// Dead after the write, before the ack and before anyone heard of it.
		p.logger().Warn("task worker crashed after its write (fault)", "key", key, "dispatch", t.DispatchID)
		restored := p.restore.wait()
		p.crashed.Store(&restored)
		return broker.ErrCrashed
	}
	if p.Events != nil {
		p.Events.Record(heartbeat.Event{Kind: heartbeat.EventTask, At: p.Clock.Now(), Key: key,
			DispatchID: t.DispatchID, Result: result, Rows: rows, Replica: p.Replica})
	}
	return err
}

func (p *Pool) logger() *slog.Logger {
	if p.Log == nil {
		return slog.Default()
	}
	return p.Log
}
