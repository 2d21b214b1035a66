package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbharness/hbharness/harness/runner"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/internal/provision"
	"github.com/hbharness/hbharness/reference"
	"github.com/hbharness/hbharness/reference/antenna"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/settings"
	"github.com/hbharness/hbharness/reference/store"
	"github.com/hbharness/hbharness/reference/taskqueue"
	"github.com/hbharness/hbharness/scenarios"
)

// serveFlags declares serve's flags, for cmdServe to parse and for help and
// docs/cli.md to list.
func serveFlags() (*flag.FlagSet, *serveArgs) {
	def := settings.Default()
	fs := newFlags("serve")
	addr := fs.String("addr", "127.0.0.1:8000", "listen address")
	strat := fs.String("strategy", contract.DefaultStrategy, "heartbeat strategy: "+strings.Join(contract.Strategies(), ", "))
	policy := fs.String("failure-policy", string(contract.DefaultPolicy), "gate failure policy: "+strings.Join(contract.PolicyNames(), ", "))
	scale := modeltime.Flag{Scale: modeltime.Real}
	fs.Var(&scale, "time-scale", "model-to-wall time scale in (0, 1]; 0.05 runs 20x faster")
	seed := fs.String("seed", "", "(re)create the schema and fixtures: \"default\", or a scenario name or file whose fixtures to seed")
	force := fs.Bool("force", false, "with --seed, drop and recreate the schema even in a database holding tables hbharness did not create")
	token := fs.String("token", "dev-token", "shared API token (per-service tokens "+antenna.ServiceToken(1)+", ... are accepted too)")
	prefix := fs.String("key-prefix", "", "Redis key prefix (empty: Antenna's exact keys)")
	s := def
	fs.DurationVar(&s.RedisReadTimeout, "redis-read-timeout", def.RedisReadTimeout, "the cache client's read timeout, model time; 0: none, as Antenna's (it connects within 5 s and never retries)")
	fs.DurationVar(&s.BrokerConnectTimeout, "broker-connect-timeout", def.BrokerConnectTimeout, "the broker client's connect timeout, model time (Celery's broker_connection_timeout)")
	fs.IntVar(&s.TaskWorkers, "task-workers", def.TaskWorkers, "task workers per queue (CELERY_WORKER_CONCURRENCY)")
	fs.IntVar(&s.WebConcurrency, "web-concurrency", def.WebConcurrency, "web worker processes (WEB_CONCURRENCY)")
	fs.IntVar(&s.WebThreads, "web-threads", def.WebThreads, "requests one web process runs at once; 0: unbounded, as Antenna's ASGI workers")
	fs.DurationVar(&s.ViewCPU, "view-cpu", def.ViewCPU, "Python CPU per request under its process's GIL, model time; 0: not modelled")
	fs.DurationVar(&s.NatsTaskTTR, "nats-task-ttr", def.NatsTaskTTR, "the task queue's ack wait, model time (NATS_TASK_TTR)")
	fs.IntVar(&s.NatsMaxDeliver, "nats-max-deliver", def.NatsMaxDeliver, "deliveries of one task at most (NATS_MAX_DELIVER)")
	fs.IntVar(&s.NatsMaxAckPending, "nats-max-ack-pending", def.NatsMaxAckPending, "reserved, unacknowledged tasks a job may have out at once (NATS_MAX_ACK_PENDING)")
	fs.IntVar(&s.DBMaxConnections, "db-max-connections", def.DBMaxConnections, "database connections the deployment may hold (the web tier gets what the workers leave); 0: no limit")
	fs.StringVar(&s.JobLog, "job-log", def.JobLog, "where job log lines go: "+strings.Join(settings.JobLogs(), ", "))
	fs.BoolVar(&s.Cachalot, "cachalot", def.Cachalot, "model django-cachalot's Redis round trips")
	fs.DurationVar(&s.Throttle, "throttle", def.Throttle, "gate window, model time")
	fs.DurationVar(&s.OfflineAfter, "offline-after", def.OfflineAfter, "offline window, model time")
	fs.DurationVar(&s.CheckerEvery, "checker-every", def.CheckerEvery, "how often the beat enqueues the offline check, model time (Antenna's crontab: every 5 min)")
	fs.DurationVar(&s.CheckerExpires, "checker-expires", def.CheckerExpires, "how long a queued offline check may wait before a worker drops it unrun, model time (Antenna's expires=240)")
	fs.StringVar(&s.CheckerQueue, "checker-queue", def.CheckerQueue, "where the offline check waits: "+strings.Join(settings.CheckerQueues(), ", ")+
		" (heartbeat: the heartbeat tasks' queue, as Antenna's default queue; own: a queue and a worker of its own, issue #1229)")
	return fs, &serveArgs{addr: addr, strat: strat, policy: policy, scale: &scale, seed: seed, force: force, token: token, prefix: prefix, s: &s}
}

// serveArgs are where serve's flags are parsed to.
type serveArgs struct {
	addr, strat, policy, seed, token, prefix *string
	scale                                    *modeltime.Flag
	force                                    *bool
	s                                        *settings.Settings
}

func cmdServe(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs, a := serveFlags()
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	addr, strat, policy, scale, seed, force, token, prefix, s := a.addr, a.strat, a.policy, *a.scale, a.seed, a.force, a.token, a.prefix, *a.s
	pol, err := contract.ParsePolicy(*policy)
	if err != nil {
		return usageError{err}
	}
	if !slices.Contains(contract.Strategies(), *strat) {
		return usagef("unknown strategy %q: use one of %s", *strat, strings.Join(contract.Strategies(), ", "))
	}
	if err := s.Validate(); err != nil {
		return usagef("bad settings: %v", err)
	}
	var fixtures *contract.Fixtures
	if *seed != "" {
		f, err := seedFixtures(*seed)
		if err != nil {
			return err
		}
		fixtures = &f
	}

	urls := provision.FromEnv()
	// Postgres is required; Redis, the broker and NATS are not, as Antenna's
	// web workers start with the broker down (the heartbeat is not
	// critical), and with NATS down (/tasks answers 503 until it is back).
	if err := provision.ProbePostgres(ctx, urls.Database, 5*time.Second); err != nil {
		return usagef("postgres at %s is not reachable: %v\nfix: start it or set DATABASE_URL", provision.Redact(urls.Database), err)
	}
	for name, u := range map[string]string{"redis (gate)": urls.Redis, "broker": urls.Broker} {
		if err := provision.ProbeBroker(ctx, u, settings.RedisConnectTimeout); err != nil {
			log.Warn("starting without "+name+"; heartbeats will fail per the failure policy and enqueue failures are counted",
				"url", provision.Redact(u), "err", err)
		}
	}
	natsDown := provision.ProbeNATS(ctx, urls.NATS, taskqueue.ConnectTimeout)
	if natsDown != nil {
		log.Warn("starting without NATS (the task queue); /tasks answers 503 until it is back", "url", provision.Redact(urls.NATS), "err", natsDown)
	}
	// A connection of serve's own seeds the database, or checks it has the
	// schema; the replica opens its own.
	pool, err := openServePool(ctx, urls.Database, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	var seeded []contract.Key
	if fixtures != nil {
		seeded, err = reference.Seed(ctx, pool, *fixtures, *force)
		if err != nil {
			if errors.Is(err, store.ErrForeignTables) {
				return usagef("--seed refused on %s: %v; point DATABASE_URL at a database of its own, or pass --force to drop them anyway",
					provision.Redact(urls.Database), err)
			}
			return err
		}
		log.Info("seeded fixtures", "keys", len(seeded), "first_job", firstJob(seeded))
	} else if _, err := store.New(pool).ListActiveJobs(ctx, store.ListFilter{}); err != nil {
		return usagef("the database has no Antenna schema (%v)\nfix: run serve with --seed default", err)
	}
	pool.Close()
	if fixtures != nil && natsDown != nil {
		return usagef("--seed publishes the jobs' tasks to NATS at %s, which is not reachable: %v\nfix: start it (bash scripts/services.sh) or set NATS_URL",
			provision.Redact(urls.NATS), natsDown)
	}
	// Timeouts are model time like every other duration of serve.
	ref, err := reference.Open(ctx, reference.Options{URLs: reference.URLs{Database: urls.Database, Redis: urls.Redis, Broker: urls.Broker, NATS: urls.NATS},
		WebPool: serveWebPool, KeyPrefix: *prefix, Strategy: *strat, Policy: string(pol), Scale: scale.Scale, Settings: s, Token: *token, Log: log})
	if err != nil {
		return usageError{err}
	}
	defer ref.Close()
	if fixtures != nil {
		if err := ref.StartJobs(ctx, reference.Jobs(seeded, fixtures.TasksPerJob)); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return usagef("cannot listen on %s: %v", *addr, err)
	}
	srv := ref.Serve(ctx, ln, log)
	log.Info("serving", "addr", ln.Addr().String(), "strategy", *strat, "failure_policy", pol, "time_scale", scale.Scale)
	fmt.Fprintf(stdout, "listening on %s\n", srv.URL)
	var failed error
	select {
	case <-ctx.Done():
	case err := <-srv.Failed():
		failed = fmt.Errorf("server stopped: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	log.Info("stopped")
	return failed
}

// serveWebPool is the most connections serve's views hold: enough for a
// load generator's 64 workers each to have its request in the database, as
// Django would give each its own (settings.DBMaxConnections still refuses
// past the deployment's limit).
const serveWebPool = 80

func openServePool(ctx context.Context, dsn string, size int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, usagef("DATABASE_URL %s: %v", provision.Redact(dsn), err)
	}
	cfg.MaxConns = size
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, usagef("DATABASE_URL %s: %v", provision.Redact(dsn), err)
	}
	return pool, nil
}

func firstJob(keys []contract.Key) int64 {
	for _, k := range keys {
		if len(k.Jobs) > 0 {
			return k.Jobs[0]
		}
	}
	return 0
}

// seedFixtures resolves --seed: "default" or a scenario's fixtures.
func seedFixtures(name string) (contract.Fixtures, error) {
	if name == "default" {
		return contract.DefaultFixtures(), nil
	}
	spec, err := scenarios.Load(name, runner.ScenarioOptions())
	if err != nil {
		return contract.Fixtures{}, usageError{fmt.Errorf("--seed %s: %w", name, err)}
	}
	f := spec.Fixtures
	return contract.Fixtures{Projects: f.Projects, Pipelines: f.Pipelines, ServicesPerKey: f.ServicesPerKey,
		JobsPerKey: f.JobsPerKey, TasksPerJob: int64(f.TasksPerJob)}, nil
}

func cmdScenarios(stdout io.Writer) error {
	for _, b := range scenarios.Builtins(runner.ScenarioOptions()) {
		mark := " "
		switch {
		case b.Quick:
			mark = "q" // in suite --quick
		case b.Predeploy:
			mark = "p" // in suite --predeploy, and suite --target's default
		}
		fmt.Fprintf(stdout, "%-18s %s %s\n", b.Name, mark, b.Description)
	}
	fmt.Fprintln(stdout, "\nq: in the pull-request subset, `hbharness suite --quick` (make loadtest)")
	fmt.Fprintln(stdout, "p: in the pre-deploy subset, `hbharness suite --target URL …` (make loadtest TARGET=URL …)")
	return nil
}
