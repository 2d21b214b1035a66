// Package worker is the Celery side of the reference: a pool of consumers
// that run heartbeat tasks (one UPDATE, no retries) and process results.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/reference/metrics"
	"github.com/hbharness/hbharness/reference/store"
)

// Pool runs Size consumers on one broker.
type Pool struct {
	Broker   broker.Broker
	Store    *store.Store
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
			_ = p.Broker.Consume(ctx, fmt.Sprintf("%s-%d", name, i), p.Handle)
		}()
	}
	wg.Wait()
}

// Handle runs one message. last_seen comes from the worker's clock at the
// time the task runs, as in Antenna, so queue delay shows up as staleness.
func (p *Pool) Handle(ctx context.Context, m broker.Message) error {
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
			t := time.NewTimer(p.Clock.Wall(p.ResultCost))
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
		}
		p.Metrics.Results.WithLabelValues("processed").Inc()
		return nil
	}
	return fmt.Errorf("message of unknown type %q", m.Type)
}

// heartbeat runs one task and reports its outcome. The write is tagged with
// the task's dispatch, so the audit can tell which dispatch wrote it.
func (p *Pool) heartbeat(ctx context.Context, t heartbeat.Task) error {
	now := p.Clock.Now()
	key := t.Target.GateKey()
	tag := store.Tag{DispatchID: t.DispatchID, Key: key}
	tctx := ctx
	if p.HardLimit > 0 {
		var cancel context.CancelFunc
		tctx, cancel = context.WithTimeoutCause(ctx, p.Clock.Wall(p.HardLimit), errTimeLimit)
		defer cancel()
	}
	if p.SoftLimit > 0 {
		soft := time.AfterFunc(p.Clock.Wall(p.SoftLimit), func() {
			p.logger().Warn("heartbeat task exceeded its soft time limit", "key", key, "dispatch", t.DispatchID,
				"soft_time_limit", p.SoftLimit, "time_limit", p.HardLimit)
		})
		defer soft.Stop()
	}
	// In a transaction of its own, so that a kill rolls the write back even
	// while it waits on a row lock (see store.Atomically).
	var rows int64
	err := p.Store.Atomically(tctx, func(st *store.Store) (err error) {
		if t.Check {
			rows, err = st.MarkSeenIfStale(tctx, t.Target, now, p.Clock.Wall(p.Throttle), tag)
		} else {
			rows, err = st.MarkSeen(tctx, t.Target, now, tag)
		}
		return err
	})
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
