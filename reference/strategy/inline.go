package strategy

import (
	"context"

	"github.com/hbharness/hbharness/reference/store"
)

// inline is Antenna before the PR: the multi-row UPDATE runs in the request,
// on every request. Concurrent requests lock the same rows in varying order,
// which is the deadlock and lock-wait storm the PR set out to remove.
type inline struct{ Deps }

func newInline(d Deps) Strategy { return inline{d} }

func (inline) Name() string { return "inline" }

func (s inline) Heartbeat(ctx context.Context, c Call) error {
	now, id := s.Clock.Now(), s.newID()
	rows, err := s.Store.MarkSeen(ctx, c.Target, now, store.Tag{DispatchID: id, Key: c.Target.GateKey()})
	s.wroteInline(c.Target, id, now, rows, err)
	if err != nil {
		s.Metrics.Dispatch.WithLabelValues("error").Inc()
		return err
	}
	s.Metrics.Dispatch.WithLabelValues("enqueued").Inc()
	return nil
}
