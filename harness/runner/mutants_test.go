package runner

// Mutation tests: the harness is only worth the bugs it catches. Each case
// plants one bug in an otherwise correct reference, serves it as an external
// target on a database with wal_level=logical, and runs the harness against
// it in external mode under both observations; the case names the invariant
// that must catch it. The correct controls must pass: at two time scales,
// and as twins of the herd and the 3-replica cases, so that what those
// catch is the bug and not the herd or the balancer.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/internal/provision"
	"github.com/hbharness/hbharness/internal/provision/pgcluster"
	"github.com/hbharness/hbharness/internal/redisconn"
	"github.com/hbharness/hbharness/internal/testdeps"
	"github.com/hbharness/hbharness/reference"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/settings"
	"github.com/hbharness/hbharness/scenarios"
	"github.com/hbharness/hbharness/summary"
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
	testdeps.Short(t, "end-to-end runs against a throwaway cluster")
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
				if mode == ObserveSampling && b.undetectedBySampling && v.Outcome != summary.Fail {
					requireBlindSampling(t, res, v)
					return
				}
				require.Equal(t, summary.Fail, v.Outcome, "%s must catch %q: %s", b.caughtBy, b.name, v.Detail)
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
	// The correct controls pass everything, under both observations, at
	// two time scales. (Correct twins of the herd and 3-replica cases were
	// tried: run beside the planted-bug cases they starved the machine, and
	// the 3-replica one read writes closer than the external queue
	// allowance on a quiet CI run; they wait for a gentler schedule.)
	controls := []struct {
		name  string
		b     bug
		scale modeltime.Scale
	}{
		{"spread/0.033", bug{}, 0.033},
		{"spread/0.066", bug{}, 0.066},
	}
	for _, c := range controls {
		for _, mode := range []string{ObserveLogical, ObserveSampling} {
			t.Run("correct "+c.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				res := runAgainst(t, cluster, c.b, mode, c.scale)
				require.Empty(t, res.Unusable)
				requireControlPasses(t, res)
				require.Contains(t, res.Notes[0], map[string]string{ObserveLogical: "logical decoding", ObserveSampling: "sampling"}[mode])
			})
		}
	}
}

// controlNotApplicable lists the invariants a correct control against an
// external target cannot judge, and why; every other one must pass.
var controlNotApplicable = map[string]string{
	verify.ObserversAgree:     "an external target reports no dispatches to reconcile its writes with",
	verify.RecoversAfterFault: "no fault is injected",
	verify.NoFalseLiveness:    "no service falls silent: every worker polls to the end",
}

// requireControlPasses holds a correct control to a pass on every
// invariant, but those controlNotApplicable names, which must be n/a: a
// verdict list that is empty, or an n/a or inconclusive verdict anywhere
// else, would let a control pass without evidence.
func requireControlPasses(t *testing.T, res *Result) {
	t.Helper()
	require.NotEmpty(t, res.Verdicts, "a correct control is judged")
	seen := map[string]bool{}
	for _, v := range res.Verdicts {
		seen[v.Name] = true
		want := summary.Pass
		if _, ok := controlNotApplicable[v.Name]; ok {
			want = summary.NotApplicable
		}
		require.Equal(t, want, v.Outcome, "%s: %s", v.Name, v.Detail)
	}
	for name := range controlNotApplicable {
		require.True(t, seen[name], "%s is judged (n/a) in every run", name)
	}
}

// blindSampling is the one outcome at_most_one_per_window may have instead
// of a fail when sampling watches the non-atomic gate: a pass on the rows'
// writes that states it observed them by sampling, with a detection limit
// of one sample period (the scenario's sample_every, 1 s of model time).
var blindSampling = regexp.MustCompile(`^no row written more often than its polled keys allow: \d+ row writes on \d+ rows ` +
	`\(window 30s less queue allowance [^;]+; tolerance [^;]+; \d+ pairs within the allowance not judged; ` +
	`observed by sampling \(writes closer than 1s apart cannot be told apart\)\)$`)

// requireBlindSampling accepts a pass of at_most_one_per_window on the
// non-atomic gate under sampling, and only the pass sampling cannot help:
// the herd's winners all pass the gate within checkThenSetGap of one
// another (the width of the race), and their tasks write milliseconds
// apart; even the race's whole width is less than one sample period of
// model time at the run's scale, so the writes fall between the same two
// reads, but by luck, and read as one write. The logical subtest of the
// same case sees every write and must fail it.
func requireBlindSampling(t *testing.T, res *Result, v summary.Verdict) {
	t.Helper()
	require.Equal(t, summary.Pass, v.Outcome, "only a pass is explained by sampling's detection limit: %s", v.Detail)
	require.Regexp(t, blindSampling, v.Detail)
	h := res.History
	require.Equal(t, history.ObservedBySampling, h.Observation)
	require.Equal(t, time.Second, h.DetectionLimit)
	require.Less(t, h.TimeScale.Model(checkThenSetGap), h.DetectionLimit,
		"the bug's writes come closer than sampling can tell apart")
	t.Logf("sampling read the double writes as one, as it may: %s", v.Detail)
}

// A task delivered twice, in-process: the audit names the dispatch.
func TestInProcessDoubleWriteIsCaught(t *testing.T) {
	testdeps.NeedsServices(t)
	var res *Result
	// A machine too busy for the schedule reruns once, gentler: the same
	// model at twice the time scale.
	for attempt, scale := 0, modeltime.Scale(0.033); ; attempt, scale = attempt+1, 2*scale {
		spec := planted(t, scale, false)
		opt := Options{Log: slog.New(slog.DiscardHandler), Seed: 1,
			plant: []contract.Bug{contract.BugDeliveredTwice}}
		var err error
		res, err = Run(context.Background(), spec, opt)
		if !errors.Is(err, ErrSaturated) {
			require.NoError(t, err)
			break
		}
		if attempt == 1 {
			testdeps.Saturated(t, err)
		}
		t.Logf("the load generator saturated at time scale %v; rerunning once, gentler, at %v: %v", scale, 2*scale, err)
	}
	v := verdict(res, verify.ObserversAgree)
	require.Equal(t, summary.Fail, v.Outcome, v.Detail)
	require.Regexp(t, `dispatch r0-\d+ \(key heartbeat:pipeline:1:project:1 at [^)]+\) written 2 times`, v.Detail)
	require.Equal(t, summary.Pass, verdict(res, verify.AtMostOnePerWindow).Outcome, "the dispatches themselves were fine")
}

func verdict(res *Result, name string) summary.Verdict {
	for _, v := range res.Verdicts {
		if v.Name == name {
			return v
		}
	}
	return summary.Verdict{}
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
			testdeps.Saturated(t, err)
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

// checkThenSetGap is how long (wall) the planted non-atomic gate leaves
// between its GET and its SET.
const checkThenSetGap = contract.NonAtomicGateGap

// The acceptance above, on the verifier's own words: a sampled history
// whose row writes keep the window passes at_most_one_per_window with
// exactly the detail blindSampling names; the same history observed by
// logical decoding does not match it.
func TestBlindSamplingNamesTheVerifiersPass(t *testing.T) {
	const key = "heartbeat:pipeline:1:project:1"
	h := history.History{
		Duration: 3 * time.Minute, TimeScale: 0.033, Throttle: 30 * time.Second,
		Tolerance:      Tolerances(0.033, 30*time.Second),
		Observation:    history.ObservedBySampling,
		DetectionLimit: time.Second,
		QueueAllowance: DefaultQueueAllowance(30*time.Second, 0.033),
		Keys:           []history.Key{{Key: key, Services: []int64{1, 2}, Active: []history.Interval{{From: 0, To: 3 * time.Minute}}}},
	}
	for _, at := range []time.Duration{10 * time.Second, 45 * time.Second, 80 * time.Second} {
		h.Writes = append(h.Writes, history.Write{At: at, Key: key, Services: []int64{1, 2}})
	}
	res := &Result{History: &h, Verdicts: verify.Check(h, verify.Options{})}
	requireBlindSampling(t, res, verdict(res, verify.AtMostOnePerWindow))

	h.Observation, h.DetectionLimit = history.ObservedByLogicalDecoding, 0
	v := verdict(&Result{Verdicts: verify.Check(h, verify.Options{})}, verify.AtMostOnePerWindow)
	require.Equal(t, summary.Pass, v.Outcome, v.Detail)
	require.NotRegexp(t, blindSampling, v.Detail)
}
