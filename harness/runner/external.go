package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbharness/hbharness/harness/observe"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/internal/provision"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/scenarios"
)

// External points a run at a deployment that speaks docs/design.md#wire-protocol and lets
// the harness read its database (docs/design.md#schema) without writing to it.
type External struct {
	Target      string
	Token       string
	ObserveDB   string
	AllowRemote bool
	JobIDs      []int64  // jobs to poll; empty = ask the list endpoint
	Slugs       []string // pipeline slugs for the list endpoint
	// Observe is how writes are seen: ObserveAuto (logical decoding where
	// the database allows it, else sampling), ObserveLogical or ObserveSampling.
	Observe string
	// Zone is the zone the target's naive last_seen is local to (Antenna's
	// TIME_ZONE); nil reads it as UTC.
	Zone *time.Location
	// QueueAllowance (model time) is how far the target's task queue may
	// move one write towards the next of its key; 0 means
	// DefaultQueueAllowance.
	QueueAllowance time.Duration
}

// How an external target's writes may be observed.
const (
	ObserveAuto     = "auto"
	ObserveLogical  = "logical"
	ObserveSampling = "sampling"
)

// ObserveModes lists them.
func ObserveModes() []string { return []string{ObserveAuto, ObserveLogical, ObserveSampling} }

// CheckTarget refuses a non-loopback target unless allowed: load goes only
// where the user meant it to.
func (e *External) CheckTarget() error {
	u, err := url.Parse(e.Target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--target %q is not an http(s) URL", e.Target)
	}
	if e.Token == "" {
		return fmt.Errorf("--target needs --token (the API token the workers send)")
	}
	if e.ObserveDB == "" {
		return fmt.Errorf("--target needs --observe-db (a read-only DSN of the target's database)")
	}
	if e.Observe != "" && !slices.Contains(ObserveModes(), e.Observe) {
		return fmt.Errorf("--observe %q is not one of %s", e.Observe, strings.Join(ObserveModes(), ", "))
	}
	if e.QueueAllowance < 0 {
		return fmt.Errorf("--queue-allowance %v is negative", e.QueueAllowance)
	}
	host := u.Hostname()
	ips, err := net.LookupIP(host)
	if err != nil {
		return fmt.Errorf("--target host %q does not resolve: %w", host, err)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() && !e.AllowRemote {
			return fmt.Errorf("--target %s is not a loopback address (%s): pass --allow-remote to load a remote deployment on purpose", e.Target, ip)
		}
	}
	return nil
}

// external is a deployment the harness only talks to over docs/design.md#wire-protocol and reads
// (SELECT only) through --observe-db. Its task queue and its own counts are
// invisible: writes are seen by sampling the service rows.
type external struct {
	spec *scenarios.Spec
	ext  *External
	log  *slog.Logger

	pool    *pgxpool.Pool
	sampler *observe.Sampler
	logical *observe.Logical // nil when writes are sampled
	// fallback says why logical decoding was not used, when it was not.
	fallback string
	// judged names the jobs and keys the run judges, for its notes.
	judged string
}

func (t *external) Close() {
	if t.logical != nil {
		t.logical.Close()
	}
	if t.pool != nil {
		t.pool.Close()
	}
}

func (t *external) Start(ctx context.Context) (Setup, error) {
	ext := t.ext
	if err := ext.CheckTarget(); err != nil {
		return Setup{}, fmt.Errorf("%w: %w", ErrEnvironment, err)
	}
	var err error
	if t.pool, err = openPool(ctx, ext.ObserveDB, 4); err != nil {
		return Setup{}, err
	}
	if err := t.pool.Ping(ctx); err != nil {
		return Setup{}, envErr("--observe-db %s is not reachable: %v", provision.Redact(ext.ObserveDB), err)
	}
	// The observers start first: asking the list endpoint for jobs is itself
	// a poll that may heartbeat, and they must see the database from before it.
	// Period is the detection limit: a sample period in model time, its
	// wall floor counted.
	t.sampler = &observe.Sampler{Pool: t.pool, Every: samplePeriod(t.spec), Period: samplingDetectionLimit(t.spec),
		Zone: t.ext.Zone, Log: t.log}
	if t.sampler.Offset, _, err = observe.ClockOffset(ctx, t.pool); err != nil {
		return Setup{}, envErr("reading the clock of --observe-db: %v", err)
	}
	if err := t.startLogical(ctx); err != nil {
		return Setup{}, err
	}
	if err := t.sampler.Baseline(ctx); err != nil {
		return Setup{}, envErr("reading ml_processingservice through --observe-db: %v", err)
	}
	ids, foundBy := ext.JobIDs, "--jobs"
	if len(ids) == 0 {
		if ids, err = discoverJobs(ctx, ext, t.log); err != nil {
			return Setup{}, fmt.Errorf("%w: %w", ErrEnvironment, err)
		}
		foundBy = "the list endpoint, --slugs " + strings.Join(ext.Slugs, ",")
	}
	keys, err := discoverKeys(ctx, t.pool, ids)
	if err == nil {
		err = checkJobsFound(ids, keys)
	}
	if err != nil {
		return Setup{}, fmt.Errorf("%w: %w", ErrEnvironment, err)
	}
	t.judged = announceKeys(t.log, ext.Target, keys, foundBy)
	return Setup{Name: ext.Target, URLs: []string{strings.TrimRight(ext.Target, "/")}, Keys: keys, Token: ext.Token,
		Sampler: t.sampler, Locks: &observe.Locks{Pool: t.pool, Every: lockWatchEvery, Scale: t.spec.TimeScale, Log: t.log}, Log: t.log}, nil
}

// startLogical starts exact observation unless told not to, falling back to
// sampling (and saying why) where the database does not allow it.
func (t *external) startLogical(ctx context.Context) error {
	mode := t.ext.Observe
	if mode == ObserveSampling {
		t.fallback = "sampling was asked for (--observe sampling)"
		return nil
	}
	l, err := observe.StartLogicalInZone(ctx, t.ext.ObserveDB, t.ext.Zone, t.log)
	switch {
	case err == nil:
		t.logical = l
		t.logical.Offset = t.sampler.Offset
		return nil
	case errors.Is(err, observe.ErrLogicalUnavailable) && mode != ObserveLogical:
		t.fallback = err.Error()
		t.log.Warn("exact observation unavailable; sampling instead", "why", err)
		return nil
	}
	return envErr("starting logical decoding on --observe-db: %v", err)
}

// Settle gives the target's invisible queue the time the gate needs to hand
// over one last window before the last sample.
func (t *external) Settle(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(t.spec.TimeScale.Wall(2 * time.Second)):
	}
}

// Collect gathers the writes: every committed one, timed at its commit,
// from logical decoding; or the last_seen changes the sampler caught.
// Offline-checker flips change only last_seen_live and are not writes.
func (t *external) Collect(ctx context.Context, start time.Time) (Observations, error) {
	seen := Observations{QueueAllowance: t.ext.QueueAllowance}
	if seen.QueueAllowance == 0 {
		seen.QueueAllowance = DefaultQueueAllowance(t.spec.Settings.Throttle, t.spec.TimeScale)
	}
	// The write observer: logical decoding when it started, else the
	// sampler, which is then the write observer too.
	var w observe.WriteObserver = t.sampler
	if t.logical != nil {
		w = t.logical
	}
	writes, err := w.Seen(ctx, start)
	if err != nil {
		return Observations{}, envErr("reading the last changes through logical decoding: %v", err)
	}
	seen.Observation, seen.DetectionLimit = w.Observation(), w.DetectionLimit()
	seen.WriteGaps = w.Gaps() // logical decoding reconnected after losing its stream, or failed samples: blind in between
	seen.Writes = writesOf(writes)
	if t.logical != nil {
		seen.Notes = append(seen.Notes, fmt.Sprintf("external target: every write observed exactly by logical decoding "+
			"(%d row changes, commit times by the database), queue allowance %s", len(t.logical.Changes()), seen.QueueAllowance))
	} else {
		seen.Notes = append(seen.Notes, fmt.Sprintf("external target: writes observed by sampling every %s (model): "+
			"writes closer than that apart are seen as one and not judged; exact observation was not used because %s",
			t.spec.SampleEvery, t.fallback))
	}
	if n := t.sampler.Errors(); n > 0 {
		seen.Notes = append(seen.Notes, fmt.Sprintf("%d database samples failed", n))
	}
	seen.Notes = append(seen.Notes, t.judged)
	return seen, nil
}

// writesOf turns what a write observer saw into the writes a history is
// assembled from.
func writesOf(ws []observe.Write) []writeSeen {
	out := make([]writeSeen, len(ws))
	for i, w := range ws {
		out[i] = writeSeen{at: w.At, services: w.Services, txid: w.TxID, dispatchID: w.DispatchID, stamp: w.Stamp}
	}
	return out
}

// discoverKeys reads (SELECT only) the jobs' keys and async services.
func discoverKeys(ctx context.Context, pool *pgxpool.Pool, jobs []int64) ([]contract.Key, error) {
	rows, err := pool.Query(ctx, `
		SELECT j.pipeline_id, j.project_id, p.slug, array_agg(DISTINCT j.id ORDER BY j.id),
		       COALESCE((SELECT array_agg(s.id ORDER BY s.id) FROM ml_processingservice s
		         WHERE s.endpoint_url IS NULL
		           AND s.id IN (SELECT processingservice_id FROM ml_processingservice_pipelines WHERE pipeline_id = j.pipeline_id)
		           AND s.id IN (SELECT processingservice_id FROM ml_processingservice_projects WHERE project_id = j.project_id)), '{}')
		FROM jobs_job j JOIN ml_pipeline p ON p.id = j.pipeline_id
		WHERE j.id = ANY($1)
		GROUP BY j.pipeline_id, j.project_id, p.slug ORDER BY j.project_id, j.pipeline_id`, jobs)
	if err != nil {
		return nil, fmt.Errorf("reading the target's jobs through --observe-db: %w", err)
	}
	defer rows.Close()
	var keys []contract.Key
	for rows.Next() {
		k := contract.Key{Index: len(keys)}
		if err := rows.Scan(&k.PipelineID, &k.ProjectID, &k.Slug, &k.Jobs, &k.Services); err != nil {
			return nil, fmt.Errorf("reading the target's jobs: %w", err)
		}
		if len(k.Services) == 0 {
			return nil, fmt.Errorf("pipeline %s in project %d has no async processing services to heartbeat", k.Slug, k.ProjectID)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("none of jobs %v exists (with a pipeline) in the observed database", jobs)
	}
	return keys, nil
}

// queueJitterWall is how far a loaded machine's scheduling alone may delay
// one task's pickup, in wall time: a busy CI runner deschedules a worker for
// tens to a hundred-odd milliseconds.
const queueJitterWall = 250 * time.Millisecond

// DefaultQueueAllowance is how far a target's queue may move one write
// towards the next when the user does not say: a tenth of the window, and
// never less than queueJitterWall of wall time. The floor matters in a
// compressed run, where a wall delay counts 1/scale times over in model
// time: at scale 0.03 a 156 ms pickup is 5.2 model seconds, and a model-only
// allowance of 3 s would call a correct target's writes too close.
func DefaultQueueAllowance(throttle time.Duration, scale modeltime.Scale) time.Duration {
	return max(throttle/10, scale.Model(queueJitterWall))
}

// samplePeriod is how often the sampler reads the service rows, in wall
// time: the scenario's sample_every, never under a millisecond.
func samplePeriod(spec *scenarios.Spec) time.Duration {
	return max(time.Millisecond, spec.TimeScale.Wall(spec.SampleEvery))
}

// samplingDetectionLimit is how close (model time) two writes of one row may
// come and still be told apart by sampling: one sample period, since two
// writes between the same two reads are read as one. It is sample_every
// unless the period's millisecond floor makes it longer.
func samplingDetectionLimit(spec *scenarios.Spec) time.Duration {
	return max(spec.SampleEvery, spec.TimeScale.Model(samplePeriod(spec)))
}
