package observe

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// RowUpdates reads Postgres's own count of row updates on the service table
// (pg_stat_user_tables, readable without write access). It counts every
// UPDATEd row, so two writes a few milliseconds apart count as two even when
// no sample fell between them.
func RowUpdates(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var n int64
	err := pool.QueryRow(ctx, `SELECT COALESCE(sum(n_tup_upd), 0)::bigint FROM pg_stat_user_tables
		WHERE relname = 'ml_processingservice'`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("reading pg_stat_user_tables: %w", err)
	}
	return n, nil
}

// SettledRowUpdates waits until the statistics reach at least want or stop
// moving: backends flush their counters lazily (up to ~10 s when idle).
func SettledRowUpdates(ctx context.Context, pool *pgxpool.Pool, want int64, limit time.Duration) (int64, error) {
	deadline := time.Now().Add(limit)
	var last int64 = -1
	stable := 0
	for {
		n, err := RowUpdates(ctx, pool)
		if err != nil {
			return 0, err
		}
		if n >= want && n == last {
			stable++
		} else {
			stable = 0
		}
		if stable >= 3 || time.Now().After(deadline) {
			return n, nil
		}
		last = n
		select {
		case <-ctx.Done():
			return n, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
