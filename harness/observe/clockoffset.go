package observe

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// clockOffsetRounds is how many round trips ClockOffset measures.
const clockOffsetRounds = 5

// ClockOffset estimates the database server's clock minus this process's
// clock, so that times recorded by Postgres (commit timestamps, now()) can be
// set against local ones. It runs `SELECT clock_timestamp()` a few times on
// one connection and keeps the round trip with the smallest duration: the
// server read its clock somewhere inside that trip, so the offset is taken
// against the trip's midpoint and is exact to within half of it, which is
// returned as the uncertainty (±).
func ClockOffset(ctx context.Context, pool *pgxpool.Pool) (offset, uncertainty time.Duration, err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("clock offset: acquiring a database connection: %w", err)
	}
	defer conn.Release()
	// One untimed query first, so that the statement is prepared and
	// cached before the trips that count.
	var db time.Time
	if err := conn.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&db); err != nil {
		return 0, 0, fmt.Errorf("clock offset: SELECT clock_timestamp(): %w", err)
	}
	best := time.Duration(-1)
	for range clockOffsetRounds {
		sent := time.Now()
		if err := conn.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&db); err != nil {
			return 0, 0, fmt.Errorf("clock offset: SELECT clock_timestamp(): %w", err)
		}
		rtt := time.Since(sent) // monotonic
		if best >= 0 && rtt >= best {
			continue
		}
		best = rtt
		mid := sent.Round(0).Add(rtt / 2) // wall clock
		offset = db.Sub(mid)
	}
	return offset, best / 2, nil
}
