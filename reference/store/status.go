package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ServiceRow is the part of ml_processingservice that get_status reads.
type ServiceRow struct {
	ID int64
	// EndpointURL is nil for an async (pull-mode) service.
	EndpointURL *string
	// LastSeen and LastSeenLive are nil while NULL.
	LastSeen     *time.Time
	LastSeenLive *bool
}

// Live is last_seen_live read as Python's truth of it: NULL is not live.
func (r ServiceRow) Live() bool { return r.LastSeenLive != nil && *r.LastSeenLive }

// GetService is ProcessingService.objects.get(pk=id) (ami/ml/views.py:216),
// ErrNotFound when there is none.
func (s *Store) GetService(ctx context.Context, id int64) (ServiceRow, error) {
	r := ServiceRow{ID: id}
	err := s.db.QueryRow(ctx, `SELECT endpoint_url, last_seen, last_seen_live FROM ml_processingservice WHERE id = $1`, id).
		Scan(&r.EndpointURL, &r.LastSeen, &r.LastSeenLive)
	if errors.Is(err, pgx.ErrNoRows) {
		return ServiceRow{}, fmt.Errorf("processing service %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return ServiceRow{}, fmt.Errorf("loading processing service %d: %w", id, err)
	}
	return r, nil
}

// SetServiceLive is get_status's lazy flip, save(update_fields=
// ["last_seen_live"]) (ami/ml/models/processing_service.py:216-218): an
// UPDATE of that one column by primary key, whatever the row holds by then.
// last_seen is not written, so the harness's audit (a trigger on UPDATE OF
// last_seen) does not count it as a heartbeat.
func (s *Store) SetServiceLive(ctx context.Context, id int64, live bool) error {
	if _, err := s.db.Exec(ctx, `UPDATE ml_processingservice SET last_seen_live = $2 WHERE id = $1`, id, live); err != nil {
		return fmt.Errorf("saving last_seen_live of processing service %d: %w", id, err)
	}
	s.note(TableService)
	return nil
}

// ServicePipelineNames is self.pipelines.values_list("name", flat=True)
// (processing_service.py:219), ordered by name so the answer is stable.
func (s *Store) ServicePipelineNames(ctx context.Context, id int64) ([]string, error) {
	var names []string
	err := s.db.QueryRow(ctx, `SELECT COALESCE(array_agg(p.name ORDER BY p.name), '{}')
		FROM ml_processingservice_pipelines sp JOIN ml_pipeline p ON p.id = sp.pipeline_id
		WHERE sp.processingservice_id = $1`, id).Scan(&names)
	if err != nil {
		return nil, fmt.Errorf("listing the pipelines of processing service %d: %w", id, err)
	}
	return names, nil
}
