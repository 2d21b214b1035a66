package runner

// Mutation tests: the harness is only worth the bugs it catches. Each case
// plants one bug in an otherwise correct reference, serves it as an external
// target on a database with wal_level=logical, and runs the harness against
// it in external mode under both observations; the case names the invariant
// that must catch it. The correct control must pass, at two time scales.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/internal/provision"
	"github.com/hbharness/hbharness/internal/provision/pgcluster"
	"github.com/hbharness/hbharness/internal/provision/testenv"
	"github.com/hbharness/hbharness/internal/redisconn"
	"github.com/hbharness/hbharness/reference"
	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/checker"
	"github.com/hbharness/hbharness/reference/gate"
	"github.com/hbharness/hbharness/reference/settings"
	"github.com/hbharness/hbharness/reference/store"
	"github.com/hbharness/hbharness/scenarios"
)

const plantedToken = "planted-token"

// plantedCheckEvery is how often the planted deployment runs its offline
// check (model time): every few seconds, so that a wrong threshold shows
// within the run; the planted scenario says so (checker_every).
const plantedCheckEvery = 5 * time.Second

// planted is a scenario the bugs show in within three model minutes: six
// windows, two of them past the staleness grace.
func planted(t *testing.T, scale modeltime.Scale, herd bool) *scenarios.Spec {
	t.Helper()
	start := "start: spread, jitter: 1s"
	if herd {
		// Every worker at once: a gate that is not atomic lets several through.
		start = "start: together, jitter: 0s"
	}
	spec, err := scenarios.Parse([]byte(fmt.Sprintf(`
name: planted
duration: 3m
time_scale: %s
settings: {checker_every: %s}
fixtures: {projects: 1, pipelines: 1, services_per_key: 3, jobs_per_key: 1}
fleet: [{name: w, workers: 12, poll_every: 5s, %s, batch_size: 2}]
`, scale, plantedCheckEvery, start)), "planted.yaml", ScenarioOptions())
	require.NoError(t, err)
	return spec
}

// bug is one planted defect.
type bug struct {
	name string
	// gate replaces the Redis gate; replicas > 1 puts several replicas
	// behind a round-robin balancer; broker wraps the queue; skew sets the
	// task workers' clock off (model time); checkAfter misconfigures the
	// offline checker's threshold (model time); token is what the harness
	// sends.
	gate       func(rc *redis.Client, prefix string) gate.Gate
	replicas   int
	broker     func(broker.Broker, modeltime.Clock) broker.Broker
	skew       time.Duration
	checkAfter time.Duration
	token      string
	herd       bool
	// caughtBy is the invariant that must fail; unusable, what the run
	// must say instead. undetectedBySampling marks a bug whose effect is
	// usually below sampling's detection limit (writes milliseconds apart):
	// sampling catches it only when a sample happens to fall between them.
	caughtBy             string
	unusable             string
	undetectedBySampling bool
}

func plantedBugs() []bug {
	return []bug{
		{name: "non-atomic gate", herd: true, caughtBy: verify.AtMostOnePerWindow, undetectedBySampling: true,
			gate: func(rc *redis.Client, prefix string) gate.Gate { return &checkThenSet{rc: rc, prefix: prefix} }},
		{name: "per-process gate behind several replicas", replicas: 3, caughtBy: verify.AtMostOnePerWindow,
			gate: func(*redis.Client, string) gate.Gate { return gate.NewLocal(time.Now) }},
		{name: "TTL in the wrong unit", caughtBy: verify.AtMostOnePerWindow,
			gate: func(rc *redis.Client, prefix string) gate.Gate { return secondsAsMillis{gate.NewRedis(rc, prefix)} }},
		{name: "enqueue silently dropped", caughtBy: verify.LastSeenNeverStale,
			broker: func(b broker.Broker, _ modeltime.Clock) broker.Broker { return dropping{b} }},
		{name: "worker clock behind", skew: -45 * time.Second, caughtBy: verify.LastSeenNeverStale},
		// Ahead, every staleness check passes: the stored value reads fresh.
		{name: "worker clock ahead", skew: 40 * time.Second, caughtBy: verify.LastSeenNotInFuture},
		{name: "checker threshold wrong", checkAfter: 20 * time.Second, caughtBy: verify.NeverOfflineWhilePolled},
		{name: "heartbeat never enqueued", caughtBy: verify.LastSeenNeverStale,
			gate: func(*redis.Client, string) gate.Gate { return neverWins{} }},
		{name: "task delivered twice", caughtBy: verify.AtMostOnePerWindow,
			broker: func(b broker.Broker, c modeltime.Clock) broker.Broker {
				return &redelivering{Broker: b, after: c.Wall(10 * time.Second)}
			}},
		{name: "wrong token", token: "not-the-token", unusable: "is --token right?"},
	}
}

func TestPlantedBugsAreCaught(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end runs against a throwaway cluster; not in -short")
	}
	cluster := pgcluster.ForTest(t, map[string]string{"wal_level": "logical", "max_replication_slots": "16", "max_wal_senders": "16"})
	for _, b := range plantedBugs() {
		for _, mode := range []string{ObserveLogical, ObserveSampling} {
			t.Run(b.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				res := runAgainst(t, cluster, b, mode, 0.033)
				if b.unusable != "" {
					require.Contains(t, res.Unusable, b.unusable)
					return
				}
				v := verdict(res, b.caughtBy)
				if mode == ObserveSampling && b.undetectedBySampling && v.Outcome != verify.Fail {
					// Its writes land milliseconds apart: a sample falls
					// between two only by luck. Otherwise the verdict must
					// say what sampling cannot see rather than guess.
					require.Contains(t, v.Detail, "cannot be told apart", v.Detail)
					return
				}
				require.Equal(t, verify.Fail, v.Outcome, "%s must catch %q: %s", b.caughtBy, b.name, v.Detail)
				if b.caughtBy == verify.LastSeenNotInFuture {
					// Named for what it is, by its offset: 40 s less what
					// the write took, never more. Sampled, a write is timed
					// by the sample that saw it (a period or two later on a
					// loaded machine): a lower bound, said so.
					want := `the writer's clock is ahead by (39\.\d+|40)s`
					if mode == ObserveSampling {
						want = `the writer's clock is ahead by at least (3\d(\.\d+)?|40)s`
					}
					require.Regexp(t, want, v.Detail)
				}
			})
		}
	}
	// The correct control passes everything, at two time scales, under both.
	for _, scale := range []modeltime.Scale{0.033, 0.066} {
		for _, mode := range []string{ObserveLogical, ObserveSampling} {
			t.Run(fmt.Sprintf("correct/%s/%s", scale, mode), func(t *testing.T) {
				t.Parallel()
				res := runAgainst(t, cluster, bug{}, mode, scale)
				require.Empty(t, res.Unusable)
				for _, v := range res.Verdicts {
					require.True(t, v.Passed, "%s: %s (%s)", v.Name, v.Outcome, v.Detail)
				}
				require.Contains(t, res.Notes[0], map[string]string{ObserveLogical: "logical decoding", ObserveSampling: "sampling"}[mode])
			})
		}
	}
}

// A task delivered twice, in-process: the audit names the dispatch.
func TestInProcessDoubleWriteIsCaught(t *testing.T) {
	testenv.NeedsServices(t)
	var res *Result
	// A machine too busy for the schedule reruns once, gentler: the same
	// model at twice the time scale.
	for attempt, scale := 0, modeltime.Scale(0.033); ; attempt, scale = attempt+1, 2*scale {
		spec := planted(t, scale, false)
		opt := Options{Log: slog.New(slog.DiscardHandler), Seed: 1,
			plant: func(b broker.Broker) broker.Broker {
				return &redelivering{Broker: b, after: spec.TimeScale.Wall(10 * time.Second)}
			}}
		var err error
		res, err = Run(context.Background(), spec, opt)
		if !errors.Is(err, ErrSaturated) {
			require.NoError(t, err)
			break
		}
		if attempt == 1 {
			testenv.SkipSaturated(t, err)
		}
		t.Logf("the load generator saturated at time scale %v; rerunning once, gentler, at %v: %v", scale, 2*scale, err)
	}
	v := verdict(res, verify.ObserversAgree)
	require.Equal(t, verify.Fail, v.Outcome, v.Detail)
	require.Regexp(t, `dispatch r0-\d+ \(key heartbeat:pipeline:1:project:1 at [^)]+\) written 2 times`, v.Detail)
	require.Equal(t, verify.Pass, verdict(res, verify.AtMostOnePerWindow).Outcome, "the dispatches themselves were fine")
}

func verdict(res *Result, name string) verify.Verdict {
	for _, v := range res.Verdicts {
		if v.Name == name {
			return v
		}
	}
	return verify.Verdict{}
}

// runAgainst serves the reference with bug planted on a fresh database of
// cluster and runs the harness against it as an external target.
func runAgainst(t *testing.T, cluster *pgcluster.Cluster, b bug, mode string, scale modeltime.Scale) *Result {
	t.Helper()
	ctx := context.Background()
	token := plantedToken
	if b.token != "" {
		token = b.token
	}
	// These runs test what the invariants catch, not the generator: a shared
	// runner's stalls make 1-2% of a 12-worker fleet's sends late by a few
	// ms past 25 ms, which changes no verdict here, so 5% is allowed. A
	// machine too busy even for that reruns once, gentler: the same model
	// at twice the time scale, on a fresh deployment.
	for attempt := 0; ; attempt++ {
		spec := planted(t, scale, b.herd)
		dsn := deploy(t, cluster, spec, b)
		res, err := Run(ctx, spec, Options{Log: slog.New(slog.DiscardHandler), Seed: 1, SaturationTolerance: 0.05,
			External: &External{Target: dsn.url, Token: token, ObserveDB: dsn.db, JobIDs: []int64{1}, Observe: mode}})
		if !errors.Is(err, ErrSaturated) {
			require.NoError(t, err)
			return res
		}
		if attempt == 1 {
			testenv.SkipSaturated(t, err)
		}
		t.Logf("the load generator saturated at time scale %v; rerunning once, gentler, at %v: %v", scale, 2*scale, err)
		scale *= 2
	}
}

type deployment struct{ url, db string }

// deploy seeds a database of cluster and serves the reference on it, with
// the bug planted, until the test ends.
func deploy(t *testing.T, cluster *pgcluster.Cluster, spec *scenarios.Spec, b bug) deployment {
	t.Helper()
	ctx := context.Background()
	name := provision.NewName("mutant")
	admin, err := pgx.Connect(ctx, cluster.DSN("postgres"))
	require.NoError(t, err)
	_, err = admin.Exec(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	require.NoError(t, admin.Close(ctx))
	t.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), cluster.DSN("postgres")); err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			_ = c.Close(context.Background())
		}
	})
	db := cluster.DSN(name)
	pool, err := pgxpool.New(ctx, db)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	require.NoError(t, store.ResetSchema(ctx, pool, false))
	keys, err := store.Seed(ctx, pool, store.Fixtures{Projects: 1, Pipelines: 1, ServicesPerKey: 3, JobsPerKey: 1})
	require.NoError(t, err)

	urls := provision.FromEnv()
	rc, err := redisconn.Open(urls.Redis, redisconn.Timeouts{Timeout: 5 * time.Second, Retries: -1})
	require.NoError(t, err)
	prefix := provision.Prefix(name)
	t.Cleanup(func() {
		_ = provision.DeleteKeys(context.Background(), rc, prefix)
		_ = rc.Close()
		_ = provision.DeleteStreams(context.Background(), urls.NATS, prefix)
	})
	clock := modeltime.Clock{Scale: spec.TimeScale}
	var q broker.Broker = broker.NewRedisQueue(rc, prefix, slog.New(slog.DiscardHandler))
	if b.broker != nil {
		q = b.broker(q, clock)
	}
	s := settings.Default()
	require.NoError(t, reference.StartJobs(ctx, urls.NATS, rc, prefix, clock.Scale, s, reference.Jobs(keys, 0), slog.New(slog.DiscardHandler)))
	var served []string
	for i := range max(1, b.replicas) {
		cfg := reference.Config{DB: pool, Redis: rc, Broker: q, NATS: urls.NATS, KeyPrefix: prefix, Strategy: "view-gate", NoFeeder: i > 0,
			Clock: clock, Settings: s, Token: plantedToken, Replica: i, Log: slog.New(slog.DiscardHandler),
			NoChecker: true, WorkerSkew: clock.Wall(b.skew)}
		if b.gate != nil {
			cfg.Gate = b.gate(rc, prefix)
		}
		ref, err := reference.New(cfg)
		require.NoError(t, err)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		srv := ref.Serve(ctx, ln, slog.New(slog.DiscardHandler))
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		})
		served = append(served, srv.URL)
	}
	// One offline check per database, as in production, with the threshold
	// the bug may have got wrong; run straight from a loop every
	// plantedCheckEvery rather than through a queue, so that the only thing
	// wrong with it is the threshold.
	after := s.OfflineAfter
	if b.checkAfter > 0 {
		after = b.checkAfter
	}
	check := &checker.Task{Store: store.New(pool), OfflineAfter: after, Scale: clock.Scale}
	cctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(clock.Wall(plantedCheckEvery))
		defer tick.Stop()
		for {
			select {
			case <-cctx.Done():
				return
			case <-tick.C:
				_, _ = check.Run(cctx, time.Now())
			}
		}
	}()
	t.Cleanup(func() { stop(); <-done })
	return deployment{url: balance(t, served), db: db}
}

// balance puts a round-robin balancer in front of several replicas, as a
// load balancer does; one replica is served directly.
func balance(t *testing.T, urls []string) string {
	if len(urls) == 1 {
		return urls[0]
	}
	var next atomic.Uint64
	targets := make([]*url.URL, len(urls))
	for i, u := range urls {
		targets[i], _ = url.Parse(u)
	}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(targets[next.Add(1)%uint64(len(targets))])
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

// checkThenSet is the gate written the obvious wrong way: GET, and SET if
// nothing was there. Callers arriving together all find nothing.
type checkThenSet struct {
	rc     *redis.Client
	prefix string
}

func (g *checkThenSet) Acquire(ctx context.Context, key string, ttl time.Duration) (gate.Answer, error) {
	n, err := g.rc.Exists(ctx, g.prefix+key).Result()
	if err != nil || n > 0 {
		return gate.Answer{}, err
	}
	// Between the GET and the SET a real client loses time: a Redis across
	// the network, a Python process descheduled. Loopback and the web
	// tier's CPU booking make the gap so narrow that a herd sometimes misses
	// it on a loaded machine; the bug is the gap, so it is given the width it
	// has in production, and the test checks the verifier catches it.
	select {
	case <-time.After(20 * time.Millisecond):
	case <-ctx.Done():
		return gate.Answer{}, ctx.Err()
	}
	if err := g.rc.Set(ctx, g.prefix+key, 1, max(ttl, time.Millisecond)).Err(); err != nil {
		return gate.Answer{}, err
	}
	return gate.Answer{Won: true, At: time.Now(), Clock: gate.ClockProcess, Left: ttl}, nil
}

// secondsAsMillis passes the window on in the wrong unit: 30 s becomes 30 ms.
type secondsAsMillis struct{ inner gate.Gate }

func (g secondsAsMillis) Acquire(ctx context.Context, key string, ttl time.Duration) (gate.Answer, error) {
	return g.inner.Acquire(ctx, key, ttl/1000)
}

// neverWins is a gate whose caller never gets to enqueue.
type neverWins struct{}

func (neverWins) Acquire(context.Context, string, time.Duration) (gate.Answer, error) {
	return gate.Answer{}, nil
}

// dropping says it enqueued a heartbeat and did not.
type dropping struct{ broker.Broker }

func (d dropping) Enqueue(ctx context.Context, m broker.Message) error {
	if m.Type == broker.TypeHeartbeat {
		return nil
	}
	return d.Broker.Enqueue(ctx, m)
}

// redelivering delivers every heartbeat task a second time a while later,
// as a broker whose visibility timeout ran out before the ack would.
type redelivering struct {
	broker.Broker
	after time.Duration
	wg    sync.WaitGroup
}

func (r *redelivering) Enqueue(ctx context.Context, m broker.Message) error {
	if err := r.Broker.Enqueue(ctx, m); err != nil || m.Type != broker.TypeHeartbeat {
		return err
	}
	r.wg.Go(func() {
		time.Sleep(r.after)
		_ = r.Broker.Enqueue(context.Background(), m)
	})
	return nil
}

// Pending forwards to the queue, so a run can still tell queued from lost.
func (r *redelivering) Pending(ctx context.Context) ([]broker.Message, error) {
	if l, ok := r.Broker.(broker.Lister); ok {
		return l.Pending(ctx)
	}
	return nil, fmt.Errorf("the wrapped broker cannot list its queue")
}
