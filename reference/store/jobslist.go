package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ListOrder is the order of the jobs list's rows.
type ListOrder int

const (
	// ListNewest is Job.Meta.ordering, ["-created_at"] (ami/jobs/models.py:
	// 1440-1441 at 731cc2a2), the order of every list but the worker's.
	// Jobs here are created in id order, so newest first is id descending.
	ListNewest ListOrder = iota
	// ListRandom is the worker's list: order_by("?") whenever ids_only is set
	// (ami/jobs/views.py:352-353), which Django sends to Postgres as ORDER BY
	// RANDOM(). Two requests for the same offset may see different jobs.
	ListRandom
)

// JobPage is one page of the jobs list: Count matching jobs in all, Jobs
// the page's.
type JobPage struct {
	Count int64
	Jobs  []JobRef
}

// listWhere selects the jobs a ListFilter matches ($1 slugs, NULL or none
// for any; $2 project; $3 dispatch mode). Only active jobs are listed: the
// workers' list sends incomplete_only=1, which upstream reads as "not in a
// final state" (views.py:160-181, IncompleteJobFilter); the reference's jobs
// are only ever active or done, where the two coincide.
const listWhere = `
		FROM jobs_job j LEFT JOIN ml_pipeline p ON p.id = j.pipeline_id
		WHERE j.status IN ('STARTED', 'RETRY')
		  AND (COALESCE(cardinality($1::text[]), 0) = 0 OR p.slug = ANY($1))
		  AND ($2::bigint = 0 OR j.project_id = $2)
		  AND ($3::text = '' OR j.dispatch_mode = $3)`

// ListJobPage is DRF's LimitOffsetPagination over the jobs list
// (rest_framework/pagination.py:382-395, DRF 3.14.0, Antenna's pin in
// requirements/base.txt): the count first, then, unless
// nothing matches or offset is past the count, limit rows from offset in
// order. The two statements are not one snapshot, as upstream's are not.
func (s *Store) ListJobPage(ctx context.Context, f ListFilter, order ListOrder, offset, limit int64) (JobPage, error) {
	var page JobPage
	args := []any{f.Slugs, f.ProjectID, f.DispatchMode}
	if err := s.pool.QueryRow(ctx, `SELECT count(*)`+listWhere, args...).Scan(&page.Count); err != nil {
		return JobPage{}, fmt.Errorf("counting the jobs list: %w", err)
	}
	if page.Count == 0 || offset > page.Count || limit <= 0 {
		page.Jobs = []JobRef{}
		return page, nil
	}
	by := "j.id DESC"
	if order == ListRandom {
		by = "RANDOM()"
	}
	rows, err := s.pool.Query(ctx, `SELECT j.id, COALESCE(p.slug, '')`+listWhere+`
		ORDER BY `+by+` LIMIT $4 OFFSET $5`, append(args, limit, offset)...)
	if err != nil {
		return JobPage{}, fmt.Errorf("listing jobs: %w", err)
	}
	page.Jobs, err = pgx.CollectRows(rows, pgx.RowToStructByPos[JobRef])
	if err != nil {
		return JobPage{}, fmt.Errorf("listing jobs: %w", err)
	}
	return page, nil
}
