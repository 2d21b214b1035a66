package strategy

import (
	"context"
	"time"

	"github.com/hbharness/hbharness/reference/store"
)

// dbSkipLocked needs neither Redis nor a broker: a conditional UPDATE writes
// only rows older than the window and skips rows another request is writing,
// so the database itself throttles and nobody waits on a row lock.
type dbSkipLocked struct{ Deps }

func newDBSkipLocked(d Deps) Strategy { return dbSkipLocked{d} }

func (dbSkipLocked) Name() string { return "db-skip-locked" }

func (s dbSkipLocked) Heartbeat(ctx context.Context, c Call) error {
	now, id := s.Clock.Now(), s.newID()
	start := time.Now()
	rows, err := c.db(s.Deps).MarkStaleSkipLocked(ctx, c.Target, now, s.window(), store.Tag{DispatchID: id, Key: c.Target.GateKey()})
	s.updated(start, err)
	if err != nil {
		s.Metrics.Dispatch.WithLabelValues("error").Inc()
		s.Log.Warn("conditional heartbeat update failed; answering anyway", "key", c.Target.GateKey(), "err", err)
		return nil
	}
	if rows == 0 {
		s.Metrics.Gate.WithLabelValues("suppressed").Inc()
		return nil
	}
	// A write that happened is this strategy's dispatch: there is no other.
	s.Metrics.Gate.WithLabelValues("won").Inc()
	s.Metrics.Dispatch.WithLabelValues("enqueued").Inc()
	s.wroteInline(c.Target, id, now, rows, nil)
	return nil
}
