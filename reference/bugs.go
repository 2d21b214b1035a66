package reference

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/gate"
)

// redeliverAfter is how long (model time) after its first delivery
// contract.BugDeliveredTwice delivers a heartbeat task again: a third of
// the default window, so that the second write lands inside it.
const redeliverAfter = 10 * time.Second

// plantGate returns the gate the planted bugs put in place of the Redis
// gate, nil when none does.
func plantGate(bugs []contract.Bug, rc *redis.Client, prefix string) gate.Gate {
	for _, b := range bugs {
		switch b {
		case contract.BugNonAtomicGate:
			return &checkThenSet{rc: rc, prefix: prefix}
		case contract.BugPerProcessGate:
			return gate.NewLocal(time.Now)
		case contract.BugTTLInWrongUnit:
			return secondsAsMillis{gate.NewRedis(rc, prefix)}
		case contract.BugNeverEnqueued:
			return neverWins{}
		}
	}
	return nil
}

// plantBroker wraps the heartbeat queue in the planted bugs that break it.
func plantBroker(bugs []contract.Bug, b broker.Broker, clock modeltime.Clock) broker.Broker {
	for _, bug := range bugs {
		switch bug {
		case contract.BugEnqueueDropped:
			b = dropping{b}
		case contract.BugDeliveredTwice:
			b = &redelivering{Broker: b, after: clock.Wall(redeliverAfter)}
		}
	}
	return b
}

// checkThenSet is the gate written the obvious wrong way: GET, and SET if
// nothing was there. Callers arriving together all find nothing.
type checkThenSet struct {
	rc     *redis.Client
	prefix string
}

func (g *checkThenSet) Acquire(ctx context.Context, key string, ttl time.Duration) (gate.Answer, error) {
	n, err := g.rc.Exists(ctx, g.prefix+key).Result()
	if err != nil || n > 0 {
		return gate.Answer{}, err
	}
	// Between the GET and the SET a real client loses time: a Redis across
	// the network, a Python process descheduled. Loopback and the web
	// tier's CPU booking make the gap so narrow that a herd sometimes misses
	// it on a loaded machine; the bug is the gap, so it is given the width it
	// has in production, and the test checks the verifier catches it.
	select {
	case <-time.After(contract.NonAtomicGateGap):
	case <-ctx.Done():
		return gate.Answer{}, ctx.Err()
	}
	if err := g.rc.Set(ctx, g.prefix+key, 1, max(ttl, time.Millisecond)).Err(); err != nil {
		return gate.Answer{}, err
	}
	return gate.Answer{Won: true, At: time.Now(), Clock: gate.ClockProcess, Left: ttl}, nil
}

// secondsAsMillis passes the window on in the wrong unit: 30 s becomes 30 ms.
type secondsAsMillis struct{ inner gate.Gate }

func (g secondsAsMillis) Acquire(ctx context.Context, key string, ttl time.Duration) (gate.Answer, error) {
	return g.inner.Acquire(ctx, key, ttl/1000)
}

// neverWins is a gate whose caller never gets to enqueue.
type neverWins struct{}

func (neverWins) Acquire(context.Context, string, time.Duration) (gate.Answer, error) {
	return gate.Answer{}, nil
}

// dropping says it enqueued a heartbeat and did not.
type dropping struct{ broker.Broker }

func (d dropping) Enqueue(ctx context.Context, m broker.Message) error {
	if m.Type == broker.TypeHeartbeat {
		return nil
	}
	return d.Broker.Enqueue(ctx, m)
}

// redelivering delivers every heartbeat task a second time a while later,
// as a broker whose visibility timeout ran out before the ack would.
type redelivering struct {
	broker.Broker
	after time.Duration
	wg    sync.WaitGroup
}

func (r *redelivering) Enqueue(ctx context.Context, m broker.Message) error {
	if err := r.Broker.Enqueue(ctx, m); err != nil || m.Type != broker.TypeHeartbeat {
		return err
	}
	r.wg.Go(func() {
		time.Sleep(r.after)
		_ = r.Broker.Enqueue(context.Background(), m)
	})
	return nil
}

// Pending forwards to the queue, so a run can still tell queued from lost.
func (r *redelivering) Pending(ctx context.Context) ([]broker.Message, error) {
	if l, ok := r.Broker.(broker.Lister); ok {
		return l.Pending(ctx)
	}
	return nil, fmt.Errorf("the wrapped broker cannot list its queue")
}
