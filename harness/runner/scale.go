package runner

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/scenarios"
)

// Wall-time floors below which what a run measures is the machine, not the
// target. Each is far above what this harness's components need on an idle
// machine, so a loaded one still keeps them.
const (
	// minSampleWall: one sample reads every service row over a connection.
	minSampleWall = 5 * time.Millisecond
	// minPollWall: a poll period must leave room for the fleet's 25 ms
	// lateness allowance twice over, or a late send is a missed period.
	minPollWall = 50 * time.Millisecond
	// minCheckerWall: the offline checker is one UPDATE per period.
	minCheckerWall = time.Millisecond
	// maxToleranceShare: Redis's millisecond granularity may take at most
	// this share of the throttle window.
	maxToleranceShare = 0.01
	// maxWallRequests: requests per wall second a run may ask of a 2-core
	// machine that holds the fleet and, in-process, the reference too. Each
	// view is Antenna's whole request path: cachalot's Redis round trips, a
	// transaction with its job log lines, and for /tasks a NATS connection
	// with five JetStream calls. Measured on 2026-12-07 (vegeta at 50/s on
	// POST /tasks against serve): 11 ms of CPU a request over every process
	// (serve 4.4 ms, nats-server 2.8 ms, Postgres, Redis, vegeta), so two
	// cores saturate near 180 requests a second. `hbharness run --scenario
	// steady --time-scale S` (20 requests per model second): views held
	// 8 ms of wall on average at 100 per wall second (0.2), 13 ms at 200
	// (0.1), and 156 ms at 400 (0.05), saturated, with client timeouts.
	// At 143 (0.14) beside two CPU hogs it passed with views at 42 ms. Past
	// the floor the reference's own work, compressed with the clock,
	// stretches views and makes heartbeats late in model time that would be
	// on time at real time.
	maxWallRequests = 150.0
)

// MinScale is the smallest time scale at which spec can be judged, with what
// sets it.
func MinScale(spec *scenarios.Spec) (modeltime.Scale, string) {
	type floor struct {
		scale float64
		why   string
	}
	floors := []floor{
		{float64(minSampleWall) / float64(spec.SampleEvery),
			fmt.Sprintf("one sample every %s of model time must take at least %s of wall time", spec.SampleEvery, minSampleWall)},
		{float64(2*contract.RedisResolution) / (maxToleranceShare * float64(spec.Settings.Throttle)),
			fmt.Sprintf("Redis's %s resolution must stay under %.0f%% of the %s window", contract.RedisResolution, 100*maxToleranceShare, spec.Settings.Throttle)},
		{float64(minCheckerWall) / float64(spec.Settings.CheckerEvery),
			fmt.Sprintf("the checker's %s period must last at least %s", spec.Settings.CheckerEvery, minCheckerWall)},
	}
	if rate := spec.RequestRate(); rate > 0 {
		// Capped at real time: with nothing compressed, a scenario asking more
		// is a stress test, and its load generator says if it falls behind.
		floors = append(floors, floor{min(1, rate/maxWallRequests),
			fmt.Sprintf("its %.0f requests per model second must stay under %.0f per wall second", rate, maxWallRequests)})
	}
	for _, g := range spec.Fleet {
		floors = append(floors, floor{float64(minPollWall) / float64(g.PollEvery),
			fmt.Sprintf("fleet %s's %s poll period must last at least %s", g.Name, g.PollEvery, minPollWall)})
	}
	worst := slices.MaxFunc(floors, func(a, b floor) int {
		switch {
		case a.scale < b.scale:
			return -1
		case a.scale > b.scale:
			return 1
		}
		return 0
	})
	return roundUp(worst.scale), worst.why
}

// roundUp gives a scale with two significant digits, never below s.
func roundUp(s float64) modeltime.Scale {
	if s <= 0 {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(s))-1)
	return modeltime.Scale(math.Ceil(s/p) * p)
}

// ErrScaleTooSmall refuses a run before it starts: at its time scale what it
// would measure is this machine, not the target.
var ErrScaleTooSmall = errors.New("time scale too small")

// checkScale refuses a time scale too small to judge.
func checkScale(spec *scenarios.Spec) error {
	least, why := MinScale(spec)
	if spec.TimeScale >= least {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrEnvironment, tooSmall(fmt.Sprintf("time scale %s is too small to judge %s: %s; use --time-scale %s or more",
		spec.TimeScale, spec.Name, strings.TrimSpace(why), least)))
}

// tooSmall is a refusal worded for the reader that is ErrScaleTooSmall.
type tooSmall string

func (e tooSmall) Error() string      { return string(e) }
func (tooSmall) Is(target error) bool { return target == ErrScaleTooSmall }
