// Package history holds what one run observed, in model time, as plain data:
// the target's own dispatch events and task outcomes, every database write
// with the clock that timed it, the sampler's view of every service row, and
// request outcomes. Collectors fill it, the verifier judges it, reports
// render it; none of them depends on the others (porcupine's
// model/checker/visualization split).
package history

import (
	"slices"
	"time"

	"github.com/hbharness/hbharness/faults"
	"github.com/hbharness/hbharness/internal/modeltime"
)

// Clock names the component whose clock timed an event. docs/design.md#invariants: a
// time comes from the component that enforces or records the fact, never
// from when an answer happened to reach a busy process.
type Clock string

const (
	// ClockRedis: the gate's win, by Redis TIME in the same script as SET NX.
	ClockRedis Clock = "redis"
	// ClockPostgres: a write, by the database (clock_timestamp() in the
	// audit, or the commit time read by logical decoding).
	ClockPostgres Clock = "postgres"
	// ClockProcess: the reference's own clock, where it is the enforcer
	// (db-skip-locked and inline compare last_seen values it wrote itself)
	// or where nothing enforces anything (no gate, a failed-open gate).
	ClockProcess Clock = "process"
)

// Dispatch is one heartbeat dispatch as the target reported it: an enqueue,
// or for strategies without a broker, a write attempt made in the request.
type Dispatch struct {
	At      time.Duration `json:"at"` // model time since the run started
	Key     string        `json:"key"`
	Replica int           `json:"replica"`
	// ID travels with the dispatch's task and tags the write it makes.
	ID    string `json:"id"`
	Clock Clock  `json:"clock"`
}

// TaskResult is what became of a dispatch's task, as the target reported it.
type TaskResult string

const (
	TaskWrote   TaskResult = "wrote"
	TaskSkipped TaskResult = "skipped" // every row already fresh (task-check strategies)
	TaskFailed  TaskResult = "failed"
)

// Task is one dispatch's task outcome.
type Task struct {
	DispatchID string     `json:"dispatch_id"`
	Result     TaskResult `json:"result"`
	Rows       int64      `json:"rows"`
}

// Write is one transaction that changed last_seen, as an observer
// independent of the target saw it hit the database.
type Write struct {
	At       time.Duration `json:"at"`  // the database's clock
	Key      string        `json:"key"` // gate key the written services belong to
	Services []int64       `json:"services"`
	TxID     int64         `json:"txid"`
	// DispatchID is the dispatch the writer tagged the transaction with; ""
	// when the writer does not say (an external target).
	DispatchID string `json:"dispatch_id,omitempty"`
	// Stamp is the last_seen value the write stored, on the same axis as
	// At: the writer's clock, read as if it were the database's. A correct
	// writer stamps before its UPDATE reaches the database, so Stamp <= At;
	// Stamp - At > 0 is how far the writer's clock runs ahead. Stamped is
	// false when the observer could not read the value.
	Stamp   time.Duration `json:"stamp,omitempty"`
	Stamped bool          `json:"stamped,omitempty"`
}

// Ahead is how far the stored last_seen lies past the moment of its write:
// the writer's clock ahead of the database's, by at least this much.
func (w Write) Ahead() time.Duration { return w.Stamp - w.At }

// Sample is one observation of one service row by the database sampler.
type Sample struct {
	At        time.Duration `json:"at"`
	ServiceID int64         `json:"service_id"`
	// Staleness is now - last_seen in model time, as Antenna computes it
	// from the stored value: negative when last_seen is in the future (a
	// writer's clock ahead); meaningless when Null. Raw data: nothing
	// reports it below zero (see Fresh).
	Staleness time.Duration `json:"staleness"`
	Null      bool          `json:"last_seen_null"` // last_seen never written
	Live      bool          `json:"live"`           // last_seen_live (NULL reads as false)
	LiveNull  bool          `json:"live_null"`
}

// Fresh is the staleness to report: Antenna's figure, never below zero. A
// last_seen in the future reads as just written, which is what Antenna's
// check (now - last_seen < 60 s) makes of it; how far ahead it lies is the
// finding of its own (verify's last_seen_not_in_future).
func (s Sample) Fresh() time.Duration { return max(0, s.Staleness) }

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

// RequestCounts classifies requests by what came back.
type RequestCounts struct {
	Total int64 `json:"total"`
	OK    int64 `json:"ok"` // 2xx with a body as in docs/design.md#wire-protocol
	// Transport: no HTTP answer at all (refused, reset, timed out).
	Transport int64 `json:"transport"`
	Status3xx int64 `json:"status_3xx"` // a redirect the client did not follow
	Status4xx int64 `json:"status_4xx"`
	Status5xx int64 `json:"status_5xx"`
	// Malformed: a 2xx whose body is not the shape in docs/design.md#wire-protocol.
	Malformed int64 `json:"malformed"`
	Other     int64 `json:"other"` // any other status
}

// Errors is every request that did not succeed.
func (c RequestCounts) Errors() int64 { return c.Total - c.OK }

// Add sums two counts.
func (c RequestCounts) Add(o RequestCounts) RequestCounts {
	return RequestCounts{Total: c.Total + o.Total, OK: c.OK + o.OK, Transport: c.Transport + o.Transport,
		Status3xx: c.Status3xx + o.Status3xx, Status4xx: c.Status4xx + o.Status4xx, Status5xx: c.Status5xx + o.Status5xx,
		Malformed: c.Malformed + o.Malformed, Other: c.Other + o.Other}
}

// Requests aggregates request outcomes from the fleet and the attacks.
type Requests struct {
	RequestCounts
	ByEndpoint map[string]RequestCounts `json:"by_endpoint"`
	P50        time.Duration            `json:"p50"` // wall latency from the intended send time
	P99        time.Duration            `json:"p99"`
	Max        time.Duration            `json:"max"`
	// Timeline is the same requests over model time, window by window.
	Timeline []RequestWindow `json:"timeline"`
}

// RequestWindow is one slice of the request timeline: what was sent from
// From (model time, by intended send instant) for Every.
type RequestWindow struct {
	From       time.Duration            `json:"from"`
	Every      time.Duration            `json:"every"`
	ByEndpoint map[string]RequestCounts `json:"by_endpoint"`
	P50        time.Duration            `json:"p50"` // wall latency of the answered requests
	P99        time.Duration            `json:"p99"`
	Max        time.Duration            `json:"max"`
}

// Allowance is how many request errors a scenario tolerates (faults make
// some expected): a total over every endpoint, or a number per endpoint.
type Allowance struct {
	// Total applies when PerEndpoint is nil.
	Total       int64            `json:"total"`
	PerEndpoint map[string]int64 `json:"per_endpoint,omitempty"`
}

// Event is one thing the scenario does to its fleet: At is model time, What
// says it ("fleet dead stops: 40 workers").
type Event struct {
	At   time.Duration `json:"at"`
	What string        `json:"what"`
}

// Fault is one injected fault: as planned, and as it actually happened.
type Fault struct {
	Kind string `json:"kind"`
	// At and For are when it actually started and how long it lasted (to
	// the end of the run for one that never ended).
	At  time.Duration `json:"at"`
	For time.Duration `json:"for"`
	// Planned is the schedule's fault: its start and length, the replica it
	// was aimed at, and its kind's parameters. A history saved before it
	// was recorded reads it as the zero Fault.
	Planned faults.Fault `json:"planned"`
	// StopsDispatch: no heartbeat could be dispatched while it lasted.
	// SpendsWindow: a gate may lose one more window to it.
	StopsDispatch bool `json:"stops_dispatch"`
	SpendsWindow  bool `json:"spends_window"`
	// Requests are those meant to be sent while it lasted (the timeline's
	// windows it touches), with their exact percentiles; nil when the run
	// kept no timeline.
	Requests *RequestWindow `json:"requests,omitempty"`
}

// Observation names how database writes were seen.
type Observation string

const (
	// ObservedByAudit: a trigger in the run's own database, every write with
	// the dispatch that tagged it (in-process).
	ObservedByAudit Observation = "audit"
	// ObservedByLogicalDecoding: every committed UPDATE with its commit time,
	// from a temporary replication slot (external, exact).
	ObservedByLogicalDecoding Observation = "logical decoding"
	// ObservedBySampling: last_seen changes between samples (external, when
	// logical decoding is not available); writes closer together than the
	// sample period are seen as one.
	ObservedBySampling Observation = "sampling"
)

// History is everything one run observed. All durations are model time.
type History struct {
	Duration     time.Duration   `json:"duration"`
	TimeScale    modeltime.Scale `json:"time_scale"`
	Throttle     time.Duration   `json:"throttle"`
	OfflineAfter time.Duration   `json:"offline_after"`
	// CheckerEvery is how often the offline check is enqueued: a silent
	// service may read live until its last_seen is OfflineAfter old and a
	// copy of the check has run, up to OfflineAfter + CheckerEvery after its
	// last write plus however long that copy waited in its queue.
	CheckerEvery time.Duration `json:"checker_every"`
	// CheckerExpires is how long a queued copy of the check may wait before
	// a worker drops it unrun; the beat's next copy comes CheckerEvery
	// after the one dropped.
	CheckerExpires time.Duration `json:"checker_expires"`
	// Checks are the copies of the offline check the target's beat sent,
	// by enqueue time, and what became of each. ChecksKnown is false when
	// the target cannot report them (external): verdicts that depend on
	// the check then assume a copy every CheckerEvery, waiting up to
	// CheckerExpires.
	Checks      []Check `json:"checks,omitempty"`
	ChecksKnown bool    `json:"checks_known"`
	// MaxPollGap is the longest gap between two polls of one worker that the
	// scenario allows (poll period + jitter); it widens the rate bound.
	MaxPollGap time.Duration `json:"max_poll_gap"`
	// SampleEvery is the sampler's period; staleness is only known to this precision.
	SampleEvery time.Duration `json:"sample_every"`
	// Tolerance is, per clock, how much closer than the window two events
	// may be recorded without being a violation: that clock's resolution,
	// stated in the report.
	Tolerance map[Clock]time.Duration `json:"tolerance"`
	// Observation says how Writes were seen; DetectionLimit is the closest
	// two writes may be and still be told apart (0: exact).
	Observation    Observation   `json:"observation"`
	DetectionLimit time.Duration `json:"detection_limit"`
	// QueueAllowance is how much a target's task queue may move one write
	// towards the next of the same key (queue delays differ); an external
	// target's writes closer than Throttle-QueueAllowance are violations,
	// those between are not judged. In-process writes are judged through
	// their dispatches instead.
	QueueAllowance time.Duration `json:"queue_allowance"`

	Keys     []Key     `json:"keys"`
	Services []Service `json:"services"`
	// HaveDispatches is false in external mode, where the target's own
	// dispatches and task outcomes cannot be seen.
	HaveDispatches bool       `json:"have_dispatches"`
	Dispatches     []Dispatch `json:"dispatches"`
	Tasks          []Task     `json:"tasks"`
	// Pending are the dispatches whose tasks were still queued at the end;
	// PendingKnown is false when the broker cannot list its queue.
	Pending      []string `json:"pending"`
	PendingKnown bool     `json:"pending_known"`
	Writes       []Write  `json:"writes"`
	Samples      []Sample `json:"samples"`
	// SamplerReads counts the sampler's successful reads, SamplerErrors its
	// failed ones: a sampler that read nothing proves nothing.
	SamplerReads  int64 `json:"sampler_reads"`
	SamplerErrors int64 `json:"sampler_errors"`
	// Unobserved are the stretches an observer was blind: nothing in them is
	// a sample or a missing write, it is not known.
	Unobserved    []Gap     `json:"unobserved"`
	Requests      Requests  `json:"requests"`
	AllowedErrors Allowance `json:"allowed_errors"`
	Faults        []Fault   `json:"faults"`
	// Events are what the scenario itself does to the fleet, at its own
	// times: a fleet starting late, stopping or crashing. Charts mark them;
	// verdicts read the same facts from Services' polling.
	Events []Event `json:"events,omitempty"`
	// Locks is the database's lock contention over the run, as Postgres
	// reported it; nil when it was not watched.
	Locks *Locks `json:"locks,omitempty"`
	// Views is what the target's web tier reported of its views: how long
	// each held a worker thread and a database connection, whether or not
	// its client still waited. Nil when the target cannot say (external).
	Views *Views `json:"views,omitempty"`
}

// Views is the web tier's own account of its views, all replicas together.
type Views struct {
	ByRoute map[string]ViewTimes `json:"by_route"`
	// Refused is how many requests found no database connection left (500).
	Refused int64 `json:"refused"`
}

// ViewTimes is one route's views: how many, their mean and their longest
// hold, in model time.
type ViewTimes struct {
	Count int64         `json:"count"`
	Mean  time.Duration `json:"mean"`
	Max   time.Duration `json:"max"`
}

// Locks is what the lock watch saw (observe.Locks).
type Locks struct {
	// Samples and Errors count its readings, good and failed.
	Samples int64 `json:"samples"`
	Errors  int64 `json:"errors"`
	// Every is the period of the readings (model time).
	Every time.Duration `json:"every"`
	// MaxWaiting is the most backends seen waiting on a lock at once.
	MaxWaiting int64 `json:"max_waiting"`
	// WaitingS integrates the waiting backends over the samples: backend-
	// seconds of model time. A wait shorter than the sample period may be
	// missed or counted whole.
	WaitingS float64 `json:"waiting_s"`
	// Deadlocks is how many deadlocks Postgres detected in the database
	// during the run (pg_stat_database; a backend reports it when its
	// transaction ends).
	Deadlocks int64 `json:"deadlocks"`
}

// Observers whose blindness is recorded in History.Unobserved.
const (
	ObserverSampler = "sampler" // last_seen and last_seen_live samples
	ObserverWrites  = "writes"  // the write observer of Observation
)

// Gap is a stretch one observer did not see (its connection lost, not yet
// back), in model time.
type Gap struct {
	Observer string        `json:"observer"`
	From     time.Duration `json:"from"`
	To       time.Duration `json:"to"`
	Reason   string        `json:"reason"`
}

// BlindTime is how long observer was blind within [from, to).
func (h History) BlindTime(observer string, from, to time.Duration) time.Duration {
	var d time.Duration
	for _, g := range h.Unobserved {
		if g.Observer != observer {
			continue
		}
		if lo, hi := max(from, g.From), min(to, g.To); hi > lo {
			d += hi - lo
		}
	}
	return d
}

// Union merges overlapping or touching intervals.
func Union(ivs []Interval) []Interval {
	if len(ivs) == 0 {
		return nil
	}
	s := slices.Clone(ivs)
	slices.SortFunc(s, func(a, b Interval) int { return int(a.From - b.From) })
	out := []Interval{s[0]}
	for _, iv := range s[1:] {
		last := &out[len(out)-1]
		if iv.From <= last.To {
			last.To = max(last.To, iv.To)
		} else {
			out = append(out, iv)
		}
	}
	return out
}
