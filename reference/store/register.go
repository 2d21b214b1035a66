package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The statements of pipeline registration (ami/ml/views.py:280-300
// ProjectPipelineViewSet.create and ami/ml/models/processing_service.py:93-175
// create_pipelines, at 731cc2a2), run on the Store's db: in a request's
// transaction when the Store is the request's, so every row they lock
// stays locked to the view's end, as under ATOMIC_REQUESTS.

// Antenna's join tables the registration writes.
const (
	TableServiceProjects  = "ml_processingservice_projects"
	TableServicePipelines = "ml_processingservice_pipelines"
	TableProject          = "main_project"
)

// ErrAmbiguousService is Django's MultipleObjectsReturned from get_or_create:
// more than one service row has the name (Antenna's name is not unique, and
// two concurrent registrations of a new name can both create it). The view
// raises: a 500, as upstream.
var ErrAmbiguousService = errors.New("more than one processing service has this name")

// ProjectExists is get_active_project's Project.objects.get(id=...).
func (s *Store) ProjectExists(ctx context.Context, id int64) (bool, error) {
	var ok bool
	if err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM main_project WHERE id = $1)`, id).Scan(&ok); err != nil {
		return false, fmt.Errorf("looking up project %d: %w", id, err)
	}
	return ok, nil
}

// PipelineSpec is what the reference keeps of a registered pipeline.
type PipelineSpec struct {
	Name string
	Slug string
}

// Registered is what a registration did.
type Registered struct {
	ServiceID      int64
	ServiceCreated bool
	// PipelinesCreated are the slugs of the pipelines it created.
	PipelinesCreated []string
}

// Register is the registration's writes before mark_seen:
// ProcessingService.objects.get_or_create(name=..., defaults={"endpoint_url":
// None}), projects.add(project), then create_pipelines for that project.
// Each pipeline is found by slug (upstream also matches name and version;
// the reference keeps no version) or created, linked to the service, and
// saved (pipeline.save(), an UPDATE of its row: its lock, too, is held to
// the view's end). Upstream's ProjectPipelineConfig rows and algorithms
// have no table here and are not written.
func (s *Store) Register(ctx context.Context, name string, project int64, pipelines []PipelineSpec) (Registered, error) {
	var r Registered
	var n int64
	var id *int64
	err := s.db.QueryRow(ctx, `SELECT min(id), count(*) FROM ml_processingservice WHERE name = $1`, name).Scan(&id, &n)
	switch {
	case err != nil:
		return r, fmt.Errorf("looking up processing service %q: %w", name, err)
	case n > 1:
		return r, fmt.Errorf("registering %q: %w (%d rows)", name, ErrAmbiguousService, n)
	case n == 1:
		r.ServiceID = *id
	default:
		if err := s.db.QueryRow(ctx, `INSERT INTO ml_processingservice(name, endpoint_url) VALUES ($1, NULL) RETURNING id`,
			name).Scan(&r.ServiceID); err != nil {
			return r, fmt.Errorf("creating processing service %q: %w", name, err)
		}
		r.ServiceCreated = true
		s.note(TableService)
	}
	if _, err := s.db.Exec(ctx, `INSERT INTO ml_processingservice_projects(processingservice_id, project_id) VALUES ($1, $2)
		ON CONFLICT DO NOTHING`, r.ServiceID, project); err != nil {
		return r, fmt.Errorf("adding project %d to service %d: %w", project, r.ServiceID, err)
	}
	s.note(TableServiceProjects)
	for _, p := range pipelines {
		var pid int64
		err := s.db.QueryRow(ctx, `SELECT id FROM ml_pipeline WHERE slug = $1`, p.Slug).Scan(&pid)
		if errors.Is(err, pgx.ErrNoRows) {
			err = s.db.QueryRow(ctx, `INSERT INTO ml_pipeline(name, slug) VALUES ($1, $2) RETURNING id`, p.Name, p.Slug).Scan(&pid)
			if err == nil {
				r.PipelinesCreated = append(r.PipelinesCreated, p.Slug)
			}
		}
		if err != nil {
			return r, fmt.Errorf("finding or creating pipeline %q: %w", p.Slug, err)
		}
		if _, err := s.db.Exec(ctx, `INSERT INTO ml_processingservice_pipelines(processingservice_id, pipeline_id) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, r.ServiceID, pid); err != nil {
			return r, fmt.Errorf("linking pipeline %q to service %d: %w", p.Slug, r.ServiceID, err)
		}
		// Model.save() without update_fields writes every column back.
		if _, err := s.db.Exec(ctx, `UPDATE ml_pipeline SET name = name, slug = slug WHERE id = $1`, pid); err != nil {
			return r, fmt.Errorf("saving pipeline %q: %w", p.Slug, err)
		}
		s.note(TablePipeline)
		s.note(TableServicePipelines)
	}
	return r, nil
}

// MarkServiceSeen is ProcessingService.mark_seen(live=True): one service's
// row, by id whatever its kind (processing_service.py:177-184,
// self.save(update_fields=["last_seen", "last_seen_live"])). It returns
// rows written: 0 when no such row exists.
func (s *Store) MarkServiceSeen(ctx context.Context, id int64, now time.Time, tag Tag) (int64, error) {
	res, err := s.db.Exec(ctx, `UPDATE ml_processingservice SET last_seen = $3, last_seen_live = true`+tagFrom+`WHERE id = $4`,
		tag.DispatchID, tag.Key, now, id)
	if err != nil {
		return 0, fmt.Errorf("marking service %d seen: %w", id, err)
	}
	s.note(TableService)
	return res.RowsAffected(), nil
}
