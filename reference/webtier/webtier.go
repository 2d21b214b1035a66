// Package webtier is the part of Antenna's web tier that bounds how many
// requests run at once: the request slots of its worker processes, with the
// queue in front of them, and the database connections the requests hold.
//
// Established from the sources Antenna runs (see settings.Settings for the
// lines): gunicorn starts WEB_CONCURRENCY uvicorn worker processes; uvicorn's
// worker sets no limit_concurrency, and Django 4.2's ASGI handler gives each
// request a ThreadSensitiveContext, so every request's sync view runs at
// once on a thread of its own. Threads do not bound the tier. The GIL does,
// for CPU (one thread of a process runs Python at a time; a thread waiting
// on Postgres, Redis or NATS releases it), and so does Postgres: each
// thread holds a connection of its own for its whole view (ATOMIC_REQUESTS),
// and past max_connections a new one is refused.
//
// The reference models all three: the slots (unbounded by default, bounded
// for other deployments), the GIL (each request's Python CPU, a parameter,
// taken one process at a time), and the connections.
package webtier

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hbharness/hbharness/internal/modeltime"
)

// ErrNoConnection is a request refused because the database has no
// connection left for it: Django raises OperationalError when it connects,
// and the view answers 500.
var ErrNoConnection = errors.New("sorry, too many clients already")

// Connections counts the database connections the web tier holds, across
// every replica of one deployment (one Postgres server's max_connections).
// The zero value, or a nil *Connections, never refuses.
type Connections struct {
	limit int64 // 0: no limit
	held  atomic.Int64
}

// NewConnections allows limit connections at once; 0 is no limit.
func NewConnections(limit int) *Connections { return &Connections{limit: int64(limit)} }

// Take holds one connection, or fails with ErrNoConnection at once (a
// refused connection is not waited for).
func (c *Connections) Take() (release func(), err error) {
	if c == nil {
		return func() {}, nil
	}
	n := c.held.Add(1)
	if c.limit > 0 && n > c.limit {
		c.held.Add(-1)
		return nil, fmt.Errorf("%w (%d connections held)", ErrNoConnection, c.limit)
	}
	var once atomic.Bool
	return func() {
		if once.CompareAndSwap(false, true) {
			c.held.Add(-1)
		}
	}, nil
}

// Held is how many connections are held now.
func (c *Connections) Held() int64 {
	if c == nil {
		return 0
	}
	return c.held.Load()
}

// Slots are the requests one replica runs at once; the zero value, or a
// nil *Slots, is unbounded. Requests past the slots wait their turn in
// arrival order (the listen backlog in front of the workers).
type Slots struct {
	ch chan struct{}
}

// NewSlots allows n requests at once; 0 is unbounded.
func NewSlots(n int) *Slots {
	if n <= 0 {
		return &Slots{}
	}
	return &Slots{ch: make(chan struct{}, n)}
}

// Enter waits for a slot until ctx ends; waited is how long it queued.
func (s *Slots) Enter(ctx context.Context) (release func(), waited time.Duration, err error) {
	if s == nil || s.ch == nil {
		return func() {}, 0, nil
	}
	start := time.Now()
	select {
	case s.ch <- struct{}{}:
	case <-ctx.Done():
		return nil, time.Since(start), fmt.Errorf("waiting for a free worker: %w", context.Cause(ctx))
	}
	var once atomic.Bool
	return func() {
		if once.CompareAndSwap(false, true) {
			<-s.ch
		}
	}, time.Since(start), nil
}

// Busy is how many slots are taken (0 when unbounded).
func (s *Slots) Busy() int {
	if s == nil || s.ch == nil {
		return 0
	}
	return len(s.ch)
}

// GIL is the web tier's CPU: one interpreter lock per worker process, held
// by a request while it runs Python. Each request costs cpu of it before its
// first I/O (middleware, authentication, the view's own Python: the part
// of a Django view that cannot overlap another of the same process), taken
// from whichever process is free first, as gunicorn's workers take turns
// accepting. A nil *GIL, or one with no cpu, costs nothing.
//
// The locks are kept as each process's busy-until instant, not as held
// mutexes: a request books the earliest free process for cpu and then
// sleeps to the end of its booking. On a busy machine a sleep overshoots,
// but the overshoot delays only that request; the next one's booking is
// still exactly cpu later, so the modelled CPU does not grow with the load
// of the machine that runs the model.
type GIL struct {
	mu   sync.Mutex
	free []time.Time // per process, when its lock is next free
	cpu  time.Duration
}

// NewGIL is processes interpreter locks, each request holding one for cpu
// (wall time).
func NewGIL(processes int, cpu time.Duration) *GIL {
	if processes < 1 || cpu <= 0 {
		return &GIL{}
	}
	return &GIL{free: make([]time.Time, processes), cpu: cpu}
}

// Run spends the request's CPU: it books the process free first for cpu
// and waits to the end of the booking. It reports how long the request
// waited for the process before its CPU began.
func (g *GIL) Run(ctx context.Context) (waited time.Duration, err error) {
	if g == nil || len(g.free) == 0 {
		return 0, nil
	}
	g.mu.Lock()
	now := time.Now()
	first := 0
	for i, t := range g.free {
		if t.Before(g.free[first]) {
			first = i
		}
	}
	start := g.free[first]
	if start.Before(now) {
		start = now
	}
	g.free[first] = start.Add(g.cpu)
	end := g.free[first]
	g.mu.Unlock()
	t := time.NewTimer(time.Until(end))
	defer t.Stop()
	select {
	case <-t.C:
		return start.Sub(now), nil
	case <-ctx.Done():
		return start.Sub(now), fmt.Errorf("running the view: %w", context.Cause(ctx))
	}
}

// AtScale is a limit on how many requests may run at once (slots,
// connections), as it applies to a run at scale. A compressed run stretches
// every wall cost of the reference (its round trips to Postgres, Redis and
// NATS, which do not compress) by 1/scale in model time, so at a given
// model request rate 1/scale more requests are in their views at once than
// at real time; scaling the limit alike makes it bite at the same model
// load. It is exact at scale 1 only: where views wait on each other (row
// locks) queueing is not linear, and the figures of such a run are to be
// taken at real time. 0 (no limit) stays 0.
func AtScale(limit int, scale modeltime.Scale) int {
	if limit <= 0 || scale <= 0 || scale >= 1 {
		return limit
	}
	return int(math.Ceil(float64(limit) / float64(scale)))
}
