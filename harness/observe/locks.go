package observe

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/internal/pgstat"
)

// Locks watches the target database's lock contention as Postgres reports it
// (internal/pgstat): how many backends wait on a lock, integrated over the
// run, and how many deadlocks Postgres broke. Like the sampler it needs only
// SELECT; on a deployment whose observer role cannot see other roles'
// backends (pg_read_all_stats), their waits are not counted, and the
// history says so in its sample count only.
type Locks struct {
	Pool  *pgxpool.Pool
	Every time.Duration // wall
	Scale modeltime.Scale
	Log   *slog.Logger

	mu   sync.Mutex
	seen history.Locks
}

// Run reads until ctx ends. Deadlocks are counted from its first reading.
func (l *Locks) Run(ctx context.Context) {
	t := time.NewTicker(l.Every)
	defer t.Stop()
	var base int64
	var prev time.Time
	have := false
	for {
		r, err := pgstat.Read(ctx, l.Pool)
		now := time.Now()
		l.mu.Lock()
		switch {
		case err != nil:
			if ctx.Err() == nil {
				l.seen.Errors++
				if l.seen.Errors == 1 {
					l.Log.Warn("cannot read the database's lock statistics; lock waits are not observed while it fails", "err", err)
				}
			}
			have = false // the time since the last reading is not known
		default:
			l.seen.Samples++
			l.seen.MaxWaiting = max(l.seen.MaxWaiting, r.Waiting)
			if have {
				l.seen.WaitingS += float64(r.Waiting) * l.Scale.Model(now.Sub(prev)).Seconds()
			} else if l.seen.Samples == 1 {
				base = r.Deadlocks
			}
			l.seen.Deadlocks = r.Deadlocks - base
			prev, have = now, true
		}
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Seen is what was observed so far.
func (l *Locks) Seen() history.Locks {
	l.mu.Lock()
	defer l.mu.Unlock()
	seen := l.seen
	seen.Every = l.Scale.Model(l.Every)
	return seen
}
