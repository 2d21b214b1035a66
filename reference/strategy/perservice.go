package strategy

import (
	"context"

	"github.com/hbharness/hbharness/reference/contract"
)

// perService is the planned follow-up once every service has its own token:
// the gate key and the UPDATE narrow to the calling service, so one poller no
// longer marks its siblings live. Calls with the shared token fall back to
// the (pipeline, project) key.
type perService struct{ Deps }

func newPerService(d Deps) Strategy { return perService{d} }

func (perService) Name() string { return "per-service" }

func (s perService) Heartbeat(ctx context.Context, c Call) error {
	t := contract.CallingService(c.scoped())
	if ok, won := s.admit(ctx, t.GateKey()); ok {
		s.enqueue(ctx, c, t, false, won)
	}
	return nil
}
