package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// MarkStaleOffline is the async half of Antenna's offline check
// (check_processing_services_online, ami/ml/tasks.py:127-134):
// ProcessingService.objects.async_services().filter(last_seen_live=True,
// last_seen__lt=stale_cutoff).update(last_seen_live=False). A NULL
// last_seen never matches (SQL's NULL < x is unknown, as Django's __lt
// compiles to), so a service never seen is left as it is. It returns the
// services it flipped.
//
// It runs in a transaction of its own for the reason Atomically gives: a
// check killed at its hard time limit while it waits on a row lock must not
// commit later. Waiting on a heartbeat's row lock, Postgres re-reads the row
// once the lock is granted (READ COMMITTED), so a service the heartbeat has
// just made fresh is not flipped.
func (s *Store) MarkStaleOffline(ctx context.Context, cutoff time.Time) ([]int64, error) {
	var ids []int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE ml_processingservice SET last_seen_live = false
			WHERE endpoint_url IS NULL AND last_seen_live IS TRUE AND last_seen < $1
			RETURNING id`, cutoff)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("marking services last seen before %s offline: %w", cutoff.Format(time.RFC3339Nano), err)
	}
	return ids, nil
}
