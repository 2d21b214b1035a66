package strategy

import "context"

// viewGateTaskCheck gates in the view and also lets the task skip fresh rows:
// belt and braces against a gate that fails open.
type viewGateTaskCheck struct{ Deps }

func newViewGateTaskCheck(d Deps) Strategy { return viewGateTaskCheck{d} }

func (viewGateTaskCheck) Name() string { return "view-gate-task-check" }

func (s viewGateTaskCheck) Heartbeat(ctx context.Context, c Call) error {
	if ok, won := s.admit(ctx, c.Target.GateKey()); ok {
		s.enqueue(ctx, c, c.Target, true, won)
	}
	return nil
}
