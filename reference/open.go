package reference

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/internal/redisconn"
	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/reference/settings"
	"github.com/hbharness/hbharness/reference/webtier"
)

// URLs locate a replica's dependencies: PostgreSQL, the cache's Redis, the
// broker (BROKER_URL: Redis or RabbitMQ) and NATS (the task queue).
type URLs struct {
	Database, Redis, Broker, NATS string
}

// Options are what Open builds one replica from: where its dependencies
// are, and how it is configured. Durations are model time.
type Options struct {
	URLs
	// WebPool is the most database connections the replica's views hold
	// (one per request in its view); the task workers get
	// WorkerConnections of their own.
	WebPool   int32
	KeyPrefix string // isolates runs on a shared Redis and NATS; "" in production-like serve
	Strategy  string // one of contract.Strategies
	Policy    string // one of contract.PolicyNames; "": contract.DefaultPolicy
	Scale     modeltime.Scale
	Settings  settings.Settings
	Token     string
	Events    heartbeat.Sink
	Replica   int
	Log       *slog.Logger
	// NoChecker and NoFeeder leave the offline check's beat and the
	// unlimited jobs' feeder to another replica (see Config).
	NoChecker bool
	NoFeeder  bool
	// Shared is what the replicas of one deployment share (NewShared); nil
	// gives this replica a database server of its own.
	Shared *Shared
	// RemoveQueue removes the broker's queue on Close: a run's sandbox
	// does, once per deployment, since a RabbitMQ queue lives outside the
	// key prefix.
	RemoveQueue bool
	// WorkerSkew sets the task workers' clock off by this much.
	WorkerSkew time.Duration
	// Bugs are planted on purpose, for the harness's own tests.
	Bugs []contract.Bug
}

// Shared is what every replica of one deployment shares: the database
// server's count of its connections (one max_connections).
type Shared struct{ conns *webtier.Connections }

// NewShared is the shared part of a deployment run with s on scale.
func NewShared(s settings.Settings, scale modeltime.Scale) *Shared {
	return &Shared{conns: webtier.NewConnections(webtier.AtScale(s.WebDBConnections(), scale))}
}

// Open connects one replica to its dependencies, as Antenna's processes
// do (the cache's and the broker's clients with their timeouts and
// Celery's retry timings, on o.Scale), and builds it. Close releases what
// Open opened; on error nothing is left open.
func Open(ctx context.Context, o Options) (_ *Reference, err error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if err := contract.CheckStrategy(o.Strategy); err != nil {
		return nil, err
	}
	policy := contract.DefaultPolicy
	if o.Policy != "" {
		if policy, err = contract.ParsePolicy(o.Policy); err != nil {
			return nil, err
		}
	}
	if err := contract.CheckBugs(o.Bugs); err != nil {
		return nil, err
	}
	if err := o.Scale.Validate(); err != nil {
		return nil, fmt.Errorf("reference clock: %w", err)
	}
	var closers []func()
	defer func() {
		if err != nil {
			closeAll(closers)
		}
	}()
	db, err := openPool(ctx, o.Database, WorkerConnections(o.Settings))
	if err != nil {
		return nil, err
	}
	closers = append(closers, db.Close)
	webDB, err := openPool(ctx, o.Database, max(1, o.WebPool))
	if err != nil {
		return nil, err
	}
	closers = append(closers, webDB.Close)
	rc, err := redisconn.Open(o.Redis, CacheTimeouts(o.Settings, o.Scale))
	if err != nil {
		return nil, err
	}
	closers = append(closers, func() { _ = rc.Close() })
	bq, closeBroker, err := broker.Open(ctx, o.Broker, o.KeyPrefix, BrokerTiming(o.Settings, o.Scale), o.Log)
	if err != nil {
		return nil, err
	}
	closers = append(closers, func() {
		if d, ok := bq.(interface{ Delete(context.Context) error }); ok && o.RemoveQueue {
			dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := d.Delete(dctx); err != nil {
				o.Log.Error("could not delete the broker queue", "err", err)
			}
		}
		_ = closeBroker()
	})
	clock := modeltime.Clock{Scale: o.Scale}
	c := Config{DB: db, WebDB: webDB, Redis: rc, Broker: plantBroker(o.Bugs, bq, clock), NATS: o.NATS, KeyPrefix: o.KeyPrefix,
		Strategy: o.Strategy, Policy: policy, Clock: clock, Settings: o.Settings, Token: o.Token, Events: o.Events,
		Replica: o.Replica, Log: o.Log, NoChecker: o.NoChecker, NoFeeder: o.NoFeeder, WorkerSkew: o.WorkerSkew,
		Gate: plantGate(o.Bugs, rc, o.KeyPrefix)}
	if o.Shared != nil {
		c.Connections = o.Shared.conns
	}
	r, err := New(c)
	if err != nil {
		return nil, err
	}
	r.opened, r.jobs = closers, jobStarter{nats: o.NATS, redis: rc, prefix: o.KeyPrefix, scale: o.Scale, settings: o.Settings, log: o.Log}
	return r, nil
}

// Close releases the connections Open opened, after the replica has been
// shut down (Server.Shutdown). A replica New built has none.
func (r *Reference) Close() {
	closeAll(r.opened)
	r.opened = nil
}

func closeAll(closers []func()) {
	for i := len(closers) - 1; i >= 0; i-- {
		closers[i]()
	}
}

func openPool(ctx context.Context, dsn string, size int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("the database URL: %w", err)
	}
	cfg.MaxConns = size
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to the database: %w", err)
	}
	return pool, nil
}
