package reference_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/heartbeat"
)

// What the harness's replica faults do to the task workers: a stall backs
// the queue up, a crash after the write gets the task redelivered and run
// again, a skew moves the last_seen the workers write.
func TestWorkerFaults(t *testing.T) {
	t.Run("stall", func(t *testing.T) {
		f := start(t, "none") // every request dispatches
		f.ref.StallWorkers(true)
		for range 5 {
			require.Equal(t, 200, f.tasks(t, token))
		}
		time.Sleep(100 * time.Millisecond)
		require.Zero(t, f.events.count(heartbeat.EventTask, ""), "no task runs while stalled")
		n, err := f.ref.Broker.Depth(context.Background())
		require.NoError(t, err)
		require.Equal(t, int64(5), n, "the queue backs up")
		f.ref.StallWorkers(false)
		eventually(t, func() bool { return f.events.count(heartbeat.EventTask, "") == 5 }, "every task runs once released")
	})
	t.Run("crash after the write", func(t *testing.T) {
		f := start(t, "view-gate")
		f.ref.CrashWorker()
		require.Equal(t, 200, f.tasks(t, token))
		eventually(t, func() bool { return !f.lastSeen(t)[0].Equal(time.Unix(0, 0).UTC()) }, "the crashing task wrote")
		time.Sleep(100 * time.Millisecond)
		require.Zero(t, f.events.count(heartbeat.EventTask, ""), "and died before it reported")
		first := f.lastSeen(t)[0]
		f.ref.RestoreWorkers()
		eventually(t, func() bool { return f.events.count(heartbeat.EventTask, "") == 1 }, "redelivered to the restarted worker")
		require.True(t, f.lastSeen(t)[0].After(first), "and written again")
		require.Equal(t, 1, f.events.count(heartbeat.EventDispatch, ""), "one dispatch, two writes")
	})
	t.Run("skew", func(t *testing.T) {
		f := start(t, "view-gate", withScale(modeltime.Real))
		f.ref.SkewWorkers(-time.Hour)
		before := time.Now()
		require.Equal(t, 200, f.tasks(t, token))
		eventually(t, func() bool { return f.events.count(heartbeat.EventTask, "") == 1 }, "the task ran")
		got := f.lastSeen(t)[0]
		require.WithinDuration(t, before.Add(-time.Hour), got, 5*time.Second, "written an hour behind")
	})
}
