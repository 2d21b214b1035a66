package history

import "time"

// CheckOutcome is what became of one copy of the offline check.
type CheckOutcome string

const (
	// CheckRan: a task worker ran it; Flipped services were marked offline.
	CheckRan CheckOutcome = "ran"
	// CheckDropped: a worker took it past its expiry and dropped it unrun.
	CheckDropped CheckOutcome = "dropped"
	// CheckFailed: it ran and failed (a database error, or killed at its
	// hard time limit): nothing was flipped.
	CheckFailed CheckOutcome = "failed"
	// CheckUnsent: the beat could not enqueue it (the broker was down).
	CheckUnsent CheckOutcome = "unsent"
	// CheckQueued: enqueued, and no worker had taken it when the target
	// stopped reporting.
	CheckQueued CheckOutcome = "queued"
)

// Check is one copy of the offline check as the target reported it: when
// the beat enqueued it and when a worker took it, both on the target's
// process clock, in model time since the run started.
type Check struct {
	ID       string        `json:"id"`
	Enqueued time.Duration `json:"enqueued"`
	// At is when a worker ran or dropped it; meaningless while Queued or
	// Unsent.
	At      time.Duration `json:"at"`
	Outcome CheckOutcome  `json:"outcome"`
	Flipped int64         `json:"flipped"`
	Replica int           `json:"replica"`
}

// Taken says a worker took the copy off its queue (ran, dropped or failed
// it); At is then when.
func (c Check) Taken() bool {
	return c.Outcome == CheckRan || c.Outcome == CheckDropped || c.Outcome == CheckFailed
}

// Waited is how long the copy sat in its queue before a worker took it.
func (c Check) Waited() time.Duration { return c.At - c.Enqueued }
