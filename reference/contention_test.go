package reference_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The seed's hotspot: with inline, 32 concurrent pollers of one key run the
// 3-row UPDATE at once and queue on (or deadlock over) each other's row
// locks, held through the rest of each view. The test watches pg_locks for
// waiters and counts deadlock answers. 32 x 4 requests of 2 tasks stay
// inside the job's 1,000: past them every reservation waits out its 0.5 s
// under the locks, and the requests take turns for minutes.
func TestInlineShowsLockContention(t *testing.T) {
	f := start(t, "inline")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var waiters atomic.Int64
	sampler := make(chan struct{})
	go func() {
		defer close(sampler)
		for ctx.Err() == nil {
			var n int64
			err := f.env.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
				WHERE NOT l.granted AND a.datname = current_database()`).Scan(&n)
			if err == nil && n > waiters.Load() {
				waiters.Store(n)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()

	var failed atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 4 {
				if f.tasks(t, token) != http.StatusOK {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	cancel()
	<-sampler

	var deadlocks int64
	require.NoError(t, f.env.Pool.QueryRow(context.Background(),
		`SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`).Scan(&deadlocks))
	t.Logf("inline, 32 requesters x 4 requests: max concurrent lock waiters %d, failed requests %d, deadlocks (pg_stat_database, may lag) %d",
		waiters.Load(), failed.Load(), deadlocks)
	require.Positive(t, waiters.Load()+failed.Load()+deadlocks,
		"32 concurrent inline UPDATEs of the same 3 rows must contend on row locks")
	// The reference counts them on /metrics itself: lock waits from
	// pg_stat_activity, deadlocks its statements lost.
	eventually(t, func() bool {
		return f.metric(t, "db_lock_wait_seconds_total")+f.metric(t, "heartbeat_deadlock_errors_total") > 0
	}, "lock waits or deadlocks on /metrics")
}
