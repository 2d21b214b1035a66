package reference

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/checker"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/gate"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/reference/metrics"
	"github.com/hbharness/hbharness/reference/settings"
	"github.com/hbharness/hbharness/reference/standin"
	"github.com/hbharness/hbharness/reference/strategy"
	"github.com/hbharness/hbharness/reference/worker"
)

// SimClock is the simulation's clock as the reference reads it: the time
// of the event running, which the stand-ins' calls spend forward.
type SimClock = standin.Clock

// SimLatency is a stated service time of a stand-in (standin.Latency).
type SimLatency = standin.Latency

// SimWrite is one committed heartbeat write on the simulated database.
type SimWrite = standin.Write

// SimRow is one simulated service row as a reader sees it.
type SimRow = standin.Row

// SimLatencies are the stand-ins' service times: parameters, stated in the
// run's record, never measured.
type SimLatencies struct {
	Redis  SimLatency `json:"redis_round_trip"`
	Broker SimLatency `json:"broker_publish"`
	Update SimLatency `json:"db_statement"`
}

// SimConfig assembles one replica on stand-ins.
type SimConfig struct {
	Strategy string
	Policy   contract.Policy
	Settings settings.Settings
	Keys     []contract.Key
	Clock    SimClock
	// Rand draws the stand-ins' service times; seeded by the caller so a
	// seed replays them.
	Rand      *rand.Rand
	Latencies SimLatencies
	Events    heartbeat.Sink
	// Queued hears of every message the broker takes: the simulation
	// wakes an idle worker with it.
	Queued func()
	Log    *slog.Logger
}

// Simulated is the reference's own strategy, task worker and offline check
// on in-memory stand-ins for Redis, the broker and Postgres: what
// `hbharness sim` drives. Every method runs inside one event of the
// simulation, at its clock's time, and returns without waiting.
type Simulated struct {
	strategy strategy.Strategy
	pool     *worker.Pool
	beat     *checker.Beat
	redis    *standin.Redis
	broker   *standin.Broker
	db       *standin.DB
	log      *slog.Logger
}

// simSource makes the stand-ins' clock the reference's time source (and
// its sleeps spends).
type simSource struct{ SimClock }

// Simulate builds a replica on stand-ins: the heartbeat queue and its
// workers, which run the offline check too (Antenna's layout). The task
// supply (NATS) and the results' own queue are not simulated, nor are
// cachalot's round trips (see docs/sim.md).
func Simulate(c SimConfig) (*Simulated, error) {
	if c.Clock == nil || c.Rand == nil {
		return nil, fmt.Errorf("a simulated reference needs the simulation's clock and random source")
	}
	if err := c.Settings.Validate(); err != nil {
		return nil, fmt.Errorf("reference settings: %w", err)
	}
	// One queue and one pool: the heartbeat queue of Antenna's layout
	// (heartbeat_queue: separate), which the offline check shares.
	if c.Settings.HeartbeatQueue != settings.QueueSeparate || c.Settings.CheckerQueue != settings.CheckerOnHeartbeatQueue {
		return nil, fmt.Errorf("the simulation has the heartbeat queue alone, the check on it (heartbeat_queue: separate, checker_queue: heartbeat); got %s, %s",
			c.Settings.HeartbeatQueue, c.Settings.CheckerQueue)
	}
	for _, l := range []SimLatency{c.Latencies.Redis, c.Latencies.Broker, c.Latencies.Update} {
		if err := l.Validate(); err != nil {
			return nil, err
		}
	}
	if c.Policy == "" {
		c.Policy = contract.FailClosed
	}
	if _, err := contract.ParsePolicy(string(c.Policy)); err != nil {
		return nil, err
	}
	if c.Events == nil {
		c.Events = heartbeat.Discard{}
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	clock := modeltime.Clock{Scale: modeltime.Real, Source: simSource{c.Clock}}
	s := &Simulated{
		redis:  standin.NewRedis(c.Clock, c.Rand, c.Latencies.Redis),
		broker: standin.NewBroker(c.Clock, c.Rand, c.Latencies.Broker),
		db:     standin.NewDB(c.Clock, c.Rand, c.Latencies.Update, c.Keys),
		log:    c.Log,
	}
	s.broker.Notify = c.Queued
	m := metrics.New()
	strat, err := strategy.New(c.Strategy, strategy.Deps{
		Gate:     gate.Guarded{Inner: s.redis, Policy: c.Policy, Fallback: gate.NewLocal(clock.Now)},
		Local:    gate.NewLocal(clock.Now),
		Broker:   s.broker,
		Store:    s.db,
		Clock:    clock,
		Throttle: c.Settings.Throttle,
		Release:  c.Settings.ReleaseOnEnqueueFailure,
		Metrics:  m,
		Events:   c.Events,
		Log:      c.Log,
	})
	if err != nil {
		return nil, err
	}
	s.strategy = strat
	// The time limits are wall-clock contexts in the worker; the simulated
	// statements never outlast them (no fault slows them yet), so they are
	// left off rather than half-modelled.
	s.pool = &worker.Pool{Broker: s.broker, Store: s.db, Clock: clock, Throttle: c.Settings.Throttle, Metrics: m,
		Events: c.Events, Size: c.Settings.TaskWorkers, ResultCost: c.Settings.ResultCost, Log: c.Log, Name: "sim",
		Check: &checker.Task{Store: s.db, OfflineAfter: c.Settings.OfflineAfter, Scale: modeltime.Real,
			Metrics: checker.NewMetrics(m.Registry, m.Offline)}}
	s.beat = &checker.Beat{Queue: s.broker, Clock: clock, Every: c.Settings.CheckerEvery, Expires: c.Settings.CheckerExpires,
		Events: c.Events, Log: c.Log}
	return s, nil
}

// Poll is one request's heartbeat: the strategy, as the view runs it.
func (s *Simulated) Poll(ctx context.Context, c contract.Call) error {
	return s.strategy.Heartbeat(ctx, strategy.Call{Target: c.Target, ServiceID: c.ServiceID})
}

// Waiting is how many messages the broker holds.
func (s *Simulated) Waiting() int { return s.broker.Len() }

// Work has a task worker take the oldest message and run it; false when
// the queue is empty. A handler's error is logged, as Celery logs a failed
// task, and the message is gone either way (no retries, as in Antenna).
func (s *Simulated) Work(ctx context.Context) bool {
	m, ok := s.broker.Next()
	if !ok {
		return false
	}
	if err := s.pool.Handle(ctx, m); err != nil {
		s.log.Warn("simulated task failed", "type", m.Type, "err", err)
	}
	return true
}

// Workers is how many task workers the replica runs.
func (s *Simulated) Workers() int { return max(1, s.pool.Size) }

// Beat is celery beat sending one copy of the offline check.
func (s *Simulated) Beat(ctx context.Context) error { return s.beat.Fire(ctx) }

// Read visits every service row as it stands at `at`.
func (s *Simulated) Read(at time.Time, visit func(SimRow)) { s.db.Read(at, visit) }

// Writes is every committed heartbeat write so far, in call order.
func (s *Simulated) Writes() []SimWrite { return s.db.Writes }

// Pending lists the heartbeat dispatches still queued.
func (s *Simulated) Pending() []string {
	ms, _ := s.broker.Pending(context.Background())
	var out []string
	for _, m := range ms {
		if m.Type == broker.TypeHeartbeat && m.Heartbeat != nil {
			out = append(out, m.Heartbeat.DispatchID)
		}
	}
	return out
}
