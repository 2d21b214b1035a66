package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/heartbeat"
)

// ErrNotFound is returned when a job or service does not exist.
var ErrNotFound = errors.New("not found")

// Store runs the reference's queries on one pool.
type Store struct {
	pool *pgxpool.Pool
	// db runs the heartbeat writes: the pool, or the transaction of a Store
	// that Atomically made.
	db interface {
		Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
		QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	}
	// wrote hears of each table a write of db touches: a request's
	// transaction tells cachalot (see Request). Nil outside one.
	wrote func(table string)
}

// Antenna's tables the reference writes or caches reads of, by name.
const (
	TableToken    = "authtoken_token"
	TableUser     = "users_user"
	TableJob      = "jobs_job"
	TableJobLog   = "jobs_joblog"
	TablePipeline = "ml_pipeline"
	TableService  = contract.ServiceTable
)

func (s *Store) note(table string) {
	if s.wrote != nil {
		s.wrote(table)
	}
}

// acquire takes a connection from pool, telling waited (seconds) how long
// that took: the queue in front of a full pool.
func acquire(ctx context.Context, pool *pgxpool.Pool, waited func(float64)) (*pgxpool.Conn, error) {
	start := time.Now()
	conn, err := pool.Acquire(ctx)
	if waited != nil {
		waited(time.Since(start).Seconds())
	}
	return conn, err
}

// New wraps a pool; the caller owns and closes it.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool, db: pool} }

// Heartbeats are the schema's heartbeat writes: what a strategy writes in
// the view and a heartbeat task writes in the worker. The Store implements
// them on Postgres; a simulation implements them on rows in memory, so that
// the strategies and the worker run unchanged on either.
type Heartbeats interface {
	MarkSeen(ctx context.Context, t heartbeat.Target, now time.Time, tag Tag) (int64, error)
	MarkSeenIfStale(ctx context.Context, t heartbeat.Target, now time.Time, window time.Duration, tag Tag) (int64, error)
	MarkStaleSkipLocked(ctx context.Context, t heartbeat.Target, now time.Time, window time.Duration, tag Tag) (int64, error)
	MarkServiceSeen(ctx context.Context, id int64, now time.Time, tag Tag) (int64, error)
}

// Writer is Heartbeats that can run several of them in one transaction.
type Writer interface {
	Heartbeats
	Atomically(ctx context.Context, fn func(Heartbeats) error) error
}

// Atomically runs fn's heartbeat writes (MarkSeen, MarkSeenIfStale) in one
// transaction, committed only once fn has returned without error. A heartbeat
// task killed at its hard time limit cancels ctx mid-statement; pgx then drops
// the connection without a cancel request, so an UPDATE waiting on a row lock
// in autocommit would still commit once the lock is granted. Here the server
// is left waiting for a COMMIT that never comes, and rolls the UPDATE back.
func (s *Store) Atomically(ctx context.Context, fn func(Heartbeats) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return fn(&Store{pool: s.pool, db: tx})
	})
}

// Pool exposes the pool for callers that need raw access (tests, checker).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Job is the part of jobs_job the API needs.
type Job struct {
	ID           int64
	ProjectID    int64
	PipelineID   int64 // 0 when the job has no pipeline
	PipelineSlug string
	DispatchMode string
	Status       string
	TasksTotal   int64 // 0 = unlimited
}

// Active reports whether the job hands out tasks; RETRY is active in Antenna too.
func (j Job) Active() bool { return j.Status == "STARTED" || j.Status == "RETRY" }

// GetJob loads one job.
func (s *Store) GetJob(ctx context.Context, id int64) (Job, error) {
	var j Job
	var pipeline *int64
	var slug *string
	err := s.pool.QueryRow(ctx, `
		SELECT j.id, j.project_id, j.pipeline_id, p.slug, j.dispatch_mode, j.status, COALESCE(t.total, 0)
		FROM jobs_job j LEFT JOIN ml_pipeline p ON p.id = j.pipeline_id
		LEFT JOIN hb_job_tasks t ON t.job_id = j.id
		WHERE j.id = $1`, id).Scan(&j.ID, &j.ProjectID, &pipeline, &slug, &j.DispatchMode, &j.Status, &j.TasksTotal)
	if errors.Is(err, pgx.ErrNoRows) {
		return Job{}, fmt.Errorf("job %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Job{}, fmt.Errorf("loading job %d: %w", id, err)
	}
	if pipeline != nil {
		j.PipelineID = *pipeline
	}
	if slug != nil {
		j.PipelineSlug = *slug
	}
	return j, nil
}

// JobRef is one row of the ids_only jobs list.
type JobRef struct {
	ID           int64  `json:"id"`
	PipelineSlug string `json:"pipeline_slug"`
}

// ListFilter is the jobs list query (pipeline__slug__in, project_id, dispatch_mode).
type ListFilter struct {
	Slugs        []string
	ProjectID    int64 // 0 = any
	DispatchMode string
}

// ListActiveJobs returns the active jobs matching the filter, by id.
func (s *Store) ListActiveJobs(ctx context.Context, f ListFilter) ([]JobRef, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT j.id, COALESCE(p.slug, '')
		FROM jobs_job j LEFT JOIN ml_pipeline p ON p.id = j.pipeline_id
		WHERE j.status IN ('STARTED', 'RETRY')
		  AND (cardinality($1::text[]) = 0 OR p.slug = ANY($1))
		  AND ($2::bigint = 0 OR j.project_id = $2)
		  AND ($3::text = '' OR j.dispatch_mode = $3)
		ORDER BY j.id LIMIT 1000`, f.Slugs, f.ProjectID, f.DispatchMode)
	if err != nil {
		return nil, fmt.Errorf("listing active jobs: %w", err)
	}
	refs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[JobRef])
	if err != nil {
		return nil, fmt.Errorf("listing active jobs: %w", err)
	}
	return refs, nil
}

// UnlimitedJobs lists the active jobs with no set number of tasks
// (hb_job_tasks.total = 0): jobs larger than any run, whose task queue is
// kept topped up.
func (s *Store) UnlimitedJobs(ctx context.Context) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT j.id FROM jobs_job j JOIN hb_job_tasks t ON t.job_id = j.id
		WHERE t.total = 0 AND j.status IN ('STARTED', 'RETRY') ORDER BY j.id`)
	if err != nil {
		return nil, fmt.Errorf("listing unlimited jobs: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("listing unlimited jobs: %w", err)
	}
	return ids, nil
}

// FinishJob marks a job whose every task was processed as SUCCESS, once.
func (s *Store) FinishJob(ctx context.Context, id int64) error {
	_, err := s.pool.Exec(ctx, `UPDATE jobs_job SET status = 'SUCCESS' WHERE id = $1 AND status <> 'SUCCESS'`, id)
	if err != nil {
		return fmt.Errorf("finishing job %d: %w", id, err)
	}
	return nil
}

// IsAsyncService reports whether id names an async (pull-mode) service; it
// backs the per-service tokens.
func (s *Store) IsAsyncService(ctx context.Context, id int64) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM ml_processingservice WHERE id = $1 AND endpoint_url IS NULL)`, id).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("looking up service %d: %w", id, err)
	}
	return ok, nil
}

// targetCond is the WHERE clause (over alias s) selecting the async services
// a target marks, with its arguments starting at $argBase.
func targetCond(t heartbeat.Target, argBase int) (string, []any, error) {
	p := func(i int) string { return fmt.Sprintf("$%d", argBase+i) }
	switch t.Kind {
	case heartbeat.KindJob:
		return `s.endpoint_url IS NULL
			AND s.id IN (SELECT processingservice_id FROM ml_processingservice_pipelines WHERE pipeline_id = ` + p(0) + `)
			AND s.id IN (SELECT processingservice_id FROM ml_processingservice_projects WHERE project_id = ` + p(1) + `)`,
			[]any{t.PipelineID, t.ProjectID}, nil
	case heartbeat.KindPipelines:
		return `s.endpoint_url IS NULL AND s.id IN (
			SELECT pp.processingservice_id FROM ml_processingservice_pipelines pp
			JOIN ml_pipeline pl ON pl.id = pp.pipeline_id WHERE pl.slug = ANY(` + p(0) + `))`,
			[]any{t.Slugs}, nil
	case heartbeat.KindProject:
		return `s.endpoint_url IS NULL AND s.id IN (
			SELECT processingservice_id FROM ml_processingservice_projects WHERE project_id = ` + p(0) + `)`,
			[]any{t.ProjectID}, nil
	case heartbeat.KindService:
		return `s.endpoint_url IS NULL AND s.id = ` + p(0), []any{t.ServiceID}, nil
	}
	return "", nil, fmt.Errorf("heartbeat target of unknown kind %q", t.Kind)
}

// Tag names the dispatch a write belongs to. It is set, for the writing
// transaction only, as the settings contract.TagDispatch and TagKey,
// which an audit trigger can read with current_setting(..., true): an
// observer outside the reference then knows which dispatch made each write.
type Tag struct {
	DispatchID string
	Key        string
}

// tagFrom sets the tag for the statement's own transaction, from a FROM
// item the planner evaluates before any row is written (AFTER triggers fire
// at the end of the statement), so tagging costs no extra round trip.
const tagFrom = ` FROM (SELECT set_config('` + contract.TagDispatch + `', $1, true), set_config('` + contract.TagKey + `', $2, true)) AS hb_tag `

// MarkSeen is the heartbeat UPDATE as Antenna runs it: every async service of
// the target, last_seen = now, last_seen_live = true. It returns rows written.
func (s *Store) MarkSeen(ctx context.Context, t heartbeat.Target, now time.Time, tag Tag) (int64, error) {
	cond, args, err := targetCond(t, 4)
	if err != nil {
		return 0, err
	}
	res, err := s.db.Exec(ctx, `UPDATE ml_processingservice s SET last_seen = $3, last_seen_live = true`+tagFrom+`WHERE `+cond,
		append([]any{tag.DispatchID, tag.Key, now}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("marking %s seen: %w", t.GateKey(), err)
	}
	s.note(TableService)
	return res.RowsAffected(), nil
}

// MarkSeenIfStale is the task-side check of the PR's first version: read the
// rows, skip the UPDATE when every one was seen within the window.
func (s *Store) MarkSeenIfStale(ctx context.Context, t heartbeat.Target, now time.Time, window time.Duration, tag Tag) (int64, error) {
	cond, args, err := targetCond(t, 2)
	if err != nil {
		return 0, err
	}
	var stale, total int64
	err = s.db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE s.last_seen IS NULL OR s.last_seen < $1), count(*)
		FROM ml_processingservice s WHERE `+cond, append([]any{now.Add(-window)}, args...)...).Scan(&stale, &total)
	if err != nil {
		return 0, fmt.Errorf("reading freshness of %s: %w", t.GateKey(), err)
	}
	if total == 0 || stale == 0 {
		return 0, nil
	}
	return s.MarkSeen(ctx, t, now, tag)
}

// MarkStaleSkipLocked writes only rows older than the window and skips rows
// another request holds, so concurrent requests never queue on each other's
// row locks and each row is written at most once per window.
func (s *Store) MarkStaleSkipLocked(ctx context.Context, t heartbeat.Target, now time.Time, window time.Duration, tag Tag) (int64, error) {
	cond, args, err := targetCond(t, 5)
	if err != nil {
		return 0, err
	}
	res, err := s.db.Exec(ctx, `UPDATE ml_processingservice u SET last_seen = $3, last_seen_live = true`+tagFrom+`
		WHERE u.id IN (SELECT s.id FROM ml_processingservice s
			WHERE `+cond+` AND (s.last_seen IS NULL OR s.last_seen < $4)
			ORDER BY s.id FOR UPDATE SKIP LOCKED)`,
		append([]any{tag.DispatchID, tag.Key, now, now.Add(-window)}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("marking stale rows of %s seen: %w", t.GateKey(), err)
	}
	s.note(TableService)
	return res.RowsAffected(), nil
}

// MarkOffline is Antenna's periodic check: async services marked live whose
// last_seen is older than the window are flipped to not live; a NULL
// last_seen is left alone (see MarkStaleOffline).
func (s *Store) MarkOffline(ctx context.Context, now time.Time, window time.Duration) (int64, error) {
	ids, err := s.MarkStaleOffline(ctx, now.Add(-window))
	return int64(len(ids)), err
}

// IsDeadlock reports whether err is Postgres breaking a deadlock by
// aborting this statement (SQLSTATE 40P01).
func IsDeadlock(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "40P01"
}
