// Package dbwatch puts the database's lock contention on the reference's
// /metrics, as Postgres itself sees it (internal/pgstat): the backends
// waiting on a lock, the waiting integrated over time, and the deadlocks
// Postgres broke. One per deployment is enough (the database is shared), so
// it runs beside the checker.
package dbwatch

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbharness/hbharness/internal/pgstat"
	"github.com/hbharness/hbharness/reference/metrics"
)

// Every is how often it reads: lock waits shorter than this can be missed
// (a sample is an instant), and the integral is good to this precision.
const Every = 50 * time.Millisecond

// Watch samples until ctx ends.
type Watch struct {
	Pool    *pgxpool.Pool
	Metrics *metrics.Metrics
	Log     *slog.Logger
}

// Run reads every Every; deadlocks count from its first reading.
func (w *Watch) Run(ctx context.Context) {
	t := time.NewTicker(Every)
	defer t.Stop()
	// have: last and prev hold a reading; gap: the one before failed, so the
	// time since prev is not known to have been waited through.
	have, gap, last := false, false, int64(0)
	prev := time.Now()
	failed := false
	for {
		l, err := pgstat.Read(ctx, w.Pool)
		now := time.Now()
		switch {
		case err != nil:
			if !failed && ctx.Err() == nil {
				w.Log.Warn("cannot read the database's lock statistics; db_lock_* metrics stop until it can", "err", err)
			}
			failed, gap = true, true
		default:
			failed = false
			w.Metrics.DBLockWaiters.Set(float64(l.Waiting))
			if have {
				if !gap {
					w.Metrics.DBLockWaitSeconds.Add(float64(l.Waiting) * now.Sub(prev).Seconds())
				}
				if d := l.Deadlocks - last; d > 0 {
					w.Metrics.DBDeadlocks.Add(float64(d))
				}
			}
			have, gap, last, prev = true, false, l.Deadlocks, now
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
