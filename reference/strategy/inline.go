package strategy

import (
	"context"

	"github.com/hbharness/hbharness/reference/heartbeat"
)

// inline is Antenna before the PR: the multi-row UPDATE runs in the request,
// on every request. Concurrent requests lock the same rows in varying order,
// which is the deadlock and lock-wait storm the PR set out to remove.
type inline struct{ Deps }

func newInline(d Deps) Strategy { return inline{d} }

func (inline) Name() string { return "inline" }

func (s inline) Heartbeat(ctx context.Context, c Call) error {
	now := s.Clock.Now()
	s.Events.Record(heartbeat.Event{Kind: heartbeat.EventDispatch, At: now, Key: c.Target.GateKey(), Replica: s.Replica})
	rows, err := s.Store.MarkSeen(ctx, c.Target, now)
	if err != nil {
		s.Metrics.Dispatch.WithLabelValues("error").Inc()
		return err
	}
	s.Metrics.Dispatch.WithLabelValues("enqueued").Inc()
	if rows > 0 {
		s.wrote(c.Target, now, rows)
	}
	return nil
}
