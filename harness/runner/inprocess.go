package runner

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/hbharness/hbharness/harness/fault"
	"github.com/hbharness/hbharness/harness/observe"
	"github.com/hbharness/hbharness/internal/provision"
	"github.com/hbharness/hbharness/internal/redisconn"
	"github.com/hbharness/hbharness/reference"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/scenarios"
)

// sharedToken is what attacks and shared-token callers send in-process.
const sharedToken = "hbharness-run"

// inProcess is the reference on loopback, in a sandbox of its own on the
// shared servers: a database and a key prefix made for the run and removed
// after it, whatever happens.
type inProcess struct {
	spec    *scenarios.Spec
	seed    int64
	log     *slog.Logger
	sweeper *sync.Once     // shared by every run of the process
	plant   []contract.Bug // planted on purpose, for the harness's own tests

	closers  []func() // run in reverse by Close
	pool     *pgxpool.Pool
	redis    *redis.Client // the sandbox's own, never proxied
	prefix   string
	replicas []*replica
	balancer *balancer
	stopped  bool
	events   heartbeat.Recorder
	counted  liveEvents // passes events on to events, counting them
	sampler  *observe.Sampler
	bg       context.Context // what replicas (and restarted ones) run under
	shared   *reference.Shared
}

// webPoolSize is the most connections one replica's views hold on this
// shared server (see replicaOptions).
const webPoolSize = 24

// replica is one reference server and what it is built from, so a killed
// one can be started again as it was.
type replica struct {
	mu   sync.Mutex
	opt  reference.Options
	ref  *reference.Reference
	srv  *reference.Server
	dead bool
}

func (t *inProcess) onClose(f func()) { t.closers = append(t.closers, f) }

func (t *inProcess) Close() {
	t.stopServers()
	for i := len(t.closers) - 1; i >= 0; i-- {
		t.closers[i]()
	}
	t.closers = nil
}

func (t *inProcess) Start(ctx context.Context) (Setup, error) {
	sb, err := t.sandbox(ctx)
	if err != nil {
		return Setup{}, err
	}
	keys, err := seed(ctx, t.pool, t.spec)
	if err != nil {
		return Setup{}, fmt.Errorf("%w: seeding: %w", ErrEnvironment, err)
	}
	if err := reference.StartJobs(ctx, sb.urls.NATS, t.redis, t.prefix, t.spec.TimeScale, t.spec.Settings,
		reference.Jobs(keys, int64(t.spec.Fixtures.TasksPerJob)), t.log); err != nil {
		return Setup{}, fmt.Errorf("%w: starting the jobs' task queues: %w", ErrEnvironment, err)
	}
	if err := observe.InstallAudit(ctx, t.pool); err != nil {
		return Setup{}, fmt.Errorf("%w: %w", ErrEnvironment, err)
	}
	t.bg = context.WithoutCancel(ctx)
	t.counted.next = &t.events
	targets := &fault.Targets{DB: sb.dsn, Keys: gateKeys{rc: t.redis, prefix: t.prefix}, Replicas: t}
	for i := range t.spec.Replicas {
		// Each replica gets its own connections, through fault proxies of
		// its own when the scenario injects faults; the observers keep
		// direct ones.
		opt, proxies, err := t.replicaOptions(ctx, sb, i)
		if err != nil {
			return Setup{}, err
		}
		targets.Proxies = append(targets.Proxies, proxies)
		r := &replica{opt: opt}
		t.replicas = append(t.replicas, r)
		if err := t.serve(r); err != nil {
			return Setup{}, err
		}
	}
	urls := []string{t.replicas[0].srv.URL}
	if len(t.replicas) > 1 {
		// Several web processes sit behind a load balancer, as Antenna's do.
		backends := make([]string, len(t.replicas))
		for i, r := range t.replicas {
			backends[i] = r.srv.URL
		}
		if t.balancer, err = newBalancer(backends, t.log); err != nil {
			return Setup{}, err
		}
		t.onClose(t.balancer.close)
		urls = []string{t.balancer.url}
	}
	if len(t.spec.Faults) == 0 && t.spec.RandomFaults == nil {
		targets = nil
	}
	scale := t.spec.TimeScale
	t.sampler = &observe.Sampler{Pool: t.pool, Every: max(time.Millisecond, scale.Wall(t.spec.SampleEvery)), Period: t.spec.SampleEvery, Log: t.log}
	if t.sampler.Offset, _, err = observe.ClockOffset(ctx, t.pool); err != nil {
		return Setup{}, fmt.Errorf("%w: %w", ErrEnvironment, err)
	}
	t.log.Info("driving", "workers", t.spec.WorkerCount(), "keys", len(keys), "replicas", len(t.replicas),
		"model", t.spec.Duration, "wall", scale.Wall(t.spec.Duration).Round(time.Millisecond))
	return Setup{Name: "in-process", URLs: urls, Keys: keys, Token: sharedToken, ServiceTokens: true,
		Sampler: t.sampler, Locks: &observe.Locks{Pool: t.pool, Every: lockWatchEvery, Scale: t.spec.TimeScale, Log: t.log}, Faults: targets, Counts: t.counted.counts, Log: t.log}, nil
}

// sandbox is the run's slice of the shared servers.
type sandbox struct {
	urls   provision.URLs
	dsn    string
	prefix string
}

// sandbox creates the run's database and key prefix; Close drops the
// database and deletes the keys and the NATS streams named under the prefix.
func (t *inProcess) sandbox(ctx context.Context) (sandbox, error) {
	svc, err := provision.Resolve(ctx, provision.FromEnv(), provision.Options{Log: t.log})
	if err != nil {
		return sandbox{}, fmt.Errorf("%w: %w", ErrEnvironment, err)
	}
	t.onClose(svc.Close)
	t.sweep(ctx, svc.URLs)
	name := provision.NewName("run")
	dsn, drop, err := provision.CreateDatabase(ctx, svc.Database, name)
	if err != nil {
		return sandbox{}, fmt.Errorf("%w: %w", ErrEnvironment, err)
	}
	t.onClose(func() {
		if err := drop(context.Background()); err != nil {
			t.log.Error("could not drop the run's database; drop it by hand", "database", name, "err", err)
		}
	})
	if t.pool, err = openPool(ctx, dsn, 8); err != nil {
		return sandbox{}, err
	}
	t.onClose(t.pool.Close)
	rc, err := redisconn.Open(svc.Redis, redisconn.Timeouts{Timeout: 5 * time.Second})
	if err != nil {
		return sandbox{}, fmt.Errorf("%w: %w", ErrEnvironment, err)
	}
	prefix := provision.Prefix(name)
	t.redis, t.prefix = rc, prefix
	// Named in the log so that whoever finds it left behind knows what it
	// was; `hbharness gc` or the next run removes it after an hour.
	t.log.Info("sandbox", "database", name, "key_prefix", prefix)
	t.onClose(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := provision.DeleteKeys(ctx, rc, prefix); err != nil {
			t.log.Error("could not delete the run's Redis keys", "prefix", prefix, "err", err)
		}
		_ = rc.Close()
		if err := provision.DeleteStreams(ctx, svc.NATS, prefix); err != nil {
			t.log.Error("could not delete the run's NATS streams", "prefix", prefix, "err", err)
		}
	})
	return sandbox{urls: svc.URLs, dsn: dsn, prefix: prefix}, nil
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

// seed resets the schema and seeds the scenario's fixtures.
func seed(ctx context.Context, pool *pgxpool.Pool, spec *scenarios.Spec) ([]contract.Key, error) {
	f := spec.Fixtures
	return reference.Seed(ctx, pool, contract.Fixtures{Projects: f.Projects, Pipelines: f.Pipelines,
		ServicesPerKey: f.ServicesPerKey, JobsPerKey: f.JobsPerKey, TasksPerJob: int64(f.TasksPerJob)}, false)
}

// replicaOptions says where replica i's own connections go: direct, or
// through fault proxies of its own (one per dependency) when the scenario
// has faults.
func (t *inProcess) replicaOptions(ctx context.Context, sb sandbox, i int) (reference.Options, fault.Proxies, error) {
	urls := reference.URLs{Database: sb.dsn, Redis: sb.urls.Redis, Broker: sb.urls.Broker, NATS: sb.urls.NATS}
	var proxies fault.Proxies
	if len(t.spec.Faults) > 0 || t.spec.RandomFaults != nil {
		for _, p := range []struct {
			name string
			url  *string
			slot **fault.Proxy
		}{{"postgres", &urls.Database, &proxies.DB}, {"redis", &urls.Redis, &proxies.Redis}, {"broker", &urls.Broker, &proxies.Broker},
			{"nats", &urls.NATS, &proxies.NATS}} {
			name := fmt.Sprintf("%s-r%d", p.name, i)
			proxy, proxied, err := fault.ProxyURL(ctx, name, *p.url, t.log)
			if err != nil {
				return reference.Options{}, fault.Proxies{}, fmt.Errorf("%w: %w", ErrEnvironment, err)
			}
			t.onClose(func() { _ = proxy.Close() })
			*p.url, *p.slot = proxied, proxy
		}
	}
	// The views' connections: one per request in its view, up to what this
	// shared server can spare a run (requests past it queue for one, where
	// Django would open another until max_connections, see
	// settings.DBMaxConnections, which still refuses the excess). Antenna's
	// cache and broker clients have their timeouts on the scaled clock like
	// everything else (a 5 s connect timeout is 5 model seconds) but never
	// under modeltime.MinTimeout, so a starved runner is no outage.
	return reference.Options{URLs: urls, WebPool: webPoolSize, Shared: t.shared, KeyPrefix: sb.prefix, Strategy: t.spec.Strategy,
		Policy: t.spec.FailurePolicy, Scale: t.spec.TimeScale, Settings: t.spec.Settings, Token: sharedToken,
		Events: &t.counted, Replica: i, Log: t.log, NoChecker: i > 0, NoFeeder: i > 0,
		// A RabbitMQ queue lives outside the key prefix: the first replica removes it by name.
		RemoveQueue: i == 0, Bugs: t.plant}, proxies, nil
}

// serve builds replica r's reference and serves it on a fresh loopback port.
// Only the first replica runs the offline checker, as one beat scheduler
// does in production.
func (t *inProcess) serve(r *replica) error {
	ref, err := reference.Open(t.bg, r.opt)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrEnvironment, err)
	}
	t.onClose(ref.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return envErr("listening on loopback: %v", err)
	}
	r.ref, r.srv, r.dead = ref, ref.Serve(t.bg, ln, t.log.With("replica", r.opt.Replica)), false
	return nil
}

// Settle drains each replica's queue, so the last dispatches reach the
// database before it is judged, then stops the replicas.
func (t *inProcess) Settle(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	// Two windows is plenty for work in flight; a queue that still holds
	// work after that is a backlog the scenario built on purpose.
	drainFor := min(10*time.Second, max(time.Second, t.spec.TimeScale.Wall(2*t.spec.Settings.Throttle)))
	for _, r := range t.live() {
		if err := r.ref.Drain(ctx, drainFor); err != nil {
			t.log.Info("queue not drained at the end of the run; its tasks are not observed", "err", err)
		}
	}
	t.stopServers()
}

// live lists the replicas started: one whose web process was killed
// still has task workers to drain and stop.
func (t *inProcess) live() []*replica {
	var out []*replica
	for _, r := range t.replicas {
		r.mu.Lock()
		if r.srv != nil {
			out = append(out, r)
		}
		r.mu.Unlock()
	}
	return out
}

func (t *inProcess) stopServers() {
	if t.stopped {
		return
	}
	t.stopped = true
	var wg sync.WaitGroup
	for _, r := range t.live() {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := r.srv.Shutdown(ctx); err != nil {
				t.log.Warn("replica did not shut down cleanly", "replica", r.opt.Replica, "err", err)
			}
		})
	}
	wg.Wait()
}

// Collect reads the audit, which times every write by the database's clock
// and names the dispatch that made it, and lists what is still queued.
func (t *inProcess) Collect(ctx context.Context, start time.Time) (Observations, error) {
	var audit observe.WriteObserver = &observe.Audit{Pool: t.pool, Offset: t.sampler.Offset}
	audited, err := audit.Seen(ctx, start)
	if err != nil {
		return Observations{}, fmt.Errorf("%w: %w", ErrEnvironment, err)
	}
	seen := Observations{Events: t.events.All(), HaveDispatches: true, Observation: audit.Observation(),
		DetectionLimit: audit.DetectionLimit(), WriteGaps: audit.Gaps(), Writes: writesOf(audited)}
	seen.Pending, seen.PendingKnown = t.pending(ctx)
	var refs []*reference.Reference
	for _, r := range t.replicas {
		if r.ref != nil {
			refs = append(refs, r.ref)
		}
	}
	if seen.Views, err = viewsOf(refs, t.spec.TimeScale); err != nil {
		seen.Notes = append(seen.Notes, "the web tier's view times could not be read: "+err.Error())
	}
	if n := t.sampler.Errors(); n > 0 {
		seen.Notes = append(seen.Notes, fmt.Sprintf("%d database samples failed", n))
	}
	return seen, nil
}

// pending lists the dispatches whose tasks are still queued, where the
// broker can say (see reference.Reference.Pending).
func (t *inProcess) pending(ctx context.Context) ([]string, bool) {
	ids, known, err := t.replicas[0].ref.Pending(ctx) // every replica's broker is the one queue
	if err != nil {
		t.log.Warn("could not list the queue; tasks not accounted for are not judged", "err", err)
		return nil, false
	}
	return ids, known
}

// sweep removes what runs and tests killed more than an hour ago left on
// the shared servers (their cleanup never ran), once per process: a suite
// need not scan Redis before every scenario. It never fails the run.
func (t *inProcess) sweep(ctx context.Context, urls provision.URLs) {
	t.sweeper.Do(func() {
		swept, err := provision.Sweep(ctx, urls, provision.DefaultSweepAge, time.Now(), t.log)
		if err != nil {
			t.log.Warn("could not remove what earlier killed runs left behind; run `hbharness gc`", "err", err)
		}
		if swept.Len() > 0 {
			t.log.Info("removed leftovers of killed runs and tests", "databases", len(swept.Databases),
				"keys", len(swept.Keys), "queues", len(swept.Queues), "streams", len(swept.Streams))
		}
	})
}
