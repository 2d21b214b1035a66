// Package standin holds in-memory stand-ins for what the reference talks to
// (Redis, the broker, Postgres) on a simulation's clock: `hbharness sim`
// runs the reference's own strategy, worker and check code against them.
//
// Each keeps the semantics that decide verdicts (docs/sim.md) and nothing
// else: the Redis gate's SET NX PX with millisecond expiry timed by Redis's
// clock, the broker's FIFO queue, and the service table's rows with commit
// times and row locks as service-time queues. How long each call takes is a
// stated parameter (Latency), never a measurement.
//
// A stand-in runs inside one event of the simulation: it reads the time
// from the Clock and spends its latency on it, so the caller's next call
// (and the end of its event) comes that much later, without a goroutine or
// a sleep. State changes at the instant of the call, in event order.
package standin

import "time"

// Clock is the simulation's time as the running event sees it: the
// instant the event began plus what its calls have spent so far.
type Clock interface {
	Now() time.Time
	Spend(d time.Duration)
}
