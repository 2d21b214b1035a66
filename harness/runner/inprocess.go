package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/hbharness/hbharness/harness/observe"
	"github.com/hbharness/hbharness/harness/provision"
	"github.com/hbharness/hbharness/reference"
	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/clock"
	"github.com/hbharness/hbharness/reference/gate"
	"github.com/hbharness/hbharness/reference/store"
	"github.com/hbharness/hbharness/scenarios"
)

// sandbox is one run's isolated slice of the shared servers.
type sandbox struct {
	urls     provision.URLs
	pool     *pgxpool.Pool // the observer's own connections, never proxied
	dsn      string
	redis    *redis.Client
	prefix   string
	cleanups []func()
}

func (s *sandbox) close() {
	for i := len(s.cleanups) - 1; i >= 0; i-- {
		s.cleanups[i]()
	}
}

// provisionSandbox creates the run's database and key prefix. Whatever
// happens later, close() drops the database and deletes the keys.
func provisionSandbox(ctx context.Context, log *slog.Logger) (*sandbox, error) {
	svc, err := provision.Resolve(ctx, provision.FromEnv(), provision.Options{Log: log})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEnvironment, err)
	}
	sb := &sandbox{urls: svc.URLs}
	sb.cleanups = append(sb.cleanups, svc.Close)
	name := provision.NewName("run")
	dsn, drop, err := provision.CreateDatabase(ctx, svc.Database, name)
	if err != nil {
		sb.close()
		return nil, fmt.Errorf("%w: %w", ErrEnvironment, err)
	}
	sb.dsn = dsn
	sb.cleanups = append(sb.cleanups, func() {
		if err := drop(context.Background()); err != nil {
			log.Error("could not drop the run's database; drop it by hand", "database", name, "err", err)
		}
	})
	if sb.pool, err = openPool(ctx, dsn, 8); err != nil {
		sb.close()
		return nil, err
	}
	sb.cleanups = append(sb.cleanups, sb.pool.Close)
	if sb.redis, err = provision.RedisClient(svc.Redis, provision.RedisTimeouts{Timeout: 5 * time.Second}); err != nil {
		sb.close()
		return nil, fmt.Errorf("%w: %w", ErrEnvironment, err)
	}
	sb.prefix = provision.Prefix(name)
	sb.cleanups = append(sb.cleanups, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := provision.DeleteKeys(ctx, sb.redis, sb.prefix); err != nil {
			log.Error("could not delete the run's Redis keys", "prefix", sb.prefix, "err", err)
		}
		_ = sb.redis.Close()
	})
	return sb, nil
}

func openPool(ctx context.Context, dsn string, size int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: database URL %s: %w", ErrEnvironment, provision.Redact(dsn), err)
	}
	cfg.MaxConns = size
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: connecting to %s: %w", ErrEnvironment, provision.Redact(dsn), err)
	}
	return pool, nil
}

// replica is one in-process reference server on a loopback port.
type replica struct {
	ref  *reference.Reference
	url  string
	srv  *http.Server
	done chan struct{}
}

// startReplicas starts spec.Replicas references sharing one Redis, as
// several web processes behind a load balancer do. Only the first runs the
// offline checker, as one beat scheduler does in production.
func startReplicas(ctx context.Context, spec *scenarios.Spec, deps replicaDeps, log *slog.Logger) ([]*replica, func(), error) {
	clk, err := clock.New(spec.TimeScale)
	if err != nil {
		return nil, nil, err
	}
	settings := reference.Settings{Throttle: spec.Settings.Throttle, OfflineAfter: spec.Settings.OfflineAfter,
		CheckerEvery: spec.Settings.CheckerEvery, JobCacheTTL: spec.Settings.JobCacheTTL, TaskWorkers: spec.Settings.TaskWorkers,
		ResultCost: spec.Settings.ResultCost}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var reps []*replica
	stop := func() {
		var wg sync.WaitGroup
		for _, r := range reps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer scancel()
				_ = r.srv.Shutdown(sctx)
			}()
		}
		wg.Wait()
		cancel()
		for _, r := range reps {
			<-r.done
		}
	}
	for i := range spec.Replicas {
		ref, err := reference.New(reference.Config{DB: deps.db, Redis: deps.redis, Broker: deps.broker,
			KeyPrefix: deps.prefix, Strategy: spec.Strategy, Policy: gate.Policy(spec.FailurePolicy), Clock: clk,
			Settings: settings, Token: deps.token, Events: deps.events, Replica: i, Log: log, NoChecker: i > 0})
		if err != nil {
			stop()
			return nil, nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			stop()
			return nil, nil, fmt.Errorf("%w: listening on loopback: %w", ErrEnvironment, err)
		}
		r := &replica{ref: ref, url: "http://" + ln.Addr().String(), done: make(chan struct{}),
			srv: &http.Server{Handler: ref.Handler, ReadHeaderTimeout: 10 * time.Second,
				ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}}
		go func() { ref.Run(bg); close(r.done) }()
		go func() {
			if err := r.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("replica server stopped", "replica", i, "err", err)
			}
		}()
		reps = append(reps, r)
	}
	return reps, stop, nil
}

type replicaDeps struct {
	db            *pgxpool.Pool
	redis         *redis.Client
	broker        broker.Broker
	prefix, token string
	events        *observe.Events
}

// seed resets the schema and seeds the scenario's fixtures.
func seed(ctx context.Context, pool *pgxpool.Pool, spec *scenarios.Spec) ([]store.Key, error) {
	if err := store.ResetSchema(ctx, pool); err != nil {
		return nil, err
	}
	f := spec.Fixtures
	return store.Seed(ctx, pool, store.Fixtures{Projects: f.Projects, Pipelines: f.Pipelines,
		ServicesPerKey: f.ServicesPerKey, JobsPerKey: f.JobsPerKey, TasksPerJob: int64(f.TasksPerJob)})
}
