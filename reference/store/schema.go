// Package store is the reference's Postgres layer: Antenna's tables under
// Antenna's names (DESIGN.md §3), the fixtures, and the heartbeat UPDATEs in
// each of the forms the strategies need.
package store

import (
	"context"
	"fmt"

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
	status        text NOT NULL DEFAULT 'CREATED'
);
CREATE INDEX ON jobs_job (status, pipeline_id);
-- Finite task supply per job (0 = unlimited); consumption is counted in Redis.
CREATE TABLE hb_job_tasks (
	job_id bigint PRIMARY KEY REFERENCES jobs_job(id) ON DELETE CASCADE,
	total  bigint NOT NULL CHECK (total >= 0)
);
`

// tables lists what the schema creates, in drop order.
func tables() []string {
	return []string{
		"hb_job_tasks", "jobs_job", "ml_processingservice_projects",
		"ml_processingservice_pipelines", "ml_processingservice", "ml_pipeline", "main_project",
	}
}

// ResetSchema drops the reference's tables (if any) and creates them anew,
// so that `serve --seed` can be run on the same database any number of times.
func ResetSchema(ctx context.Context, pool *pgxpool.Pool) error {
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
	return tx.Commit(ctx)
}
