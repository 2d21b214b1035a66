// Package history holds what one run observed, in model time, as plain data:
// the reference's own dispatch events, the independent audit of database
// writes, the sampler's view of every service row, and request outcomes.
// Collectors fill it, the verifier judges it, reports render it; none of them
// depends on the others (porcupine's model/checker/visualization split).
package history

import (
	"time"

	"github.com/hbharness/hbharness/internal/modeltime"
)

// Dispatch is one heartbeat dispatch as the reference reported it: an enqueue
// (or, for strategies without a broker, a write attempt made in the request).
type Dispatch struct {
	At      time.Duration `json:"at"` // model time since the run started
	Key     string        `json:"key"`
	Replica int           `json:"replica"`
}

// Write is one UPDATE statement that changed last_seen, as the audit trigger
// (or, in external mode, the read-only observer) saw it hit the database.
type Write struct {
	At       time.Duration `json:"at"`
	Key      string        `json:"key"` // gate key the written services belong to
	Services []int64       `json:"services"`
}

// Sample is one observation of one service row by the database sampler.
type Sample struct {
	At        time.Duration `json:"at"`
	ServiceID int64         `json:"service_id"`
	// Staleness is now - last_seen in model time; negative when last_seen is NULL.
	Staleness time.Duration `json:"staleness"`
	Live      bool          `json:"live"` // last_seen_live (NULL reads as false)
	LiveNull  bool          `json:"live_null"`
}

// Interval is a half-open span of model time [From, To).
type Interval struct {
	From time.Duration `json:"from"`
	To   time.Duration `json:"to"`
}

// Key describes one gate key of the run: the services a dispatch on it
// updates and the spans during which some worker was polling it.
type Key struct {
	Key      string     `json:"key"`
	Services []int64    `json:"services"`
	Active   []Interval `json:"active"`
}

// Service says when a service had polling workers, so that staleness is only
// held against it while it was actually being polled.
type Service struct {
	ID     int64      `json:"id"`
	Key    string     `json:"key"`
	Polled []Interval `json:"polled"`
}

// Requests aggregates request outcomes from the fleet and the attacks.
type Requests struct {
	Total     int64         `json:"total"`
	OK        int64         `json:"ok"`
	Errors    int64         `json:"errors"`     // transport errors + 5xx
	Transport int64         `json:"transport"`  // no HTTP answer at all
	Status5xx int64         `json:"status_5xx"` // answered with a 5xx
	Status4xx int64         `json:"status_4xx"`
	P50       time.Duration `json:"p50"` // wall latency from the intended send time
	P99       time.Duration `json:"p99"`
	Max       time.Duration `json:"max"`
}

// Fault is one injected fault as it actually happened.
type Fault struct {
	Kind string        `json:"kind"`
	At   time.Duration `json:"at"`
	For  time.Duration `json:"for"`
}

// History is everything one run observed. All durations are model time.
type History struct {
	Duration     time.Duration   `json:"duration"`
	TimeScale    modeltime.Scale `json:"time_scale"`
	Throttle     time.Duration   `json:"throttle"`
	OfflineAfter time.Duration   `json:"offline_after"`
	// MaxPollGap is the longest gap between two polls of one worker that the
	// scenario allows (poll period + jitter); it widens the rate bound.
	MaxPollGap time.Duration `json:"max_poll_gap"`
	// ClockTolerance absorbs scheduler and clock noise when comparing gaps
	// against the throttle window; reports state it.
	ClockTolerance time.Duration `json:"clock_tolerance"`
	// SampleEvery is the sampler's period; staleness is only known to this precision.
	SampleEvery time.Duration `json:"sample_every"`

	Keys       []Key      `json:"keys"`
	Services   []Service  `json:"services"`
	Dispatches []Dispatch `json:"dispatches"`
	// HaveDispatches is false in external mode, where the target's own
	// dispatch events cannot be seen; observers_agree is then not applicable.
	HaveDispatches bool `json:"have_dispatches"`
	// ReferenceWrites is the reference's own count of UPDATE statements that
	// changed rows (task workers and inline paths). Dispatches cannot be
	// compared with the audit directly: some strategies dispatch without
	// writing (task-throttle's task skips fresh rows).
	ReferenceWrites int64    `json:"reference_writes"`
	Writes          []Write  `json:"writes"`
	Samples         []Sample `json:"samples"`
	Requests        Requests `json:"requests"`
	// AllowedErrors is how many request errors the scenario tolerates
	// (faults make some failures expected).
	AllowedErrors int64   `json:"allowed_errors"`
	Faults        []Fault `json:"faults"`
	// UnseenRowUpdates counts row updates Postgres's statistics recorded but
	// the sampler never saw (external mode): a row written twice between two
	// samples, i.e. writes closer together than the sample period.
	UnseenRowUpdates int64 `json:"unseen_row_updates"`
}
