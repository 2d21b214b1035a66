package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbharness/hbharness/harness/provision"
	"github.com/hbharness/hbharness/reference"
	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/clock"
	"github.com/hbharness/hbharness/reference/gate"
	"github.com/hbharness/hbharness/reference/store"
	"github.com/hbharness/hbharness/reference/strategy"
	"github.com/hbharness/hbharness/scenarios"
)

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

func cmdServe(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := newFlags("serve", stdout)
	addr := fs.String("addr", "127.0.0.1:8000", "listen address")
	strat := fs.String("strategy", strategy.Default, "heartbeat strategy: "+strings.Join(strategy.Names(), ", "))
	policy := fs.String("failure-policy", string(gate.FailClosed), "gate failure policy: fail-closed, fail-open, fail-open-local")
	scale := fs.Float64("time-scale", 1, "model-to-wall time scale in (0, 1]; 0.05 runs 20x faster")
	seed := fs.String("seed", "", "(re)create the schema and fixtures: \"default\", or a scenario name or file whose fixtures to seed")
	token := fs.String("token", "dev-token", "shared API token (per-service tokens svc-<id> are accepted too)")
	prefix := fs.String("key-prefix", "", "Redis key prefix (empty: Antenna's exact keys)")
	workers := fs.Int("task-workers", 4, "heartbeat task workers")
	dial := fs.Duration("redis-timeout", 5*time.Second, "Redis connect/read timeout, model time (Antenna's connect timeout is 5s); the cache never retries")
	throttle := fs.Duration("throttle", 30*time.Second, "gate window, model time")
	offline := fs.Duration("offline-after", 60*time.Second, "offline window, model time")
	checkEvery := fs.Duration("checker-every", 5*time.Second, "offline check period, model time")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	clk, err := clock.New(*scale)
	if err != nil {
		return usageError{err}
	}
	pol, err := gate.ParsePolicy(*policy)
	if err != nil {
		return usageError{err}
	}
	if _, ok := strategy.Registry()[*strat]; !ok {
		return usagef("unknown strategy %q: use one of %s", *strat, strings.Join(strategy.Names(), ", "))
	}
	if *throttle <= 0 || *offline <= *throttle || *checkEvery <= 0 || *workers < 1 {
		return usagef("need 0 < throttle < offline-after, checker-every > 0 and task-workers >= 1")
	}
	var fixtures *store.Fixtures
	if *seed != "" {
		f, err := seedFixtures(*seed)
		if err != nil {
			return err
		}
		fixtures = &f
	}

	urls := provision.FromEnv()
	// Postgres is required; Redis and the broker are not, as Antenna's web
	// workers start with the broker down (the heartbeat is not critical).
	if err := provision.ProbePostgres(ctx, urls.Database, 5*time.Second); err != nil {
		return usagef("postgres at %s is not reachable: %v\nfix: start it or set DATABASE_URL", provision.Redact(urls.Database), err)
	}
	for name, u := range map[string]string{"redis (gate)": urls.Redis, "broker": urls.Broker} {
		if err := provision.ProbeBroker(ctx, u, *dial); err != nil {
			log.Warn("starting without "+name+"; heartbeats will fail per the failure policy and enqueue failures are counted",
				"url", provision.Redact(u), "err", err)
		}
	}
	pool, err := pgxpool.New(ctx, urls.Database)
	if err != nil {
		return usagef("DATABASE_URL %s: %v", provision.Redact(urls.Database), err)
	}
	defer pool.Close()
	if fixtures != nil {
		if err := store.ResetSchema(ctx, pool); err != nil {
			return err
		}
		keys, err := store.Seed(ctx, pool, *fixtures)
		if err != nil {
			return err
		}
		log.Info("seeded fixtures", "keys", len(keys), "first_job", firstJob(keys))
	} else if _, err := store.New(pool).ListActiveJobs(ctx, store.ListFilter{}); err != nil {
		return usagef("the database has no Antenna schema (%v)\nfix: run serve with --seed default", err)
	}
	// The timeout is model time like every other duration of serve.
	timeout := max(50*time.Millisecond, clk.Wall(*dial))
	rc, err := provision.RedisClient(urls.Redis, provision.RedisTimeouts{Timeout: timeout, Retries: -1})
	if err != nil {
		return usageError{err}
	}
	defer rc.Close()
	bq, closeBroker, err := broker.Open(ctx, urls.Broker, *prefix, timeout, log)
	if err != nil {
		return usageError{err}
	}
	defer closeBroker() //nolint:errcheck // shutting down
	if fixtures != nil && *prefix != "" {
		// Task counters of an earlier seed would make the new jobs look used up.
		_ = provision.DeleteKeys(ctx, rc, *prefix+"tasks:")
	} else if fixtures != nil {
		_ = provision.DeleteKeys(ctx, rc, "tasks:job:")
	}
	settings := reference.DefaultSettings()
	settings.Throttle, settings.OfflineAfter, settings.CheckerEvery, settings.TaskWorkers = *throttle, *offline, *checkEvery, *workers
	ref, err := reference.New(reference.Config{DB: pool, Redis: rc, Broker: bq, KeyPrefix: *prefix, Strategy: *strat,
		Policy: pol, Clock: clk, Settings: settings, Token: *token, Log: log})
	if err != nil {
		return usageError{err}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return usagef("cannot listen on %s: %v", *addr, err)
	}
	srv := &http.Server{Handler: ref.Handler, ReadHeaderTimeout: 10 * time.Second}
	bg, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() { ref.Run(bg); close(done) }()
	log.Info("serving", "addr", ln.Addr().String(), "strategy", *strat, "failure_policy", pol, "time_scale", *scale)
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("server stopped: %w", err)
		}
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	_ = srv.Shutdown(sctx)
	cancel()
	<-done
	log.Info("stopped")
	return nil
}

func firstJob(keys []store.Key) int64 {
	for _, k := range keys {
		if len(k.Jobs) > 0 {
			return k.Jobs[0]
		}
	}
	return 0
}

// seedFixtures resolves --seed: "default" or a scenario's fixtures.
func seedFixtures(name string) (store.Fixtures, error) {
	if name == "default" {
		return store.DefaultFixtures(), nil
	}
	spec, err := scenarios.Load(name, scenarios.Options{Strategies: strategy.Names()})
	if err != nil {
		return store.Fixtures{}, usageError{fmt.Errorf("--seed %s: %w", name, err)}
	}
	f := spec.Fixtures
	return store.Fixtures{Projects: f.Projects, Pipelines: f.Pipelines, ServicesPerKey: f.ServicesPerKey,
		JobsPerKey: f.JobsPerKey, TasksPerJob: int64(f.TasksPerJob)}, nil
}

func cmdScenarios(stdout io.Writer) error {
	for _, b := range scenarios.Builtins() {
		fmt.Fprintf(stdout, "%-18s %s\n", b.Name, b.Description)
	}
	return nil
}
