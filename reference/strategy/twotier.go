package strategy

import (
	"context"

	"github.com/hbharness/hbharness/reference/gate"
)

// twoTier puts an in-process gate in front of Redis: within one process only
// the first poll per key per window costs a Redis round trip, so the request
// path is almost as cheap as a bare handler, and Redis still arbitrates
// between processes. The local hold lasts exactly as long as Redis's: a
// naive local TTL of one full window, armed when Redis refuses, would miss
// the next window whenever a poll lands just before the Redis key expires
// (the harness measured 60 s staleness that way).
type twoTier struct{ Deps }

func newTwoTier(d Deps) Strategy { return twoTier{d} }

func (twoTier) Name() string { return "two-tier" }

func (s twoTier) Heartbeat(ctx context.Context, c Call) error {
	key := c.Target.GateKey()
	if s.Local.Held(key) {
		s.Metrics.Gate.WithLabelValues(string(gate.Suppressed)).Inc()
		return nil
	}
	decision, dispatch, answer, err := s.Gate.Acquire(ctx, key, s.window())
	s.Metrics.Gate.WithLabelValues(string(decision)).Inc()
	if err != nil {
		s.Log.Warn("heartbeat gate failed", "key", key, "policy", s.Gate.Policy, "dispatching", dispatch, "err", err)
	}
	if decision != gate.Errored || dispatch {
		s.Local.Hold(key, answer.Left)
	}
	if dispatch {
		s.enqueue(ctx, c, c.Target, false, answer)
	}
	return nil
}
