// Package runner runs one scenario end to end (DESIGN.md §4, §8): provision
// an isolated database and key prefix, seed, start the reference replicas on
// loopback (or point at an external target), drive the fleet and the attacks,
// observe independently, drain, verify, and tear everything down again.
package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/reports"
	"github.com/hbharness/hbharness/scenarios"
)

// Options are the run's knobs beyond the scenario itself.
type Options struct {
	Log *slog.Logger
	// External, when set, drives a deployment instead of in-process replicas.
	External *External
	// Seed makes start offsets and jitter reproducible.
	Seed int64
	// SaturationTolerance is the fraction of late or dropped sends beyond
	// which the load generator is declared saturated (default 1%).
	SaturationTolerance float64
}

// Result is one finished (or interrupted) run.
type Result struct {
	Summary  reports.Summary
	History  *history.History
	Verdicts []verify.Verdict
}

// ErrSaturated means the load generator could not keep its own schedule: the
// run measured the harness, not the target, and must not count as a result.
var ErrSaturated = errors.New("load generator saturated")

// ErrEnvironment wraps failures to set a run up (exit 2).
var ErrEnvironment = errors.New("environment")

// Run executes spec. A returned Result may accompany an error: an
// interrupted or saturated run still has a (partial) summary to write.
func Run(ctx context.Context, spec *scenarios.Spec, opt Options) (*Result, error) {
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.SaturationTolerance == 0 {
		opt.SaturationTolerance = 0.01
	}
	if opt.External != nil {
		return runExternal(ctx, spec, opt)
	}
	return runInProcess(ctx, spec, opt)
}

// clockTolerance is how much closer than the window two dispatches may be
// recorded without counting as a violation: events are stamped after the
// gate answers, so scheduler noise of a few wall milliseconds shows up as
// model time divided by the scale.
func clockTolerance(scale float64) time.Duration {
	return time.Duration(float64(15*time.Millisecond) / scale)
}

func envErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrEnvironment, fmt.Sprintf(format, a...))
}
