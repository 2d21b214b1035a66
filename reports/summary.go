// Package reports renders runs: the summary.json contract (docs/design.md#summaryjson), the
// human table, suite and comparison tables, JUnit XML and a self-contained HTML
// report with inline SVG plots. It only reads what the harness observed and
// verified; it never judges anything itself.
package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/hbharness/hbharness/faults"
	"github.com/hbharness/hbharness/harness/verify"
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
	Passed     bool             `json:"passed"`
	Invariants []verify.Verdict `json:"invariants"`
	Requests   Requests         `json:"requests"`
	Keys       []KeyStats       `json:"keys"`
	Services   []ServiceStats   `json:"services"`
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

// Requests aggregates request outcomes from the fleet and the attacks.
type Requests struct {
	Total  int64 `json:"total"`
	OK     int64 `json:"ok"`
	Errors int64 `json:"errors"` // every request that did not get a 2xx of the shape in docs/design.md#wire-protocol
	// ByEndpoint classifies them per endpoint.
	ByEndpoint map[string]RequestClasses `json:"by_endpoint"`
	// RPSModel is requests per model second, comparable across time scales.
	RPSModel float64 `json:"rps_model"`
	P50MS    float64 `json:"p50_ms"`
	P99MS    float64 `json:"p99_ms"`
}

// RequestClasses counts one endpoint's requests by what came back.
type RequestClasses struct {
	Total     int64 `json:"total"`
	OK        int64 `json:"ok"`
	Transport int64 `json:"transport"`
	Status3xx int64 `json:"status_3xx"`
	Status4xx int64 `json:"status_4xx"`
	Status5xx int64 `json:"status_5xx"`
	Malformed int64 `json:"malformed"`
	Other     int64 `json:"other"`
}

// KeyStats is one gate key's dispatch record.
type KeyStats struct {
	Key         string `json:"key"`
	Dispatches  int    `json:"dispatches"`
	ExpectedMin int    `json:"expected_min"`
	ExpectedMax int    `json:"expected_max"`
	// MinGapS is the closest pair of the key's dispatches; 0 when it had fewer
	// than two, so read it together with Dispatches.
	MinGapS  float64 `json:"min_gap_s"`
	DBWrites int     `json:"db_writes"`
}

// ServiceStats is one service's liveness record.
type ServiceStats struct {
	ID                int64   `json:"id"`
	MaxStalenessS     float64 `json:"max_staleness_s"`
	MaxAgeSinceWriteS float64 `json:"max_age_since_write_s"`
	OfflineFlips      int     `json:"offline_flips"`
	// FalseLiveS is the model time it read live while none of its own
	// workers polled.
	FalseLiveS float64 `json:"false_live_s"`
	// Stopped says its workers stopped before the end; TimeToOfflineS is
	// then from their last poll to the first read of it as not live, null
	// when that never came within the run.
	Stopped        bool     `json:"stopped"`
	TimeToOfflineS *float64 `json:"time_to_offline_s"`
	// TimeToOfflineBoundS is, for a stopped service, the latest it may be
	// flipped after its last poll: offline_after after its own last
	// heartbeat landed (HeartbeatLagS past that poll, the task's queue
	// wait) plus the offline check's allowance (see Liveness). It is read
	// up to one sample period later.
	TimeToOfflineBoundS *float64 `json:"time_to_offline_bound_s,omitempty"`
	HeartbeatLagS       *float64 `json:"heartbeat_lag_s,omitempty"`
}

// Liveness sums up how fast services whose workers stopped were read as
// offline, beside the bounds [offline_after - throttle, offline_after +
// the offline check's allowance]: the longest gap between copies of the
// check that ran plus the longest any waited in its queue (CheckerGapMaxS
// + CheckerQueueWaitMaxS, measured), or checker_every + checker_expires
// when the target does not report its checks. A service's own bound adds
// its last heartbeat's lag (ServiceStats).
type Liveness struct {
	Stopped           int        `json:"stopped"`
	Detected          int        `json:"detected"`
	TimeToOfflineMaxS *float64   `json:"time_to_offline_max_s"`
	TimeToOfflineP50S *float64   `json:"time_to_offline_p50_s"`
	BoundsS           [2]float64 `json:"time_to_offline_bounds_s"`
	FalseLiveS        float64    `json:"false_live_s"`
	// Checks counts the copies of the offline check sent within the run
	// and what became of them; nil when the target does not report them.
	Checks *CheckCounts `json:"checks,omitempty"`
	// CheckerQueueWaitMaxS is the longest a copy that ran waited in its
	// queue (or one still queued at the end had waited); CheckerGapMaxS the
	// longest between two copies that ran; CheckerDropWaitMaxS the longest
	// a dropped copy waited. Null when the checks are not reported.
	CheckerQueueWaitMaxS *float64 `json:"checker_queue_wait_max_s"`
	CheckerGapMaxS       *float64 `json:"checker_gap_max_s"`
	CheckerDropWaitMaxS  *float64 `json:"checker_drop_wait_max_s,omitempty"`
	// TimeToOfflineNote says when a stopped service's time_to_offline
	// measures no check: none ran after it went stale.
	TimeToOfflineNote string `json:"time_to_offline_note,omitempty"`
}

// CheckCounts is what became of the offline check's copies sent in a run.
type CheckCounts struct {
	Sent    int `json:"sent"`
	Ran     int `json:"ran"`
	Dropped int `json:"dropped"`
	Failed  int `json:"failed"`
	Unsent  int `json:"unsent"`
	// Queued were still waiting when the run ended (some taken after it).
	Queued int `json:"queued"`
}

// Fault is one injected fault: planned, as it actually happened, what it did
// while it lasted, and how fast it was got over. AtS and ForS are the actual.
type Fault struct {
	Kind string  `json:"kind"`
	AtS  float64 `json:"at_s"`
	ForS float64 `json:"for_s"`
	// Planned is the fault as scheduled, in fault_schedule's form: its
	// start, length, replica and kind's parameters. Summaries written
	// before it was recorded read it as the zero Fault.
	Planned faults.Fault `json:"planned"`
	During  During       `json:"during"`
	// RecoveryS is from its end until every polled service read fresh and
	// live again; null when that never came (or it lasted to the end).
	// RecoveryBoundS is what the design explains.
	RecoveryS      *float64 `json:"recovery_s"`
	RecoveryBoundS float64  `json:"recovery_bound_s"`
}

// During is what was observed while a fault lasted.
type During struct {
	Dispatches int `json:"dispatches"`
	DBWrites   int `json:"db_writes"`
	// WorstStalenessS runs until the fault was got over.
	WorstStalenessS float64          `json:"worst_staleness_s"`
	Errors          map[string]int64 `json:"errors_by_endpoint"`
	// P99MS is the worst p99 of the timeline's windows it overlaps.
	P99MS float64 `json:"p99_ms"`
}

// Unobserved is one stretch an observer did not see, in model seconds.
type Unobserved struct {
	Observer string  `json:"observer"`
	FromS    float64 `json:"from_s"`
	ToS      float64 `json:"to_s"`
	Reason   string  `json:"reason"`
}

// LoadGenerator says whether the load generator kept its schedule; a
// saturated generator understates the load the target was given.
type LoadGenerator struct {
	ScheduleLagP99MS float64 `json:"schedule_lag_p99_ms"`
	LateSends        int64   `json:"late_sends"`
	DroppedSends     int64   `json:"dropped_sends"`
	Saturated        bool    `json:"saturated"`
}

// WriteJSON writes s as indented summary.json, stamped with Schema. Empty
// lists are written as [] so that consumers can iterate without null checks.
func WriteJSON(w io.Writer, s Summary) error {
	s.Schema = Schema
	s.Invariants = nonNil(s.Invariants)
	s.Keys = nonNil(s.Keys)
	s.Services = nonNil(s.Services)
	s.Faults = nonNil(s.Faults)
	s.Notes = nonNil(s.Notes)
	// Encode into memory first so that a value JSON cannot hold (NaN, ±Inf)
	// leaves no half-written file behind.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("encode summary of %s/%s: %w (a non-finite number usually means a division by a zero duration)",
			s.Scenario, s.Strategy, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write summary of %s/%s: %w", s.Scenario, s.Strategy, err)
	}
	return nil
}

// ReadJSON reads a summary.json written by WriteJSON. It refuses any other
// schema rather than guess at renamed fields.
func ReadJSON(r io.Reader) (Summary, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Summary{}, fmt.Errorf("read summary: %w", err)
	}
	var head struct {
		Schema *string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return Summary{}, fmt.Errorf("summary is not valid JSON: %w", err)
	}
	switch {
	case head.Schema == nil:
		return Summary{}, fmt.Errorf("summary has no \"schema\" field: not an hbharness summary (want %q)", Schema)
	case *head.Schema != Schema:
		return Summary{}, fmt.Errorf("summary schema is %q, this build reads only %q: use the hbharness version that wrote it", *head.Schema, Schema)
	}
	var s Summary
	if err := json.Unmarshal(data, &s); err != nil {
		return Summary{}, fmt.Errorf("decode %s summary: %w", Schema, err)
	}
	return s, nil
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// DatabaseLocks is history.Locks as summary.json writes it.
type DatabaseLocks struct {
	// Samples is how many readings it rests on (Errors failed); a wait
	// shorter than SampleEveryS may be missed.
	Samples      int64   `json:"samples"`
	Errors       int64   `json:"errors"`
	SampleEveryS float64 `json:"sample_every_s"`
	// MaxWaiting is the most backends waiting on a lock at once;
	// WaitingBackendS the waiting integrated over the run, in backend-
	// seconds of model time.
	MaxWaiting      int64   `json:"max_waiting"`
	WaitingBackendS float64 `json:"waiting_backend_s"`
	// Deadlocks Postgres detected and broke during the run.
	Deadlocks int64 `json:"deadlocks"`
}

// Views is history.Views as summary.json writes it, in model seconds.
type Views struct {
	ByRoute map[string]ViewTimes `json:"by_route"`
	// Refused counts requests answered 500 for want of a database connection.
	Refused int64 `json:"refused"`
}

// ViewTimes is one route's views.
type ViewTimes struct {
	Count int64   `json:"count"`
	MeanS float64 `json:"mean_s"`
	MaxS  float64 `json:"max_s"`
}
