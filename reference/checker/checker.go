// Package checker is Antenna's periodic offline check
// (check_processing_services_online): async services whose last_seen is
// older than the window are flipped to last_seen_live = false.
package checker

import (
	"context"
	"log/slog"
	"time"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/metrics"
	"github.com/hbharness/hbharness/reference/store"
)

// Checker runs the check every Every (model time) on the scaled clock.
type Checker struct {
	Store        *store.Store
	Clock        modeltime.Clock
	Every        time.Duration // model
	OfflineAfter time.Duration // model
	Metrics      *metrics.Metrics
	Log          *slog.Logger
}

// Once runs one check and returns how many services it flipped.
func (c *Checker) Once(ctx context.Context) (int64, error) {
	n, err := c.Store.MarkOffline(ctx, c.Clock.Now(), c.Clock.Wall(c.OfflineAfter))
	if err == nil && c.Metrics != nil {
		c.Metrics.Offline.Add(float64(n))
	}
	return n, err
}

// Run checks until ctx ends.
func (c *Checker) Run(ctx context.Context) {
	t := time.NewTicker(max(time.Millisecond, c.Clock.Wall(c.Every)))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := c.Once(ctx); err != nil {
				if ctx.Err() == nil {
					c.Log.Warn("offline check failed", "err", err)
				}
			} else if n > 0 {
				c.Log.Info("offline check marked services not live", "count", n)
			}
		}
	}
}
