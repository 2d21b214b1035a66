package strategy

import "context"

// viewGate is the merged PR: cache.add on (pipeline, project) in the view,
// and only the winner enqueues the task.
type viewGate struct{ Deps }

func newViewGate(d Deps) Strategy { return viewGate{d} }

func (viewGate) Name() string { return "view-gate" }

func (s viewGate) Heartbeat(ctx context.Context, c Call) error {
	if ok, won := s.admit(ctx, c.Target.GateKey()); ok {
		s.enqueue(ctx, c, c.Target, false, won)
	}
	return nil
}
