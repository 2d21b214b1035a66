package fault

import (
	"context"
	"fmt"
	"time"

	"github.com/hbharness/hbharness/faults"
)

// Targets are what faults act on: the proxies in front of each replica's
// dependencies, the run's own database and Redis keys, and the replicas
// themselves. A run provides what it has; a fault needing something absent
// is refused before anything is applied.
type Targets struct {
	// Proxies holds, per replica, the proxies in front of its dependencies.
	Proxies []Proxies
	// DB is a direct (never proxied) connection string to the run's
	// database, for the faults that act in it (db-lock).
	DB string
	// Keys acts on the run's Redis keys (redis-evict).
	Keys Keys
	// Replicas controls the target's processes (worker-stall,
	// worker-crash, clock-skew, replica-kill).
	Replicas Replicas
}

// Proxies are the proxies in front of one replica's dependencies. Broker
// may be the same proxy as Redis when the broker shares the Redis server;
// faults on both then stack on that one proxy. NATS carries the replica's
// task queue: its /tasks reservations, its result workers' acks and, on the
// first replica, the feeder.
type Proxies struct{ Redis, Broker, DB, NATS *Proxy }

// Keys acts on the run's gate keys, and on nothing else.
type Keys interface {
	// EvictGateKeys deletes the run's gate keys, as maxmemory eviction or a
	// restart without persistence would, and says how many went.
	EvictGateKeys(ctx context.Context) (int, error)
}

// Replicas acts on the target's replicas, numbered from 0.
type Replicas interface {
	Count() int
	// StallWorkers stops (or restarts) the replica's task workers taking
	// tasks: the queue backs up behind them.
	StallWorkers(replica int, stalled bool) error
	// CrashWorker makes the next heartbeat task a worker of the replica
	// runs die after its write and before its acknowledgement; the worker
	// stays dead until RestoreWorkers, and its broker then redelivers what
	// it held, or loses it, by its own semantics.
	CrashWorker(replica int) error
	RestoreWorkers(replica int) error
	// SkewWorkers sets the replica's task workers' clock off by offset (wall).
	SkewWorkers(replica int, offset time.Duration) error
	// Kill stops the replica at once, its requests in flight failing;
	// Restart brings it back.
	Kill(replica int) error
	Restart(replica int) error
}

// Breaker is one fault, resolved against the targets: Apply breaks,
// Lift heals. Lift runs once, after Apply succeeded.
type Breaker interface {
	Apply(ctx context.Context) error
	Lift(ctx context.Context) error
}

// Settler is a Breaker with work to do once its fault has ended: checking
// that the dependency heals, releasing what the fault held. The schedule
// times the end at Lift's return, before Settle, so that this work (a dial,
// a connection's close) never stretches the fault it follows.
type Settler interface {
	Settle(ctx context.Context) error
}

// replicas resolves a fault's replica against the run's count.
func replicas(f faults.Fault, n int) ([]int, error) {
	if f.Replica == faults.AllReplicas {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out, nil
	}
	if f.Replica < 0 || f.Replica >= n {
		return nil, fmt.Errorf("replica %d does not exist: the run has %d (0 to %d)", f.Replica, n, n-1)
	}
	return []int{f.Replica}, nil
}
