// Package strategy holds the heartbeat strategies of docs/design.md#strategies, one small
// type per file behind one interface, registered by name (toxiproxy's toxics
// are the model).
package strategy

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/gate"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/reference/metrics"
	"github.com/hbharness/hbharness/reference/store"
)

// Call is one poll that may heartbeat.
type Call struct {
	Target heartbeat.Target
	// ServiceID is the calling service when it authenticated with its own
	// token; 0 for the shared token.
	ServiceID int64
	// DB is the request's transaction (ATOMIC_REQUESTS): a strategy that
	// writes in the view writes there, and its row locks last until the
	// view ends. Nil outside a request: the replica's own store.
	DB store.Heartbeats
	// JobLog writes a line to the polled job's log (job.logger) in the
	// request's transaction; nil when the call polled no job (the list).
	JobLog func(ctx context.Context, level, msg string)
}

// db is where a write in the view goes.
func (c Call) db(d Deps) store.Heartbeats {
	if c.DB != nil {
		return c.DB
	}
	return d.Store
}

// Strategy decides, on every poll, whether and how to mark services seen.
type Strategy interface {
	Name() string
	// Heartbeat runs on the request path. A non-nil error fails the request;
	// only inline returns one, because pre-PR Antenna's UPDATE ran in the view
	// and its errors reached the client. Every other strategy logs and counts.
	Heartbeat(ctx context.Context, c Call) error
}

// Deps is what strategies are built from.
type Deps struct {
	Gate     gate.Guarded
	Local    *gate.Local // the in-process pre-gate of two-tier
	Broker   broker.Broker
	Store    store.Heartbeats
	Clock    modeltime.Clock
	Throttle time.Duration // model time
	Metrics  *metrics.Metrics
	Events   heartbeat.Sink
	Replica  int
	Log      *slog.Logger
	// IDs numbers this replica's dispatches; New provides one if nil.
	IDs *atomic.Int64
	// Release gives a window back when its enqueue fails.
	Release bool
}

// registry maps each strategy named by contract.Strategies to how to build
// it. It is built on each call so that no package-level state exists to be
// mutated.
func registry() map[string]func(Deps) Strategy {
	return map[string]func(Deps) Strategy{
		"inline":               newInline,
		"task-throttle":        newTaskThrottle,
		"view-gate":            newViewGate,
		"view-gate-task-check": newViewGateTaskCheck,
		"per-service":          newPerService,
		"per-service-sync":     newPerServiceSync,
		"two-tier":             newTwoTier,
		"db-skip-locked":       newDBSkipLocked,
		"none":                 newNone,
	}
}

// scoped is the part of a call that decides its target (contract.Scope).
func (c Call) scoped() contract.Call { return contract.Call{Target: c.Target, ServiceID: c.ServiceID} }

// New builds the named strategy.
func New(name string, d Deps) (Strategy, error) {
	if err := contract.CheckStrategy(name); err != nil {
		return nil, err
	}
	f, ok := registry()[name]
	if !ok {
		return nil, fmt.Errorf("strategy %q is in the contract but not built here", name)
	}
	if d.Events == nil {
		d.Events = heartbeat.Discard{}
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.IDs == nil {
		d.IDs = &atomic.Int64{}
	}
	return f(d), nil
}

// window is the throttle window in wall time, as TTLs and cutoffs need it.
func (d Deps) window() time.Duration { return d.Clock.Wall(d.Throttle) }

// admit asks the Redis gate (under the failure policy) and counts the
// decision. The answer times a win by the gate's own clock.
func (d Deps) admit(ctx context.Context, key string) (bool, gate.Answer) {
	decision, dispatch, answer, err := d.Gate.Acquire(ctx, key, d.window())
	d.Metrics.Gate.WithLabelValues(string(decision)).Inc()
	if err != nil {
		d.Log.Warn("heartbeat gate failed", "key", key, "policy", d.Gate.Policy, "dispatching", dispatch, "err", err)
	}
	return dispatch, answer
}

// newID names a dispatch uniquely within the run: replica and sequence.
func (d Deps) newID() string {
	return fmt.Sprintf("r%d-%d", d.Replica, d.IDs.Add(1))
}

// enqueue hands the heartbeat to the broker. Failure is logged and counted
// and never fails the request: the heartbeat is not critical (Antenna's
// view catches the .delay() exception). The dispatch is timed by the gate
// that let it through, or by this process when nothing gated it.
func (d Deps) enqueue(ctx context.Context, c Call, t heartbeat.Target, check bool, won gate.Answer) {
	now := d.Clock.Now()
	id := d.newID()
	err := d.Broker.Enqueue(ctx, broker.Message{Type: broker.TypeHeartbeat,
		Heartbeat: &heartbeat.Task{Target: t, DispatchID: id, Check: check, EnqueuedAt: now}})
	if err != nil {
		d.Metrics.Dispatch.WithLabelValues("error").Inc()
		d.Log.Warn("heartbeat enqueue failed; answering anyway", "key", t.GateKey(), "err", err)
		if c.JobLog != nil {
			// views.py:134-137 logs the failure to the job's log as well.
			c.JobLog(ctx, store.LogWarning, "Failed to enqueue non-critical pipeline heartbeat: "+err.Error())
		}
		if r, ok := d.Gate.Inner.(gate.Releaser); ok && d.Release && won.Won {
			if err := r.Release(ctx, t.GateKey()); err != nil {
				d.Log.Warn("could not give the window back after a failed enqueue", "key", t.GateKey(), "err", err)
			}
		}
		return
	}
	d.Metrics.Dispatch.WithLabelValues("enqueued").Inc()
	at, clock := now, gate.ClockProcess
	if !won.At.IsZero() {
		at, clock = won.At, won.Clock
	}
	d.Events.Record(heartbeat.Event{Kind: heartbeat.EventDispatch, At: at, Clock: clock, Key: t.GateKey(),
		DispatchID: id, Replica: d.Replica})
}

// updated times a heartbeat UPDATE made in the view and counts the
// deadlocks it lost (SQLSTATE 40P01: Postgres aborted it to break a cycle).
func (d Deps) updated(start time.Time, err error) {
	d.Metrics.HeartbeatUpdate.WithLabelValues("view").Observe(time.Since(start).Seconds())
	if store.IsDeadlock(err) {
		d.Metrics.DeadlockErrors.Inc()
	}
}

// wroteInline reports a dispatch whose write ran on the request path: the
// dispatch, timed by the last_seen it wrote (the value this strategy's own
// freshness rule compares), and its outcome.
func (d Deps) wroteInline(t heartbeat.Target, id string, at time.Time, rows int64, err error) {
	d.wroteInlineAs(t.GateKey(), id, at, rows, err)
}

// wroteInlineAs is wroteInline under a key of the caller's naming.
func (d Deps) wroteInlineAs(key, id string, at time.Time, rows int64, err error) {
	d.Events.Record(heartbeat.Event{Kind: heartbeat.EventDispatch, At: at, Clock: gate.ClockProcess, Key: key,
		DispatchID: id, Replica: d.Replica})
	result := heartbeat.TaskWrote
	switch {
	case err != nil:
		result = heartbeat.TaskFailed
	case rows == 0:
		result = heartbeat.TaskSkipped
	default:
		d.Metrics.RowsUpdated.Add(float64(rows))
	}
	d.Events.Record(heartbeat.Event{Kind: heartbeat.EventTask, At: d.Clock.Now(), Key: key, DispatchID: id,
		Result: result, Rows: rows, Replica: d.Replica})
}
