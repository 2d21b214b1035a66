// Package wait sleeps on the wall clock for as long as a context lives.
// Every loop that paces itself (the fault schedule, the task feeder, a
// consumer backing off) needs the same wait, and a plain time.Sleep would
// outlive a cancelled run.
package wait

import (
	"context"
	"time"
)

// Until waits for the wall instant at and reports false if ctx ends first.
// An instant already past returns at once, true unless ctx has ended.
func Until(ctx context.Context, at time.Time) bool {
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// For waits d and reports false if ctx ends first.
func For(ctx context.Context, d time.Duration) bool {
	return Until(ctx, time.Now().Add(d))
}
