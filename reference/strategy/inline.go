package strategy

import (
	"context"
	"time"

	"github.com/hbharness/hbharness/reference/store"
)

// inline is Antenna before the PR: the multi-row UPDATE runs in the view, on
// every request (views.py at 0a87a3a4^, _mark_pipeline_pull_services_seen:
// QuerySet.update()). Under ATOMIC_REQUESTS it runs in the request's
// transaction, so its row locks are held through the rest of the view (the
// NATS reserve, the job log lines) until the commit: concurrent requests of
// one key queue on those locks, and take them in varying order, which is
// the deadlock and lock-wait storm the PR set out to remove.
type inline struct{ Deps }

func newInline(d Deps) Strategy { return inline{d} }

func (inline) Name() string { return "inline" }

func (s inline) Heartbeat(ctx context.Context, c Call) error {
	now, id := s.Clock.Now(), s.newID()
	start := time.Now()
	rows, err := c.db(s.Deps).MarkSeen(ctx, c.Target, now, store.Tag{DispatchID: id, Key: c.Target.GateKey()})
	s.updated(start, err)
	s.wroteInline(c.Target, id, now, rows, err)
	if err != nil {
		s.Metrics.Dispatch.WithLabelValues("error").Inc()
		return err
	}
	s.Metrics.Dispatch.WithLabelValues("enqueued").Inc()
	return nil
}
