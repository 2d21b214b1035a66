package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Fixtures describes what to seed. Every (pipeline, project) pair is one
// gate key with its own async services and jobs.
type Fixtures struct {
	Projects       int
	Pipelines      int
	ServicesPerKey int
	JobsPerKey     int
	TasksPerJob    int64 // 0 = unlimited
}

// DefaultFixtures is `serve --seed default`: 1 project, 1 pipeline (slug
// "default"), 3 async services, job 1 with 10,000 tasks.
func DefaultFixtures() Fixtures {
	return Fixtures{Projects: 1, Pipelines: 1, ServicesPerKey: 3, JobsPerKey: 1, TasksPerJob: 10_000}
}

// Validate rejects fixtures that would seed nothing useful.
func (f Fixtures) Validate() error {
	if f.Projects < 1 || f.Pipelines < 1 || f.ServicesPerKey < 1 || f.JobsPerKey < 0 || f.TasksPerJob < 0 {
		return fmt.Errorf("fixtures %+v: projects, pipelines and services_per_key must be >= 1, jobs_per_key and tasks_per_job >= 0", f)
	}
	return nil
}

// Slug names pipeline number i (1-based). The first is "default" so that the
// default seed matches what a worker configured for it asks for.
func Slug(i int) string {
	if i == 1 {
		return "default"
	}
	return fmt.Sprintf("pipeline-%d", i)
}

// Key is one seeded gate key.
type Key struct {
	Index      int
	PipelineID int64
	ProjectID  int64
	Slug       string
	Services   []int64
	// ServiceNames are the services' names, as Services (what a worker
	// registers its service by); nil when the target did not say them.
	ServiceNames []string
	Jobs         []int64
}

// Seed inserts the fixtures into a freshly reset schema and returns the keys
// in (project, pipeline) order.
func Seed(ctx context.Context, pool *pgxpool.Pool, f Fixtures) ([]Key, error) {
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
		if pipelines[i], err = insert(`INSERT INTO ml_pipeline(name, slug) VALUES ($1, $2) RETURNING id`, fmt.Sprintf("pipeline %d", i+1), Slug(i+1)); err != nil {
			return nil, fmt.Errorf("seeding pipeline %d: %w", i+1, err)
		}
	}
	var keys []Key
	for pi, project := range projects {
		for qi, pipeline := range pipelines {
			k := Key{Index: len(keys), PipelineID: pipeline, ProjectID: project, Slug: Slug(qi + 1)}
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

func seedServices(ctx context.Context, tx pgx.Tx, k Key, n int) ([]int64, []string, error) {
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
