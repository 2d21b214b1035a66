package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbharness/hbharness/harness/observe"
	"github.com/hbharness/hbharness/harness/provision"
	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/reference/store"
	"github.com/hbharness/hbharness/scenarios"
)

// External points a run at a deployment that speaks DESIGN.md §2 and lets
// the harness read its database (§3 schema) without writing to it.
type External struct {
	Target      string
	Token       string
	ObserveDB   string
	AllowRemote bool
	JobIDs      []int64  // jobs to poll; empty = ask the list endpoint
	Slugs       []string // pipeline slugs for the list endpoint
}

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

func runExternal(ctx context.Context, spec *scenarios.Spec, opt Options) (*Result, error) {
	ext := opt.External
	log := opt.Log.With("scenario", spec.Name, "target", ext.Target)
	began := time.Now()
	if err := ext.CheckTarget(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEnvironment, err)
	}
	pool, err := openPool(ctx, ext.ObserveDB, 4)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err != nil {
		return nil, envErr("--observe-db %s is not reachable: %v", provision.Redact(ext.ObserveDB), err)
	}
	// The baselines come first: asking the list endpoint for jobs is itself
	// a poll that may heartbeat, and that write must be seen by both
	// observers or by neither. Postgres flushes table statistics lazily;
	// wait until they settle so the baseline holds everything before us.
	base, err := observe.SettledRowUpdates(ctx, pool, 0, 12*time.Second)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEnvironment, err)
	}
	sampler := &observe.Sampler{Pool: pool, Every: max(time.Millisecond, time.Duration(float64(spec.Settings.SampleEvery)*spec.TimeScale)),
		Scale: spec.TimeScale, Log: log}
	if err := sampler.Baseline(ctx); err != nil {
		return nil, envErr("reading ml_processingservice through --observe-db: %v", err)
	}
	ids := ext.JobIDs
	if len(ids) == 0 {
		if ids, err = listJobs(ctx, ext); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrEnvironment, err)
		}
	}
	keys, err := discoverKeys(ctx, pool, ids)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEnvironment, err)
	}
	d := &drive{spec: spec, keys: keys, urls: []string{strings.TrimRight(ext.Target, "/")}, token: ext.Token,
		sampler: sampler, seed: opt.Seed, log: log}
	if len(spec.Faults) > 0 {
		return nil, envErr("scenario %s injects faults, which need the harness's own proxies in front of the services: run it in-process, not against --target", spec.Name)
	}
	obs, err := d.run(ctx)
	if err != nil {
		return nil, err
	}
	// The target's task queue is invisible from here: give it the time the
	// gate needs to hand over one last window, then take the last sample.
	time.Sleep(time.Duration(float64(2*time.Second) * spec.TimeScale))
	obs.stopSampling()
	var writes []writeSeen
	for _, w := range sampler.Writes() {
		if w.At.Before(obs.start) {
			continue // our own job listing's heartbeat, before the run
		}
		writes = append(writes, writeSeen{at: w.At, services: w.Services})
	}
	h := assemble(spec, keys, obs, fleetPolls(obs), nil, writes, sampler, false)
	after, err := observe.SettledRowUpdates(context.WithoutCancel(ctx), pool, base+sampler.RowUpdatesSeen(), 12*time.Second)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEnvironment, err)
	}
	h.UnseenRowUpdates = max(0, after-base-sampler.RowUpdatesSeen())
	verdicts := verify.Check(*h, verify.Options{Expect: spec.Expect})
	sum := summarize(spec, h, verdicts, obs, ext.Target, time.Since(began))
	sum.Notes = append(sum.Notes, fmt.Sprintf("external target: writes counted by sampling xmin every %s (model) and reconciled with pg_stat_user_tables (%d row updates, %d not seen by the sampler)",
		spec.Settings.SampleEvery, after-base, h.UnseenRowUpdates))
	res := &Result{Summary: sum, History: h, Verdicts: verdicts}
	return res, finish(res, obs, opt)
}

// listJobs asks the target's list endpoint for active jobs of the slugs.
func listJobs(ctx context.Context, ext *External) ([]int64, error) {
	if len(ext.Slugs) == 0 {
		return nil, fmt.Errorf("external target: pass --jobs, or --slugs to find the jobs through the list endpoint")
	}
	q := url.Values{"ids_only": {"1"}, "incomplete_only": {"1"}, "dispatch_mode": {"async_api"},
		"pipeline__slug__in": {strings.Join(ext.Slugs, ",")}}
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(ext.Target, "/")+"/api/v2/jobs?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Token "+ext.Token)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("listing jobs on %s: %w", ext.Target, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("listing jobs on %s: HTTP %d (is the token right?)", ext.Target, resp.StatusCode)
	}
	var body struct {
		Results []struct {
			ID int64 `json:"id"`
		} `json:"results"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("listing jobs on %s: unexpected answer: %w", ext.Target, err)
	}
	var ids []int64
	for _, r := range body.Results {
		ids = append(ids, r.ID)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("the target lists no active jobs for pipelines %s", strings.Join(ext.Slugs, ","))
	}
	return ids, nil
}

// discoverKeys reads (SELECT only) the jobs' keys and async services.
func discoverKeys(ctx context.Context, pool *pgxpool.Pool, jobs []int64) ([]store.Key, error) {
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
	var keys []store.Key
	for rows.Next() {
		k := store.Key{Index: len(keys)}
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
