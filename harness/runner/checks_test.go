package runner

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/heartbeat"
)

// The beat reports a copy when it sends it and a worker when it takes it,
// in either order (a fast worker may report first); a copy no worker took
// is still queued. Times are model time since the run's start.
func TestChecksFromEvents(t *testing.T) {
	start := time.Unix(1000, 0)
	run := modeltime.Run{Start: start, Scale: 0.5} // 1 s of wall is 2 s of model
	at := func(wallSeconds float64) time.Time {
		return start.Add(time.Duration(wallSeconds * float64(time.Second)))
	}
	ev := func(id, result string, enqueued, when float64, rows int64) heartbeat.Event {
		return heartbeat.Event{Kind: heartbeat.EventCheck, DispatchID: id, Result: result, Enqueued: at(enqueued), At: at(when), Rows: rows}
	}
	events := []heartbeat.Event{
		{Kind: heartbeat.EventDispatch, DispatchID: "r0-1", At: at(0.5)}, // not a check
		ev("c1", heartbeat.CheckEnqueued, 1, 1, 0),
		ev("c1", heartbeat.CheckRan, 1, 1.5, 2),
		// Taken and reported before the beat reported sending it.
		ev("c2", heartbeat.CheckDropped, 3, 10, 0),
		ev("c2", heartbeat.CheckEnqueued, 3, 3, 0),
		ev("c3", heartbeat.CheckUnsent, 5, 5, 0),
		ev("c4", heartbeat.CheckEnqueued, 4, 4, 0),
		ev("c5", heartbeat.CheckEnqueued, 6, 6, 0),
		ev("c5", heartbeat.CheckFailed, 6, 7, 0),
	}
	require.Equal(t, []history.Check{
		{ID: "c1", Enqueued: 2 * time.Second, At: 3 * time.Second, Outcome: history.CheckRan, Flipped: 2},
		{ID: "c2", Enqueued: 6 * time.Second, At: 20 * time.Second, Outcome: history.CheckDropped},
		{ID: "c4", Enqueued: 8 * time.Second, Outcome: history.CheckQueued},
		{ID: "c3", Enqueued: 10 * time.Second, Outcome: history.CheckUnsent},
		{ID: "c5", Enqueued: 12 * time.Second, At: 14 * time.Second, Outcome: history.CheckFailed},
	}, checks(run, events))
	require.Empty(t, checks(run, events[:1]), "no check events, no checks")
}
