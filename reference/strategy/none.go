package strategy

import (
	"context"

	"github.com/hbharness/hbharness/reference/gate"
)

// none enqueues a heartbeat on every request: the negative control that shows
// what the gate saves.
type none struct{ Deps }

func newNone(d Deps) Strategy { return none{d} }

func (none) Name() string { return "none" }

func (s none) Heartbeat(ctx context.Context, c Call) error {
	s.enqueue(ctx, c, c.Target, false, gate.Answer{})
	return nil
}
