package strategy

import "context"

// twoTier puts an in-process TTL gate in front of Redis: within one process
// only the first poll per key per window costs a Redis round trip, so the
// request path is almost as cheap as a bare handler. Redis still arbitrates
// between processes, keeping one dispatch per window overall.
type twoTier struct{ Deps }

func newTwoTier(d Deps) Strategy { return twoTier{d} }

func (twoTier) Name() string { return "two-tier" }

func (s twoTier) Heartbeat(ctx context.Context, c Call) error {
	key := c.Target.GateKey()
	if ok, _ := s.Local.Acquire(ctx, key, s.window()); !ok {
		s.Metrics.Gate.WithLabelValues("suppressed").Inc()
		return nil
	}
	if s.admit(ctx, key) {
		s.enqueue(ctx, c.Target, false)
	}
	return nil
}
