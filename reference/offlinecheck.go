package reference

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/checker"
	"github.com/hbharness/hbharness/reference/store"
)

// RunOfflineCheck runs the offline check on pool every `every` (model
// time) with the threshold offlineAfter, straight from a loop rather than
// through a queue, until ctx ends: one check per database, as in
// production, for a deployment whose replicas run none (Options.NoChecker)
// and for tests whose only question is the threshold.
func RunOfflineCheck(ctx context.Context, pool *pgxpool.Pool, offlineAfter, every time.Duration, scale modeltime.Scale) {
	check := &checker.Task{Store: store.New(pool), OfflineAfter: offlineAfter, Scale: scale}
	tick := time.NewTicker(scale.Wall(every))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			_, _ = check.Run(ctx, time.Now())
		}
	}
}
