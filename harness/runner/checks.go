package runner

import (
	"cmp"
	"slices"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/heartbeat"
)

// checks gathers the target's offline check events into one record per
// copy, by enqueue time: the beat reports each copy when it sends it, a
// worker when it takes it. A copy sent and never taken is still queued.
func checks(run modeltime.Run, events []heartbeat.Event) []history.Check {
	byID := map[string]*history.Check{}
	var order []string
	get := func(e heartbeat.Event) *history.Check {
		c := byID[e.DispatchID]
		if c == nil {
			c = &history.Check{ID: e.DispatchID, Enqueued: run.Since(e.Enqueued), Outcome: history.CheckQueued, Replica: e.Replica}
			byID[e.DispatchID] = c
			order = append(order, e.DispatchID)
		}
		return c
	}
	for _, e := range events {
		if e.Kind != heartbeat.EventCheck {
			continue
		}
		c := get(e)
		switch e.Result {
		case heartbeat.CheckEnqueued:
		case heartbeat.CheckUnsent:
			c.Outcome = history.CheckUnsent
		case heartbeat.CheckRan, heartbeat.CheckDropped, heartbeat.CheckFailed:
			c.Outcome, c.At, c.Flipped = history.CheckOutcome(e.Result), run.Since(e.At), e.Rows
			c.Replica = e.Replica
		}
	}
	out := make([]history.Check, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	slices.SortStableFunc(out, func(a, b history.Check) int { return cmp.Compare(a.Enqueued, b.Enqueued) })
	return out
}
