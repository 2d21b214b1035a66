package reference_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/checker"
	"github.com/hbharness/hbharness/reference/store"
)

// The checker applies Antenna's rule on the scaled clock: at scale s, a
// service last seen 61 model seconds ago is stale, one seen 59 ago is not.
func TestCheckerFlipsStaleLeavesFresh(t *testing.T) {
	for _, scale := range []modeltime.Scale{0.05, 0.2} {
		t.Run(scale.Wall(time.Second).String()+"/s", func(t *testing.T) {
			f := start(t, "view-gate", withScale(scale))
			c := modeltime.Clock{Scale: scale}
			ctx := context.Background()
			ids := f.keys[0].Services
			now := time.Now()
			set := func(id int64, modelAge time.Duration) {
				_, err := f.env.Pool.Exec(ctx, `UPDATE ml_processingservice SET last_seen = $1, last_seen_live = true WHERE id = $2`,
					now.Add(-c.Wall(modelAge)), id)
				require.NoError(t, err)
			}
			set(ids[0], 75*time.Second) // stale
			set(ids[1], 45*time.Second) // fresh
			set(ids[2], 5*time.Second)  // fresh
			ck := &checker.Checker{Store: store.New(f.env.Pool), Clock: c, Every: 5 * time.Second,
				OfflineAfter: 60 * time.Second, Log: slog.New(slog.DiscardHandler)}
			n, err := ck.Once(ctx)
			require.NoError(t, err)
			require.Equal(t, int64(1), n)
			live := map[int64]bool{}
			rows, err := f.env.Pool.Query(ctx, `SELECT id, last_seen_live FROM ml_processingservice`)
			require.NoError(t, err)
			for rows.Next() {
				var id int64
				var l bool
				require.NoError(t, rows.Scan(&id, &l))
				live[id] = l
			}
			require.Equal(t, map[int64]bool{ids[0]: false, ids[1]: true, ids[2]: true}, live)
		})
	}
}
