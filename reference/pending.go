package reference

import (
	"context"

	"github.com/hbharness/hbharness/reference/broker"
)

// Pending lists the dispatches whose heartbeat tasks are still queued,
// where the broker can say: the Redis list can; RabbitMQ only when its
// queue is empty (known false otherwise). Heartbeat tasks are always on the
// replica's Broker: under heartbeat_queue separate only the results go to
// a queue of their own, which holds no dispatch.
func (r *Reference) Pending(ctx context.Context) (dispatches []string, known bool, err error) {
	if l, ok := r.Broker.(broker.Lister); ok {
		msgs, err := l.Pending(ctx)
		if err != nil {
			return nil, false, err
		}
		for _, m := range msgs {
			if m.Heartbeat != nil {
				dispatches = append(dispatches, m.Heartbeat.DispatchID)
			}
		}
		return dispatches, true, nil
	}
	n, err := r.Broker.Depth(ctx)
	return nil, err == nil && n == 0, nil
}
