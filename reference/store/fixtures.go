package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbharness/hbharness/reference/contract"
)

// Seed inserts the fixtures into a freshly reset schema and returns the keys
// in (project, pipeline) order.
func Seed(ctx context.Context, pool *pgxpool.Pool, f contract.Fixtures) ([]contract.Key, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("seeding fixtures: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	insert := func(sql string, args ...any) (int64, error) {
		var id int64
		err := tx.QueryRow(ctx, sql, args...).Scan(&id)
		return id, err
	}
	projects := make([]int64, f.Projects)
	for i := range projects {
		if projects[i], err = insert(`INSERT INTO main_project(name) VALUES ($1) RETURNING id`, fmt.Sprintf("project %d", i+1)); err != nil {
			return nil, fmt.Errorf("seeding project %d: %w", i+1, err)
		}
	}
	pipelines := make([]int64, f.Pipelines)
	for i := range pipelines {
		if pipelines[i], err = insert(`INSERT INTO ml_pipeline(name, slug) VALUES ($1, $2) RETURNING id`, fmt.Sprintf("pipeline %d", i+1), contract.Slug(i+1)); err != nil {
			return nil, fmt.Errorf("seeding pipeline %d: %w", i+1, err)
		}
	}
	var keys []contract.Key
	for pi, project := range projects {
		for qi, pipeline := range pipelines {
			k := contract.Key{Index: len(keys), PipelineID: pipeline, ProjectID: project, Slug: contract.Slug(qi + 1)}
			if k.Services, k.ServiceNames, err = seedServices(ctx, tx, k, f.ServicesPerKey); err != nil {
				return nil, err
			}
			for j := 0; j < f.JobsPerKey; j++ {
				id, err := insert(`INSERT INTO jobs_job(name, project_id, pipeline_id, dispatch_mode, status)
					VALUES ($1, $2, $3, 'async_api', 'STARTED') RETURNING id`,
					fmt.Sprintf("job %d of project %d pipeline %d", j+1, pi+1, qi+1), project, pipeline)
				if err != nil {
					return nil, fmt.Errorf("seeding job for key %d: %w", k.Index, err)
				}
				if _, err := tx.Exec(ctx, `INSERT INTO hb_job_tasks(job_id, total) VALUES ($1, $2)`, id, f.TasksPerJob); err != nil {
					return nil, fmt.Errorf("seeding task supply of job %d: %w", id, err)
				}
				k.Jobs = append(k.Jobs, id)
			}
			keys = append(keys, k)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("seeding fixtures: commit: %w", err)
	}
	return keys, nil
}

func seedServices(ctx context.Context, tx pgx.Tx, k contract.Key, n int) ([]int64, []string, error) {
	ids, names := make([]int64, 0, n), make([]string, 0, n)
	for s := 0; s < n; s++ {
		var id int64
		name := fmt.Sprintf("worker fleet %d of key %d", s+1, k.Index)
		// endpoint_url NULL is what makes a service "async" (pull mode) in Antenna.
		err := tx.QueryRow(ctx, `INSERT INTO ml_processingservice(name, endpoint_url) VALUES ($1, NULL) RETURNING id`,
			name).Scan(&id)
		if err == nil {
			_, err = tx.Exec(ctx, `INSERT INTO ml_processingservice_pipelines(processingservice_id, pipeline_id) VALUES ($1, $2)`, id, k.PipelineID)
		}
		if err == nil {
			_, err = tx.Exec(ctx, `INSERT INTO ml_processingservice_projects(processingservice_id, project_id) VALUES ($1, $2)`, id, k.ProjectID)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("seeding service %d of key %d: %w", s+1, k.Index, err)
		}
		ids, names = append(ids, id), append(names, name)
	}
	return ids, names, nil
}
