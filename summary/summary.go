// Package summary is the summary.json schema (docs/design.md#summaryjson):
// one run as the harness wrote it, with its verdicts, and the reading and
// writing of the file. It imports only the standard library (and faults/, a
// leaf of the same kind), so that anything
// that reads a summary.json (reports, a CI script, the baseline check) does
// not pull in the harness's database and broker clients.
package summary

import (
	"time"

	"github.com/hbharness/hbharness/faults"
)

// Schema identifies the summary.json layout. Renaming or dropping any field of
// docs/design.md#summaryjson requires a new schema; adding fields does not.
const Schema = "hbharness.summary/v1"

// Summary is one run as written to DIR/summary.json. All *_s fields are model
// seconds; *_ms fields are wall milliseconds.
type Summary struct {
	Schema   string `json:"schema"`
	Scenario string `json:"scenario"`
	Strategy string `json:"strategy"`
	// Label tells this run from another of the same scenario and strategy
	// (other settings or failure policy).
	Label          string  `json:"label,omitempty"`
	TimeScale      float64 `json:"time_scale"`
	ModelDurationS float64 `json:"model_duration_s"`
	// Passed is true when every invariant matched its expectation and the run
	// was not interrupted.
	Passed     bool           `json:"passed"`
	Invariants []Verdict      `json:"invariants"`
	Requests   Requests       `json:"requests"`
	Keys       []KeyStats     `json:"keys"`
	Services   []ServiceStats `json:"services"`
	// DispatchesTotal and DBWritesTotal are the two observers' counts that
	// observers_agree compares.
	DispatchesTotal int     `json:"dispatches_total"`
	DBWritesTotal   int     `json:"db_writes_total"`
	MaxStalenessS   float64 `json:"max_staleness_s"`
	// MaxAgeSinceWriteS is the oldest true age since a write any judged
	// sample read. MaxStalenessS is Antenna's figure, from the stored value
	// (never below zero); the two part when a writer's clock runs ahead.
	MaxAgeSinceWriteS float64  `json:"max_age_since_write_s"`
	Liveness          Liveness `json:"liveness"`
	// DatabaseLocks is the lock contention Postgres reported in the
	// target's database over the run; absent when it was not watched.
	DatabaseLocks *DatabaseLocks `json:"database_locks,omitempty"`
	// Views is the web tier's own account of how long its views held a
	// worker thread and a database connection (in-process runs only).
	Views  *Views  `json:"views,omitempty"`
	Faults []Fault `json:"faults"`
	// FaultSchedule is the plan the run applied, random draws included;
	// Seed drew them (and the fleet's starts and jitter); Source is the
	// scenario (a file, or builtin:NAME). --replay runs them again.
	FaultSchedule []faults.Fault `json:"fault_schedule"`
	Seed          int64          `json:"seed"`
	Source        string         `json:"source"`
	// Mode is "sim" for a run of `hbharness sim` (the reference's code on
	// in-memory stand-ins and a virtual clock); absent for a real run.
	Mode string `json:"mode,omitempty"`
	// Sim says what a simulated run modelled and how; nil for a real run.
	Sim *Sim `json:"sim,omitempty"`

	// Interrupted marks a run stopped before its model duration elapsed; its
	// verdicts judge only the part that ran.
	Interrupted   bool      `json:"interrupted"`
	StartedAt     time.Time `json:"started_at"`
	WallDurationS float64   `json:"wall_duration_s"`
	// Target is "in-process" for the reference, else the external URL.
	Target        string `json:"target"`
	FailurePolicy string `json:"failure_policy"`
	Replicas      int    `json:"replicas"`
	// ClockToleranceMS is the slack, in model milliseconds, granted when
	// comparing dispatch gaps against the throttle window: the resolution of
	// the clock that timed them (Redis's for a gate win). Tolerances gives
	// every clock's.
	ClockToleranceMS float64            `json:"clock_tolerance_ms"`
	Tolerances       map[string]float64 `json:"tolerances_ms"`
	// Observation is how database writes were seen: audit, logical
	// decoding or sampling; DetectionLimitS is how close two writes may be
	// and still be told apart (0: exact).
	Observation     string  `json:"observation"`
	DetectionLimitS float64 `json:"detection_limit_s"`
	// Unobserved lists the stretches an observer was blind (its database
	// connection lost): not observed, neither fresh nor stale.
	Unobserved []Unobserved `json:"unobserved"`
	// Unusable says why the run tested nothing about its target; "" when
	// it did.
	Unusable string `json:"unusable,omitempty"`
	// Skipped says why a suite left the run out without running it (a
	// fault scenario against an external target); "" when it ran.
	Skipped       string        `json:"skipped,omitempty"`
	LoadGenerator LoadGenerator `json:"load_generator"`
	Notes         []string      `json:"notes"`

	// ThrottleS is the gate's window in model seconds: what "per window"
	// divides by. 0 in summaries written before it was recorded.
	ThrottleS float64 `json:"throttle_s"`
	// Baseline is this run held against a past one (--baseline); nil when
	// it was not.
	Baseline *BaselineCheck `json:"baseline,omitempty"`

	// OutDir is where the run's files went; suite tables print it. It is not
	// part of the file, which lives in that directory.
	OutDir string `json:"-"`
}

// RunName is the strategy, with the run's label when it has one: how tables
// and baselines tell runs of one scenario apart.
func (s Summary) RunName() string {
	if s.Label != "" {
		return s.Strategy + " [" + s.Label + "]"
	}
	return s.Strategy
}
