package fleet

import (
	"fmt"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/latency"
	"github.com/hbharness/hbharness/reference/antenna"
)

// RequestStats and LagStats are shared with the open-model attack package.
type (
	RequestStats = latency.RequestStats
	LagStats     = latency.LagStats
)

// Report is what a fleet run did.
type Report struct {
	Requests    RequestStats
	PerEndpoint map[antenna.Endpoint]RequestStats
	Lag         LagStats
	Workers     []WorkerStats
	// Timeline is every request by the model instant it was meant to be
	// sent, Config.TimelineEvery at a time; TimelineRecorder holds the same
	// counts and histograms, for merging exactly with another generator's
	// (latency.Timeline.Merge) or summarising a span (Span).
	Timeline         []history.RequestWindow
	TimelineRecorder *latency.Timeline
	Interrupted      bool
}

// WorkerStats is one worker's view of its own polling. Offsets are model time
// from the run start, taken when each 2xx answer arrived (the target had seen
// the request by then); -1 means "never".
type WorkerStats struct {
	ID       int
	Group    string
	KeyIndex int

	FirstPoll, LastPoll time.Duration
	Polls               int
	// MaxGap is the longest time between consecutive successful polls.
	MaxGap time.Duration
	// WentIdleAt is when the worker went idle: its job answered with no
	// tasks and the list then offered none to work (a job still listed is
	// worked again: its queue was only dry for the moment). For an adc
	// worker, when its first round of work ended.
	WentIdleAt time.Duration
	// WorkedFrom and WorkedTo bound an adc worker's work on jobs: from the
	// first tasks answer that carried tasks to the end of its last round of
	// work, -1 when it was still working when it stopped. Before and after
	// them it only listed jobs. Other behaviours leave both at -1.
	WorkedFrom, WorkedTo time.Duration
	// ListedWhileWorking are when an adc or active worker's lists answered
	// after its first work (an active worker lists when a /tasks answers
	// none, as the real client does): the real client lists again whenever a round of work ends,
	// which a job's task queue ends early when it hands out none for the
	// moment (max_ack_pending reached), so the list key is polled during
	// the work too.
	ListedWhileWorking []time.Duration
	// Jobs are an adc worker's rounds of work, in the order they ended:
	// which job each worked and when, as the list handed them out.
	Jobs []JobRound
	// Late, Dropped and Blocked are this worker's share of Report.Lag: sends
	// that went out late, scheduled sends skipped because it had fallen a
	// period behind, and those skipped while it still waited for the
	// target's previous answer.
	Late, Dropped, Blocked int
}

func (s *WorkerStats) polled(at time.Duration) {
	switch {
	case s.Polls == 0:
		s.FirstPoll = at
	case at < s.LastPoll:
		// An adc worker's concurrent answers may be counted out of order.
		s.Polls++
		return
	default:
		s.MaxGap = max(s.MaxGap, at-s.LastPoll)
	}
	s.LastPoll = at
	s.Polls++
}

// Saturated reports whether the fleet failed to offer the load it was asked
// for: more than tolerance (a fraction, e.g. 0.01) of scheduled sends went out
// late or were dropped, in at least minMissed separate episodes (each stall
// of lateness, each dropped send). A saturated generator measures itself,
// not the target; one or two stalls of a busy machine in a short run do not
// change the load offered, however many senders each one holds up at once
// (one 40 ms stall made 3 of 179 sends late, 1.7%, on a loaded CI machine).
func (r *Report) Saturated(tolerance float64) (bool, string) {
	scheduled := r.Lag.Scheduled()
	if scheduled == 0 {
		return false, "no sends were scheduled"
	}
	missed := r.Lag.Missed()
	episodes := r.Lag.Stalls + r.Lag.Dropped
	frac := float64(missed) / float64(scheduled)
	if frac <= tolerance || episodes < minMissed {
		return false, fmt.Sprintf("%d of %d scheduled sends late or dropped (%.2f%%, %.2f%% allowed), in %d episodes (%d needed to call it saturated)",
			missed, scheduled, 100*frac, 100*tolerance, episodes, minMissed)
	}
	return true, fmt.Sprintf("fleet could not keep its schedule: %d of %d scheduled sends were late by more than %v (%d, in %d stalls) or dropped (%d), %.2f%% > %.2f%% allowed; schedule lag p99 %v, max %v. Use fewer workers or a larger time_scale",
		missed, scheduled, r.Lag.Tolerance, r.Lag.Late, r.Lag.Stalls, r.Lag.Dropped, 100*frac, 100*tolerance, r.Lag.P99, r.Lag.Max)
}

// minMissed is how many separate episodes of missed sends it takes before a
// fleet can read as saturated.
const minMissed = 3

func (rec *recorders) report(workers []WorkerStats) *Report {
	var all latency.RequestRecorder
	all.Merge(&rec.tasks)
	all.Merge(&rec.result)
	all.Merge(&rec.list)
	all.Merge(&rec.register)
	per := map[antenna.Endpoint]RequestStats{
		antenna.EndpointTasks:  rec.tasks.Stats(),
		antenna.EndpointResult: rec.result.Stats(),
		antenna.EndpointList:   rec.list.Stats(),
	}
	if reg := rec.register.Stats(); reg.Total > 0 {
		// Only fleets that register show the endpoint.
		per[antenna.EndpointRegister] = reg
	}
	return &Report{
		Requests:         all.Stats(),
		PerEndpoint:      per,
		Lag:              rec.lag.Stats(),
		Workers:          workers,
		Timeline:         rec.timeline.Windows(),
		TimelineRecorder: rec.timeline,
	}
}
