package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/checker"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/reference/settings"
)

// errCheckTimeLimit is the cause of a check's context ended by its hard limit.
var errCheckTimeLimit = errors.New("offline check killed at its hard time limit")

// check runs one copy of the offline check, as a Celery worker runs
// check_processing_services_online: dropped unrun when its expiry has passed
// on this worker's clock, else run with its cutoff from this worker's clock,
// under the task's own time limits (soft 120 s, hard 150 s model time:
// settings.CheckerSoftTimeLimit, CheckerTimeLimit). Its outcome is reported
// as an event, timed by this process's clock (time.Now, the axis every other
// event shares, or the simulation's; a skewed worker clock decides what the
// check does, not when it happened).
func (p *Pool) check(ctx context.Context, c broker.Check) error {
	if p.Check == nil {
		return fmt.Errorf("offline check %s reached a pool that does not run checks", c.ID)
	}
	m := p.Check.Metrics
	taken := p.Clock.True()
	waited := p.Clock.Model(taken.Sub(c.EnqueuedAt))
	if m != nil {
		m.Waited.Observe(waited.Seconds())
	}
	report := func(result string, flipped int) {
		if p.Events != nil {
			p.Events.Record(heartbeat.Event{Kind: heartbeat.EventCheck, At: p.Clock.True(), Enqueued: c.EnqueuedAt,
				DispatchID: c.ID, Result: result, Rows: int64(flipped), Replica: p.Replica})
		}
	}
	now := p.now()
	if checker.Expired(c, now) {
		if m != nil {
			m.Copies.WithLabelValues("dropped").Inc()
		}
		p.logger().Info("offline check expired in the queue: dropped unrun", "check", c.ID,
			"waited", waited.Round(time.Millisecond), "expires", c.Expires)
		report(heartbeat.CheckDropped, 0)
		return nil
	}
	softWall, hardWall := limits(p.Clock.Scale, settings.CheckerSoftTimeLimit, settings.CheckerTimeLimit)
	tctx, cancel := context.WithTimeoutCause(ctx, hardWall, errCheckTimeLimit)
	defer cancel()
	soft := time.AfterFunc(softWall, func() {
		p.logger().Warn("offline check exceeded its soft time limit", "check", c.ID,
			"soft_time_limit", settings.CheckerSoftTimeLimit, "time_limit", settings.CheckerTimeLimit)
	})
	defer soft.Stop()
	ids, err := p.Check.Run(tctx, now)
	killed := err != nil && ctx.Err() == nil && errors.Is(context.Cause(tctx), errCheckTimeLimit)
	switch {
	case killed:
		if m != nil {
			m.Copies.WithLabelValues("killed").Inc()
		}
		report(heartbeat.CheckFailed, 0)
		return fmt.Errorf("%w (%s model time), check %s: %w", errCheckTimeLimit, settings.CheckerTimeLimit, c.ID, err)
	case err != nil:
		if m != nil {
			m.Copies.WithLabelValues("failed").Inc()
		}
		report(heartbeat.CheckFailed, 0)
		return fmt.Errorf("offline check %s: %w", c.ID, err)
	}
	if m != nil {
		m.Copies.WithLabelValues("ran").Inc()
	}
	if len(ids) > 0 {
		p.logger().Info("offline check marked services not live", "check", c.ID, "services", ids)
	}
	report(heartbeat.CheckRan, len(ids))
	return nil
}
