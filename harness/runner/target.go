package runner

import (
	"context"
	"log/slog"
	"time"

	"github.com/hbharness/hbharness/harness/fault"
	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/observe"
	"github.com/hbharness/hbharness/reference"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/scenarios"
)

// Target is what a run drives and observes. Run takes every target through
// the same steps: Start, drive the load at Setup.URLs, Settle, Collect,
// Close.
type Target interface {
	// Start makes the target ready to be driven: provisioned or reached,
	// its keys known, its observers baselined.
	Start(ctx context.Context) (Setup, error)
	// Settle gives the target the time to finish what the load left behind
	// (queued heartbeat tasks) before its database is judged.
	Settle(ctx context.Context)
	// Collect returns what the observers saw from start (wall) on; the
	// sampler has stopped by then.
	Collect(ctx context.Context, start time.Time) (Observations, error)
	// Close releases everything Start took, whatever happened in between.
	Close()
}

// Setup is what the drive needs to know about a started target.
type Setup struct {
	Name string // "in-process" or the external URL
	URLs []string
	// Keys are the gate keys to poll and the services each one marks.
	Keys []contract.Key
	// Token is the shared token: attacks, and workers that have no own one.
	Token string
	// ServiceTokens makes each worker authenticate as its own service.
	ServiceTokens bool
	Sampler       *observe.Sampler
	// Locks watches the database's lock waits and deadlocks; nil: not watched.
	Locks *observe.Locks
	// Faults are the proxies in front of the target's dependencies; nil
	// when the target cannot take faults.
	Faults *fault.Targets
	// Counts, when set, says how many dispatches and writes the target has
	// made so far, for a progress display; nil when it cannot tell live.
	Counts func() (dispatches, writes int64)
	Log    *slog.Logger
}

// Observations are what a target's observers saw, before they become a history.
type Observations struct {
	// Events are the target's own reports; HaveDispatches says whether the
	// target can report at all (an external one cannot).
	Events         []heartbeat.Event
	HaveDispatches bool
	// Pending are the dispatches still queued at the end; PendingKnown is
	// false when the queue could not be listed.
	Pending      []string
	PendingKnown bool
	Writes       []writeSeen
	// Observation says how the writes were seen, DetectionLimit how close
	// two may be and still be told apart, QueueAllowance (model time) how far
	// the target's queue may shift one write towards the next.
	Observation    history.Observation
	DetectionLimit time.Duration
	QueueAllowance time.Duration
	// WriteGaps are the stretches the write observer was blind (its
	// connection lost): writes in them are unknown, not absent.
	WriteGaps []observe.Gap
	// Views is the target's own account of its views; nil when it has none.
	Views *history.Views
	Notes []string
}

// writeSeen is one write as an observer saw it, timed by the database.
type writeSeen struct {
	at         time.Time // this process's clock (the database's, offset removed)
	services   []int64
	txid       int64
	dispatchID string
	// stamp is the last_seen value written, with the same offset removed as
	// at (zero: not read), so that stamp - at is how far the writer's clock
	// runs ahead of the database's.
	stamp time.Time
}

func newTarget(spec *scenarios.Spec, opt Options) (Target, error) {
	if opt.External == nil {
		return &inProcess{spec: spec, seed: opt.Seed, log: opt.Log.With("scenario", spec.Name, "strategy", spec.Strategy),
			sweeper: opt.sweeper(), plant: opt.plant,
			// One database server behind every replica: one count of its connections.
			shared: reference.NewShared(spec.Settings, spec.TimeScale)}, nil
	}
	if len(spec.Faults) > 0 || spec.RandomFaults != nil {
		return nil, envErr("scenario %s injects faults, which need the harness's own proxies in front of the services: run it in-process, not against --target", spec.Name)
	}
	return &external{spec: spec, ext: opt.External, log: opt.Log.With("scenario", spec.Name, "target", opt.External.Target)}, nil
}
