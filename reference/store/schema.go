// Package store is the reference's Postgres layer: Antenna's tables under
// Antenna's names (docs/design.md#schema), the fixtures, and the heartbeat UPDATEs in
// each of the forms the strategies need.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// schemaSQL mirrors Antenna's table and column names so that one observer
// reads both Antenna and the reference. hb_* tables are the reference's own.
const schemaSQL = `
CREATE TABLE main_project (
	id   bigserial PRIMARY KEY,
	name text NOT NULL
);
CREATE TABLE ml_pipeline (
	id   bigserial PRIMARY KEY,
	name text NOT NULL,
	slug text NOT NULL UNIQUE
);
CREATE TABLE ml_processingservice (
	id             bigserial PRIMARY KEY,
	name           text NOT NULL,
	endpoint_url   text NULL,
	last_seen      timestamptz NULL,
	last_seen_live boolean NULL
);
CREATE TABLE ml_processingservice_pipelines (
	id                   bigserial PRIMARY KEY,
	processingservice_id bigint NOT NULL REFERENCES ml_processingservice(id) ON DELETE CASCADE,
	pipeline_id          bigint NOT NULL REFERENCES ml_pipeline(id) ON DELETE CASCADE,
	UNIQUE (processingservice_id, pipeline_id)
);
CREATE INDEX ON ml_processingservice_pipelines (pipeline_id);
CREATE TABLE ml_processingservice_projects (
	id                   bigserial PRIMARY KEY,
	processingservice_id bigint NOT NULL REFERENCES ml_processingservice(id) ON DELETE CASCADE,
	project_id           bigint NOT NULL REFERENCES main_project(id) ON DELETE CASCADE,
	UNIQUE (processingservice_id, project_id)
);
CREATE INDEX ON ml_processingservice_projects (project_id);
CREATE TABLE jobs_job (
	id            bigserial PRIMARY KEY,
	name          text NOT NULL DEFAULT '',
	project_id    bigint NOT NULL REFERENCES main_project(id) ON DELETE CASCADE,
	pipeline_id   bigint NULL REFERENCES ml_pipeline(id) ON DELETE SET NULL,
	dispatch_mode text NOT NULL DEFAULT 'internal'
		CHECK (dispatch_mode IN ('async_api', 'sync_api', 'internal')),
	status        text NOT NULL DEFAULT 'CREATED',
	-- JobLogs (ami/jobs/models.py:329): where job.logger wrote before PR #1259.
	logs          jsonb NOT NULL DEFAULT '{"stdout": [], "stderr": []}'
);
CREATE INDEX ON jobs_job (status, pipeline_id);
-- JobLog (ami/jobs/models.py:334-356): where job.logger writes since PR #1259.
CREATE TABLE jobs_joblog (
	id         bigserial PRIMARY KEY,
	created_at timestamp NOT NULL DEFAULT now(),
	updated_at timestamp NOT NULL DEFAULT now(),
	job_id     bigint NOT NULL REFERENCES jobs_job(id) ON DELETE CASCADE,
	level      varchar(20) NOT NULL,
	message    text NOT NULL,
	context    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX ON jobs_joblog (job_id, created_at DESC);
-- Finite task supply per job (0 = unlimited); consumption is counted in Redis.
CREATE TABLE hb_job_tasks (
	job_id bigint PRIMARY KEY REFERENCES jobs_job(id) ON DELETE CASCADE,
	total  bigint NOT NULL CHECK (total >= 0)
);
`

// tables lists what the schema creates, in drop order.
func tables() []string {
	return []string{
		"hb_job_tasks", "jobs_joblog", "jobs_job", "ml_processingservice_projects",
		"ml_processingservice_pipelines", "ml_processingservice", "ml_pipeline", "main_project",
	}
}

// Owned is the comment every table hbharness creates carries, so that a
// later reset can tell its own tables from a real deployment's.
const Owned = "created by hbharness; safe to drop"

// ErrForeignTables means the database holds tables hbharness did not
// create: resetting it could destroy someone's data.
var ErrForeignTables = errors.New("the database holds tables hbharness did not create")

// ForeignTables lists the tables of the connected database that hbharness
// did not create (schema-qualified, sorted).
func ForeignTables(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	rows, err := pool.Query(ctx, `
		SELECT n.nspname || '.' || c.relname
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
		  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
		  AND obj_description(c.oid, 'pg_class') IS DISTINCT FROM $1
		ORDER BY 1`, Owned)
	if err != nil {
		return nil, fmt.Errorf("listing the database's tables: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// ResetSchema drops the reference's tables (if any) and creates them anew,
// so that `serve --seed` can be run on the same database any number of
// times. It refuses, with ErrForeignTables, a database holding any table it
// did not create (Antenna's own, say) unless force is set.
func ResetSchema(ctx context.Context, pool *pgxpool.Pool, force bool) error {
	if !force {
		foreign, err := ForeignTables(ctx, pool)
		if err != nil {
			return err
		}
		if len(foreign) > 0 {
			shown := foreign[:min(len(foreign), 5)]
			return fmt.Errorf("%w (%d, e.g. %s): it is not a database of hbharness's own, and seeding it would drop Antenna's table names in it",
				ErrForeignTables, len(foreign), strings.Join(shown, ", "))
		}
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("resetting schema: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	for _, t := range tables() {
		if _, err := tx.Exec(ctx, "DROP TABLE IF EXISTS "+t+" CASCADE"); err != nil {
			return fmt.Errorf("resetting schema: dropping %s: %w", t, err)
		}
	}
	if _, err := tx.Exec(ctx, schemaSQL); err != nil {
		return fmt.Errorf("resetting schema: creating tables: %w", err)
	}
	for _, t := range tables() {
		if err := MarkOwned(ctx, tx, t); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// MarkOwned marks a table as created by hbharness (see Owned).
func MarkOwned(ctx context.Context, db interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}, table string) error {
	if _, err := db.Exec(ctx, "COMMENT ON TABLE "+pgx.Identifier{table}.Sanitize()+" IS '"+Owned+"'"); err != nil {
		return fmt.Errorf("marking table %s as hbharness's own: %w", table, err)
	}
	return nil
}
