// Package reference assembles the system under test: Antenna's heartbeat
// path with a selectable strategy, a Redis-backed broker with a task worker
// pool, the task queue (NATS JetStream), the offline check (a beat that
// enqueues it, run by the task workers) and Prometheus metrics. The harness
// starts it in-process; `hbharness serve` runs it alone.
package reference

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/api"
	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/cachalot"
	"github.com/hbharness/hbharness/reference/checker"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/dbwatch"
	"github.com/hbharness/hbharness/reference/gate"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/reference/metrics"
	"github.com/hbharness/hbharness/reference/progress"
	"github.com/hbharness/hbharness/reference/settings"
	"github.com/hbharness/hbharness/reference/store"
	"github.com/hbharness/hbharness/reference/strategy"
	"github.com/hbharness/hbharness/reference/taskqueue"
	"github.com/hbharness/hbharness/reference/webtier"
	"github.com/hbharness/hbharness/reference/worker"
)

// Config assembles one replica.
type Config struct {
	// DB serves the task workers and the checker (Celery's processes, each
	// with a connection of its own); WebDB the views' transactions (one
	// connection per request in flight). WebDB nil shares DB.
	DB    *pgxpool.Pool
	WebDB *pgxpool.Pool
	// Connections counts the web tier's database connections across every
	// replica of the deployment (one server's max_connections); nil gives
	// this replica a count of its own, from Settings.
	// Redis serves the gate and the task supply; Broker carries the deferred
	// work (broker.Open builds it from BROKER_URL: Redis or RabbitMQ): the
	// heartbeat tasks, and the results too under Settings.HeartbeatQueue
	// shared.
	Redis  *redis.Client
	Broker broker.Broker
	// ResultsBroker, under HeartbeatQueue separate, is the queue results go
	// to. Nil derives one beside Broker (broker.Deriver: the same server,
	// named with KeyPrefix+"results:"), or, for a broker that cannot derive,
	// a Redis list on Redis under KeyPrefix+"results:". Ignored when shared.
	ResultsBroker broker.Broker

	// NATS is the task queue's URL (NATS JetStream): /tasks reserves from
	// it, the result workers acknowledge to it. It need not answer at start.
	NATS string

	KeyPrefix string // isolates runs on a shared Redis and NATS; "" in production-like serve
	Strategy  string
	Policy    contract.Policy
	Clock     modeltime.Clock
	Settings  settings.Settings
	Token     string
	Events    heartbeat.Sink
	Replica   int
	Log       *slog.Logger
	// NoChecker leaves the offline check's beat to someone else (one beat
	// per deployment, as celery beat runs once in production). Every
	// replica's task workers still run the copies that reach their queue.
	NoChecker bool
	// NoFeeder leaves topping up unlimited jobs' tasks to another replica
	// (one feeder per deployment is enough, as one checker is).
	NoFeeder bool
	// Gate, when set, replaces the Redis gate (SET NX PX): another way of
	// throttling to compare, or a broken one to prove the harness catches it.
	Gate gate.Gate
	// Supply, when set, replaces the task queue for /tasks reservations:
	// the benchmark of the heartbeat strategies measures them alone, and
	// tests hold a view at that point with a slow one.
	Supply api.Supply
	// WorkerSkew sets the task workers' clock off by this much (wall time):
	// they write last_seen from it, as Antenna's Celery workers do from theirs.
	WorkerSkew  time.Duration
	Connections *webtier.Connections
}

// Reference is one running replica.
type Reference struct {
	Handler http.Handler
	Metrics *metrics.Metrics
	Store   *store.Store
	// Broker is the heartbeat tasks' queue; Results is the results' queue,
	// Broker itself under HeartbeatQueue shared.
	Broker   broker.Broker
	Results  broker.Broker
	Strategy strategy.Strategy
	pool     *worker.Pool
	// resultPool consumes Results under HeartbeatQueue separate: workers of
	// its own, so a results backlog never delays a heartbeat task.
	resultPool *worker.Pool
	// closeResults releases a results queue New opened itself.
	closeResults func() error
	// beat enqueues the offline check when this replica runs it; under
	// checker_queue own, checkPool is the check's own worker on
	// checkQueue, and closeCheck releases that queue.
	beat       *checker.Beat
	checkQueue broker.Broker
	checkPool  *worker.Pool
	closeCheck func() error
	watch      *dbwatch.Watch
	// acker is the result workers' connection to the task queue; feeder,
	// when this replica runs it, keeps unlimited jobs supplied.
	acker  *taskqueue.Acker
	feeder *taskqueue.Feeder
	// opened are what Open opened for the replica, closed by Close; jobs
	// starts jobs on its task queue (StartJobs).
	opened []func()
	jobs   jobStarter
}

// resultsSub and checkerSub name the results queue and the offline check's
// own queue beside the heartbeat queue.
const (
	resultsSub = "results:"
	checkerSub = "checker:"
)

// New wires a replica; Run starts its background work.
func New(c Config) (*Reference, error) {
	if c.DB == nil || c.Redis == nil || c.Broker == nil || c.NATS == "" {
		return nil, fmt.Errorf("reference config is missing a database, Redis, a broker or a NATS URL")
	}
	if err := c.Clock.Scale.Validate(); err != nil {
		return nil, fmt.Errorf("reference clock: %w", err)
	}
	if err := c.Settings.Validate(); err != nil {
		return nil, fmt.Errorf("reference settings: %w", err)
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Events == nil {
		c.Events = heartbeat.Discard{}
	}
	if c.Policy == "" {
		c.Policy = contract.FailClosed
	}
	if _, err := contract.ParsePolicy(string(c.Policy)); err != nil {
		return nil, err
	}
	log := c.Log.With("replica", c.Replica)
	m := metrics.New()
	st := store.New(c.DB)
	q := c.Broker
	separate := c.Settings.HeartbeatQueue == settings.QueueSeparate
	results, closeResults, err := resultsQueue(c, separate, log)
	if err != nil {
		return nil, err
	}
	local := gate.NewLocal(c.Clock.Now)
	var inner gate.Gate = gate.NewRedis(c.Redis, c.KeyPrefix)
	if c.Gate != nil {
		inner = c.Gate
	}
	workerClock := c.Clock
	workerClock.Skew += c.WorkerSkew
	strat, err := strategy.New(c.Strategy, strategy.Deps{
		Gate:     gate.Guarded{Inner: inner, Policy: c.Policy, Fallback: gate.NewLocal(c.Clock.Now)},
		Local:    local,
		Broker:   q,
		Store:    st,
		Clock:    c.Clock,
		Throttle: c.Settings.Throttle,
		Release:  c.Settings.ReleaseOnEnqueueFailure,
		Metrics:  m,
		Events:   c.Events,
		Replica:  c.Replica,
		Log:      log,
	})
	if err != nil {
		_ = closeResults()
		return nil, err
	}
	var cache *cachalot.Cache
	if c.Settings.Cachalot {
		cache = &cachalot.Cache{Redis: c.Redis, Prefix: c.KeyPrefix, Calls: m.Cachalot, Log: log}
	}
	conns := c.Connections
	if conns == nil {
		conns = webtier.NewConnections(webtier.AtScale(c.Settings.WebDBConnections(), c.Clock.Scale))
	}
	tq, err := taskqueue.New(taskqueue.Config{URL: c.NATS, Prefix: c.KeyPrefix, Scale: c.Clock.Scale,
		TTR: c.Settings.NatsTaskTTR, MaxDeliver: c.Settings.NatsMaxDeliver, MaxAckPending: c.Settings.NatsMaxAckPending, Log: log})
	if err != nil {
		_ = closeResults()
		return nil, err
	}
	var supply api.Supply = tq
	if c.Supply != nil {
		supply = c.Supply
	}
	srv := api.New(api.Config{
		Store: st, Strategy: strat, Results: results, Token: c.Token, Metrics: m, Log: log, Clock: c.Clock,
		Supply:      supply,
		JobCacheTTL: c.Clock.Wall(c.Settings.JobCacheTTL), Replica: c.Replica,
		WebDB: c.WebDB, Cache: cache, Slots: webtier.NewSlots(webtier.AtScale(c.Settings.WebSlots(), c.Clock.Scale)), Connections: conns,
		GIL:    webtier.NewGIL(c.Settings.WebConcurrency, c.Clock.Wall(c.Settings.ViewCPU)),
		JobLog: c.Settings.JobLog, OfflineAfter: c.Settings.OfflineAfter,
	})
	acker := tq.Acker()
	finisher := &resultFinisher{queue: tq, acker: acker, progress: progress.Tracker{Redis: c.Redis, Prefix: c.KeyPrefix},
		store: st, forget: srv.ForgetJob, metrics: m, log: log}
	// Any worker on a queue the beat sends to runs the check: with the
	// check on the heartbeat queue, every replica's heartbeat workers.
	check := &checker.Task{Store: st, OfflineAfter: c.Settings.OfflineAfter, Scale: c.Clock.Scale,
		Metrics: checker.NewMetrics(m.Registry, m.Offline)}
	pool := func(b broker.Broker, name string) *worker.Pool {
		return &worker.Pool{Broker: b, Store: st, Cache: cache, Clock: workerClock, Throttle: c.Settings.Throttle, Metrics: m,
			Events: c.Events, Size: c.Settings.TaskWorkers, ResultCost: c.Settings.ResultCost, Replica: c.Replica, Log: log,
			SoftLimit: c.Settings.TaskSoftTimeLimit, HardLimit: c.Settings.TaskTimeLimit, Name: name, Finisher: finisher, Check: check}
	}
	name := fmt.Sprintf("%sr%d", c.KeyPrefix, c.Replica)
	r := &Reference{Handler: srv.Handler(), Metrics: m, Store: st, Broker: q, Results: results, Strategy: strat,
		pool: pool(q, name), closeResults: closeResults, closeCheck: func() error { return nil }, acker: acker}
	if !c.NoFeeder {
		r.feeder = &taskqueue.Feeder{Queue: tq, Jobs: st.UnlimitedJobs, Log: log}
	}
	if separate {
		r.resultPool = pool(results, name+"-results")
	}
	if !c.NoChecker {
		beatQueue := q
		if c.Settings.CheckerQueue == settings.CheckerOnOwnQueue {
			cq, closeCheck, err := besideQueue(c, checkerSub, log)
			if err != nil {
				_ = closeResults()
				return nil, fmt.Errorf("opening the offline check's queue: %w", err)
			}
			beatQueue, r.checkQueue, r.closeCheck = cq, cq, closeCheck
			// One worker: one check at a time is all a queue of its own
			// ever holds.
			r.checkPool = pool(cq, name+"-checker")
			r.checkPool.Size = 1
		}
		r.beat = &checker.Beat{Queue: beatQueue, Clock: c.Clock, Every: c.Settings.CheckerEvery, Expires: c.Settings.CheckerExpires,
			Events: c.Events, Metrics: check.Metrics, Replica: c.Replica, Log: log}
		r.watch = &dbwatch.Watch{Pool: c.DB, Metrics: m, Log: log}
	}
	return r, nil
}

// resultsQueue is where /result sends results: the heartbeat's queue when
// shared, else c.ResultsBroker or one derived beside it. close releases
// what it opened (nothing when it opened nothing).
func resultsQueue(c Config, separate bool, log *slog.Logger) (b broker.Broker, close func() error, err error) {
	none := func() error { return nil }
	if !separate {
		return c.Broker, none, nil
	}
	if c.ResultsBroker != nil {
		return c.ResultsBroker, none, nil
	}
	b, close, err = besideQueue(c, resultsSub, log)
	if err != nil {
		return nil, nil, fmt.Errorf("opening the results queue: %w", err)
	}
	return b, close, nil
}

// besideQueue opens the queue sub beside c.Broker (broker.Deriver: the same
// server, named with KeyPrefix+sub), or, for a broker that cannot derive, a
// Redis list on Redis under KeyPrefix+sub.
func besideQueue(c Config, sub string, log *slog.Logger) (b broker.Broker, close func() error, err error) {
	if d, ok := c.Broker.(broker.Deriver); ok {
		b, err := d.Derive(sub, log)
		if err != nil {
			return nil, nil, err
		}
		return b, b.Close, nil
	}
	return broker.NewRedisQueue(c.Redis, c.KeyPrefix+sub, log), func() error { return nil }, nil
}

// Run runs the task workers and the offline check's beat until ctx ends,
// then releases the queues New opened.
func (r *Reference) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { r.pool.Run(ctx) })
	if r.resultPool != nil {
		wg.Go(func() { r.resultPool.Run(ctx) })
	}
	if r.checkPool != nil {
		wg.Go(func() { r.checkPool.Run(ctx) })
	}
	if r.beat != nil {
		wg.Go(func() { r.beat.Run(ctx) })
	}
	if r.watch != nil {
		wg.Go(func() { r.watch.Run(ctx) })
	}
	if r.feeder != nil {
		wg.Go(func() { r.feeder.Run(ctx) })
	}
	wg.Wait()
	r.acker.Close()
	if err := r.closeResults(); err != nil {
		r.pool.Log.Warn("closing the results queue", "err", err)
	}
	if err := r.closeCheck(); err != nil {
		r.pool.Log.Warn("closing the offline check's queue", "err", err)
	}
}

// StallWorkers stops (true) or restarts the replica's task workers taking
// tasks, heartbeats and results alike: the queues back up behind them.
func (r *Reference) StallWorkers(stalled bool) {
	r.pool.Stall(stalled)
	if r.resultPool != nil {
		r.resultPool.Stall(stalled)
	}
	if r.checkPool != nil {
		r.checkPool.Stall(stalled)
	}
}

// CrashWorker makes the next heartbeat task die after its write, before its
// acknowledgement; RestoreWorkers brings the dead worker back (or disarms a
// crash that never happened).
func (r *Reference) CrashWorker()    { r.pool.Crash() }
func (r *Reference) RestoreWorkers() { r.pool.Restore() }

// SkewWorkers sets the task workers' clock off by d (wall time): the
// heartbeat workers', and the offline check's own worker's where it has one.
func (r *Reference) SkewWorkers(d time.Duration) {
	r.pool.Skew(d)
	if r.checkPool != nil {
		r.checkPool.Skew(d)
	}
}

// Drain waits (up to timeout) until the broker's queues (heartbeats, and
// results when they have their own) are empty, so that a run's last
// dispatches have reached the database before it is observed.
func (r *Reference) Drain(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	queues := []broker.Broker{r.Broker}
	if r.resultPool != nil {
		queues = append(queues, r.Results)
	}
	if r.checkQueue != nil {
		queues = append(queues, r.checkQueue)
	}
	for {
		var n int64
		var err error
		for _, q := range queues {
			m, qerr := q.Depth(ctx)
			n, err = n+m, errors.Join(err, qerr)
		}
		if err == nil && n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("broker queues still hold %d messages after %s (err: %v)", n, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
