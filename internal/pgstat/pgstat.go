// Package pgstat reads Postgres's own account of lock contention in one
// database: who waits on a lock now (pg_stat_activity) and how many
// deadlocks it has broken (pg_stat_database). The reference exports it on
// /metrics and the harness records it in a run's summary, each reading it
// for itself.
package pgstat

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Locks is one reading.
type Locks struct {
	// Waiting is how many of the database's backends wait on a heavyweight
	// lock (a row's, a transaction's) right now.
	Waiting int64
	// Backends is how many backends the database has.
	Backends int64
	// Deadlocks is pg_stat_database.deadlocks: cumulative since the
	// statistics were reset. Backends report it when their transaction
	// ends, at most a second late.
	Deadlocks int64
}

// Querier is what Read needs of a pool or a connection.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Read takes one reading of the connected database.
func Read(ctx context.Context, q Querier) (Locks, error) {
	var l Locks
	err := q.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE a.wait_event_type = 'Lock'), count(*),
		       (SELECT COALESCE(deadlocks, 0) FROM pg_stat_database WHERE datname = current_database())
		FROM pg_stat_activity a WHERE a.datname = current_database()`).
		Scan(&l.Waiting, &l.Backends, &l.Deadlocks)
	if err != nil {
		return Locks{}, fmt.Errorf("reading lock statistics: %w", err)
	}
	return l, nil
}
