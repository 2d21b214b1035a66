package runner

// Mutation tests: the harness is only worth the bugs it catches. Each case
// plants one bug in an otherwise correct reference, serves it as an external
// target on a database with wal_level=logical, and runs the harness against
// it in external mode under both observations; the case names the invariant
// that must catch it. The correct control must pass, at two time scales.

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/internal/provision"
	"github.com/hbharness/hbharness/internal/provision/pgcluster"
	"github.com/hbharness/hbharness/internal/redisconn"
	"github.com/hbharness/hbharness/reference"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/settings"
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
	// plant is the reference's own planted bug (a gate or a broker that is
	// wrong); replicas > 1 puts several replicas behind a round-robin
	// balancer; skew sets the task workers' clock off (model time);
	// checkAfter misconfigures the offline checker's threshold (model
	// time); token is what the harness sends.
	plant      contract.Bug
	replicas   int
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
			plant: contract.BugNonAtomicGate},
		{name: "per-process gate behind several replicas", replicas: 3, caughtBy: verify.AtMostOnePerWindow,
			plant: contract.BugPerProcessGate},
		{name: "TTL in the wrong unit", caughtBy: verify.AtMostOnePerWindow,
			plant: contract.BugTTLInWrongUnit},
		{name: "enqueue silently dropped", caughtBy: verify.LastSeenNeverStale,
			plant: contract.BugEnqueueDropped},
		{name: "worker clock behind", skew: -45 * time.Second, caughtBy: verify.LastSeenNeverStale},
		// Ahead, every staleness check passes: the stored value reads fresh.
		{name: "worker clock ahead", skew: 40 * time.Second, caughtBy: verify.LastSeenNotInFuture},
		{name: "checker threshold wrong", checkAfter: 20 * time.Second, caughtBy: verify.NeverOfflineWhilePolled},
		{name: "heartbeat never enqueued", caughtBy: verify.LastSeenNeverStale,
			plant: contract.BugNeverEnqueued},
		{name: "task delivered twice", caughtBy: verify.AtMostOnePerWindow, plant: contract.BugDeliveredTwice},
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
	spec := planted(t, 0.033, false)
	opt := Options{Log: slog.New(slog.DiscardHandler), Seed: 1, plant: []contract.Bug{contract.BugDeliveredTwice}}
	res, err := Run(context.Background(), spec, opt)
	require.NoError(t, err)
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
	spec := planted(t, scale, b.herd)
	dsn := deploy(t, cluster, spec, b)
	token := plantedToken
	if b.token != "" {
		token = b.token
	}
	// These runs test what the invariants catch, not the generator: a shared
	// runner's stalls make 1-2% of a 12-worker fleet's sends late by a few
	// ms past 25 ms, which changes no verdict here, so 5% is allowed.
	res, err := Run(ctx, spec, Options{Log: slog.New(slog.DiscardHandler), Seed: 1, SaturationTolerance: 0.05,
		External: &External{Target: dsn.url, Token: token, ObserveDB: dsn.db, JobIDs: []int64{1}, Observe: mode}})
	require.NoError(t, err)
	return res
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
	keys, err := reference.Seed(ctx, pool, contract.Fixtures{Projects: 1, Pipelines: 1, ServicesPerKey: 3, JobsPerKey: 1}, false)
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
	s := settings.Default()
	require.NoError(t, reference.StartJobs(ctx, urls.NATS, rc, prefix, clock.Scale, s, reference.Jobs(keys, 0), slog.New(slog.DiscardHandler)))
	var served []string
	for i := range max(1, b.replicas) {
		// The heartbeat queue is a Redis list on the cache's Redis, whatever
		// BROKER_URL says.
		opt := reference.Options{URLs: reference.URLs{Database: db, Redis: urls.Redis, Broker: urls.Redis, NATS: urls.NATS}, WebPool: 8,
			KeyPrefix: prefix, Strategy: "view-gate", NoFeeder: i > 0, Scale: clock.Scale, Settings: s, Token: plantedToken, Replica: i,
			Log: slog.New(slog.DiscardHandler), NoChecker: true, WorkerSkew: clock.Wall(b.skew)}
		if b.plant != "" {
			opt.Bugs = []contract.Bug{b.plant}
		}
		ref, err := reference.Open(ctx, opt)
		require.NoError(t, err)
		t.Cleanup(ref.Close)
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
	cctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		reference.RunOfflineCheck(cctx, pool, after, plantedCheckEvery, clock.Scale)
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
