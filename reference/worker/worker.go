// Package worker is the Celery side of the reference: a pool of consumers
// that run heartbeat tasks (one UPDATE, no retries) and process results.
package worker

import (
	"context"
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
}

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
	tag := store.Tag{DispatchID: t.DispatchID, Key: t.Target.GateKey()}
	var rows int64
	var err error
	if t.Check {
		rows, err = p.Store.MarkSeenIfStale(ctx, t.Target, now, p.Clock.Wall(p.Throttle), tag)
	} else {
		rows, err = p.Store.MarkSeen(ctx, t.Target, now, tag)
	}
	result := heartbeat.TaskWrote
	switch {
	case err != nil:
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
		p.Events.Record(heartbeat.Event{Kind: heartbeat.EventTask, At: p.Clock.Now(), Key: t.Target.GateKey(),
			DispatchID: t.DispatchID, Result: result, Rows: rows, Replica: p.Replica})
	}
	return err
}
